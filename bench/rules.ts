// What rules cost, side by side with HAProxy (issue 15): the same small
// keep-alive load (wrk, GET 13 bytes from one nginx) through three versions
// of one haproxy.cfg, run on HAProxy 2.6 (`nbthread 1`) and on sluice:
//
//   none        no rules (the reference row)
//   rules       20 ACL-guarded http-request rules (none matches the load's
//               requests, as most rules of an edge node do not) and 5
//               use_backend lines (the last one matches: every request walks
//               them all), 6 backends on the same nginx
//   rate-limit  a per-address request rate: stick-table, track-sc0 src and a
//               deny above a limit the load never reaches
//
// The claim to check: sluice's req/s ratio to HAProxy on `rules` and on
// `rate-limit` is no lower than on `none` by more than 5 %. Rounds are
// paired (each round runs every row on both proxies back to back) and the
// ratios are medians of the per-round ratios.
//
// Each run also reads the proxy's own CPU time (/proc/PID/stat) over the
// measured seconds: CPU per request. Each proxy runs alone on its core and
// at 100 % of it, so its req/s capacity is the inverse of its CPU per
// request; but wrk and nginx share the other core, and when they are the
// bottleneck (HAProxy is fast) req/s says more about them than about the
// proxy. The efficiency ratio (HAProxy's CPU per request / sluice's) is the
// capacity ratio without that ceiling, and varies less between rounds.
//
// Usage: bun bench/rules.ts [--repeat N] [--duration S] [--runtime bun|deno] [--out FILE]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type RuleRow, ruleRowLines } from "./rule-rows.ts";
import {
  BUN, CASES, cpuSeconds, DENO, foreignCpuSeconds, freePort, launchProxy, log, median, PROXY_CORE, root, runWrk, startNginx, stopProxy, waitQuiet,
  wrkCommand, wrkScript,
} from "./harness.ts";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    repeat: { type: "string", default: "3" },
    duration: { type: "string", default: "5" },
    runtime: { type: "string", default: "bun" },
    out: { type: "string" },
  },
});
const REPEAT = Number(opts.repeat);
const SECONDS = Number(opts.duration);
const RUNTIME = opts.runtime === "deno" ? "deno" : "bun";
const SMALL = CASES.find((c) => c.name === "small-keepalive")!;

const ROWS: RuleRow[] = ["none", "rules", "rate-limit"];
type Row = RuleRow;

function config(row: Row, port: number, nginx: number, haproxy: boolean): string {
  const { fe, backends } = ruleRowLines(row);
  return `global
    maxconn 4000
${haproxy ? "    nbthread 1\n" : ""}
defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:${port}
${fe.map((l) => `    ${l}`).join("\n")}
    default_backend be
${backends.map((b) => `
backend ${b}
    server n1 127.0.0.1:${nginx}`).join("\n")}
`;
}

interface Result { rps: number; p99: number; cpuPerRequestUs: number }

async function measure(row: Row, proxy: "haproxy" | "sluice", work: string, nginx: number): Promise<Result> {
  const port = await freePort();
  const file = join(work, `${row}-${proxy}.cfg`);
  writeFileSync(file, config(row, port, nginx, proxy === "haproxy"));
  const cmd = proxy === "haproxy"
    ? ["taskset", "-c", PROXY_CORE, "haproxy", "-f", file]
    : RUNTIME === "bun"
    ? ["taskset", "-c", PROXY_CORE, BUN, join(root, "src/main.ts"), "-f", file]
    : ["taskset", "-c", PROXY_CORE, DENO, "run", "-A", join(root, "src/main.ts"), "-f", file];
  const running = await launchProxy(cmd, port, proxy === "sluice");
  try {
    const script = wrkScript(work, SMALL);
    await runWrk(wrkCommand(SMALL, script, port, 2, 50), 2); // warm-up
    await waitQuiet(10);
    const before = foreignCpuSeconds();
    const cpuBefore = cpuSeconds(running.pid) ?? NaN;
    const r = await runWrk(wrkCommand(SMALL, script, port, SECONDS, 50), SECONDS);
    const cpu = (cpuSeconds(running.pid) ?? NaN) - cpuBefore;
    const other = (foreignCpuSeconds() - before) / SECONDS;
    if (r.status > 0 || r.connect + r.read + r.write + r.timeout > 0) throw new Error(`${row} ${proxy}: errors ${JSON.stringify(r)}`);
    const rps = r.requests / (r.durationUs / 1e6);
    const cpuPerRequestUs = (cpu / r.requests) * 1e6;
    log(`${row} ${proxy}: ${Math.round(rps)} req/s, p99 ${(r.p99 / 1000).toFixed(2)} ms, ${cpuPerRequestUs.toFixed(2)} µs CPU/request (${Math.round((cpu / SECONDS) * 100)} % of its core), other processes ${Math.round(other * 100)} % of a core`);
    return { rps, p99: r.p99, cpuPerRequestUs };
  } finally {
    await stopProxy(running);
  }
}

const work = mkdtempSync(join(tmpdir(), "sluice-bench-rules-"));
const nginx = await startNginx(work);
const ratios: Record<Row, number[]> = { none: [], rules: [], "rate-limit": [] };
/** HAProxy's CPU per request / sluice's, per round: the capacity ratio without the load generator's ceiling. */
const efficiency: Record<Row, number[]> = { none: [], rules: [], "rate-limit": [] };
const runs: Record<Row, { haproxy: Result[]; sluice: Result[] }> = {
  none: { haproxy: [], sluice: [] },
  rules: { haproxy: [], sluice: [] },
  "rate-limit": { haproxy: [], sluice: [] },
};
try {
  for (let round = 0; round < REPEAT; round++) {
    for (const row of ROWS) {
      const h = await measure(row, "haproxy", work, nginx.port);
      const s = await measure(row, "sluice", work, nginx.port);
      runs[row].haproxy.push(h);
      runs[row].sluice.push(s);
      ratios[row].push(s.rps / h.rps);
      efficiency[row].push(h.cpuPerRequestUs / s.cpuPerRequestUs);
    }
  }
} finally {
  nginx.proc.kill("SIGTERM");
  await nginx.proc.exited;
  rmSync(work, { recursive: true, force: true });
}

const ref = median(ratios.none);
const refEfficiency = median(efficiency.none);
/** Per round: a row's ratio against the same round's rule-less ratio (pairs rounds, so slow rounds cancel). */
const pairedChange = (xs: Record<Row, number[]>, row: Row) => median(xs[row].map((x, i) => x / xs.none[i]!)) - 1;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const lines = [
  `## Rules: sluice (${RUNTIME}) vs HAProxy, small keep-alive`,
  "",
  `\`bun bench/rules.ts --repeat ${REPEAT} --duration ${SECONDS} --runtime ${RUNTIME}\`, ${new Date().toISOString()}; ${REPEAT} paired rounds of ${SECONDS} s, wrk -c 50 on core 1 with nginx, each proxy alone on core 0.`,
  "",
  "| row | HAProxy req/s (median) | sluice req/s (median) | paired ratio (median) | ratios of the rounds | vs the rule-less ratio |",
  "|---|---:|---:|---:|---|---:|",
  ...ROWS.map((row) => {
    const r = median(ratios[row]);
    const change = row === "none" ? "—" : `${((r / ref - 1) * 100).toFixed(1)} %`;
    return `| ${row} | ${Math.round(median(runs[row].haproxy.map((x) => x.rps)))} | ${Math.round(median(runs[row].sluice.map((x) => x.rps)))} | ${r.toFixed(3)} | ${ratios[row].map((x) => x.toFixed(3)).join(", ")} | ${change} |`;
  }),
  "",
  "CPU per request (each proxy's own CPU time over the measured seconds / requests); efficiency = HAProxy's µs / sluice's µs, the capacity ratio without wrk's and nginx's ceiling:",
  "",
  "| row | HAProxy µs/req (median) | sluice µs/req (median) | efficiency (median) | efficiencies of the rounds | vs the rule-less efficiency (medians) | same, per round then median |",
  "|---|---:|---:|---:|---|---:|---:|",
  ...ROWS.map((row) => {
    const e = median(efficiency[row]);
    const vs = row === "none" ? "—" : pct(e / refEfficiency - 1);
    const paired = row === "none" ? "—" : pct(pairedChange(efficiency, row));
    return `| ${row} | ${median(runs[row].haproxy.map((x) => x.cpuPerRequestUs)).toFixed(2)} | ${median(runs[row].sluice.map((x) => x.cpuPerRequestUs)).toFixed(2)} | ${e.toFixed(3)} | ${efficiency[row].map((x) => x.toFixed(3)).join(", ")} | ${vs} | ${paired} |`;
  }),
];
const text = lines.join("\n") + "\n";
console.log(text);
writeFileSync(opts.out ?? join(root, "bench/results/rules-latest.md"), text);
