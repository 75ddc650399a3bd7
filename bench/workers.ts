// Scaling with cores (issue 16): sluice with 1 and 2 workers (`global
// master-worker`, `workers N`) beside HAProxy 2.6 with `nbthread 1` and
// `nbthread 2`, the same haproxy.cfg otherwise, small keep-alive requests
// (wrk -c 100) to one nginx.
//
// The machine has 2 cores and the load tool and nginx share core 1 with
// whatever the proxy puts there: two workers do not get two free cores, and
// the figures are ratios (sluice / HAProxy at the same worker or thread
// count), not a claim of linear scaling. CPU per request counts every process
// of the proxy (master and workers).
//
// Usage: bun bench/workers.ts [--repeat N] [--duration S] [--out FILE]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  BUN, CASES, foreignCpuSeconds, freePort, launchProxy, log, median, root, runWrk, sleep, startNginx, stopProxy,
  treeCpuSeconds, waitQuiet, wrkCommand, wrkScript,
} from "./harness.ts";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    repeat: { type: "string", default: "3" },
    duration: { type: "string", default: "5" },
    out: { type: "string" },
  },
});
const REPEAT = Number(opts.repeat);
const SECONDS = Number(opts.duration);
const SMALL = CASES.find((c) => c.name === "small-keepalive")!;
const COUNTS = [1, 2] as const;

function config(port: number, nginx: number, proxy: "haproxy" | "sluice", n: number): string {
  const global = proxy === "haproxy" ? `    nbthread ${n}` : `    master-worker\n    workers ${n}`;
  return `global
    maxconn 4000
${global}

defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    server n1 127.0.0.1:${nginx}
`;
}

interface Result { rps: number; p99: number; cpuPerRequestUs: number }

async function measure(proxy: "haproxy" | "sluice", n: number, work: string, nginx: number): Promise<Result> {
  const port = await freePort();
  const file = join(work, `${proxy}-${n}.cfg`);
  writeFileSync(file, config(port, nginx, proxy, n));
  const cmd = proxy === "haproxy" ? ["haproxy", "-f", file] : [BUN, join(root, "src/main.ts"), "-f", file];
  const running = await launchProxy(cmd, port, false);
  try {
    await sleep(1000); // every worker listening
    const script = wrkScript(work, SMALL);
    await runWrk(wrkCommand(SMALL, script, port, 2, 100), 2);
    await waitQuiet(10);
    const cpuBefore = treeCpuSeconds(running.pid);
    const foreign = foreignCpuSeconds();
    const r = await runWrk(wrkCommand(SMALL, script, port, SECONDS, 100), SECONDS);
    const cpu = treeCpuSeconds(running.pid) - cpuBefore;
    const other = (foreignCpuSeconds() - foreign) / SECONDS;
    if (r.status > 0 || r.connect + r.read + r.write + r.timeout > 0) throw new Error(`${proxy} ×${n}: errors ${JSON.stringify(r)}`);
    const rps = r.requests / (r.durationUs / 1e6);
    const cpuPerRequestUs = (cpu / r.requests) * 1e6;
    log(`${proxy} ×${n}: ${Math.round(rps)} req/s, p99 ${(r.p99 / 1000).toFixed(2)} ms, ${cpuPerRequestUs.toFixed(2)} µs CPU/request, ${Math.round((cpu / SECONDS) * 100)} % CPU, other ${Math.round(other * 100)} %`);
    return { rps, p99: r.p99, cpuPerRequestUs };
  } finally {
    await stopProxy(running);
  }
}

const work = mkdtempSync(join(tmpdir(), "sluice-bench-workers-"));
const nginx = await startNginx(work);
const runs = new Map<string, Result[]>();
const ratios = new Map<number, number[]>();
try {
  for (let round = 0; round < REPEAT; round++) {
    for (const n of COUNTS) {
      const h = await measure("haproxy", n, work, nginx.port);
      const s = await measure("sluice", n, work, nginx.port);
      for (const [k, v] of [[`haproxy-${n}`, h], [`sluice-${n}`, s]] as const) runs.set(k, [...(runs.get(k) ?? []), v]);
      ratios.set(n, [...(ratios.get(n) ?? []), s.rps / h.rps]);
    }
  }
} finally {
  nginx.proc.kill("SIGTERM");
  await nginx.proc.exited;
  rmSync(work, { recursive: true, force: true });
}

const med = (k: string, f: (r: Result) => number) => median((runs.get(k) ?? []).map(f));
const lines = [
  "## Workers: sluice (Bun, master-worker) vs HAProxy (nbthread), small keep-alive",
  "",
  `\`bun bench/workers.ts --repeat ${REPEAT} --duration ${SECONDS}\`, ${new Date().toISOString()}; wrk -c 100 and nginx on core 1, the proxy unpinned (2 cores in all).`,
  "",
  "| workers / threads | HAProxy req/s | sluice req/s | paired ratio (median) | ratios of the rounds | HAProxy p99 | sluice p99 | HAProxy µs CPU/req | sluice µs CPU/req | sluice ×2 / ×1 | HAProxy ×2 / ×1 |",
  "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
  ...COUNTS.map((n) => {
    const scale = (p: string) => (n === 1 ? "—" : (med(`${p}-2`, (r) => r.rps) / med(`${p}-1`, (r) => r.rps)).toFixed(2) + "×");
    return `| ${n} | ${Math.round(med(`haproxy-${n}`, (r) => r.rps))} | ${Math.round(med(`sluice-${n}`, (r) => r.rps))} | ${median(ratios.get(n)!).toFixed(3)} | ${ratios.get(n)!.map((x) => x.toFixed(3)).join(", ")} | ${(med(`haproxy-${n}`, (r) => r.p99) / 1000).toFixed(2)} ms | ${(med(`sluice-${n}`, (r) => r.p99) / 1000).toFixed(2)} ms | ${med(`haproxy-${n}`, (r) => r.cpuPerRequestUs).toFixed(2)} | ${med(`sluice-${n}`, (r) => r.cpuPerRequestUs).toFixed(2)} | ${scale("sluice")} | ${scale("haproxy")} |`;
  }),
];
const text = lines.join("\n") + "\n";
console.log(text);
writeFileSync(opts.out ?? join(root, "bench/results/workers-latest.md"), text);
