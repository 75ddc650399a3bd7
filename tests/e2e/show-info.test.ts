// `show info` beside HAProxy 2.6 on the same haproxy.cfg: each proxy serves
// two requests, then its stats socket is asked `show info` in every form
// (text, `typed`, `json`, `desc`). The fields must be HAProxy's, in its
// order, with its positions, tags, types and descriptions; values that count
// the same traffic must be equal; values that differ by nature (pid, uptime,
// memory, version, file limit) are compared by presence and type only.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

/** One connection to a UNIX stats socket: the whole answer to `line`. */

/** `Name: value` lines as a map, in order. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const at = line.indexOf(": ");
    out.set(line.slice(0, at), line.slice(at + 2));
  }
  return out;
}

/** Typed lines without their values: `pos.Name.process:tags:type`, and the description when asked. */
function typedShapes(text: string): string[] {
  return text.split("\n").filter(Boolean).map((l) => {
    const m = /^(\d+\.[^.]+(?:\.[^.]+)*?\.\d+:[A-Za-z]{3}:\w+):(.*?)(:"[^"]*")?$/.exec(l);
    if (m === null) throw new Error(`not a typed line: ${l}`);
    return `${m[1]}${m[3] ?? ""}`;
  });
}

/** Values that count the same things the same way in both (after the same two requests and the same CLI questions). */
const SAME_VALUES = [
  "Nbproc", "Process_num", "Memmax_MB", "PoolFailed", "Maxconn", "Hard_maxconn", "CurrConns", "CumConns", "CumReq",
  "MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree", "ConnRateLimit", "SessRateLimit",
  "SslRate", "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate", "SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct",
  "SslBackendKeyRate", "SslBackendMaxKeyRate", "SslCacheLookups", "SslCacheMisses", "CompressBpsIn", "CompressBpsOut",
  "CompressBpsRateLim", "node", "description", "Stopping", "Jobs", "Unstoppable Jobs", "Listeners", "ActivePeers",
  "ConnectedPeers", "DroppedLogs", "BusyPolling", "FailedResolutions", "TotalSplicdedBytesOut", "DebugCommandsIssued",
  "CumRecvLogs", "Memmax_bytes", "Tainted",
];

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** HAProxy's answers, recorded when it runs (first), for the sluice runs to be compared with. */
const reference = new Map<string, string>();

for (const proxy of proxiesUnderTest()) {
  describe(`show info (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let web: number;

    test("starts, serves two requests", async () => {
      const backend = http.createServer((_req, res) => res.end("hello"));
      await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
      cleanups.push(() => {
        backend.closeAllConnections();
        backend.close();
      });
      web = await freePort();
      api = join(tempDir(), "api.sock");
      running = await proxy.start(`global
    stats socket ${api} level admin
    maxconn 200
    node edge-7
    description the edge
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${web}
    default_backend be
backend be
    server s1 127.0.0.1:${(backend.address() as AddressInfo).port}
`, [web]);
      cleanups.push(() => running.stop());
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${web}/`, { headers: { connection: "close" } });
        expect(await res.text()).toBe("hello");
      }
    }, 30000);

    test("text: HAProxy's fields in its order; equal values where both count the same", async () => {
      const text = await ask(api, "show info");
      expect(text.endsWith("\n\n")).toBe(true);
      expect(text.endsWith("\n\n\n")).toBe(false);
      const got = fields(text);
      // Values that differ by nature: present, and of the right kind.
      for (const n of ["Pid", "Uptime_sec", "Start_time_sec", "PoolAlloc_bytes", "PoolUsed_bytes", "Ulimit-n", "Maxsock", "TotalBytesOut", "BytesOutRate", "Idle_pct", "Nbthread"]) {
        expect([n, /^\d+$/.test(got.get(n) ?? "")]).toEqual([n, true]);
      }
      expect(got.get("Uptime")).toMatch(/^\d+d \d+h\d\dm\d\ds$/);
      expect(Number(got.get("TotalBytesOut"))).toBeGreaterThan(0);
      expect(got.get("Maxconn")).toBe("200");
      expect(got.get("node")).toBe("edge-7");
      expect(got.get("description")).toBe("the edge");
      if (proxy === haproxy) {
        reference.set("text", text);
        return;
      }
      const theirs = fields(reference.get("text") ?? "");
      // From source, sluice has no release date: the field is left out, as HAProxy leaves out an unset field.
      const names = [...theirs.keys()].filter((n) => n !== "Release_date" || got.has(n));
      expect([...got.keys()]).toEqual(names);
      for (const n of SAME_VALUES) expect([n, got.get(n)]).toEqual([n, theirs.get(n)]);
      expect(got.get("Name")).toBe("sluice");
    }, 30000);

    test("typed and desc: HAProxy's positions, tags, types and descriptions", async () => {
      const typed = await ask(api, "show info typed");
      const typedDesc = await ask(api, "show info typed desc");
      const textDesc = await ask(api, "show info desc");
      if (proxy === haproxy) {
        reference.set("typed", typed).set("typedDesc", typedDesc).set("textDesc", textDesc);
        return;
      }
      const keep = (shapes: string[]) => shapes.filter((s) => !s.startsWith("2.Release_date.") || typed.includes("\n2.Release_date."));
      expect(typedShapes(typed)).toEqual(keep(typedShapes(reference.get("typed")!)));
      expect(typedShapes(typedDesc)).toEqual(keep(typedShapes(reference.get("typedDesc")!)));
      const descs = (t: string) => t.split("\n").filter((l) => l !== "" && !l.startsWith("Release_date:")).map((l) => `${l.slice(0, l.indexOf(": "))} ${/:("[^"]*")$/.exec(l)?.[1]}`);
      expect(descs(textDesc)).toEqual(descs(reference.get("textDesc")!));
    }, 30000);

    test("clear counters all leaves the process totals; the maxima start again (as HAProxy's, measured)", async () => {
      const before = fields(await ask(api, "show info"));
      expect(await ask(api, "clear counters all")).toBe("\n");
      const after = fields(await ask(api, "show info"));
      const grew = (n: string) => Number(after.get(n)) - Number(before.get(n));
      // Two more runtime-API connections (the clear, this show info), each one of HAProxy's requests.
      expect([grew("CumConns"), grew("CumReq")]).toEqual([2, 2]);
      // Kept, not reset (HAProxy's counts every byte it sends, its CLI's answers too: it grew there).
      expect(grew("TotalBytesOut")).toBeGreaterThanOrEqual(0);
      expect(Number(after.get("TotalBytesOut"))).toBeGreaterThan(0);
      expect([after.get("MaxConnRate"), after.get("MaxSessRate"), after.get("MaxSslRate")]).toEqual(["0", "0", "0"]);
    }, 30000);

    test("help show info: HAProxy's usage line", async () => {
      const help = await ask(api, "help show info");
      expect(help).toContain("  show info [desc|json|typed|float]*      : report information about the running process\n");
      if (proxy === haproxy) reference.set("help", help);
      else expect(help).toBe(reference.get("help")!);
    }, 30000);

    test("show stat's iid: the stats socket's CLI proxy is #1, the sections follow (as in show errors)", async () => {
      const csv = await ask(api, "show stat");
      const [head, ...rows] = csv.split("\n").filter(Boolean);
      const at = head!.replace(/^# /, "").split(",").indexOf("iid");
      const ids = rows.map((r) => r.split(",")).map((f) => `${f[0]}/${f[1]}=${f[at]}`);
      expect(ids).toEqual(["fe/FRONTEND=2", "be/s1=3", "be/BACKEND=3"]);
    }, 30000);

    test("json: one line, HAProxy's fields with the same tags and types", async () => {
      const text = await ask(api, "show info json");
      expect(text.endsWith("]\n\n")).toBe(true);
      const shape = (t: string) =>
        (JSON.parse(t) as { field: { pos: number; name: string }; processNum: number; tags: unknown; value: { type: string } }[])
          .filter((f) => f.field.name !== "Release_date")
          .map((f) => ({ field: f.field, processNum: f.processNum, tags: f.tags, type: f.value.type }));
      if (proxy === haproxy) {
        reference.set("json", text);
        return;
      }
      expect(shape(text)).toEqual(shape(reference.get("json")!));
    }, 30000);
  });
}
