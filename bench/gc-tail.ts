// Where sluice's HTTP/2 latency tail comes from: h2load (h2c, -m 10) against
// sluice under Bun with JSC's GC log on (BUN_JSC_logGC=1, each line stamped
// on arrival), h2load's per-request log beside it. Prints the latency
// percentiles, the collections of the measured window (eden, full, the sum of
// their cycles: the wall time a collection was running, the collector thread
// sharing the proxy's core), and for each 10 ms window where requests at or
// above the 99th percentile began, the collections that ended within 100 ms
// after it. A tail made of collections shows as slow windows that each
// have one.
//
//   bun bench/gc-tail.ts [--duration 8] [--connections 50]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUN, canConnect, edgeConfig, edgeNginxConf, freePort, LOAD_CORE, PROXY_CORE, root, sleep } from "./harness.ts";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: { duration: { type: "string", default: "8" }, connections: { type: "string", default: "50" } },
});
const dir = mkdtempSync(join(tmpdir(), "sluice-gc-tail-"));
const children: Bun.Subprocess[] = [];
const spawn = (cmd: string[], env?: Record<string, string>) => {
  const p = Bun.spawn(cmd, { cwd: root, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  children.push(p);
  return p;
};

try {
  const backend = await freePort();
  writeFileSync(join(dir, "nginx.conf"), edgeNginxConf(dir, backend));
  spawn(["taskset", "-c", LOAD_CORE, "nginx", "-p", dir, "-c", join(dir, "nginx.conf")]);
  const port = await freePort();
  writeFileSync(join(dir, "sluice.cfg"), edgeConfig({ bind: `127.0.0.1:${port} proto h2`, backendPort: backend }));
  // Each GC line stamped when it arrives (µs since the epoch, as h2load's log).
  const gc: { at: number; line: string }[] = [];
  const proxy = spawn(["taskset", "-c", PROXY_CORE, BUN, "src/main.ts", "-f", join(dir, "sluice.cfg")], { BUN_JSC_logGC: "1" });
  void (async () => {
    let rest = "";
    const reader = (proxy.stderr as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const lines = (rest + decoder.decode(r.value, { stream: true })).split("\n");
      rest = lines.pop()!;
      const at = Date.now() * 1000;
      for (const line of lines) gc.push({ at, line });
    }
  })();
  for (const end = Date.now() + 10000; !(await canConnect(port)) || !(await canConnect(backend)); await sleep(50)) {
    if (Date.now() > end) throw new Error("sluice or nginx did not start");
  }
  const h2load = (seconds: number, logFile?: string) =>
    spawn(["taskset", "-c", LOAD_CORE, "h2load", "-t", "1", "-c", opts.connections!, "-m", "10", "-D", String(seconds), ...(logFile ? ["--log-file", logFile] : []), `http://127.0.0.1:${port}/small`]).exited;
  await h2load(2); // warm-up
  const logFile = join(dir, "h2load.log");
  await h2load(Number(opts.duration), logFile);
  await sleep(300);

  const requests = readFileSync(logFile, "utf8").split("\n").map((l) => l.split("\t")).filter((f) => f.length >= 3)
    .map((f) => ({ start: Number(f[0]), us: Number(f[2]) }));
  const starts = requests.map((r) => r.start);
  const [t0, t1] = [Math.min(...starts), Math.max(...starts)];
  const sorted = requests.map((r) => r.us).sort((a, b) => a - b);
  const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  console.log(`${requests.length} requests in ${((t1 - t0) / 1e6).toFixed(1)} s: ${Math.round(requests.length / ((t1 - t0) / 1e6))} req/s; p50 ${ms(pct(0.5))}, p90 ${ms(pct(0.9))}, p99 ${ms(pct(0.99))}, max ${ms(sorted.at(-1)!)}`);

  const window = gc.filter((g) => g.at >= t0 && g.at <= t1);
  const ends = window.filter((g) => g.line.includes("END]")).map((g) => ({ at: g.at, cycle: Number(/cycle ([\d.]+)ms/.exec(g.line)?.[1] ?? NaN) }));
  const kinds = window.map((g) => /=> (\w+Collection)/.exec(g.line)?.[1]).filter(Boolean);
  const count = (k: string) => kinds.filter((x) => x === k).length;
  const cycleSum = ends.reduce((n, e) => n + (Number.isNaN(e.cycle) ? 0 : e.cycle), 0);
  console.log(`collections: ${count("EdenCollection")} eden, ${count("FullCollection")} full; cycles ${Math.round(cycleSum)} ms in all (${(cycleSum / ((t1 - t0) / 1e5)).toFixed(1)} % of the time), longest ${Math.max(...ends.map((e) => e.cycle)).toFixed(1)} ms`);

  const p99 = pct(0.99);
  const slow = new Map<number, number>();
  for (const r of requests) if (r.us >= p99) slow.set(Math.floor(r.start / 10000), (slow.get(Math.floor(r.start / 10000)) ?? 0) + 1);
  let explained = 0;
  let total = 0;
  console.log("windows where requests ≥ p99 began (10 ms), with the collections that ended within 100 ms after:");
  for (const [bin, n] of [...slow].sort((a, b) => a[0] - b[0])) {
    const at = bin * 10000;
    const near = ends.filter((e) => e.at >= at && e.at <= at + 100000);
    total += n;
    if (near.length > 0) explained += n;
    if (n >= 10) console.log(`  +${((at - t0) / 1000).toFixed(0).padStart(5)} ms: ${String(n).padStart(4)} requests; ${near.map((e) => `cycle ${e.cycle.toFixed(1)} ms ending +${((e.at - at) / 1000).toFixed(0)} ms`).join(", ") || "no collection"}`);
  }
  console.log(`${explained} of ${total} requests at or above p99 began within 100 ms before a collection ended`);
} finally {
  for (const p of children) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
