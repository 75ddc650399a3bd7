// What active health checks cost the traffic (issue 14's acceptance: "10
// servers with checks every 100 ms change small keep-alive req/s by less than
// the noise"). sluice under Bun and under Deno, in front of one nginx that
// listens on 10 loopback ports (the backend's 10 servers), small keep-alive
// GETs with wrk, in configurations that differ only by their checks:
//
//   none    10 server lines, no check
//   none'   the same again: A/A' pairs measure the noise floor
//   tcp     each server line + `check inter INTER` (TCP connect checks, the default)
//   http    the same + `option httpchk GET /` in the backend (HTTP checks)
//
// Each round measures, per runtime, the pairs (none, tcp), (none, http) and
// (none, none'), each pair's two runs back to back, in the order A B on even
// rounds and B A on odd ones (A B B A …), the pairs' order rotating from one
// round to the next. A pair's ratio (B / A) compares two runs made seconds
// apart, so drift of the shared machine between rounds cancels out.
//
// That the checks really run during the load is read at nginx: its
// stub_status counters (accepted connections, requests) before and after each
// measured run. Without checks the proxy's pooled connections are all open
// after the warm-up (~0 accepts/s); with checks each server gets a new
// connection (and, with httpchk, a request) every INTER.
//
// Usage: bun bench/checks-overhead.ts [--runtime bun,deno] [--rounds N] [--duration S] [--warmup S]
//                                     [--servers N] [--inter DURATION] [--connections N]
//                                     [--wait-quiet S] [--out FILE]
//
// Defaults: both runtimes, 6 rounds, 5 s runs after 2 s of warm-up, 10 servers, inter 100ms,
// 50 connections, --wait-quiet 5 (before each run, wait up to S s for a second in which other
// processes use under 10 % of a core; 0: off). CPU placement as bench/run.ts: the proxy alone
// on core 0, nginx (1 worker) and wrk (1 thread) on core 1. Results: stdout and
// bench/results/checks-overhead-latest.md.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type Backend, BUN, CASES, checkBackend, cpuSeconds, DENO, fmtUs, foreignCpuSeconds, freePort, launchProxy, live, LOAD_CORE,
  log, median, PROXY_CORE, type ProxyDesc, renderCfg, root, run, runWrk, type Running, sleep, startNginx, stopProxy,
  waitQuiet, type WrkResult, wrkCommand, wrkScript,
} from "./harness.ts";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    runtime: { type: "string", default: "bun,deno" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    servers: { type: "string", default: "10" },
    inter: { type: "string", default: "100ms" },
    connections: { type: "string", default: "50" },
    "wait-quiet": { type: "string", default: "5" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(readFileSync(import.meta.path, "utf8").split("\nimport ")[0]);
  process.exit(0);
}
function fail(msg: string): never {
  console.error(`bench/checks-overhead.ts: ${msg}`);
  process.exit(2);
}
function count(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} wants an integer ≥ ${min}, got '${v}'`);
  return n;
}
const rounds = count("rounds", opts.rounds, 1);
const duration = count("duration", opts.duration, 1);
const warmup = count("warmup", opts.warmup, 0);
const serverCount = count("servers", opts.servers, 1);
const connections = count("connections", opts.connections, 1);
const quietLimit = count("wait-quiet", opts["wait-quiet"], 0);
const inter = opts.inter;
if (!/^\d+(us|ms|s|m)?$/.test(inter)) fail(`--inter wants a duration such as 100ms, got '${inter}'`);
type RuntimeId = "bun" | "deno";
const LABEL: Record<RuntimeId, string> = { bun: "sluice (Bun)", deno: "sluice (Deno)" };
const runtimes = opts.runtime.split(",").filter(Boolean) as RuntimeId[];
for (const r of runtimes) if (r !== "bun" && r !== "deno") fail(`unknown runtime '${r}' (bun, deno)`);
const outFile = resolve(opts.out ?? join(root, "bench/results/checks-overhead-latest.md"));
const commandLine = ["node_modules/.bin/bun", "bench/checks-overhead.ts", ...Bun.argv.slice(2)].join(" ");
const small = CASES.find((c) => c.name === "small-keepalive")!;

// ---------------------------------------------------------------- configurations

type ConfigId = "none" | "none'" | "tcp" | "http";
const CONFIG_WHAT: Record<ConfigId, string> = {
  none: "no check",
  "none'": "no check (again)",
  tcp: `\`check inter ${inter}\` (TCP connect)`,
  http: `\`option httpchk GET /\` + \`check inter ${inter}\``,
};
interface Comparison { b: ConfigId; what: string }
const COMPARISONS: Comparison[] = [
  { b: "tcp", what: `TCP checks / no check` },
  { b: "http", what: `HTTP checks / no check` },
  { b: "none'", what: `noise floor: no check / no check` },
];

function proxyCfg(config: ConfigId, port: number, backend: Backend): string {
  const checks = config === "tcp" || config === "http";
  const desc: ProxyDesc = {
    mode: "http",
    maxconn: 4096,
    hardStopAfter: "2s",
    // Events only (server transitions): the frontend logs no traffic (`no log`), in every configuration.
    globalLines: ["log stderr"],
    timeouts: { connect: "5s", client: "30s", server: "30s" },
    frontend: { name: "fe", bind: `127.0.0.1:${port}` },
    backend: {
      name: "be",
      balance: "roundrobin",
      lines: config === "http" ? ["option httpchk GET /"] : [],
      servers: backend.morePorts.map((p, i) => ({ name: `s${i}`, address: `127.0.0.1:${p}`, more: checks ? `check inter ${inter}` : undefined })),
    },
  };
  return renderCfg(desc, "sluice");
}

// ---------------------------------------------------------------- one run

/** nginx's stub_status: connections accepted and requests served since it started. */
async function nginxCounters(backend: Backend): Promise<{ accepts: number; requests: number }> {
  const text = await (await fetch(`http://127.0.0.1:${backend.port}/_status`)).text();
  const m = text.match(/server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/);
  if (!m) throw new Error(`nginx stub_status unreadable: ${text.slice(0, 200)}`);
  return { accepts: Number(m[1]), requests: Number(m[3]) };
}

interface Measure {
  rps: number; p50: number; p99: number; errors: number;
  /** Share of a core the proxy used, and other processes used, during the measured run. */
  cpu: number; background: number;
  /** At nginx during the measured run, per second: connections accepted, requests beyond wrk's. */
  acceptsPerS: number; extraRequestsPerS: number;
  /** Transitions the proxy logged (a server going DOWN would spoil the comparison). */
  downLines: string[];
}
type Outcome = { ok: true; m: Measure } | { ok: false; error: string };
const BUSY = 0.2; // background load (in cores) from which a run is marked, as in bench/run.ts

async function measure(rt: RuntimeId, config: ConfigId, work: string, backend: Backend, tag: string): Promise<Outcome> {
  const port = await freePort();
  const cfg = join(work, `${rt}-${tag}.cfg`);
  writeFileSync(cfg, proxyCfg(config, port, backend));
  const main = join(root, "src/main.ts");
  const cmd = ["taskset", "-c", PROXY_CORE, ...(rt === "bun" ? [BUN, main] : [DENO, "run", "-A", main]), "-f", cfg];
  let p: Running;
  try {
    p = await launchProxy(cmd, port, true);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    const r = await fetch(`http://127.0.0.1:${port}${small.path}`, { signal: AbortSignal.timeout(5000) });
    const body = await r.text();
    if (r.status !== 200 || body.length !== small.responseBody) throw new Error(`sanity check: ${r.status}, ${body.length} bytes`);
    const script = wrkScript(work, small);
    if (warmup > 0) await runWrk(wrkCommand(small, script, port, warmup, connections), warmup);
    const n0 = await nginxCounters(backend);
    const cpu0 = cpuSeconds(p.pid), bg0 = foreignCpuSeconds();
    const wrk: WrkResult = await runWrk(wrkCommand(small, script, port, duration, connections), duration);
    const cpu1 = cpuSeconds(p.pid), bg1 = foreignCpuSeconds();
    const n1 = await nginxCounters(backend);
    const secs = wrk.durationUs / 1e6;
    const downLines = p.stderr.text.split("\n").filter((l) => / is DOWN|has no server available/.test(l));
    if (p.proc.exitCode !== null || p.proc.signalCode) throw new Error(`the proxy exited during the run: ${p.stderr.text.trim().slice(0, 200)}`);
    return {
      ok: true,
      m: {
        rps: wrk.requests / secs, p50: wrk.p50, p99: wrk.p99,
        errors: wrk.connect + wrk.read + wrk.write + wrk.timeout + wrk.status,
        cpu: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / secs : NaN,
        background: (bg1 - bg0) / secs,
        // The status reads themselves: one connection and one request each.
        acceptsPerS: (n1.accepts - n0.accepts - 1) / secs,
        extraRequestsPerS: (n1.requests - n0.requests - 1 - wrk.requests) / secs,
        downLines,
      },
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    await stopProxy(p);
  }
}

// ---------------------------------------------------------------- report

interface Pair { round: number; order: string; a: Outcome; b: Outcome }
const pct = (x: number) => `${Math.round(x * 100)} %`;
const r3 = (x: number) => x.toFixed(3);
const busy = (o: Outcome) => o.ok && o.m.background >= BUSY;

function ratios(pairs: Pair[]) {
  const ok = pairs.flatMap((p) => (p.a.ok && p.b.ok ? [{ p, a: p.a.m, b: p.b.m }] : []));
  const quiet = ok.filter((x) => !busy(x.p.a) && !busy(x.p.b));
  const used = quiet.length >= Math.ceil(ok.length / 2) ? quiet : ok;
  return { ok, used, rps: used.map((x) => x.b.rps / x.a.rps), p99: used.map((x) => x.b.p99 / x.a.p99) };
}
const span = (xs: number[]) => (xs.length ? `${r3(Math.min(...xs))} – ${r3(Math.max(...xs))}` : "—");

function runtimeSection(rt: RuntimeId, pairs: Map<ConfigId, Pair[]>): string[] {
  const lines = [`### ${LABEL[rt]}`, ""];
  const noise = ratios(pairs.get("none'") ?? []);
  lines.push(
    "| comparison | pairs used | req/s ratio: median | range | p99 ratio: median | range | check connections/s at nginx (B − A) | check requests/s at nginx (B − A) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const c of COMPARISONS) {
    const r = ratios(pairs.get(c.b) ?? []);
    const acc = median(r.used.map((x) => x.b.acceptsPerS - x.a.acceptsPerS)).toFixed(0);
    const req = median(r.used.map((x) => x.b.extraRequestsPerS - x.a.extraRequestsPerS)).toFixed(0);
    lines.push(`| ${c.what} | ${r.used.length} of ${(pairs.get(c.b) ?? []).length} | ${r.rps.length ? r3(median(r.rps)) : "—"} | ${span(r.rps)} | ${r.p99.length ? r3(median(r.p99)) : "—"} | ${span(r.p99)} | ${r.used.length ? acc : "—"} | ${r.used.length ? req : "—"} |`);
  }
  lines.push("");
  for (const c of COMPARISONS.slice(0, 2)) {
    const r = ratios(pairs.get(c.b) ?? []);
    if (!r.rps.length || noise.rps.length < 2) continue;
    const m = median(r.rps), lo = Math.min(...noise.rps), hi = Math.max(...noise.rps);
    const within = m >= lo && m <= hi;
    lines.push(`- ${c.what}: median req/s ratio ${r3(m)} ${within ? "lies within" : "lies outside"} the noise floor's range ${r3(lo)} – ${r3(hi)} (median ${r3(median(noise.rps))}).`);
  }
  lines.push("", "Each pair (B / A), in the order measured:", "");
  lines.push("| round | B | order | A req/s | B req/s | req/s B/A | A p99 | B p99 | p99 B/A | proxy CPU (A; B) | nginx accepts/s (A; B) | other CPU (A; B) |", "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const all = [...pairs.entries()].flatMap(([b, ps]) => ps.map((p) => ({ b, p }))).sort((x, y) => x.p.round - y.p.round);
  for (const { b, p } of all) {
    if (!p.a.ok || !p.b.ok) {
      const err = [p.a, p.b].flatMap((o) => (o.ok ? [] : [o.error])).join("; ").replace(/\|/g, "\\|");
      lines.push(`| ${p.round + 1} | ${b} | ${p.order} | n/a (${err}) | | | | | | | | |`);
      continue;
    }
    const a = p.a.m, m = p.b.m;
    const mark = (o: Measure) => (o.errors ? ` ⚠ ${o.errors} errors` : "") + (o.downLines.length ? ` ⚠ ${o.downLines.length} DOWN` : "");
    const bg = (o: Measure) => `${pct(o.background)}${o.background >= BUSY ? " ⚠" : ""}`;
    lines.push(`| ${p.round + 1} | ${b} | ${p.order} | ${Math.round(a.rps).toLocaleString("en-US")}${mark(a)} | ${Math.round(m.rps).toLocaleString("en-US")}${mark(m)} | ${r3(m.rps / a.rps)} | ${fmtUs(a.p99)} | ${fmtUs(m.p99)} | ${r3(m.p99 / a.p99)} | ${pct(a.cpu)}; ${pct(m.cpu)} | ${a.acceptsPerS.toFixed(0)}; ${m.acceptsPerS.toFixed(0)} | ${bg(a)}; ${bg(m)} |`);
  }
  lines.push("");
  return lines;
}

function versions(): string[] {
  const first = (cmd: string[]) => run(cmd).out.split("\n")[0] ?? "?";
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?").trim();
  const commit = run(["git", "-C", root, "rev-parse", "--short", "HEAD"]).out;
  const dirty = run(["git", "-C", root, "status", "--porcelain", "--", "src"]).out ? " plus uncommitted changes in src/" : "";
  return [
    `- sluice: working tree at commit ${commit}${dirty}`,
    `- ${first(["nginx", "-v"])}; ${first(["wrk", "-v"])}`,
    `- bun ${first([BUN, "--version"])}; ${first([DENO, "--version"])}`,
    `- ${run(["nproc"]).out} cores (${cpu}), Linux ${run(["uname", "-r"]).out}`,
  ];
}

// ---------------------------------------------------------------- main

const work = mkdtempSync(join(tmpdir(), "sluice-checks-bench-"));
chmodSync(work, 0o755);
let backend: Backend | undefined;
async function cleanup() {
  for (const proc of live) proc.kill("SIGKILL");
  if (backend) {
    backend.proc.kill("SIGTERM");
    await Promise.race([backend.proc.exited, sleep(3000)]);
    if (backend.proc.exitCode === null) backend.proc.kill("SIGKILL");
  }
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

const started = new Date();
const results = new Map<RuntimeId, Map<ConfigId, Pair[]>>(runtimes.map((rt) => [rt, new Map()]));
try {
  backend = await startNginx(work, serverCount);
  await checkBackend(backend.port);
  log(`nginx on 127.0.0.1:${backend.port} and ${serverCount} more ports (core ${LOAD_CORE}); ${rounds} rounds; ${duration} s per run after ${warmup} s of warm-up; ${connections} connections`);
  const one = async (rt: RuntimeId, config: ConfigId, tag: string): Promise<Outcome> => {
    if (quietLimit > 0) {
      const bg = await waitQuiet(quietLimit);
      if (bg >= 0.1) log(`the machine is still busy (other processes: ${pct(bg)} of a core); measuring anyway`);
    }
    const o = await measure(rt, config, work, backend!, tag);
    log(`${tag} ${LABEL[rt]} ${config}: ${o.ok ? `${Math.round(o.m.rps)} req/s, p99 ${fmtUs(o.m.p99)}, nginx ${o.m.acceptsPerS.toFixed(0)} accepts/s, ${o.m.errors} errors, other processes ${pct(o.m.background)} of a core` : `n/a: ${o.error}`}`);
    if (backend!.proc.exitCode !== null) throw new Error(`nginx exited: ${backend!.stderr.text}`);
    await sleep(300);
    return o;
  };
  for (let round = 0; round < rounds; round++) {
    for (const rt of runtimes) {
      for (let k = 0; k < COMPARISONS.length; k++) {
        const b = COMPARISONS[(k + round) % COMPARISONS.length]!.b;
        const tag = `r${round + 1}`;
        let a: Outcome, bo: Outcome;
        if (round % 2 === 0) {
          a = await one(rt, "none", tag);
          bo = await one(rt, b, tag);
        } else {
          bo = await one(rt, b, tag);
          a = await one(rt, "none", tag);
        }
        const list = results.get(rt)!.get(b) ?? [];
        list.push({ round, order: round % 2 === 0 ? "A B" : "B A", a, b: bo });
        results.get(rt)!.set(b, list);
      }
    }
  }
} catch (e) {
  console.error(`bench/checks-overhead.ts: ${(e as Error).message}`);
  await cleanup();
  process.exit(1);
}
await cleanup();

const report = [
  `## Health-check overhead: ${serverCount} servers, checks every ${inter}, small keep-alive GETs`,
  "",
  `Run ${started.toISOString().replace(/\.\d+Z$/, "Z")} with \`${commandLine}\``,
  "",
  `- One nginx (1 worker, access_log off) listening on ${serverCount} loopback ports: the backend's ${serverCount} servers (\`balance roundrobin\`), all alike. A: ${CONFIG_WHAT.none}; B: ${CONFIG_WHAT.tcp}, or ${CONFIG_WHAT.http}, or again ${CONFIG_WHAT.none} (the noise floor). Nothing else differs. Each run starts its own proxy (sanity-checked, stopped after the run).`,
  `- CPU placement: sluice pinned to core ${PROXY_CORE}; nginx and wrk share core ${LOAD_CORE} (the checks' connections and requests cost nginx on that core too).`,
  `- Load: \`${wrkCommand(small, "CASE.lua", 0, duration, connections).join(" ").replace(":0/", ":PORT/")}\` after a ${warmup} s warm-up at the same load.`,
  `- ${rounds} rounds; per round and runtime the pairs (A, TCP checks), (A, HTTP checks), (A, A') back to back, A first on odd rounds and B first on even ones (A B, B A, …). Ratios are B / A within a pair: req/s (1.000 = no change) and wrk's p99 latency. Medians and ranges over the pairs in which other processes used < ${BUSY * 100} % of a core in both runs (over all pairs when fewer than half are that quiet).`,
  `- Checks at nginx (stub_status read before and after each measured run): connections accepted per second, and requests served beyond wrk's count per second; the median over the pairs of B's minus A's. Both runs of a pair also count the proxy's server connections opened for wrk's new connections and the requests in flight when wrk stops, alike in A and B; the difference is the checks (${serverCount} servers every ${inter}: ${Math.round(serverCount * 1000 / (Number(inter.replace(/\D+$/, "")) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[inter.replace(/^\d+/, "") || "ms"] ?? 1)))}/s expected). other CPU: CPU other processes used meanwhile, in % of one core (each run first waits up to ${quietLimit} s for a quiet second); ≥ ${BUSY * 100} % is marked ⚠.`,
  "",
  ...runtimes.flatMap((rt) => runtimeSection(rt, results.get(rt)!)),
  "Versions:",
  "",
  ...versions(),
  "",
].join("\n");
console.log(report);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, report);
log(`written to ${outFile}`);
