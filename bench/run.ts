// Side-by-side benchmark: HAProxy, sluice under Bun, sluice under Deno, in front
// of the same nginx backend, under the same wrk load, in one run; it reports
// ratios against HAProxy. Performance claims of this project come from here.
//
// Usage: bun bench/run.ts [--mode http|tcp] [--load wrk|h2load] [--case NAME[,NAME]]... [--duration S]
//                         [--warmup S] [--repeat N] [--proxy haproxy,bun,deno[,bun-raw,deno-raw]]
//                         [--connections N] [--rev GIT-REV] [--baseline] [--wait-quiet S]
//                         [--retry-busy N] [--quick] [--out FILE] [--http-reuse MODE] [--backend-proto h1|h2]
//
// --backend-proto h2: the proxies reach nginx over HTTP/2 (cleartext, prior
// knowledge: nginx `listen … http2` on a second port, the proxies' server line
// `proto h2`); the load still speaks HTTP/1.1 to the proxies.
// --http-reuse never|safe|aggressive|always puts that line in the backend of
// every proxy's config (HAProxy and sluice alike; both default to safe).
// --load h2load drives the load with nghttp2's h2load (--h1, one request in
// flight per connection) instead of wrk; latency percentiles come from its
// per-request log. new-conn needs wrk (h2load keeps its connections).
// --rev runs sluice as committed at GIT-REV (exported with `git archive` to a
// temp dir) instead of the working tree, which others may be editing.
// --baseline adds a row with wrk straight at nginx: the ceiling of the load side.
// --proxy …,bun-raw,deno-raw adds minimal TCP forwarders on Bun's and Deno's
// sockets (bench/raw-forwarder.ts): the floor each runtime's I/O sets.
// --wait-quiet S (default 30, --quick 3; 0: off): before each run, wait up to S seconds for
// other processes on the machine to go quiet; their CPU use is reported per run.
// --retry-busy N (default 2, --quick 0): measure again, up to N times, a run
// during which other processes used ≥ 20 % of a core.
//
// CPU placement (2 cores): the proxy runs alone on core 0 (taskset -c 0); nginx
// (1 worker) and wrk (1 thread) share core 1.
//
// Results go to stdout and to bench/results/latest.md (--quick: quick.md).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  BUN, type Case, CASES, checkBackend, cpuSeconds, DENO, fmtBytes, fmtRatio, fmtUs, foreignCpuSeconds, freePort, launchProxy,
  LOAD_CORE, log, median, PROXY_CORE, type ProxyDesc, readStatus, renderCfg, root, run, runWrk, type Running, sleep,
  startNginx, stopProxy, track, type Backend, type WrkResult, waitQuiet, wrkCommand, wrkScript, live,
} from "./harness.ts";

let sluiceRoot = root; // where src/main.ts is taken from (see --rev)
const MAIN = () => join(sluiceRoot, "src/main.ts");
const RAW = join(root, "bench/raw-forwarder.ts");

// ---------------------------------------------------------------- arguments

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    mode: { type: "string", default: "http" },
    case: { type: "string", multiple: true },
    duration: { type: "string" },
    warmup: { type: "string" },
    repeat: { type: "string", default: "1" },
    proxy: { type: "string" },
    connections: { type: "string", default: "50" },
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    rev: { type: "string" },
    baseline: { type: "boolean", default: false },
    "wait-quiet": { type: "string" },
    "retry-busy": { type: "string" },
    load: { type: "string", default: "wrk" },
    "http-reuse": { type: "string" },
    "backend-proto": { type: "string", default: "h1" },
    help: { type: "boolean", short: "h", default: false },
  },
});

type ProxyId = "haproxy" | "bun" | "deno" | "bun-raw" | "deno-raw" | "direct";
const PROXIES: { id: ProxyId; label: string }[] = [
  { id: "haproxy", label: "HAProxy" },
  { id: "bun", label: "sluice (Bun)" },
  { id: "deno", label: "sluice (Deno)" },
  // Reference rows, only when asked for: the runtimes' socket I/O alone (bench/raw-forwarder.ts).
  { id: "bun-raw", label: "raw forwarder (Bun)" },
  { id: "deno-raw", label: "raw forwarder (Deno)" },
  { id: "direct", label: "no proxy (wrk → nginx)" },
];

if (opts.help) {
  console.log(readFileSync(import.meta.path, "utf8").split("\nimport ")[0]);
  console.log(`cases: ${CASES.map((c) => c.name).join(", ")}`);
  process.exit(0);
}

function fail(msg: string): never {
  console.error(`bench/run.ts: ${msg}`);
  process.exit(2);
}
function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} wants a positive number, got '${v}'`);
  return n;
}

const mode = opts.mode;
if (mode !== "http" && mode !== "tcp") fail(`--mode must be http or tcp, got '${mode}'`);
const duration = Math.round(positive("duration", opts.duration, opts.quick ? 2 : 10));
const warmup = Math.round(positive("warmup", opts.warmup, opts.quick ? 1 : 2));
const repeat = Math.round(positive("repeat", opts.repeat, 1));
const connections = Math.round(positive("connections", opts.connections, 50));
const retryBusy = opts["retry-busy"] === "0" ? 0 : Math.round(positive("retry-busy", opts["retry-busy"], opts.quick ? 0 : 2));
const quietLimit = opts["wait-quiet"] === "0" ? 0 : positive("wait-quiet", opts["wait-quiet"], opts.quick ? 3 : 30);
const httpReuse = opts["http-reuse"];
if (httpReuse !== undefined && !["never", "safe", "aggressive", "always"].includes(httpReuse)) {
  fail(`--http-reuse must be never, safe, aggressive or always, got '${httpReuse}'`);
}
if (httpReuse !== undefined && mode !== "http") fail("--http-reuse goes with --mode http");
const backendProto = opts["backend-proto"];
if (backendProto !== "h1" && backendProto !== "h2") fail(`--backend-proto must be h1 or h2, got '${backendProto}'`);
if (backendProto === "h2" && mode !== "http") fail("--backend-proto h2 goes with --mode http");
const loadTool = opts.load;
if (loadTool !== "wrk" && loadTool !== "h2load") fail(`--load must be wrk or h2load, got '${loadTool}'`);
const wantedCases = (opts.case ?? []).flatMap((c) => c.split(",")).filter(Boolean);
for (const c of wantedCases) if (!CASES.some((k) => k.name === c)) fail(`unknown case '${c}' (cases: ${CASES.map((k) => k.name).join(", ")})`);
let cases = wantedCases.length ? CASES.filter((c) => wantedCases.includes(c.name)) : CASES;
if (loadTool === "h2load") {
  if (wantedCases.length && cases.some((c) => c.connectionClose)) fail("new-conn needs --load wrk (h2load keeps its connections open)");
  cases = cases.filter((c) => !c.connectionClose);
}
const wantedProxies = (opts.proxy ?? "").split(",").filter(Boolean);
for (const p of wantedProxies) if (!PROXIES.some((k) => k.id === p && p !== "direct")) fail(`unknown proxy '${p}' (haproxy, bun, deno, bun-raw, deno-raw)`);
const isReference = (id: ProxyId) => id === "bun-raw" || id === "deno-raw";
const proxies = PROXIES.filter((p) =>
  p.id === "direct" ? opts.baseline : wantedProxies.length ? wantedProxies.includes(p.id) : !isReference(p.id)
);
const outFile = resolve(opts.out ?? join(root, "bench/results", opts.quick ? "quick.md" : "latest.md"));
const commandLine = ["node_modules/.bin/bun", "bench/run.ts", ...Bun.argv.slice(2)].join(" ");

// ---------------------------------------------------------------- proxies

function proxyCommand(id: ProxyId, cfg: string): string[] {
  const pin = ["taskset", "-c", PROXY_CORE];
  if (id === "haproxy") return [...pin, "haproxy", "-db", "-f", cfg];
  if (id === "bun") return [...pin, BUN, MAIN(), "-f", cfg];
  if (id === "bun-raw") return [...pin, BUN, RAW, "-f", cfg];
  if (id === "deno-raw") return [...pin, DENO, "run", "-A", RAW, "-f", cfg];
  return [...pin, DENO, "run", "-A", MAIN(), "-f", cfg];
}

/** Starts a proxy; resolves when it accepts connections, or rejects with its own error. */
async function startProxy(id: ProxyId, work: string, backendPort: number, tag: string): Promise<Running> {
  const port = await freePort();
  const desc: ProxyDesc = {
    mode: mode as "http" | "tcp",
    maxconn: 4096,
    hardStopAfter: "2s",
    timeouts: { connect: "5s", client: "30s", server: "30s" },
    frontend: { name: "fe", bind: `127.0.0.1:${port}` },
    backend: {
      name: "be",
      balance: "roundrobin",
      httpReuse,
      servers: [{ name: "nginx", address: `127.0.0.1:${backendPort}`, proto: backendProto === "h2" ? "h2" : undefined }],
    },
  };
  const cfg = join(work, `${id}-${tag}.cfg`);
  writeFileSync(cfg, renderCfg(desc, id === "haproxy" ? "haproxy" : "sluice"));
  const cmd = proxyCommand(id, cfg);
  return launchProxy(cmd, port, id !== "haproxy");
}

/** Requests every case's path once through the proxy, checking status and size. */
async function checkThroughProxy(port: number) {
  for (const c of cases) {
    const init: RequestInit = c.method === "POST" ? { method: "POST", body: new Uint8Array(c.uploadBytes ?? 0) } : {};
    const r = await fetch(`http://127.0.0.1:${port}${c.path}`, { ...init, signal: AbortSignal.timeout(5000) });
    const b = await r.arrayBuffer();
    if (r.status !== 200 || b.byteLength !== c.responseBody) throw new Error(`${c.method} ${c.path} through the proxy: ${r.status}, ${b.byteLength} bytes (expected 200, ${c.responseBody})`);
  }
}

// ---------------------------------------------------------------- h2load

function h2loadCommand(c: Case, work: string, port: number, seconds: number, logFile: string): string[] {
  const cmd = ["taskset", "-c", LOAD_CORE, "h2load", "--h1", "-t", "1", "-c", String(connections), "-m", "1", "-D", String(seconds), "--log-file", logFile];
  if (c.method === "POST") {
    const body = join(work, `${c.name}.body`);
    writeFileSync(body, Buffer.alloc(c.uploadBytes ?? 0, "x"));
    cmd.push("-d", body, "-H", "Content-Type: application/octet-stream");
  }
  cmd.push(`http://127.0.0.1:${port}${c.path}`);
  return cmd;
}

/** Runs h2load and reads its summary and per-request log into wrk's result shape. */
async function runH2load(cmd: string[], seconds: number, logFile: string): Promise<WrkResult> {
  rmSync(logFile, { force: true });
  const proc = track(Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" }));
  const killer = setTimeout(() => proc.kill("SIGKILL"), (seconds + 20) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(killer);
  const finished = out.match(/finished in ([\d.]+)(m?s),/);
  const reqs = out.match(/requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/);
  const codes = out.match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  const traffic = out.match(/traffic: [\d.]+\w+ \((\d+)\) total/);
  if (!finished || !reqs || !codes || !traffic) throw new Error(`h2load gave no result (exit ${proc.exitCode}): ${(err || out).trim().slice(0, 300)}`);
  const durationUs = Number(finished[1]) * (finished[2] === "ms" ? 1000 : 1e6);
  let lat: number[] = [];
  try {
    lat = readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t")).filter((f) => f[1] !== "-1").map((f) => Number(f[2]));
  } catch {}
  lat.sort((a, b) => a - b);
  const pct = (q: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]! : 0);
  return {
    requests: Number(reqs[3]), bytes: Number(traffic[1]), durationUs,
    connect: 0, read: Number(reqs[5]), write: Number(reqs[4]), status: Number(codes[3]) + Number(codes[4]), timeout: Number(reqs[6]),
    p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: lat.at(-1) ?? 0, mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0,
    text: out.trim(),
  };
}

/** One load run of `seconds` against `port` with the chosen tool. */
function runLoad(c: Case, work: string, port: number, seconds: number): Promise<WrkResult> {
  if (loadTool === "h2load") {
    const logFile = join(work, `${c.name}.h2load.log`);
    return runH2load(h2loadCommand(c, work, port, seconds, logFile), seconds, logFile);
  }
  return runWrk(wrkCommand(c, wrkScript(work, c), port, seconds, connections), seconds);
}

// ---------------------------------------------------------------- one measurement

interface Measure {
  wrk: WrkResult; rps: number; transfer: number; peakRss: number; cpu: number | undefined;
  /** Cores' worth of CPU other processes used during the measured run. */
  background: number;
  errors: number; errorText: string; warnings: string[];
}
type Outcome = { ok: true; m: Measure } | { ok: false; error: string };

const BUSY = 0.2; // background load (in cores) from which a run is marked
function summarize(c: Case, wrk: WrkResult, background: number): { errors: number; errorText: string; warnings: string[] } {
  const errors = wrk.connect + wrk.read + wrk.write + wrk.timeout + wrk.status;
  const parts = (["connect", "read", "write", "timeout", "status"] as const).filter((k) => wrk[k] > 0).map((k) => `${k === "status" ? "non-2xx/3xx" : k} ${wrk[k]}`);
  const warnings: string[] = [];
  // Each response is its body plus ~150-250 bytes of headers; wrk also counts
  // the bytes of the responses still in flight when it stops (one per connection at most).
  const header = 400;
  const low = wrk.requests * c.responseBody;
  const high = (wrk.requests + connections) * (c.responseBody + header);
  if (wrk.requests === 0) warnings.push("no request completed");
  else if (wrk.bytes < low || wrk.bytes > high) warnings.push(`${wrk.bytes} bytes for ${wrk.requests} responses, expected ${c.responseBody} + headers each`);
  if (background >= BUSY) warnings.push(`other processes used ${Math.round(background * 100)} % of a core during the run`);
  return { errors, errorText: parts.join(", "), warnings };
}

async function measure(id: ProxyId, c: Case, work: string, backendPort: number, tag: string): Promise<Outcome> {
  if (id === "direct") {
    try {
      await runLoad(c, work, backendPort, warmup);
      const bg0 = foreignCpuSeconds();
      const wrk = await runLoad(c, work, backendPort, duration);
      const secs = wrk.durationUs / 1e6;
      const background = (foreignCpuSeconds() - bg0) / secs;
      const m = summarize(c, wrk, background);
      return { ok: true, m: { wrk, rps: wrk.requests / secs, transfer: wrk.bytes / secs, peakRss: NaN, cpu: undefined, background, ...m } };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  let p: Running;
  try {
    p = await startProxy(id, work, backendProto === "h2" ? backend!.h2Port : backendPort, tag);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    await checkThroughProxy(p.port).catch((e) => { throw new Error(`sanity check failed: ${(e as Error).message}`); });
    let peak = 0;
    const poll = setInterval(() => { peak = Math.max(peak, readStatus(p.pid, "VmRSS") ?? 0); }, 100);
    try {
      await runLoad(c, work, p.port, warmup);
      const cpu0 = cpuSeconds(p.pid);
      const bg0 = foreignCpuSeconds();
      const wrk = await runLoad(c, work, p.port, duration);
      const bg1 = foreignCpuSeconds();
      const cpu1 = cpuSeconds(p.pid);
      peak = Math.max(peak, readStatus(p.pid, "VmHWM") ?? 0, readStatus(p.pid, "VmRSS") ?? 0);
      const secs = wrk.durationUs / 1e6;
      const background = (bg1 - bg0) / secs;
      const s = summarize(c, wrk, background);
      if (p.proc.exitCode !== null || p.proc.signalCode) s.warnings.push(`the proxy exited during the run: ${p.stderr.text.trim().slice(0, 200)}`);
      return {
        ok: true,
        m: {
          wrk, rps: wrk.requests / secs, transfer: wrk.bytes / secs, peakRss: peak,
          cpu: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / secs : undefined,
          background,
          ...s,
        },
      };
    } finally {
      clearInterval(poll);
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    await stopProxy(p);
  }
}

// ---------------------------------------------------------------- report

function versions(): string[] {
  const first = (cmd: string[]) => run(cmd).out.split("\n")[0] ?? "?";
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?").trim();
  const version = (JSON.parse(readFileSync(join(sluiceRoot, "package.json"), "utf8")) as { version?: string }).version ?? "?";
  let source: string;
  if (opts.rev) {
    source = `commit ${run(["git", "-C", root, "rev-parse", "--short", `${opts.rev}^{commit}`]).out} (--rev ${opts.rev}, exported with git archive)`;
  } else {
    const commit = run(["git", "-C", root, "rev-parse", "--short", "HEAD"]);
    const dirty = run(["git", "-C", root, "status", "--porcelain", "--", "src"]).out ? " plus uncommitted changes in src/" : "";
    source = `working tree at commit ${commit.ok ? commit.out : "?"}${dirty}`;
  }
  return [
    `- sluice ${version}: ${source}`,
    `- ${first(["haproxy", "-v"])}`,
    `- ${first(["nginx", "-v"])}`,
    `- bun ${first([BUN, "--version"])}; ${first([DENO, "--version"])}`,
    loadTool === "h2load" ? `- ${first(["h2load", "--version"])}` : `- ${first(["wrk", "-v"])}`,
    `- ${run(["nproc"]).out} cores (${cpu}), Linux ${run(["uname", "-r"]).out}`,
  ];
}

function table(c: Case, results: Map<ProxyId, Outcome[]>): string[] {
  const okOf = (id: ProxyId) => (results.get(id) ?? []).flatMap((o) => (o.ok ? [o.m] : []));
  const quiet = (ms: Measure[]) => (ms.some((m) => m.background < BUSY) ? ms.filter((m) => m.background < BUSY) : ms);
  const pick = (ms: Measure[]) => {
    // With --repeat, the run with the median req/s stands for the proxy (among
    // the runs the background load left alone, when there are any).
    const sorted = [...quiet(ms)].sort((a, b) => a.rps - b.rps);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const base = pick(okOf("haproxy"));
  const lines: string[] = [];
  const upload = c.uploadBytes !== undefined;
  lines.push(`### ${c.name}: ${c.what}`, "");
  const head = ["proxy", "req/s", "×HAProxy", "p50", "p99", "p99 ×HAProxy", "peak RSS", "errors", upload ? "transfer/s (down; up)" : "transfer/s", "proxy CPU", "other CPU"];
  if (repeat > 1) head.push(`req/s of the ${repeat} runs`, "paired ×HAProxy");
  lines.push(`| ${head.join(" | ")} |`, `|${head.map((h, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
  for (const px of proxies) {
    const outcomes = results.get(px.id) ?? [];
    const ms = okOf(px.id);
    const m = pick(ms);
    if (!m) {
      const err = outcomes.find((o) => !o.ok) as { ok: false; error: string } | undefined;
      const who = px.id === "haproxy" ? "haproxy" : px.id === "direct" ? "wrk" : isReference(px.id) ? "forwarder" : "sluice";
      const cells = [px.label, `n/a (${who}: ${err?.error.replace(/\|/g, "\\|") ?? "not run"})`, ...Array(head.length - 2).fill("")];
      lines.push(`| ${cells.join(" | ")} |`);
      continue;
    }
    const mark = m.errors > 0 || m.warnings.length > 0 ? " ⚠" : "";
    const cells = [
      px.label,
      `${Math.round(m.rps).toLocaleString("en-US")}${mark}`,
      base ? fmtRatio(m.rps / base.rps) : "—",
      fmtUs(m.wrk.p50),
      fmtUs(m.wrk.p99),
      base ? fmtRatio(m.wrk.p99 / base.wrk.p99) : "—",
      Number.isNaN(m.peakRss) ? "—" : fmtBytes(m.peakRss),
      m.errors ? `⚠ ${m.errors} (${m.errorText})` : "0",
      `${fmtBytes(m.transfer)}/s${upload ? `; ${fmtBytes(m.rps * c.uploadBytes!)}/s` : ""}`,
      m.cpu !== undefined ? `${Math.round(m.cpu * 100)} %` : px.id === "direct" ? "—" : "?",
      `${Math.round(m.background * 100)} %${m.background >= BUSY ? " ⚠" : ""}`,
    ];
    if (repeat > 1) {
      const all = outcomes.map((o) => (o.ok ? Math.round(o.m.rps).toLocaleString("en-US") + (o.m.background >= BUSY ? " (busy)" : "") : "n/a"));
      const rs = quiet(ms).map((x) => x.rps);
      const without = rs.length < ms.length ? " without the busy ones" : "";
      const spread = rs.length > 1 ? ` (spread ${(((Math.max(...rs) - Math.min(...rs)) / median(rs)) * 100).toFixed(1)} %${without})` : "";
      cells.push(all.join(", ") + spread);
      // Each run next to HAProxy's run of the same round (minutes apart at
      // most): the median of those ratios is steadier than a ratio of medians
      // when the machine's speed drifts between rounds.
      const hap = results.get("haproxy") ?? [];
      const paired = outcomes.flatMap((o, r) => {
        const h = hap[r];
        return o.ok && h?.ok ? [o.m.rps / h.m.rps] : [];
      });
      cells.push(paired.length ? `${fmtRatio(median(paired))} (${paired.map((x) => x.toFixed(2)).join(", ")})` : "—");
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const notes = proxies.flatMap((px) => pick(okOf(px.id))?.warnings.map((w) => `- ⚠ ${px.label}: ${w}`) ?? []);
  if (notes.length) lines.push("", ...notes);
  lines.push("");
  return lines;
}

// ---------------------------------------------------------------- main

const work = mkdtempSync(join(tmpdir(), "sluice-bench-"));
chmodSync(work, 0o755);
let backend: Backend | undefined;
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  for (const proc of live) proc.kill("SIGKILL");
  if (backend) {
    backend.proc.kill("SIGTERM");
    await Promise.race([backend.proc.exited, sleep(3000)]);
    if (backend.proc.exitCode === null) backend.proc.kill("SIGKILL");
  }
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

if (opts.rev) {
  const dir = join(work, "sluice");
  mkdirSync(dir);
  const r = Bun.spawnSync(["sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", root, opts.rev, dir], { stderr: "pipe" });
  if (r.exitCode !== 0) {
    await cleanup();
    fail(`--rev ${opts.rev}: ${r.stderr.toString().trim()}`);
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  sluiceRoot = dir;
}
const versionLines = versions();
const started = new Date();
const results = new Map<string, Map<ProxyId, Outcome[]>>();
try {
  backend = await startNginx(work);
  await checkBackend(backend.port);
  log(`nginx on 127.0.0.1:${backend.port} (core ${LOAD_CORE}); mode ${mode}; ${duration} s per run after ${warmup} s of warm-up; ${connections} connections`);
  for (const c of cases) {
    const perProxy = new Map<ProxyId, Outcome[]>();
    results.set(c.name, perProxy);
    for (let r = 0; r < repeat; r++) {
      // Proxies take turns within each repetition, so that drift hits all of them.
      for (const px of proxies) {
        // Of the attempts, the one with the least background load stands.
        let best: Outcome | undefined;
        for (let attempt = 0; ; attempt++) {
          if (quietLimit > 0) {
            const bg = await waitQuiet(quietLimit);
            if (bg >= 0.1) log(`the machine is still busy (other processes: ${Math.round(bg * 100)} % of a core); measuring anyway`);
          }
          const o = await measure(px.id, c, work, backend.port, `${c.name}-${r}-${attempt}`);
          if (!best || !best.ok || (o.ok && o.m.background < best.m.background)) best = o;
          const name = `${c.name}${repeat > 1 ? ` #${r + 1}` : ""} ${px.label}`;
          log(`${name}: ${o.ok ? `${Math.round(o.m.rps)} req/s, p99 ${fmtUs(o.m.wrk.p99)}, ${o.m.errors} errors, other processes ${Math.round(o.m.background * 100)} % of a core` : `n/a: ${o.error}`}`);
          if (backend.proc.exitCode !== null) throw new Error(`nginx exited: ${backend.stderr.text}`);
          await sleep(500);
          if (!o.ok || o.m.background < BUSY || attempt >= retryBusy) break;
          log(`${name}: the machine was busy; measuring again (${attempt + 1}/${retryBusy})`);
        }
        perProxy.set(px.id, [...(perProxy.get(px.id) ?? []), best!]);
      }
    }
  }
} catch (e) {
  console.error(`bench/run.ts: ${(e as Error).message}`);
  await cleanup();
  process.exit(1);
}
await cleanup();

const sampleCase = cases[0]!;
const report = [
  `## sluice vs HAProxy — ${mode.toUpperCase()} mode`,
  "",
  `Run ${started.toISOString().replace(/\.\d+Z$/, "Z")} with \`${commandLine}\``,
  "",
  `- Same nginx backend (1 worker, access_log off) for every proxy; each proxy started with an equivalent generated haproxy.cfg (\`mode ${mode}\`, one server${backendProto === "h2" ? " reached over HTTP/2 (\`proto h2\`, nginx \`listen … http2\`, cleartext)" : ""}${httpReuse ? `, \`http-reuse ${httpReuse}\`` : ""}; HAProxy adds \`nbthread 1\`), sanity-checked, then stopped after its run.`,
  `- CPU placement: proxy pinned to core ${PROXY_CORE} (\`taskset -c ${PROXY_CORE}\`); nginx and wrk share core ${LOAD_CORE} (\`taskset -c ${LOAD_CORE}\`).`,
  loadTool === "h2load"
    ? `- Load: \`${h2loadCommand(sampleCase, "/tmp", 0, duration, "LOG").join(" ").replace(":0/", ":PORT/").replace(sampleCase.path, "/PATH")}\` (POST cases add \`-d FILE\`); p50/p99 from h2load's per-request log; after a ${warmup} s warm-up at the same load${repeat > 1 ? `; ${repeat} runs per proxy, interleaved, the median-req/s run shown; "paired ×HAProxy" is the median of each run's ratio to HAProxy's run of the same round` : ""}.`
    : `- Load: \`${wrkCommand(sampleCase, "CASE.lua", 0, duration, connections).join(" ").replace(":0/", ":PORT/").replace(sampleCase.path, "/PATH")}\`${cases.some((c) => c.connectionClose) ? ` (new-conn adds \`-H "Connection: close"\`)` : ""}, after a ${warmup} s warm-up at the same load${repeat > 1 ? `; ${repeat} runs per proxy, interleaved, the median-req/s run shown; "paired ×HAProxy" is the median of each run's ratio to HAProxy's run of the same round` : ""}.`,
  `- ×HAProxy: req/s ratio (higher is better); p99 ×HAProxy: p99 latency ratio (lower is better). Peak RSS: the proxy's VmHWM. proxy CPU: share of core ${PROXY_CORE} the proxy used during the measured run (100 % = saturated). other CPU: CPU that processes outside the benchmark used meanwhile, in % of one core (each run waits up to ${quietLimit} s for a quiet second first; ≥ ${BUSY * 100} % is marked${retryBusy ? ` and measured again, up to ${retryBusy} times, keeping the quietest attempt` : ""}). ⚠ marks a run with errors or a failed check.`,
  "",
  ...cases.flatMap((c) => table(c, results.get(c.name) ?? new Map())),
  "Versions:",
  "",
  ...versionLines,
  "",
].join("\n");

console.log(report);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, report);
log(`written to ${outFile}`);
