// Paired A/B of two sluice revisions under the edge rows' load (issue 13):
// sluice as committed at --base (exported with `git archive`) against the
// working tree, in alternating order (A B, B A, A B, ...), one nginx behind
// both, the same generated haproxy.cfg as bench/edge.ts. On a shared machine
// a ratio taken within one round moves far less than either number alone.
//
// Usage: bun bench/h2-ab.ts --base REV [--case h2c,h2-tls,https-keepalive] [--rounds N]
//                           [--duration S] [--warmup S] [--runtime bun|deno] [--out FILE]
//        bun bench/h2-ab.ts --profile DIR [--case h2c] [--duration S]
//
// --profile runs the working tree once under `bun --cpu-prof` with the case's
// load and writes the .cpuprofile to DIR (bench/cpuprofile.ts summarises it).
//
// CPU placement as in bench/edge.ts: sluice on core 0, nginx and the load tool on core 1.
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchCert, type BenchCert } from "./certs.ts";
import { BUN, canConnect, DENO, edgeConfig, edgeNginxConf, foreignCpuSeconds, LOAD_CORE, freePort, median, root, run, sleep, waitQuiet } from "./harness.ts";

const PROXY_CORE = "0";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    base: { type: "string" },
    case: { type: "string", default: "h2c" },
    rounds: { type: "string", default: "4" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    runtime: { type: "string", default: "bun" },
    connections: { type: "string", default: "50" },
    profile: { type: "string" },
    out: { type: "string" },
  },
});

type CaseName = "h2c" | "h2-tls" | "https-keepalive";
const cases = opts.case!.split(",").filter(Boolean) as CaseName[];
for (const c of cases) if (!["h2c", "h2-tls", "https-keepalive"].includes(c)) throw new Error(`unknown case ${c}`);
const rounds = Number(opts.rounds);
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const connections = Number(opts.connections);
const log = (m: string) => console.error(`[h2-ab] ${m}`);

const live = new Set<Bun.Subprocess>();
function spawn(cmd: string[], cwd = root): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const p = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd }) as Bun.Subprocess<"ignore", "pipe", "pipe">;
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}
/** User and system CPU seconds of a process so far. */
function cpuTimes(pid: number): { user: number; sys: number } {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const parts = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return { user: Number(parts[11]) / 100, sys: Number(parts[12]) / 100 };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

const dir = mkdtempSync(join(tmpdir(), "sluice-h2ab-"));
const cleanup = () => {
  for (const p of live) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => (cleanup(), process.exit(130)));

async function startNginx(): Promise<number> {
  const port = await freePort();
  writeFileSync(join(dir, "nginx.conf"), edgeNginxConf(dir, port));
  spawn(["taskset", "-c", LOAD_CORE, "nginx", "-p", dir, "-c", join(dir, "nginx.conf")]);
  for (const end = Date.now() + 5000; !(await canConnect(port)); await sleep(50)) if (Date.now() > end) throw new Error("nginx did not start");
  return port;
}

function config(c: CaseName, port: number, backendPort: number, cert: BenchCert): string {
  const bind = c === "h2c" ? `127.0.0.1:${port} proto h2` : `127.0.0.1:${port} ssl crt ${cert.pem} alpn h2,http/1.1`;
  return edgeConfig({ bind, backendPort });
}

interface Running { proc: Bun.Subprocess<"ignore", "pipe", "pipe">; stderr: { text: string } }

async function startSluice(tree: string, cfgText: string, port: number, extra: string[] = []): Promise<Running> {
  const cfg = join(dir, `sluice-${port}.cfg`);
  writeFileSync(cfg, cfgText);
  const main = join(tree, "src/main.ts");
  const cmd = opts.runtime === "deno" ? [DENO, "run", "-A", main, "-f", cfg] : [BUN, ...extra, main, "-f", cfg];
  const proc = spawn(["taskset", "-c", PROXY_CORE, ...cmd], tree);
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
    if (proc.exitCode !== null) throw new Error(`sluice exited: ${stderr.text.slice(0, 500)}`);
    if (stderr.text.includes(") ready") && (await canConnect(port))) return { proc, stderr };
    if (Date.now() > end) throw new Error("sluice not ready after 15 s");
  }
}

async function stop(p: Running): Promise<void> {
  p.proc.kill("SIGTERM");
  if (!(await Promise.race([p.proc.exited.then(() => true), sleep(5000).then(() => false)]))) p.proc.kill("SIGKILL");
  await p.proc.exited;
}

interface Load { rps: number; p50: number; p99: number; errors: number }

async function load(c: CaseName, port: number, seconds: number): Promise<Load> {
  const url = `${c === "h2c" ? "http" : "https"}://127.0.0.1:${port}/small`;
  if (c === "https-keepalive") {
    const script = join(dir, "report.lua");
    writeFileSync(script, `done = function(s, latency, requests)
  io.write(string.format("\\nABJSON {\\"requests\\":%d,\\"us\\":%d,\\"errors\\":%d,\\"p50\\":%d,\\"p99\\":%d}\\n",
    s.requests, s.duration, s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`);
    const p = spawn(["taskset", "-c", LOAD_CORE, "wrk", "-t", "1", "-c", String(connections), "-d", `${seconds}s`, "--timeout", "5s", "--latency", "-s", script, url]);
    const out = await new Response(p.stdout).text();
    await p.exited;
    const m = out.match(/ABJSON (\{.*\})/);
    if (!m) throw new Error(`wrk gave no result: ${out.slice(0, 300)}`);
    const j = JSON.parse(m[1]!);
    return { rps: j.requests / (j.us / 1e6), p50: j.p50, p99: j.p99, errors: j.errors };
  }
  const logFile = join(dir, "h2load.log");
  rmSync(logFile, { force: true });
  const p = spawn(["taskset", "-c", LOAD_CORE, "h2load", "-t", "1", "-c", String(connections), "-m", "10", "-D", String(seconds), "--log-file", logFile, url]);
  const out = await new Response(p.stdout).text();
  await p.exited;
  const finished = out.match(/finished in ([\d.]+)(m?s),/);
  const reqs = out.match(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/);
  if (!finished || !reqs) throw new Error(`h2load gave no result: ${out.slice(0, 300)}`);
  const lat = readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t")).filter((f) => f[1] !== "-1").map((f) => Number(f[2])).sort((a, b) => a - b);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
  const secs = Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1);
  return { rps: Number(reqs[1]) / secs, p50: pct(0.5), p99: pct(0.99), errors: Number(reqs[2]) + Number(reqs[3]) + Number(reqs[4]) };
}

interface Run extends Load { cpu: number; sys: number; other: number }

async function measure(tree: string, c: CaseName, backendPort: number, cert: BenchCert): Promise<Run> {
  const port = await freePort();
  const p = await startSluice(tree, config(c, port, backendPort, cert), port);
  try {
    await load(c, port, warmup);
    const cpu0 = cpuTimes(p.proc.pid), bg0 = foreignCpuSeconds(), t0 = performance.now();
    const l = await load(c, port, duration);
    const secs = (performance.now() - t0) / 1000;
    const cpu1 = cpuTimes(p.proc.pid);
    const user = cpu1.user - cpu0.user, sys = cpu1.sys - cpu0.sys;
    return { ...l, cpu: (user + sys) / secs, sys: sys / (user + sys), other: (foreignCpuSeconds() - bg0) / secs };
  } finally {
    await stop(p);
  }
}

const cert = benchCert(dir, "ec");
const backendPort = await startNginx();
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

if (opts.profile !== undefined) {
  const out = resolve(opts.profile);
  for (const c of cases) {
    const port = await freePort();
    const p = await startSluice(root, config(c, port, backendPort, cert), port, ["--cpu-prof", `--cpu-prof-dir=${out}`, `--cpu-prof-name=${c}.cpuprofile`]);
    await load(c, port, warmup);
    const l = await load(c, port, duration);
    log(`${c}: ${Math.round(l.rps)} req/s under the profiler, p99 ${ms(l.p99)}`);
    await stop(p);
  }
  log(`profiles in ${out}: ${readdirSync(out).join(", ")}`);
  cleanup();
  process.exit(0);
}

if (opts.base === undefined) throw new Error("--base REV is required (or --profile DIR)");
const baseRev = run(["git", "-C", root, "rev-parse", "--short", `${opts.base}^{commit}`]).out;
const headRev = run(["git", "-C", root, "rev-parse", "--short", "HEAD"]).out;
const dirty = run(["git", "-C", root, "status", "--porcelain", "--", "src"]).out !== "";
const baseTree = join(dir, "base");
{
  const r = Bun.spawnSync(["sh", "-c", `mkdir -p "$3" && git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", root, baseRev, baseTree]);
  if (r.exitCode !== 0) throw new Error(`git archive ${baseRev}: ${r.stderr.toString()}`);
  symlinkSync(join(root, "node_modules"), join(baseTree, "node_modules"));
}
const trees = { A: baseTree, B: root };
const label = { A: `base ${baseRev}`, B: `new ${headRev}${dirty ? "+dirty" : ""}` };
const lines: string[] = [];
for (const c of cases) {
  const runs: { A: Run; B: Run }[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const);
    const got: Partial<Record<"A" | "B", Run>> = {};
    for (const v of order) {
      await waitQuiet(10);
      got[v] = await measure(trees[v], c, backendPort, cert);
      log(`${c} #${r + 1} ${label[v]}: ${Math.round(got[v]!.rps)} req/s, ${((got[v]!.cpu * 1e6) / got[v]!.rps).toFixed(1)} µs CPU/req, p99 ${ms(got[v]!.p99)}, cpu ${Math.round(got[v]!.cpu * 100)} % (${Math.round(got[v]!.sys * 100)} % of it in the kernel), other ${Math.round(got[v]!.other * 100)} %, errors ${got[v]!.errors}`);
    }
    runs.push(got as { A: Run; B: Run });
  }
  const ratios = runs.map((x) => x.B.rps / x.A.rps);
  const p99s = runs.map((x) => x.B.p99 / x.A.p99);
  // CPU time sluice spent per request: on a shared machine the steadier measure (others take wall time, not this).
  const usPer = (x: Run) => (x.cpu * 1e6) / x.rps;
  const costs = runs.map((x) => usPer(x.B) / usPer(x.A));
  lines.push(
    `### ${c} (${opts.runtime}): ${label.B} vs ${label.A}`,
    "",
    "| round | base req/s | new req/s | new/base | base p99 | new p99 | base CPU µs/req | new CPU µs/req | new/base CPU per req | other CPU (base, new) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...runs.map((x, i) => `| ${i + 1} | ${Math.round(x.A.rps)} | ${Math.round(x.B.rps)} | ${ratios[i]!.toFixed(2)} | ${ms(x.A.p99)} | ${ms(x.B.p99)} | ${usPer(x.A).toFixed(1)} | ${usPer(x.B).toFixed(1)} | ${costs[i]!.toFixed(2)} | ${Math.round(x.A.other * 100)} %, ${Math.round(x.B.other * 100)} % |`),
    "",
    `Median new/base: **${median(ratios).toFixed(2)}×** req/s (${ratios.map((x) => x.toFixed(2)).join(", ")}); CPU per request new/base **${median(costs).toFixed(2)}×** (${costs.map((x) => x.toFixed(2)).join(", ")}); p99 new/base ${median(p99s).toFixed(2)}×.`,
    "",
  );
}
cleanup();
const report = [`Run ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}: \`bun bench/h2-ab.ts ${Bun.argv.slice(2).join(" ")}\``, "", ...lines].join("\n");
console.log(report);
if (opts.out) writeFileSync(opts.out, report + "\n");
