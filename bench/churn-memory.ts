// What a connection costs (issue 18), measured in ways that hold on a shared
// machine: memory and CPU time, not wall-clock req/s. One nginx backend; each
// proxy (HAProxy 2.6 `nbthread 1`, sluice under Bun, under Deno, the compiled
// binary, and the runtimes' raw floors) started fresh for each phase from the
// same generated haproxy.cfg, pinned as bench/run.ts pins them:
//
//   churn      wrk -H "Connection: close" (a new connection per request) for
//              --duration s: peak RSS (VmHWM of the fresh process, and the
//              highest 50 ms sample), RSS after, CPU µs per request (the
//              proxy's utime + stime over the run / requests), req/s and p99
//   keepalive  the same small GET, keep-alive (CPU per request: must not regress)
//   16k        a 16 KiB body, keep-alive
//   idle       --idle-conns keep-alive client connections, each after one GET,
//              left idle: (RSS with them − RSS before) / count
//
// The raw floors: `bun-raw` / `deno-raw` run bench/raw-forwarder.ts for the
// load phases and bench/raw-answer.ts (a listener answering a fixed response,
// holding the socket) for the idle phase.
//
// Usage: bun bench/churn-memory.ts [--proxy haproxy,bun,deno,binary,bun-raw,deno-raw]
//   [--phase churn,keepalive,16k,idle] [--duration S] [--connections N] [--idle-conns N]
//   [--bun-flags "--smol"] [--deno-flags "--v8-flags=..."] [--env K=V,K=V] [--rev GIT-REV] [--out FILE]
// --rev: sluice as committed at GIT-REV (git archive into a temp dir), else the working tree.
// Bounded: every load is one wrk run of S seconds on 127.0.0.1; connections
// are opened 200 at a time and all closed at the end.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  BUN, CASES, DENO, fmtBytes, freePort, launchProxy, LOAD_CORE, log, PROXY_CORE, readStatus, renderCfg, root, run, runWrk,
  type Running, sleep, startNginx, stopProxy, treeCpuSeconds, wrkCommand, wrkScript,
} from "./harness.ts";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    proxy: { type: "string", default: "haproxy,bun,deno" },
    phase: { type: "string", default: "churn,keepalive,16k,idle" },
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "50" },
    "idle-conns": { type: "string", default: "9900" },
    "bun-flags": { type: "string", default: "" },
    "deno-flags": { type: "string", default: "" },
    env: { type: "string", default: "" },
    rev: { type: "string" },
    out: { type: "string" },
  },
});
type ProxyId = "haproxy" | "bun" | "deno" | "binary" | "bun-raw" | "deno-raw";
type PhaseId = "churn" | "keepalive" | "16k" | "idle";
const LABEL: Record<ProxyId, string> = {
  haproxy: "HAProxy", bun: "sluice (Bun)", deno: "sluice (Deno)", binary: "sluice (binary)", "bun-raw": "raw Bun", "deno-raw": "raw Deno",
};
const proxies = opts.proxy!.split(",") as ProxyId[];
for (const p of proxies) if (!(p in LABEL)) throw new Error(`unknown proxy '${p}' (${Object.keys(LABEL).join(", ")})`);
const phases = opts.phase!.split(",") as PhaseId[];
for (const p of phases) if (!["churn", "keepalive", "16k", "idle"].includes(p)) throw new Error(`unknown phase '${p}'`);
const duration = Number(opts.duration);
if (!(duration >= 1 && duration <= 60)) throw new Error("--duration: 1 to 60 s");
const connections = Number(opts.connections);
const idleConns = Number(opts["idle-conns"]);
const hardLimit = Number(run(["sh", "-c", "ulimit -Hn"]).out.trim());
if (phases.includes("idle") && hardLimit < 2 * idleConns + 150) throw new Error(`ulimit -Hn is ${hardLimit}: --idle-conns ${idleConns} needs ${2 * idleConns + 150} (HAProxy takes two per connection)`);
const words = (s: string) => s.split(" ").filter(Boolean);
const envPairs = opts.env!.split(",").filter(Boolean);

const work = mkdtempSync(join(tmpdir(), "sluice-churn-"));
let srcRoot = root;
if (opts.rev !== undefined) {
  srcRoot = join(work, "rev");
  mkdirSync(srcRoot);
  const tar = run(["sh", "-c", `git -C ${root} archive ${opts.rev} | tar -x -C ${srcRoot}`]);
  if (!tar.ok) throw new Error(`git archive ${opts.rev}: ${tar.out}`);
  symlinkSync(join(root, "node_modules"), join(srcRoot, "node_modules"));
}
const MAIN = join(srcRoot, "src/main.ts");

function command(id: ProxyId, cfg: string, phase: PhaseId): string[] {
  const pin = ["taskset", "-c", PROXY_CORE];
  const env = envPairs.length ? ["env", ...envPairs] : [];
  const rawScript = join(root, phase === "idle" ? "bench/raw-answer.ts" : "bench/raw-forwarder.ts");
  // Raise the descriptor limit to the hard one (idle phase), then run.
  const sh = ["sh", "-c", `ulimit -n ${hardLimit} && exec "$@"`, "sh"];
  switch (id) {
    case "haproxy": return [...pin, ...sh, "haproxy", "-db", "-f", cfg];
    case "bun": return [...pin, ...sh, ...env, BUN, ...words(opts["bun-flags"]!), MAIN, "-f", cfg];
    case "binary": return [...pin, ...sh, ...env, join(srcRoot, "build/out/sluice"), "-f", cfg];
    case "deno": return [...pin, ...sh, ...env, DENO, "run", "-A", ...words(opts["deno-flags"]!), MAIN, "-f", cfg];
    case "bun-raw": return [...pin, ...sh, BUN, ...words(opts["bun-flags"]!), rawScript, "-f", cfg];
    case "deno-raw": return [...pin, ...sh, DENO, "run", "-A", ...words(opts["deno-flags"]!), rawScript, "-f", cfg];
  }
}

/** The process that holds the sockets: below taskset/sh/env, the exec'd program has the same pid. */
const rss = (pid: number) => readStatus(pid, "VmRSS") ?? NaN;

async function start(id: ProxyId, phase: PhaseId, backendPort: number): Promise<Running> {
  const port = await freePort();
  // HAProxy wants two descriptors per connection (maxsock = 2 × maxconn + a few) within the hard limit.
  const maxconn = phase === "idle" ? idleConns + 50 : 4096;
  const text = renderCfg({
    mode: "http",
    maxconn,
    hardStopAfter: "1s",
    timeouts: { connect: "5s", client: "10m", server: "30s" },
    frontend: { name: "fe", bind: `127.0.0.1:${port}` },
    backend: { name: "be", balance: "roundrobin", servers: [{ name: "nginx", address: `127.0.0.1:${backendPort}` }] },
  }, id === "haproxy" ? "haproxy" : "sluice").replace(/^global\n/, `global\n${id === "haproxy" ? `    ulimit-n ${hardLimit}\n` : ""}`);
  const cfg = join(work, `${id}-${phase}.cfg`);
  writeFileSync(cfg, text);
  const running = await launchProxy(command(id, cfg, phase), port, id !== "haproxy");
  await sleep(500);
  return running;
}

interface LoadRow { requests: number; reqPerS: number; p99Ms: number; cpuUsPerReq: number; hwm: number; peak: number; after: number; base: number; errors: number }

async function load(p: Running, phase: Exclude<PhaseId, "idle">): Promise<LoadRow> {
  const c = CASES.find((k) => k.name === (phase === "churn" ? "new-conn" : phase === "keepalive" ? "small-keepalive" : "16k-body"))!;
  const base = rss(p.pid);
  const cmd = wrkCommand(c, wrkScript(work, c), p.port, duration, connections);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(p.pid))), 50);
  const cpu0 = treeCpuSeconds(p.pid);
  const r = await runWrk(cmd, duration);
  const cpu1 = treeCpuSeconds(p.pid);
  clearInterval(sampler);
  const hwm = readStatus(p.pid, "VmHWM") ?? NaN;
  await sleep(2000);
  return {
    requests: r.requests,
    reqPerS: r.requests / (r.durationUs / 1e6),
    p99Ms: r.p99 / 1000,
    cpuUsPerReq: ((cpu1 - cpu0) * 1e6) / r.requests,
    hwm,
    peak,
    after: rss(p.pid),
    base,
    errors: r.connect + r.read + r.write + r.status + r.timeout,
  };
}

const REQUEST = Buffer.from("GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

/** One keep-alive connection, after one GET answered; resolves once the whole response came. */
function openIdle(port: number): Promise<net.Socket> {
  return new Promise((resolveConn, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => (sock.destroy(), reject(new Error("no response in 10 s"))), 10000);
    let got = "";
    sock.once("error", (e) => (clearTimeout(timer), reject(e)));
    sock.once("connect", () => sock.write(REQUEST));
    const onData = (b: Buffer) => {
      got += b.toString("latin1");
      if (!got.endsWith("Hello, world\n")) return;
      sock.off("data", onData);
      clearTimeout(timer);
      resolveConn(sock);
    };
    sock.on("data", onData);
  });
}

interface IdleRow { base: number; loaded: number; open: number; perConn: number }

async function idle(p: Running): Promise<IdleRow> {
  await sleep(1000);
  const base = rss(p.pid);
  const socks: net.Socket[] = [];
  try {
    for (let done = 0; done < idleConns;) {
      const batch = Math.min(200, idleConns - done);
      const opened = await Promise.all(Array.from({ length: batch }, () => openIdle(p.port)));
      for (const s of opened) s.on("error", () => {});
      socks.push(...opened);
      done += batch;
    }
    await sleep(3000);
    const open = socks.filter((s) => !s.destroyed && s.readyState === "open").length;
    const loaded = rss(p.pid);
    return { base, loaded, open, perConn: (loaded - base) / idleConns };
  } finally {
    for (const s of socks) s.destroy();
  }
}

const started = new Date();
const backend = await startNginx(work);
const loadRows = new Map<string, LoadRow>();
const idleRows = new Map<string, IdleRow>();
try {
  for (const phase of phases) {
    for (const id of proxies) {
      const p = await start(id, phase, backend.port);
      try {
        if (phase === "idle") {
          const r = await idle(p);
          idleRows.set(id, r);
          log(`idle ${LABEL[id]}: ${(r.perConn / 1024).toFixed(1)} KiB per connection (${r.open}/${idleConns} open; RSS ${fmtBytes(r.base)} → ${fmtBytes(r.loaded)})`);
        } else {
          const r = await load(p, phase);
          loadRows.set(`${phase}/${id}`, r);
          log(`${phase} ${LABEL[id]}: ${(r.reqPerS / 1000).toFixed(1)} k req/s, p99 ${r.p99Ms.toFixed(2)} ms, ${r.cpuUsPerReq.toFixed(1)} µs CPU/req, RSS ${fmtBytes(r.base)} → peak ${fmtBytes(Math.max(r.peak, r.hwm))} → ${fmtBytes(r.after)} after${r.errors ? `, ${r.errors} errors` : ""}`);
        }
      } finally {
        await stopProxy(p);
      }
    }
  }
} finally {
  backend.proc.kill("SIGTERM");
  await backend.proc.exited;
  rmSync(work, { recursive: true, force: true });
}

const mib = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const lines = [
  `## Connection cost: memory and CPU per request`,
  "",
  `Run ${started.toISOString().replace(/\.\d+Z$/, "Z")}: \`bun bench/churn-memory.ts ${Bun.argv.slice(2).join(" ")}\`, commit ${run(["git", "-C", root, "rev-parse", "--short", opts.rev ?? "HEAD"]).out.trim()}; proxy on core ${PROXY_CORE}, wrk (\`-t 1 -c ${connections} -d ${duration}s\`) and nginx on core ${LOAD_CORE}. req/s and p99 from a shared machine: indicative only.`,
  "",
];
for (const phase of phases.filter((p) => p !== "idle")) {
  lines.push(`### ${phase}`, "", "| proxy | req/s | p99 | CPU µs/request | RSS before | peak RSS | RSS after |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const id of proxies) {
    const r = loadRows.get(`${phase}/${id}`);
    if (r) lines.push(`| ${LABEL[id]} | ${(r.reqPerS / 1000).toFixed(1)} k | ${r.p99Ms.toFixed(2)} ms | ${r.cpuUsPerReq.toFixed(1)} | ${mib(r.base)} | ${mib(Math.max(r.peak, r.hwm))} | ${mib(r.after)} |`);
  }
  lines.push("");
}
if (phases.includes("idle")) {
  lines.push(`### idle keep-alive connections (${idleConns}, one GET each)`, "", "| proxy | RSS before | RSS with them | per connection | open |", "|---|---:|---:|---:|---:|");
  for (const id of proxies) {
    const r = idleRows.get(id);
    if (r) lines.push(`| ${LABEL[id]} | ${mib(r.base)} | ${mib(r.loaded)} | ${(r.perConn / 1024).toFixed(2)} KiB | ${r.open}/${idleConns} |`);
  }
  lines.push("");
}
const report = lines.join("\n");
console.log(report);
const outFile = resolve(opts.out ?? join(root, "bench/results/churn-memory-latest.md"));
writeFileSync(outFile, report);
log(`written to ${outFile}`);
