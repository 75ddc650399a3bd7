// Side-by-side benchmark of the edge rows (issue 13): HTTPS and HTTP/2 towards
// clients. HAProxy 2.6 (`nbthread 1`), sluice under Bun and sluice under Deno
// in turn, each from the same generated haproxy.cfg, in front of one nginx
// (HTTP/1.1), under the same load; ratios against HAProxy. The companion of
// bench/run.ts (HTTP/1.1 and TCP rows), in the same style.
//
// Usage: bun bench/edge.ts [--case NAME[,NAME]]... [--proxy haproxy,bun,deno[,bun-raw]] [--duration S]
//                          [--warmup S] [--repeat N] [--connections N] [--out FILE] [--wait-quiet S]
//
// --wait-quiet S (default 20; 0: off): before each run, wait up to S seconds for a second
// in which other processes use under 10 % of a core.
//
// Cases:
//   https-keepalive    wrk over TLS (ECDSA P-256 certificate), GET 13 bytes, keep-alive
//   handshake-ecdsa    wrk over TLS with `Connection: close`: a new connection, so a full
//   handshake-rsa      TLS handshake, per request; P-256 / RSA-2048. wrk resumes its last
//                      session on each new connection (SSL_clear keeps it), so these rows
//                      turn resumption off in the proxy: `no-tls-tickets` on the bind and
//                      `tune.ssl.cachesize 0` (without them both rows measure resumptions
//                      and come out alike)
//   h2-tls             h2load -c N -m 10 over TLS (ALPN h2), GET 13 bytes
//   h2c                h2load -c N -m 10, cleartext HTTP/2 with prior knowledge (`bind … proto h2`)
//
// --proxy …,bun-raw adds the h2 rows' floor on Bun: bench/raw-h2.ts, a gateway with no
// HTTP engine (frame headers only, fixed answers) on the same sockets and load.
//
// CPU placement (2 cores): the proxy alone on core 0; nginx and the load tool share core 1.
// Background CPU (other processes) is measured per run and reported: on a shared machine
// it is the noise. Results go to stdout and bench/results/edge-latest.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchCert, type BenchCert } from "./certs.ts";
import { BUN, canConnect, DENO, edgeConfig, edgeNginxConf, foreignCpuSeconds, LOAD_CORE, SMALL, freePort, median, root, sleep, waitQuiet } from "./harness.ts";

const MAIN = join(root, "src/main.ts");
const PROXY_CORE = "0";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    case: { type: "string", multiple: true },
    proxy: { type: "string", default: "haproxy,bun,deno" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    repeat: { type: "string", default: "1" },
    connections: { type: "string", default: "50" },
    out: { type: "string" },
    "wait-quiet": { type: "string", default: "20" },
    help: { type: "boolean", short: "h", default: false },
  },
});

type Front = "https" | "h2c";
interface Case { name: string; what: string; front: Front; key: "ec" | "rsa"; tool: "wrk" | "h2load"; close?: boolean; noResume?: boolean }
const CASES: Case[] = [
  { name: "https-keepalive", what: "wrk over TLS (P-256), GET 13 B, keep-alive", front: "https", key: "ec", tool: "wrk" },
  { name: "handshake-ecdsa", what: "wrk over TLS, `Connection: close`, resumption off: one full handshake per request (P-256)", front: "https", key: "ec", tool: "wrk", close: true, noResume: true },
  { name: "handshake-rsa", what: "wrk over TLS, `Connection: close`, resumption off: one full handshake per request (RSA-2048)", front: "https", key: "rsa", tool: "wrk", close: true, noResume: true },
  { name: "h2-tls", what: "h2load -m 10 over TLS (ALPN h2, P-256), GET 13 B", front: "https", key: "ec", tool: "h2load" },
  { name: "h2c", what: "h2load -m 10, cleartext HTTP/2 (prior knowledge), GET 13 B", front: "h2c", key: "ec", tool: "h2load" },
];
type ProxyId = "haproxy" | "bun" | "deno" | "bun-raw";
const LABEL: Record<ProxyId, string> = { haproxy: "HAProxy", bun: "sluice (Bun)", deno: "sluice (Deno)", "bun-raw": "raw h2 gateway (Bun)" };

if (opts.help) {
  console.log(readFileSync(import.meta.path, "utf8").split("\nimport ")[0]);
  process.exit(0);
}
const fail = (msg: string): never => {
  console.error(`bench/edge.ts: ${msg}`);
  process.exit(2);
};
const num = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} wants a positive number, got '${v}'`);
  return Math.round(n);
};
const duration = num("duration", opts.duration!);
const warmup = num("warmup", opts.warmup!);
const repeat = num("repeat", opts.repeat!);
const connections = num("connections", opts.connections!);
const quietLimit = Number(opts["wait-quiet"]);
const wanted = (opts.case ?? []).flatMap((c) => c.split(",")).filter(Boolean);
for (const c of wanted) if (!CASES.some((k) => k.name === c)) fail(`unknown case '${c}' (${CASES.map((k) => k.name).join(", ")})`);
const cases = wanted.length ? CASES.filter((c) => wanted.includes(c.name)) : CASES;
const proxies = opts.proxy!.split(",").filter(Boolean) as ProxyId[];
for (const p of proxies) if (!(p in LABEL)) fail(`unknown proxy '${p}' (haproxy, bun, deno, bun-raw)`);
const outFile = resolve(opts.out ?? join(root, "bench/results/edge-latest.md"));

// ---------------------------------------------------------------- helpers

const log = (msg: string) => console.error(`[edge] ${msg}`);
const live = new Set<Bun.Subprocess>();
function spawn(cmd: string[], stderr: "pipe" | "ignore" = "pipe"): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const p = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr, cwd: root }) as Bun.Subprocess<"ignore", "pipe", "pipe">;
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}
const CLK_TCK = 100;
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
function peakRss(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
}
const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);

// ---------------------------------------------------------------- nginx, configs, proxies

async function startNginx(dir: string): Promise<{ port: number; proc: Bun.Subprocess }> {
  const port = await freePort();
  writeFileSync(join(dir, "nginx.conf"), edgeNginxConf(dir, port));
  const proc = spawn(["taskset", "-c", LOAD_CORE, "nginx", "-p", dir, "-c", join(dir, "nginx.conf")]);
  for (const end = Date.now() + 5000; !(await canConnect(port)); await sleep(50)) {
    if (proc.exitCode !== null || Date.now() > end) fail("nginx did not start");
  }
  return { port, proc };
}

/** The one haproxy.cfg both proxies load; HAProxy adds `nbthread 1` (sluice is single-threaded). */
function config(id: ProxyId, c: Case, port: number, backendPort: number, cert: BenchCert): string {
  const noResume = c.noResume ? " no-tls-tickets" : "";
  const bind = c.front === "h2c" ? `127.0.0.1:${port} proto h2` : `127.0.0.1:${port} ssl crt ${cert.pem} alpn h2,http/1.1${noResume}`;
  return edgeConfig({ header: `generated by bench/edge.ts for ${id}`, bind, backendPort, haproxy: id === "haproxy", noSessionCache: c.noResume === true });
}

interface Running { proc: Bun.Subprocess<"ignore", "pipe", "pipe">; port: number; stderr: { text: string } }

async function startProxy(id: ProxyId, cfgText: string, port: number, dir: string): Promise<Running> {
  const cfg = join(dir, `${id}.cfg`);
  writeFileSync(cfg, cfgText);
  const pin = ["taskset", "-c", PROXY_CORE];
  const cmd = id === "haproxy" ? [...pin, "haproxy", "-db", "-f", cfg]
    : id === "bun" ? [...pin, BUN, MAIN, "-f", cfg]
    : id === "bun-raw" ? [...pin, BUN, join(root, "bench/raw-h2.ts"), "-f", cfg]
    : [...pin, DENO, "run", "-A", MAIN, "-f", cfg];
  const proc = spawn(cmd);
  const stderr = { text: "" };
  void (async () => {
    const dec = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (stderr.text.length < 1 << 16) stderr.text += dec.decode(value, { stream: true });
    }
  })().catch(() => {});
  for (const end = Date.now() + 15000; ; await sleep(50)) {
    if (proc.exitCode !== null) {
      await sleep(200);
      const line = stderr.text.split("\n").find((l) => /error|alert|not supported/i.test(l)) ?? stderr.text.trim().split("\n")[0];
      throw new Error(line?.replace(/^\S+\.cfg:\d+:\s*/, "") ?? `exit ${proc.exitCode}`);
    }
    if ((id === "haproxy" || stderr.text.includes(") ready")) && (await canConnect(port))) break;
    if (Date.now() > end) {
      proc.kill("SIGKILL");
      throw new Error("not ready after 15 s");
    }
  }
  return { proc, port, stderr };
}

async function stopProxy(p: Running) {
  p.proc.kill("SIGTERM");
  if (!(await Promise.race([p.proc.exited.then(() => true), sleep(5000).then(() => false)]))) p.proc.kill("SIGKILL");
  await p.proc.exited;
}

/** One request through the proxy with curl, in the case's protocol: 200 and the 13-byte body. */
async function sanity(c: Case, port: number) {
  const proto = c.front === "h2c" ? ["--http2-prior-knowledge", `http://127.0.0.1:${port}/small`] : [c.tool === "h2load" ? "--http2" : "--http1.1", "-k", `https://127.0.0.1:${port}/small`];
  const p = spawn(["curl", "-sS", "--max-time", "5", "-o", "-", "-w", "\\n%{http_code} %{http_version}", ...proto]);
  const out = await new Response(p.stdout).text();
  await p.exited;
  const want = `${SMALL}\n200 ${c.tool === "h2load" ? "2" : "1.1"}`;
  if (out !== want) throw new Error(`sanity check: curl got ${JSON.stringify(out)}, expected ${JSON.stringify(want)}`);
}

// ---------------------------------------------------------------- load

interface Load { requests: number; seconds: number; errors: number; p50: number; p99: number }

async function load(c: Case, port: number, seconds: number, dir: string): Promise<Load> {
  const scheme = c.front === "h2c" ? "http" : "https";
  const url = `${scheme}://127.0.0.1:${port}/small`;
  if (c.tool === "wrk") {
    const script = join(dir, "report.lua");
    writeFileSync(script, `done = function(s, latency, requests)
  io.write(string.format("\\nEDGEJSON {\\"requests\\":%d,\\"us\\":%d,\\"errors\\":%d,\\"p50\\":%d,\\"p99\\":%d}\\n",
    s.requests, s.duration, s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`);
    const cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t", "1", "-c", String(connections), "-d", `${seconds}s`, "--timeout", "5s", "--latency", "-s", script];
    if (c.close) cmd.push("-H", "Connection: close");
    const p = spawn([...cmd, url]);
    const out = await new Response(p.stdout).text();
    await p.exited;
    const m = out.match(/EDGEJSON (\{.*\})/);
    if (!m) throw new Error(`wrk gave no result: ${out.slice(0, 300)}`);
    const j = JSON.parse(m[1]!);
    return { requests: j.requests, seconds: j.us / 1e6, errors: j.errors, p50: j.p50, p99: j.p99 };
  }
  const logFile = join(dir, "h2load.log");
  rmSync(logFile, { force: true });
  const p = spawn(["taskset", "-c", LOAD_CORE, "h2load", "-t", "1", "-c", String(connections), "-m", "10", "-D", String(seconds), "--log-file", logFile, url]);
  const out = await new Response(p.stdout).text();
  await p.exited;
  const finished = out.match(/finished in ([\d.]+)(m?s),/);
  const reqs = out.match(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/);
  const proto = out.match(/Application protocol: (\S+)/);
  if (!finished || !reqs) throw new Error(`h2load gave no result: ${out.slice(0, 300)}`);
  if (proto?.[1] !== (c.front === "h2c" ? "h2c" : "h2")) throw new Error(`h2load spoke ${proto?.[1] ?? "?"}, not HTTP/2`);
  const lat = readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t")).filter((f) => f[1] !== "-1").map((f) => Number(f[2])).sort((a, b) => a - b);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
  return {
    requests: Number(reqs[1]), seconds: Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1),
    errors: Number(reqs[2]) + Number(reqs[3]) + Number(reqs[4]), p50: pct(0.5), p99: pct(0.99),
  };
}

/**
 * The whole of a new connection as one client sees it while the load runs: curl, one at a time every
 * 100 ms, from its TCP connect through the handshake to the response (wrk's latency starts after its
 * handshake, so it does not show how long a connection waits to be let in). Seconds per probe.
 */
async function probe(port: number, seconds: number): Promise<number[]> {
  const times: number[] = [];
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(100)) {
    const p = spawn(["taskset", "-c", LOAD_CORE, "curl", "-sk", "--http1.1", "--max-time", "10", "-o", "/dev/null", "-w", "%{time_total} %{http_code}", `https://127.0.0.1:${port}/small`]);
    const out = (await new Response(p.stdout).text()).trim().split(" ");
    await p.exited;
    if (out[1] === "200") times.push(Number(out[0]));
  }
  return times;
}

// ---------------------------------------------------------------- run

interface Result { rps: number; p50: number; p99: number; errors: number; rss: number; cpu: number; other: number; probes: number[] }
type Outcome = { ok: true; r: Result } | { ok: false; error: string };

async function measure(id: ProxyId, c: Case, backendPort: number, cert: BenchCert, dir: string): Promise<Outcome> {
  const port = await freePort();
  let p: Running;
  try {
    p = await startProxy(id, config(id, c, port, backendPort, cert), port, dir);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    await sanity(c, port);
    await load(c, port, warmup, dir);
    const cpu0 = cpuSeconds(p.proc.pid), bg0 = foreignCpuSeconds();
    const [l, probes] = await Promise.all([load(c, port, duration, dir), c.close ? probe(port, duration - 0.5) : Promise.resolve([])]);
    const cpu = (cpuSeconds(p.proc.pid) - cpu0) / l.seconds, other = (foreignCpuSeconds() - bg0) / l.seconds;
    return { ok: true, r: { rps: l.requests / l.seconds, p50: l.p50, p99: l.p99, errors: l.errors, rss: peakRss(p.proc.pid), cpu, other, probes } };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    await stopProxy(p);
  }
}

function table(c: Case, rows: Map<ProxyId, Outcome[]>): string[] {
  // The median run among those the background left alone (other processes under 20 % of a core), when there are any.
  const pick = (os: Outcome[]) => {
    const ok = os.flatMap((o) => (o.ok ? [o.r] : []));
    const quiet = ok.some((r) => r.other < 0.2) ? ok.filter((r) => r.other < 0.2) : ok;
    return quiet.sort((a, b) => a.rps - b.rps)[Math.floor((quiet.length - 1) / 2)];
  };
  const base = pick(rows.get("haproxy") ?? []);
  const head = ["proxy", "req/s", "×HAProxy", "req/s per proxy core", "p50", "p99", "p99 ×HAProxy", "errors", "peak RSS", "proxy CPU", "other CPU"];
  if (c.close) head.push("new connection, whole (curl probes: median / 90th / max)");
  if (repeat > 1) head.push("req/s of the runs", "paired ×HAProxy");
  const lines = [`### ${c.name}: ${c.what}`, "", `| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const id of proxies) {
    if (id === "bun-raw" && c.tool !== "h2load") continue;
    const os = rows.get(id) ?? [];
    const r = pick(os);
    if (!r) {
      const err = os.find((o) => !o.ok) as { error: string } | undefined;
      lines.push(`| ${LABEL[id]} | n/a (${(err?.error ?? "not run").replace(/\|/g, "\\|")}) |${" |".repeat(head.length - 2)}`);
      continue;
    }
    const cells = [
      LABEL[id], Math.round(r.rps).toLocaleString("en-US"), base ? `${(r.rps / base.rps).toFixed(2)}×` : "—",
      Math.round(r.rps / r.cpu).toLocaleString("en-US"),
      fmtUs(r.p50), fmtUs(r.p99), base ? `${(r.p99 / base.p99).toFixed(2)}×` : "—", String(r.errors),
      `${(r.rss / (1 << 20)).toFixed(1)} MiB`, `${Math.round(r.cpu * 100)} %`, `${Math.round(r.other * 100)} %`,
    ];
    if (c.close) {
      // Every probe of every run of this proxy: a few dozen a run, so no 99th percentile.
      const all = os.flatMap((o) => (o.ok ? o.r.probes : [])).sort((a, b) => a - b);
      const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))]! * 1e6;
      cells.push(all.length ? `${fmtUs(at(0.5))} / ${fmtUs(at(0.9))} / ${fmtUs(all.at(-1)! * 1e6)} (${all.length})` : "—");
    }
    if (repeat > 1) {
      cells.push(os.map((o) => (o.ok ? Math.round(o.r.rps).toLocaleString("en-US") + (o.r.other >= 0.2 ? " (busy)" : "") : "n/a")).join(", "));
      const hap = rows.get("haproxy") ?? [];
      const paired = os.flatMap((o, i) => (o.ok && hap[i]?.ok ? [o.r.rps / (hap[i] as { r: Result }).r.rps] : []));
      cells.push(paired.length ? `${median(paired).toFixed(2)}×` : "—");
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return [...lines, ""];
}

const dir = mkdtempSync(join(tmpdir(), "sluice-edge-"));
let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
const cleanup = () => {
  // nginx's master first, politely: killed outright it leaves its worker running.
  nginx?.proc.kill("SIGTERM");
  for (const p of live) if (p !== nginx?.proc) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => (cleanup(), process.exit(130)));

const certs = { ec: benchCert(dir, "ec"), rsa: benchCert(dir, "rsa") };
nginx = await startNginx(dir);
const started = new Date();
const results = new Map<string, Map<ProxyId, Outcome[]>>();
for (const c of cases) {
  const rows = new Map<ProxyId, Outcome[]>();
  results.set(c.name, rows);
  for (let round = 0; round < repeat; round++) {
    for (const id of proxies) {
      // The raw gateway speaks only HTTP/2.
      if (id === "bun-raw" && c.tool !== "h2load") continue;
      if (quietLimit > 0) await waitQuiet(quietLimit);
      const o = await measure(id, c, nginx.port, certs[c.key], dir);
      rows.set(id, [...(rows.get(id) ?? []), o]);
      log(`${c.name}${repeat > 1 ? ` #${round + 1}` : ""} ${LABEL[id]}: ${o.ok ? `${Math.round(o.r.rps)} req/s, p99 ${fmtUs(o.r.p99)}, ${o.r.errors} errors, other processes ${Math.round(o.r.other * 100)} % of a core` : `n/a: ${o.error}`}`);
      await sleep(500);
    }
  }
}
cleanup();

const first = (cmd: string[]) => (Bun.spawnSync(cmd).stdout.toString() + Bun.spawnSync(cmd).stderr.toString()).split("\n")[0]!.trim();
const report = [
  "## sluice vs HAProxy — edge rows (TLS and HTTP/2 towards clients)",
  "",
  `Run ${started.toISOString().replace(/\.\d+Z$/, "Z")} with \`bun bench/edge.ts ${Bun.argv.slice(2).join(" ")}\`, commit ${first(["git", "-C", root, "rev-parse", "--short", "HEAD"])}`,
  "",
  `- One nginx (1 worker, HTTP/1.1) behind every proxy; each proxy from the same generated haproxy.cfg (HAProxy adds \`nbthread 1\`); the proxy pinned to core ${PROXY_CORE}, nginx and the load tool share core ${LOAD_CORE}.`,
  `- wrk: \`wrk -t 1 -c ${connections} -d ${duration}s --latency https://…/small\` (handshake rows add \`-H "Connection: close"\`); h2load: \`h2load -t 1 -c ${connections} -m 10 -D ${duration}\`; after a ${warmup} s warm-up${repeat > 1 ? `; ${repeat} interleaved rounds, the median run shown; paired: median of each round's ratio to HAProxy's` : ""}.`,
  "- req/s per proxy core: req/s divided by the share of core 0 the proxy used, the proxy's cost per request, which holds when the load side (one core for the tool and nginx) is the limit, as it is for handshakes.",
  "- other CPU: what processes outside the benchmark used meanwhile, in % of one core (the machine is shared: that is the noise); runs at ≥ 20 % are marked (busy) and left out of the median when a quieter run exists.",
  "",
  ...cases.flatMap((c) => table(c, results.get(c.name)!)),
  "Versions:",
  "",
  `- ${first(["haproxy", "-v"])}; ${first(["nginx", "-v"])}; ${first(["wrk", "-v"])}; ${first(["h2load", "--version"])}; ${first(["openssl", "version"])}`,
  `- bun ${first([BUN, "--version"])}; ${first([DENO, "--version"])}; ${first(["nproc"])} cores`,
  "",
].join("\n");
console.log(report);
writeFileSync(outFile, report);
log(`written to ${outFile}`);
process.exit(0);
