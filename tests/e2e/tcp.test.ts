// TCP mode end to end: the real proxy under each target, real backends and clients.
import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import {
  type Backend,
  echoBackend,
  exchange,
  freePort,
  nameBackend,
  openClient,
  type Run,
  selectedTargets,
  sleep,
  startSluice,
  stopSluice,
  tcpBackend,
  waitFor,
} from "./harness.ts";

function tcpConfig(port: number, servers: string, extra = "", frontendExtra = ""): string {
  return `global
    hard-stop-after 5s

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:${port}
${frontendExtra}
    default_backend be

backend be
${extra}
${servers}
`;
}

for (const target of selectedTargets()) {
  describe(`tcp mode (${target.name})`, () => {
    let run: Run | undefined;
    const backends: Backend[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const b of backends.splice(0)) await b.close();
    });

    test("weights 3:1 balance 3:1, interleaved", async () => {
      const a = await nameBackend("A");
      const b = await nameBackend("B");
      backends.push(a, b);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    server a 127.0.0.1:${a.port} weight 3\n    server b 127.0.0.1:${b.port} weight 1`));
      let seen = "";
      for (let i = 0; i < 40; i++) seen += (await exchange(port)).data.toString();
      expect(seen.length).toBe(40);
      expect([...seen].filter((c) => c === "A").length).toBe(30);
      expect(seen).not.toContain("AAAA");
      expect(a.accepted).toBe(30);
      expect(b.accepted).toBe(10);
    });

    test("option redispatch: a retry goes to another server, so every connection is served", async () => {
      const up = await nameBackend("up");
      backends.push(up);
      const downPort = await freePort();
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    option redispatch\n    server down 127.0.0.1:${downPort}\n    server up 127.0.0.1:${up.port}`));
      for (let i = 0; i < 10; i++) {
        const r = await exchange(port);
        expect(r.data.toString()).toBe("up");
      }
      expect(up.accepted).toBe(10);
      await waitFor(() => run!.logLines().length >= 10, 3000, "log lines");
      // Half of the connections were first given the dead server. Roundrobin
      // picked it among two active servers, so nothing ties them to it: as in
      // HAProxy, the first retry already goes to the next server.
      const retried = run.logLines().filter((l) => / be\/up .* -- \d+\/\d+\/\d+\/\d+\/1 \d+\/\d+$/.test(l));
      expect(retried.length).toBe(5);
    });

    test("without option redispatch, retries stay on the server picked first (HAProxy): its connections fail, logged SC with 3 retries", async () => {
      const up = await nameBackend("up");
      backends.push(up);
      const downPort = await freePort();
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    server down 127.0.0.1:${downPort}\n    server up 127.0.0.1:${up.port}`));
      const got: string[] = [];
      for (let i = 0; i < 10; i++) got.push((await exchange(port, "hello", { end: false })).data.toString());
      expect(got.filter((d) => d === "up").length).toBe(5);
      expect(got.filter((d) => d === "").length).toBe(5);
      expect(up.accepted).toBe(5);
      await waitFor(() => run!.logLines().length >= 10, 3000, "log lines");
      const failed = run.logLines().filter((l) => / fe be\/down -?\d+\/-1\/\d+ 0 SC \d+\/\d+\/\d+\/\d+\/3 0\/0$/.test(l));
      expect(failed.length).toBe(5);
    });

    test("when every attempt fails, the client is closed after `retries` retries and the log says SC", async () => {
      const d1 = await freePort();
      const d2 = await freePort();
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    retries 2\n    server d1 127.0.0.1:${d1}\n    server d2 127.0.0.1:${d2}`));
      const r = await exchange(port, "hello", { end: false });
      expect(r.how).not.toBe("timeout");
      expect(r.data.length).toBe(0);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      const line = run.logLines()[0]!;
      expect(line).toMatch(/ fe be\/d[12] -?\d+\/-1\/\d+ 0 SC 1\/1\/0\/0\/2 0\/0$/);
    });

    test("bytes flow both ways and a client half-close still gets the whole answer", async () => {
      const big = Buffer.alloc(3 * 1024 * 1024, "x");
      const srv = await tcpBackend((s) => {
        const got: Buffer[] = [];
        s.on("data", (d: Buffer) => got.push(d));
        // Answer only after the client finished sending (its FIN came through).
        s.on("end", () => {
          const n = Buffer.concat(got).length;
          s.write(`got ${n} bytes;`);
          s.end(big);
        });
      });
      backends.push(srv);
      const port = await freePort();
      // The tcplog line has the bytes sent to the client (%B); %U, those received from it, through a log-format.
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`, "", '    log-format "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts"'));
      const r = await exchange(port, Buffer.alloc(1024 * 1024, "y"), { end: true, timeoutMs: 10000 });
      expect(r.how).toBe("end");
      const text = r.data.subarray(0, 20).toString();
      expect(text.startsWith(`got ${1024 * 1024} bytes;`)).toBe(true);
      expect(r.data.length).toBe(`got ${1024 * 1024} bytes;`.length + big.length);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      expect(run.logLines()[0]).toMatch(new RegExp(` fe be/s \\d+/\\d+/\\d+ ${r.data.length} ${1024 * 1024} --$`));
    });

    test("echo with many concurrent connections", async () => {
      const srv = await echoBackend();
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`));
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => exchange(port, `message ${i} `.repeat(50), { timeoutMs: 10000 })),
      );
      results.forEach((r, i) => expect(r.data.toString()).toBe(`message ${i} `.repeat(50)));
    });

    test("a slow reader does not make sluice buffer: 1 GiB passes with bounded memory", async () => {
      const total = 1024 * 1024 * 1024;
      const block = Buffer.alloc(1024 * 1024, 7);
      const srv = await tcpBackend((s) => {
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += block.length;
            if (!s.write(block)) return void s.once("drain", pump);
          }
          s.end();
        };
        pump();
      });
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`));
      const baseline = run.rssKiB();
      let received = 0;
      let peakDuringStall = 0;
      await new Promise<void>((resolveRead, reject) => {
        const c = net.connect({ port, host: "127.0.0.1" });
        c.on("error", reject);
        c.on("data", (d) => (received += d.length));
        c.on("end", () => resolveRead());
        // The slow phase: stop reading for a while, twice; sluice must stop reading the server.
        c.pause();
        (async () => {
          for (let i = 0; i < 2; i++) {
            await sleep(700);
            peakDuringStall = Math.max(peakDuringStall, run!.rssKiB());
            c.resume();
            await sleep(150);
            c.pause();
          }
          c.resume();
        })();
      });
      expect(received).toBe(total);
      const peak = run.peakRssKiB();
      // Flat memory: the peak stays far below what the transfer would need if buffered.
      expect(peak - baseline).toBeLessThan(128 * 1024);
      expect(peakDuringStall - baseline).toBeLessThan(96 * 1024);
    }, 120000);

    test("timeout client closes an idle connection (cD)", async () => {
      const srv = await tcpBackend(() => {});
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`, "", "    timeout client 300ms"));
      const r = await exchange(port, "", { end: false, timeoutMs: 5000 });
      expect(r.how).not.toBe("timeout");
      expect(r.ms).toBeGreaterThanOrEqual(250);
      expect(r.ms).toBeLessThan(3000);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      expect(run.logLines()[0]).toContain(" cD ");
    });

    test("timeout server closes when the server stays silent (sD)", async () => {
      const srv = await tcpBackend(() => {});
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    timeout server 300ms\n    server s 127.0.0.1:${srv.port}`));
      const client = await openClient(port);
      const started = Date.now();
      await client.finished;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(3000);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      expect(run.logLines()[0]).toContain(" sD ");
      client.destroy();
    });

    test("traffic on a side keeps it alive: a server that only reads outlives timeout server", async () => {
      let got = 0;
      const srv = await tcpBackend((s) => s.on("data", (d) => (got += d.length)));
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    timeout server 300ms\n    server s 127.0.0.1:${srv.port}`));
      const client = await openClient(port);
      for (let i = 0; i < 8; i++) {
        client.write("ping");
        await sleep(100);
      }
      expect(got).toBe(32);
      expect(run.logLines().length).toBe(0);
      const started = Date.now();
      await client.finished;
      expect(Date.now() - started).toBeLessThan(3000);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      expect(run.logLines()[0]).toContain(" sD ");
      client.destroy();
    });

    test("timeout tunnel replaces client/server timeouts once connected", async () => {
      const srv = await echoBackend();
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    timeout tunnel 400ms\n    timeout server 100ms\n    server s 127.0.0.1:${srv.port}`, "", "    timeout client 100ms"));
      const client = await openClient(port);
      // Activity every 200 ms keeps it alive although client/server timeouts are 100 ms.
      for (let i = 0; i < 4; i++) {
        client.write(`t${i};`);
        await sleep(200);
      }
      expect(client.received()).toBe("t0;t1;t2;t3;");
      const started = Date.now();
      await client.finished;
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      client.destroy();
    });

    test("server maxconn queues, and timeout queue ends the wait (sQ)", async () => {
      const srv = await tcpBackend(() => {});
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port,
        `    timeout queue 300ms\n    server s 127.0.0.1:${srv.port} maxconn 1`));
      const first = await openClient(port);
      await waitFor(() => srv.accepted === 1, 3000, "first connection");
      const r = await exchange(port, "", { end: false, timeoutMs: 5000 });
      expect(r.how).not.toBe("timeout");
      expect(srv.accepted).toBe(1);
      await waitFor(() => run!.logLines().length >= 1, 3000, "log line");
      expect(run.logLines()[0]).toContain(" sQ ");
      first.destroy();
    });

    test("frontend maxconn makes extra connections wait, not fail", async () => {
      const srv = await echoBackend();
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`, "", "    maxconn 2"));
      const c1 = await openClient(port);
      const c2 = await openClient(port);
      const c3 = await openClient(port);
      c3.write("third");
      await waitFor(() => srv.accepted === 2, 3000, "two backend connections");
      await sleep(300);
      expect(srv.accepted).toBe(2);
      expect(c3.received()).toBe("");
      c1.end();
      await waitFor(() => c3.received() === "third", 3000, "third connection served");
      expect(srv.accepted).toBe(3);
      c2.destroy();
      c3.destroy();
    });

    test("SIGTERM stops accepting, lets an open connection finish, then exits 0", async () => {
      const srv = await echoBackend();
      backends.push(srv);
      const port = await freePort();
      run = await startSluice(target, tcpConfig(port, `    server s 127.0.0.1:${srv.port}`));
      const client = await openClient(port);
      client.write("before;");
      await waitFor(() => client.received() === "before;", 3000, "echo");
      run.kill("SIGTERM");
      await waitFor(() => run!.errLines.some((l) => l.includes("SIGTERM: stopping")), 3000, "stop message");
      // New connections are no longer accepted.
      const refused = await exchange(port, "x", { timeoutMs: 2000 });
      expect(refused.how === "error" || refused.data.length === 0).toBe(true);
      // The open one still works.
      client.write("after;");
      await waitFor(() => client.received() === "before;after;", 3000, "echo after stop");
      client.end();
      const code = await run.exited;
      expect(code).toBe(0);
      run = undefined;
    });

    test("hard-stop-after closes what is left and exits 0", async () => {
      const srv = await tcpBackend(() => {});
      backends.push(srv);
      const port = await freePort();
      const config = tcpConfig(port, `    server s 127.0.0.1:${srv.port}`).replace("hard-stop-after 5s", "hard-stop-after 500ms");
      run = await startSluice(target, config);
      const client = await openClient(port);
      await waitFor(() => srv.accepted === 1, 3000, "backend connection");
      const started = Date.now();
      run.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      await client.finished;
      client.destroy();
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(run.logLines().some((l) => l.includes(" KD "))).toBe(true);
      run = undefined;
    });

    test("a YAML config balances too", async () => {
      const a = await nameBackend("A");
      const b = await nameBackend("B");
      backends.push(a, b);
      const port = await freePort();
      run = await startSluice(target, `frontends:
  web:
    bind: "127.0.0.1:${port}"
    mode: tcp
    default_backend: app
backends:
  app:
    mode: tcp
    servers:
      a: "127.0.0.1:${a.port}"
      b: { address: "127.0.0.1:${b.port}" }
`, "yaml");
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await exchange(port)).data.toString());
      expect(seen.sort().join("")).toBe("AABB");
    });
  });
}
