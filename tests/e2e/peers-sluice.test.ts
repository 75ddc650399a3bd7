// Two sluice processes as peers of one section (HAProxy's peers protocol
// between sluice and sluice): a request tracked by one is counted in the
// other's table, both ways, with a table of the section and a proxy's table;
// and the peer port answers a stranger as HAProxy does (HAProxy's status
// codes: 502 for a version it does not speak, 503 for the wrong local name,
// 504 for an unknown peer).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { freePort, ROOT, selectedTargets, sleep, tempDir } from "./harness.ts";
import { type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";

function config(local: string, socket: string, httpPort: number, peerA: number, peerB: number): string {
  return [
    "global",
    `    stats socket ${socket} level admin`,
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 10s",
    "    timeout server 10s",
    "peers pair",
    `    peer a 127.0.0.1:${peerA}`,
    `    peer b 127.0.0.1:${peerB}`,
    "    table byuser type string size 100 expire 1m store http_req_cnt",
    "frontend f",
    `    bind 127.0.0.1:${httpPort}`,
    "    stick-table type ip size 100 expire 1m store http_req_cnt,gpc0 peers pair",
    "    http-request track-sc0 src",
    "    http-request sc-inc-gpc0(0)",
    "    http-request track-sc1 req.hdr(x-user) table pair/byuser if { req.hdr(x-user) -m found }",
    `    http-request return status 200 content-type text/plain string ${local}`,
    "",
  ].join("\n");
}

function show(socket: string, table: string): string {
  return spawnSync("socat", ["-t", "2", "-", `UNIX-CONNECT:${socket}`], { input: `show table ${table}\n`, encoding: "utf8" }).stdout;
}

async function entry(socket: string, table: string, key: string, want: RegExp): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const line = show(socket, table).split("\n").find((l) => l.includes(`key=${key} `)) ?? "";
    if (want.test(line)) return line;
    await sleep(100);
  }
  throw new Error(`no ${key} matching ${want} in:\n${show(socket, table)}`);
}

function curl(source: string, port: number, user?: string): number {
  const header = user === undefined ? [] : ["-H", `x-user: ${user}`];
  return Number(spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...header, "--interface", source, `http://127.0.0.1:${port}/`], { encoding: "utf8" }).stdout);
}

/** Sends a handshake to the peer port; the status line it gets back. */
function hello(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let got = "";
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\n")) {
        s.destroy();
        resolve(got.slice(0, got.indexOf("\n")));
      }
    });
    s.on("error", reject);
    setTimeout(() => reject(new Error(`no status line (got ${JSON.stringify(got)})`)), 5000);
  });
}

/** Says hello as `name`, then sends `bytes`; everything received until the peer closes. */
function session(port: number, name: string, local: string, bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(`HAProxyS 2.1\n${local}\n${name} 1 1\n`));
    let got = Buffer.alloc(0);
    let sent = false;
    s.on("data", (d) => {
      got = Buffer.concat([got, d as Buffer]);
      if (!sent && got.includes(10)) {
        sent = true;
        s.write(bytes);
      }
    });
    s.on("close", () => resolve(got));
    s.on("error", reject);
    setTimeout(() => reject(new Error(`still open (got ${got.toString("hex")})`)), 8000);
  });
}

for (const target of selectedTargets()) {
  describe(`peers between two sluice processes (${target.name})`, () => {
    const dir = tempDir();
    const sockets = { a: join(dir, "a.sock"), b: join(dir, "b.sock") };
    const http = { a: 0, b: 0 };
    let peerA = 0;
    const running: RunningProxy[] = [];

    beforeAll(async () => {
      [http.a, http.b, peerA] = [await freePort(), await freePort(), await freePort()];
      const peerB = await freePort();
      for (const name of ["a", "b"] as const) {
        const text = config(name, sockets[name], http[name], peerA, peerB).replace("global\n", `global\n    localpeer ${name}\n`);
        running.push(await sluiceUnderTest(target).start(text, [http[name], name === "a" ? peerA : peerB]));
      }
    });
    afterAll(async () => {
      for (const r of running) await r.stop();
    });

    test("each one's requests are counted in the other's tables", async () => {
      expect(curl("127.0.0.4", http.a, "carol")).toBe(200);
      expect(curl("127.0.0.4", http.a)).toBe(200);
      expect(await entry(sockets.b, "f", "127.0.0.4", /http_req_cnt=2\b/)).toMatch(/gpc0=2\b/);
      expect(await entry(sockets.b, "pair/byuser", "carol", /http_req_cnt=1\b/)).toBeTruthy();
      expect(curl("127.0.0.5", http.b, "dave")).toBe(200);
      expect(await entry(sockets.a, "f", "127.0.0.5", /http_req_cnt=1\b/)).toMatch(/gpc0=1\b/);
      expect(await entry(sockets.a, "pair/byuser", "dave", /http_req_cnt=1\b/)).toBeTruthy();
    });

    test("the last writer wins: a request through b after a's counts on from a's values", async () => {
      expect(curl("127.0.0.4", http.b)).toBe(200);
      expect(await entry(sockets.a, "f", "127.0.0.4", /http_req_cnt=3\b/)).toMatch(/gpc0=3\b/);
    });

    test("the peer port answers a stranger with HAProxy's status codes", async () => {
      // A bad version is answered at its line, as HAProxy does, before the others come.
      expect(await hello(peerA, "HAProxyS 3.0\n")).toBe("502");
      expect(await hello(peerA, "HAProxyS 2.1\nnot-a\nb 1 1\n")).toBe("503");
      expect(await hello(peerA, "HAProxyS 2.1\na\nstranger 1 1\n")).toBe("504");
      expect(await hello(peerA, "GET / HTTP/1.1\r\nhost: x\r\n\r\n")).toBe("501");
      // The real peer is still served.
      expect(curl("127.0.0.6", http.b)).toBe(200);
      expect(await entry(sockets.a, "f", "127.0.0.6", /http_req_cnt=1\b/)).toBeTruthy();
    });

    test("with several workers a peers section is refused at start, saying why", () => {
      const file = join(dir, "workers.cfg");
      writeFileSync(file, config("a", join(dir, "w.sock"), http.a + 1000, peerA + 1000, peerA + 1001).replace("global\n", "global\n    localpeer a\n    master-worker\n    workers 2\n"));
      const [cmd, ...args] = target.command(["run", "-f", file]);
      const r = spawnSync(cmd!, args, { cwd: ROOT, encoding: "utf8", timeout: 30000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("peers section 'pair' with 2 workers is not supported: each worker keeps its own stick tables and only one process can be the local peer");
    });

    test("a malformed message after the handshake gets a protocol error and a close; the real peer comes back", async () => {
      // A table definition whose name runs past its body.
      const got = await session(peerA, "b", "a", Uint8Array.of(10, 0x82, 3, 1, 5, 0x61));
      expect(got.subarray(0, 4).toString()).toBe("200\n");
      expect([...got.subarray(got.length - 2)]).toEqual([1, 0]);
      expect(curl("127.0.0.7", http.b)).toBe(200);
      expect(await entry(sockets.a, "f", "127.0.0.7", /http_req_cnt=1\b/)).toBeTruthy();
    });
  });
}
