// The runtime API's limits, frontends, shutdowns and counters, beside HAProxy
// 2.6 on the same haproxy.cfg: `set maxconn server|frontend|global`,
// `disable|enable frontend`, `shutdown session(s)`, `clear counters [all]`.
// Each proxy gets the same commands over its real UNIX stats socket (socat,
// as an operator's scripts) and must give the same answers, HAProxy's as
// measured with 2.6.12; then the effects are observed with real clients: a
// raised maxconn lets a queued request through, a paused frontend refuses
// connects and serves again once enabled, a shutdown cuts a slow request in
// flight (502, logged KH-- as HAProxy logs it).
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, type LogReceiver, logReceiver, sleep, tempDir, waitFor } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { socat } from "./runtime-socket.ts";

/** An HTTP backend: `/slow?ms=N` answers after N ms, anything else at once; keeps connections alive. */
async function slowBackend(): Promise<{ port: number; close(): void }> {
  const srv = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? "/", "http://x").searchParams.get("ms") ?? "0");
    setTimeout(() => res.end("done"), ms);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
}

/** One GET on its own connection, bounded: its status, or "refused"/"error". */
async function get(port: number, path: string, ms = 8000): Promise<{ status: number | string; at: number }> {
  const began = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: "close" }, signal: AbortSignal.timeout(ms) });
    await res.text();
    return { status: res.status, at: Date.now() - began };
  } catch (error) {
    const text = String((error as { code?: string }).code ?? error);
    return { status: /ECONNREFUSED|ConnectionRefused/i.test(text) ? "refused" : `error ${text}`, at: Date.now() - began };
  }
}

/** Whether a plain TCP connect succeeds (a paused frontend refuses it). */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(3000, () => done(false));
  });
}

/** A `show stat` column of one row, by the header's names. */
function statField(csv: string, pxname: string, svname: string, column: string): string | undefined {
  const [head, ...rows] = csv.split("\n");
  const at = head!.replace(/^# /, "").split(",").indexOf(column);
  const row = rows.map((r) => r.split(",")).find((f) => f[0] === pxname && f[1] === svname);
  return row?.[at];
}

/** The commands and HAProxy 2.6.12's answers to them (measured through socat; the blank line ends each). */
const ANSWERS: [string, string][] = [
  ["set maxconn server", "Require 'backend/server'.\n\n"],
  ["set maxconn server be", "Require 'backend/server'.\n\n"],
  ["set maxconn server be/s1", "Require <maxconn>.\n\n"],
  ["set maxconn server be/nope 3", "No such server.\n\n"],
  ["set maxconn server nope/s1 3", "No such backend.\n\n"],
  // HAProxy's two strtol messages have no newline of their own: no blank line follows.
  ["set maxconn server be/s1 x", "maxconn string empty or preceded by garbage\n"],
  ["set maxconn server be/s1 3x", "Trailing garbage in maxconn string\n"],
  ["set maxconn frontend", "A frontend name is expected.\n\n"],
  ["set maxconn frontend fe", "Integer value expected.\n\n"],
  ["set maxconn frontend nope 3", "No such frontend.\n\n"],
  ["set maxconn frontend be 3", "No such frontend.\n\n"],
  ["set maxconn frontend fe -1", "Value out of range.\n\n"],
  ["set maxconn global", "Expects an integer value.\n\n"],
  ["set maxconn global 1000000", "Value out of range.\n\n"],
  ["disable frontend", "A frontend name is expected.\n\n"],
  ["disable frontend nope", "No such frontend.\n\n"],
  ["enable frontend fe", "All sockets are already enabled.\n\n"],
  ["shutdown session", "Session pointer expected (use 'show sess').\n\n"],
  ["shutdown session xyz", "Session pointer expected (use 'show sess').\n\n"],
  ["shutdown session 0x1", "No such session (use 'show sess').\n\n"],
  ["shutdown sessions server be", "Require 'backend/server'.\n\n"],
  ["shutdown sessions server be/nope", "No such server.\n\n"],
  ["shutdown sessions server nope/s1", "No such backend.\n\n"],
  ["help set maxconn", "The following commands are valid at this level:\n" +
    "  set maxconn frontend <frontend> <value> : change a frontend's maxconn setting\n" +
    "  set maxconn global <value>              : change the per-process maxconn setting\n" +
    "  set maxconn server <bk>/<srv>           : change a server's maxconn setting\n" +
    "  help [<command>]                        : list matching or all commands\n" +
    "  prompt                                  : toggle interactive mode with prompt\n" +
    "  quit                                    : disconnect\n\n"],
  ["help clear counters", "The following commands are valid at this level:\n" +
    "  clear counters [all]                    : clear max statistics counters (or all counters)\n" +
    "  help [<command>]                        : list matching or all commands\n" +
    "  prompt                                  : toggle interactive mode with prompt\n" +
    "  quit                                    : disconnect\n\n"],
];

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

for (const proxy of proxiesUnderTest()) {
  describe(`runtime API limits, frontends, shutdowns, counters (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let web: number;
    let tcpPort: number;
    let logs: LogReceiver;
    const ask = (input: string) => socat(api, `${input}\n`);

    test("starts on the shared haproxy.cfg", async () => {
      const dir = tempDir();
      const backend = await slowBackend();
      logs = await logReceiver();
      cleanups.push(() => backend.close(), () => logs.close());
      web = await freePort();
      tcpPort = await freePort();
      api = join(dir, "api.sock");
      running = await proxy.start(`global
    stats socket ${api} level admin
    maxconn 100
    log 127.0.0.1:${logs.port} format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
frontend fe
    bind 127.0.0.1:${web}
    maxconn 50
    default_backend be
backend be
    server s1 127.0.0.1:${backend.port} maxconn 1
listen tcpfe
    mode tcp
    option tcplog
    bind 127.0.0.1:${tcpPort}
    server t1 127.0.0.1:${backend.port}
`, [web, tcpPort]);
      cleanups.push(() => running.stop());
      await waitFor(() => running.alive(), 1000, "the proxy");
    }, 30000);

    test("answers every command as HAProxy 2.6.12 does", async () => {
      for (const [command, answer] of ANSWERS) expect([command, await ask(command)]).toEqual([command, answer]);
    }, 60000);

    test("set maxconn server: show stat's slim follows; a raised maxconn lets the queued request through at once", async () => {
      const slow = get(web, "/slow?ms=2500");
      await sleep(300);
      const queued = get(web, "/");
      await sleep(400);
      expect(statField(await ask("show stat"), "be", "BACKEND", "qcur")).toBe("1");
      expect(await ask("set maxconn server be/s1 2")).toBe("\n");
      const fast = await queued;
      expect(fast.status).toBe(200);
      // Served once the limit rose (about 700 ms in), not after the slow one's 2.5 s.
      expect(fast.at).toBeLessThan(1800);
      expect(statField(await ask("show stat"), "be", "s1", "slim")).toBe("2");
      expect((await slow).status).toBe(200);
      expect(await ask("set maxconn server be/s1 -1")).toBe("\n");
      expect(statField(await ask("show stat"), "be", "s1", "slim")).toBe("4294967295");
      expect(await ask("set maxconn server be/s1 1")).toBe("\n");
    }, 30000);

    test("set maxconn frontend and global: slim of the FRONTEND row, show info's Maxconn", async () => {
      expect(await ask("set maxconn frontend fe 40")).toBe("\n");
      expect(statField(await ask("show stat"), "fe", "FRONTEND", "slim")).toBe("40");
      expect(await ask("set maxconn frontend fe 50")).toBe("\n");
      expect(await ask("set maxconn global 80")).toBe("\n");
      let info = await ask("show info");
      expect(info).toContain("\nMaxconn: 80\n");
      expect(info).toContain("\nHard_maxconn: 100\n");
      // 0 (or less): back to the hard limit, HAProxy's "unlimited".
      expect(await ask("set maxconn global 0")).toBe("\n");
      info = await ask("show info");
      expect(info).toContain("\nMaxconn: 100\n");
      expect((await get(web, "/")).status).toBe(200);
    }, 30000);

    test("disable frontend: PAUSED, connects refused, an established connection still served; enable: OPEN and serving", async () => {
      const kept = net.connect({ port: web, host: "127.0.0.1" });
      await new Promise<void>((r, j) => kept.once("connect", () => r()).once("error", j));
      await sleep(100);
      logs.lines.length = 0;
      expect(await ask("disable frontend fe")).toBe("\n");
      expect(await ask("disable frontend fe")).toBe("All sockets are already disabled.\n\n");
      // HAProxy's warning, to the frontend's log targets too.
      await waitFor(() => logs.lines.some((l) => l.includes("Paused frontend fe.")), 3000, "the pause's log line");
      expect(statField(await ask("show stat"), "fe", "FRONTEND", "status")).toBe("PAUSED");
      expect(await connects(web)).toBe(false);
      let got = "";
      kept.on("data", (d) => (got += d.toString()));
      kept.write("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
      await waitFor(() => got.includes("done"), 5000, "the answer on the connection made before the pause");
      expect(got).toStartWith("HTTP/1.1 200");
      kept.destroy();
      expect(await ask("enable frontend fe")).toBe("\n");
      await waitFor(() => logs.lines.some((l) => l.includes("Resumed frontend fe.")), 3000, "the resume's log line");
      expect(statField(await ask("show stat"), "fe", "FRONTEND", "status")).toBe("OPEN");
      expect((await get(web, "/")).status).toBe(200);
    }, 30000);

    test("shutdown sessions server: the slow request in flight gets a 502 at once, logged KH-- as HAProxy's", async () => {
      logs.lines.length = 0;
      const slow = get(web, "/slow?ms=4000");
      await sleep(500);
      expect(await ask("shutdown sessions server be/s1")).toBe("\n");
      const r = await slow;
      expect(r.status).toBe(502);
      expect(r.at).toBeLessThan(2500);
      await waitFor(() => logs.lines.some((l) => l.includes("/slow")), 5000, "the log line");
      expect(logs.lines.find((l) => l.includes("/slow"))).toMatch(/ fe be\/s1 \d+\/\d+\/\d+\/-1\/\d+ 502 \d+ - - KH-- /);
    }, 30000);

    test("shutdown sessions server in mode tcp: both sides close at once, logged K- as HAProxy's tcplog", async () => {
      logs.lines.length = 0;
      const slow = get(tcpPort, "/slow?ms=4000");
      await sleep(500);
      expect(await ask("shutdown sessions server tcpfe/t1")).toBe("\n");
      const r = await slow;
      expect(r.status).not.toBe(200);
      expect(r.at).toBeLessThan(2500);
      await waitFor(() => logs.lines.some((l) => l.includes(" tcpfe tcpfe/t1 ")), 5000, "the log line");
      expect(logs.lines.find((l) => l.includes(" tcpfe tcpfe/t1 "))).toMatch(/ tcpfe tcpfe\/t1 \d+\/\d+\/\d+ 0 K- /);
    }, 30000);

    test("shutdown session: the id show sess prints ends that session (502, KH--)", async () => {
      logs.lines.length = 0;
      const slow = get(web, "/slow?ms=4000");
      await sleep(500);
      const line = (await ask("show sess")).split("\n").find((l) => / fe=fe be=be srv=s1 /.test(l));
      expect(line).toBeDefined();
      const id = /^(0x[0-9a-f]+):/.exec(line!)![1]!;
      expect(await ask(`shutdown session ${id}`)).toBe("\n");
      expect((await slow).status).toBe(502);
      await waitFor(() => logs.lines.some((l) => l.includes("/slow")), 5000, "the log line");
      expect(logs.lines.find((l) => l.includes("/slow"))).toMatch(/ 502 \d+ - - KH-- /);
    }, 30000);

    test("clear counters resets the maxima (smax, rate_max, qmax), clear counters all every counter", async () => {
      await get(web, "/");
      let csv = await ask("show stat");
      expect(Number(statField(csv, "fe", "FRONTEND", "smax"))).toBeGreaterThan(0);
      expect(Number(statField(csv, "be", "BACKEND", "qmax"))).toBeGreaterThan(0);
      const stot = statField(csv, "fe", "FRONTEND", "stot");
      expect(await ask("clear counters")).toBe("\n");
      csv = await ask("show stat");
      for (const [px, sv] of [["fe", "FRONTEND"], ["be", "s1"], ["be", "BACKEND"]] as const) {
        expect([px, sv, statField(csv, px, sv, "smax"), statField(csv, px, sv, "rate_max")]).toEqual([px, sv, "0", "0"]);
      }
      expect(statField(csv, "be", "BACKEND", "qmax")).toBe("0");
      expect(statField(csv, "fe", "FRONTEND", "conn_rate_max")).toBe("0");
      expect(statField(csv, "fe", "FRONTEND", "stot")).toBe(stot);
      expect(await ask("clear counters all")).toBe("\n");
      csv = await ask("show stat");
      for (const [px, sv] of [["fe", "FRONTEND"], ["be", "s1"], ["be", "BACKEND"]] as const) {
        expect([px, sv, statField(csv, px, sv, "stot"), statField(csv, px, sv, "bin"), statField(csv, px, sv, "hrsp_2xx")]).toEqual([px, sv, "0", "0", "0"]);
      }
      expect(statField(csv, "be", "s1", "lastsess")).toBe("-1");
      expect(statField(csv, "fe", "FRONTEND", "req_tot")).toBe("0");
    }, 30000);

    test("stops", async () => {
      await running.stop();
      expect(running.alive()).toBe(false);
    }, 20000);
  });
}
