// HAProxy's peers protocol between sluice and a real HAProxy 2.6 on loopback:
// both are peers of one `peers` section, each with the same table
// (`stick-table ... peers mesh`, a request tracked by `track-sc0 src`). A
// request through sluice from 127.0.0.2 shows up in HAProxy's table (`show
// table` on its stats socket, through socat) with its counters; a request
// through HAProxy from 127.0.0.3 shows up in sluice's (its runtime API). Then
// later updates go through, a string-keyed table declared in the peers
// section (`table users ...`, named mesh/users by the rules) is shared too,
// and a restarted sluice learns every entry back from HAProxy (it asks for a
// resync at start; HAProxy teaches it with timed updates), and a restarted
// HAProxy learns them from sluice the same way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, selectedTargets, sleep, tempDir } from "./harness.ts";
import { haproxy, type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";

const TABLE = "stick-table type ip size 1k expire 10m store http_req_cnt,conn_cnt,gpc0,http_req_rate(10s) peers mesh";

function config(local: string, socket: string, httpPort: number, hapPeer: number, sluicePeer: number): string {
  return [
    "global",
    `    localpeer ${local}`,
    `    stats socket ${socket} level admin`,
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 10s",
    "    timeout server 10s",
    "peers mesh",
    `    peer hap 127.0.0.1:${hapPeer}`,
    `    peer slu 127.0.0.1:${sluicePeer}`,
    "    table users type string len 32 size 100 expire 5m store gpc0,http_req_cnt",
    "backend st",
    `    ${TABLE}`,
    "frontend f",
    `    bind 127.0.0.1:${httpPort}`,
    "    http-request track-sc0 src table st",
    "    http-request track-sc1 req.hdr(x-user) table mesh/users if { req.hdr(x-user) -m found }",
    "    http-request sc-inc-gpc0(1) if { req.hdr(x-user) -m found }",
    "    http-request return status 200 content-type text/plain string ok",
    "",
  ].join("\n");
}

function showTable(socket: string, table = "st"): string {
  const r = spawnSync("socat", ["-t", "2", "-", `UNIX-CONNECT:${socket}`], { input: `show table ${table}\n`, encoding: "utf8" });
  return r.stdout;
}

function curlFrom(source: string, port: number, user?: string): number {
  const header = user === undefined ? [] : ["-H", `x-user: ${user}`];
  const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...header, "--interface", source, `http://127.0.0.1:${port}/`], { encoding: "utf8" });
  return Number(r.stdout);
}

/** The line of `key` in a `show table` answer, once it holds `want` (polled for up to 15 s). */
async function entryLine(socket: string, key: string, want: RegExp, table = "st"): Promise<string> {
  let last = "";
  for (let i = 0; i < 150; i++) {
    last = showTable(socket, table).split("\n").find((l) => l.includes(`key=${key} `)) ?? "";
    if (want.test(last)) return last;
    await sleep(100);
  }
  throw new Error(`no entry for ${key} matching ${want} in:\n${showTable(socket, table)}`);
}

for (const target of selectedTargets()) {
  describe(`peers with HAProxy 2.6 (sluice ${target.name})`, () => {
    const dir = tempDir();
    const hapSocket = join(dir, "hap.sock");
    const sluiceSocket = join(dir, "sluice.sock");
    let hapHttp = 0;
    let sluiceHttp = 0;
    let ref: RunningProxy;
    let sluice: RunningProxy;
    let sluiceConfig = "";
    let hapConfig = "";
    let hapPorts: number[] = [];

    beforeAll(async () => {
      [hapHttp, sluiceHttp] = [await freePort(), await freePort()];
      const [hapPeer, sluicePeer] = [await freePort(), await freePort()];
      hapConfig = config("hap", hapSocket, hapHttp, hapPeer, sluicePeer);
      hapPorts = [hapHttp, hapPeer];
      ref = await haproxy.start(hapConfig, hapPorts);
      sluiceConfig = config("slu", sluiceSocket, sluiceHttp, hapPeer, sluicePeer);
      sluice = await sluiceUnderTest(target).start(sluiceConfig, [sluiceHttp, sluicePeer]);
    });
    afterAll(async () => {
      await sluice?.stop();
      await ref?.stop();
    });

    test("a request tracked by sluice is in HAProxy's table, with its counters", async () => {
      expect(curlFrom("127.0.0.2", sluiceHttp)).toBe(200);
      const line = await entryLine(hapSocket, "127.0.0.2", /http_req_cnt=1\b/);
      expect(line).toMatch(/conn_cnt=1\b/);
      expect(line).toMatch(/gpc0=0\b/);
      expect(line).toMatch(/http_req_rate\(10000\)=1\b/);
    });

    test("a request tracked by HAProxy is in sluice's table", async () => {
      expect(curlFrom("127.0.0.3", hapHttp)).toBe(200);
      const line = await entryLine(sluiceSocket, "127.0.0.3", /http_req_cnt=1\b/);
      expect(line).toMatch(/conn_cnt=1\b/);
      expect(line).toMatch(/http_req_rate\(10000\)=1\b/);
    });

    test("later updates go through too: two more requests through sluice, and HAProxy sees 3", async () => {
      expect(curlFrom("127.0.0.2", sluiceHttp)).toBe(200);
      expect(curlFrom("127.0.0.2", sluiceHttp)).toBe(200);
      const line = await entryLine(hapSocket, "127.0.0.2", /http_req_cnt=3\b/);
      expect(line).toMatch(/http_req_rate\(10000\)=3\b/);
      expect(ref.alive() && sluice.alive()).toBe(true);
    });

    test("a table declared in the peers section, string keys: sluice's gpc0 and count reach HAProxy's mesh/users", async () => {
      expect(curlFrom("127.0.0.2", sluiceHttp, "alice")).toBe(200);
      expect(curlFrom("127.0.0.2", sluiceHttp, "alice")).toBe(200);
      const line = await entryLine(hapSocket, "alice", /gpc0=2\b/, "mesh/users");
      expect(line).toMatch(/http_req_cnt=2\b/);
      expect(curlFrom("127.0.0.3", hapHttp, "bob")).toBe(200);
      expect(await entryLine(sluiceSocket, "bob", /gpc0=1\b/, "mesh/users")).toMatch(/http_req_cnt=1\b/);
    });

    test("a restarted sluice asks HAProxy for a resync and learns every entry back", async () => {
      await sluice.stop();
      sluice = await sluiceUnderTest(target).start(sluiceConfig, [sluiceHttp]);
      // 127.0.0.2: three requests, then alice's two.
      expect(await entryLine(sluiceSocket, "127.0.0.2", /http_req_cnt=5\b/)).toMatch(/conn_cnt=5\b/);
      // 127.0.0.3: one request, then bob's.
      expect(await entryLine(sluiceSocket, "127.0.0.3", /http_req_cnt=2\b/)).toMatch(/conn_cnt=2\b/);
      expect(await entryLine(sluiceSocket, "alice", /gpc0=2\b/, "mesh/users")).toMatch(/http_req_cnt=2\b/);
    });

    test("a restarted HAProxy asks sluice for a resync and sluice teaches it every entry", async () => {
      await ref.stop();
      ref = await haproxy.start(hapConfig, hapPorts);
      expect(await entryLine(hapSocket, "127.0.0.2", /http_req_cnt=5\b/)).toMatch(/conn_cnt=5\b/);
      expect(await entryLine(hapSocket, "127.0.0.3", /http_req_cnt=2\b/)).toMatch(/gpc0=0\b/);
      expect(await entryLine(hapSocket, "bob", /gpc0=1\b/, "mesh/users")).toMatch(/http_req_cnt=1\b/);
      expect(ref.alive() && sluice.alive()).toBe(true);
    });
  });
}
