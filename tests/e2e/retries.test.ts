// Retries are one mechanism for both modes (stream/stream.ts), as in HAProxy:
// a failed connect is retried on the same server `retries` times, and with
// `option redispatch` the last retry goes to another server, or the first
// one already when roundrobin picked the dead server among several active
// ones. The same backend, in TCP and in HTTP mode, must log the same server
// and the same number of retries.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exchange, freePort, nameBackend, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

/** `upBackup`: the live server is a backup, so the dead one is the only active server. */
function config(mode: "tcp" | "http", port: number, downPort: number, upPort: number, redispatch: boolean, upBackup: boolean): string {
  return `defaults
    mode ${mode}
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
${redispatch ? "    option redispatch\n" : ""}    server down 127.0.0.1:${downPort}
    server up 127.0.0.1:${upPort}${upBackup ? " backup" : ""}
`;
}

/** The server and the retries a log line names (tcplog and httplog alike: ac/fc/bc/sc/RETRIES before the queues, sq/bq). */
function serverAndRetries(line: string): [string, number] {
  const server = / be\/(\w+) /.exec(line)?.[1] ?? "?";
  const retries = / \d+\/\d+\/\d+\/\d+\/(\d+) \d+\/\d+( "|$)/.exec(line);
  return [server, Number(retries?.[1] ?? -1)];
}

async function httpUp(): Promise<{ port: number; close(): void }> {
  const srv = http.createServer((_req, res) => res.end("up"));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

async function httpGet(port: number): Promise<number> {
  return await new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
  });
}

for (const target of selectedTargets()) {
  describe(`retries, TCP and HTTP alike (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => void)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) c();
    });

    /** The first connection (roundrobin: to the dead server) in `mode`: what the client got and what the log says. */
    async function firstConnection(mode: "tcp" | "http", redispatch: boolean, upBackup = true): Promise<{ served: boolean; server: string; retries: number }> {
      const up = mode === "tcp" ? await nameBackend("up") : await httpUp();
      closers.push(() => up.close());
      const port = await freePort();
      run = await startSluice(target, config(mode, port, await freePort(), up.port, redispatch, upBackup));
      const served = mode === "tcp"
        ? (await exchange(port, "hello", { end: false })).data.toString() === "up"
        : (await httpGet(port)) === 200;
      const logged = () => run!.errLines.filter((l) => / fe be\//.test(l));
      await waitFor(() => logged().length >= 1, 3000, "the log line");
      const [server, retries] = serverAndRetries(logged()[0]!);
      await stopSluice(run);
      run = undefined;
      return { served, server, retries };
    }

    test("without option redispatch: three retries on the dead server, then the client is refused, in both modes", async () => {
      const tcp = await firstConnection("tcp", false);
      const httpMode = await firstConnection("http", false);
      expect(tcp).toEqual({ served: false, server: "down", retries: 3 });
      expect(httpMode).toEqual(tcp);
    });

    test("with option redispatch: the last retry goes to the other server and the client is served, in both modes", async () => {
      const tcp = await firstConnection("tcp", true);
      const httpMode = await firstConnection("http", true);
      expect(tcp).toEqual({ served: true, server: "up", retries: 3 });
      expect(httpMode).toEqual(tcp);
    });

    test("with option redispatch and two active servers under roundrobin: the first retry already goes to the other one, in both modes", async () => {
      const tcp = await firstConnection("tcp", true, false);
      const httpMode = await firstConnection("http", true, false);
      expect(tcp).toEqual({ served: true, server: "up", retries: 1 });
      expect(httpMode).toEqual(tcp);
    });
  });
}
