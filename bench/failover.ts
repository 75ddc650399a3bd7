// The failover acceptance run (issue 14): three nginx servers behind sluice
// with `retries 3`, `option redispatch` and `retry-on conn-failure
// empty-response`, a bounded wrk load of idempotent GETs on loopback; one
// server is killed (SIGKILL) mid-run and started again later. The clients
// must see no error at all: wrk's non-2xx/3xx responses and socket errors
// must be 0. sluice's own log is counted too (statuses, termination states,
// retried requests, requests per server).
//
// Usage: bun bench/failover.ts [--target bun|deno|binary] [--duration S] [--connections N]
//                              [--kill-at S] [--restart-at S] [--check] [--retry-on CONDITIONS] [--out FILE] [--help]
//
// --retry-on replaces the backend's retry-on line (default "conn-failure
// empty-response"), for control runs.
// --check puts `check inter 500ms fall 2 rise 2` on the server lines (active
// health checks: the dead server leaves the rotation once checks find it
// DOWN, and fewer requests need a retry). Without it, retries alone must
// give 0 failures.
//
// Each nginx runs as one process (master_process off), so SIGKILL takes its
// listening socket with it, as a crashed server would. Everything listens on
// 127.0.0.1; the run is bounded by --duration.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");
const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    target: { type: "string", default: "bun" },
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "20" },
    "kill-at": { type: "string", default: "5" },
    "restart-at": { type: "string", default: "12" },
    check: { type: "boolean", default: false },
    "retry-on": { type: "string", default: "conn-failure empty-response" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  // The usage is this file's opening comment.
  const text = readFileSync(import.meta.path, "utf8");
  console.log(text.slice(0, text.indexOf("\nimport ")).replace(/^\/\/ ?/gm, ""));
  process.exit(0);
}
const duration = Number(opts.duration);
const killAt = Number(opts["kill-at"]);
const restartAt = Number(opts["restart-at"]);
const connections = Number(opts.connections);
if (!(duration > 0 && duration <= 120)) throw new Error("--duration must be 1..120 s");
if (!(killAt > 0 && restartAt > killAt && restartAt < duration)) throw new Error("need 0 < --kill-at < --restart-at < --duration");
if (!(connections > 0 && connections <= 200)) throw new Error("--connections must be 1..200");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => Promise<boolean>, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const work = mkdtempSync(join(tmpdir(), "sluice-failover-"));
const children = new Set<Bun.Subprocess>();
function track(p: Bun.Subprocess): Bun.Subprocess {
  children.add(p);
  p.exited.then(() => children.delete(p));
  return p;
}
function cleanup(): void {
  for (const p of children) p.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

// ---------------------------------------------------------------- nginx

interface Nginx {
  name: string;
  port: number;
  proc?: Bun.Subprocess;
}

function nginxConf(n: Nginx): string {
  const dir = join(work, n.name);
  mkdirSync(dir, { recursive: true });
  return `daemon off;
master_process off;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${n.port} reuseport;
    location / { default_type text/plain; return 200 "${n.name}\\n"; }
  }
}
`;
}

async function startNginx(n: Nginx): Promise<void> {
  const conf = join(work, n.name, "nginx.conf");
  writeFileSync(conf, nginxConf(n));
  n.proc = track(Bun.spawn(["nginx", "-p", join(work, n.name), "-c", conf], { stdout: "ignore", stderr: "ignore" }));
  await until(`nginx ${n.name}`, () => canConnect(n.port));
}

// ---------------------------------------------------------------- sluice

function sluiceConfig(port: number, servers: Nginx[], logFile: string): string {
  const check = opts.check ? " check inter 500ms fall 2 rise 2" : "";
  return `global
    maxconn 4096

defaults
    mode http
    log ${logFile}
    option httplog
    timeout connect 1s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    balance roundrobin
    retries 3
    option redispatch
    retry-on ${opts["retry-on"]}
${servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port}${check}`).join("\n")}
`;
}

function sluiceCommand(cfg: string): string[] {
  const bin = join(root, "node_modules/.bin");
  const main = join(root, "src/main.ts");
  if (opts.target === "bun") return [join(bin, "bun"), main, "-f", cfg];
  if (opts.target === "deno") return [join(bin, "deno"), "run", "-A", main, "-f", cfg];
  if (opts.target === "binary") return [join(root, "build/out/sluice"), "-f", cfg];
  throw new Error(`--target must be bun, deno or binary, got '${opts.target}'`);
}

// ---------------------------------------------------------------- the run

interface LogCounts {
  lines: number;
  byStatus: Record<string, number>;
  byTermination: Record<string, number>;
  byServer: Record<string, number>;
  retried: number;
  retriesTotal: number;
}

/** HAProxy's httplog: … fe be/srv Tq/Tw/Tc/Tr/Ta status bytes - - TERM act/fe/be/srv/retries q/q "…". */
function countLog(text: string): LogCounts {
  const c: LogCounts = { lines: 0, byStatus: {}, byTermination: {}, byServer: {}, retried: 0, retriesTotal: 0 };
  const re = / be\/(\S+) \S+ (\d+) \d+ \S+ \S+ (\S{4}) \d+\/\d+\/\d+\/\d+\/\+?(\d+) /;
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (m === null) continue;
    c.lines++;
    const [, server, status, term, retries] = m as unknown as [string, string, string, string, string];
    c.byServer[server] = (c.byServer[server] ?? 0) + 1;
    c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
    c.byTermination[term] = (c.byTermination[term] ?? 0) + 1;
    if (Number(retries) > 0) {
      c.retried++;
      c.retriesTotal += Number(retries);
    }
  }
  return c;
}

function wrkNumbers(out: string) {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: sockets ? { connect: +sockets[1]!, read: +sockets[2]!, write: +sockets[3]!, timeout: +sockets[4]! } : { connect: 0, read: 0, write: 0, timeout: 0 },
    latency: /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out)?.slice(1, 4).join(" / ") ?? "?",
    p99: /99%\s+(\S+)/.exec(out)?.[1] ?? "?",
  };
}

async function main(): Promise<void> {
  const servers: Nginx[] = [];
  for (const name of ["web1", "web2", "web3"]) servers.push({ name, port: await freePort() });
  for (const s of servers) await startNginx(s);
  const port = await freePort();
  const logFile = join(work, "sluice.log");
  const cfg = join(work, "sluice.cfg");
  writeFileSync(cfg, sluiceConfig(port, servers, logFile));
  const stderr: string[] = [];
  const sluice = track(Bun.spawn(sluiceCommand(cfg), { stdout: "ignore", stderr: "pipe", cwd: root }));
  (async () => {
    const reader = (sluice.stderr as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) stderr.push(decoder.decode(r.value));
  })();
  await until("sluice", async () => {
    if (sluice.exitCode !== null) throw new Error(`sluice exited: ${stderr.join("")}`);
    return stderr.join("").includes(") ready") && (await canConnect(port));
  }, 15000);

  const events: string[] = [];
  const t0 = performance.now();
  const wrk = track(Bun.spawn(["wrk", "-t1", `-c${connections}`, `-d${duration}s`, "--latency", `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" }));
  const victim = servers[1]!;
  await sleep(killAt * 1000);
  victim.proc!.kill("SIGKILL");
  await victim.proc!.exited;
  events.push(`${elapsed(t0)} s: ${victim.name} killed (SIGKILL)`);
  await sleep(restartAt * 1000 - (performance.now() - t0));
  await startNginx(victim);
  events.push(`${elapsed(t0)} s: ${victim.name} listening again`);
  const wrkOut = await new Response(wrk.stdout as ReadableStream).text();
  await wrk.exited;
  events.push(`${elapsed(t0)} s: wrk done`);

  sluice.kill("SIGTERM");
  await Promise.race([sluice.exited, sleep(5000)]);
  const log = countLog(readFileSync(logFile, "utf8"));
  const w = wrkNumbers(wrkOut);
  const errors = w.non2xx + w.socketErrors.connect + w.socketErrors.read + w.socketErrors.write + w.socketErrors.timeout;
  const rev = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root }).stdout.toString().trim();
  const report = `# Failover: one of three servers killed and restarted under load

- sluice ${rev} on ${opts.target}; ${new Date().toISOString()}; \`bun bench/failover.ts ${Bun.argv.slice(2).join(" ")}\`
- backend: 3 nginx (one process each), \`balance roundrobin\`, \`retries 3\`, \`option redispatch\`,
  \`retry-on ${opts["retry-on"]}\`, health checks ${opts.check ? "on (`check inter 500ms fall 2 rise 2`)" : "off (retries alone)"}
- load: \`wrk -t1 -c${connections} -d${duration}s\`, idempotent GETs, keep-alive, loopback
- ${events.join("; ")}

| | |
|---|---|
| requests (wrk) | ${w.requests} (${w.rps} req/s) |
| **non-2xx/3xx responses** | **${w.non2xx}** |
| **socket errors** (connect/read/write/timeout) | **${w.socketErrors.connect}/${w.socketErrors.read}/${w.socketErrors.write}/${w.socketErrors.timeout}** |
| latency avg / stdev / max | ${w.latency} (p99 ${w.p99}) |
| sluice log lines | ${log.lines} |
| by status | ${JSON.stringify(log.byStatus)} |
| by termination state | ${JSON.stringify(log.byTermination)} |
| by server | ${JSON.stringify(log.byServer)} |
| requests retried (retries > 0) | ${log.retried} (${log.retriesTotal} retries in all) |

Result: ${errors === 0 ? "**0 failed requests**" : `**${errors} failed requests**`}.

<details><summary>wrk output</summary>

\`\`\`
${wrkOut.trim()}
\`\`\`
</details>
`;
  console.log(report);
  if (opts.out) writeFileSync(resolve(opts.out), report);
  cleanup();
  process.exit(errors === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  cleanup();
  process.exit(2);
});
