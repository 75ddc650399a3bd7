// What the benchmarks in this folder share: the nginx backend, the generated
// haproxy.cfg, starting and stopping a proxy, wrk, CPU accounting of the
// proxy and of the other processes on the (shared, 2-core) machine. Each
// benchmark file is the script; this module only defines things.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dir, "..");
export const BUN = join(root, "node_modules/.bin/bun");
export const DENO = join(root, "node_modules/.bin/deno");
export const PROXY_CORE = "0";
export const LOAD_CORE = "1";

export interface Case {
  name: string;
  what: string;
  path: string;
  method: "GET" | "POST";
  uploadBytes?: number;
  connectionClose?: boolean;
  /** Body bytes every response must carry (checked against wrk's byte count). */
  responseBody: number;
}

export const SMALL = "Hello, world\n";
export const CASES: Case[] = [
  { name: "small-keepalive", what: `GET 13-byte body, keep-alive`, path: "/small", method: "GET", responseBody: SMALL.length },
  { name: "16k-body", what: "GET 16 KiB body, keep-alive", path: "/16k", method: "GET", responseBody: 16 * 1024 },
  { name: "1m-body", what: "GET 1 MiB body, keep-alive", path: "/1m", method: "GET", responseBody: 1024 * 1024 },
  { name: "new-conn", what: "GET 13-byte body, `Connection: close` (a new connection per request)", path: "/small", method: "GET", connectionClose: true, responseBody: SMALL.length },
  { name: "upload-1m", what: "POST 1 MiB body (nginx reads it all before answering 3 bytes), keep-alive", path: "/upload", method: "POST", uploadBytes: 1024 * 1024, responseBody: 3 },
];

// ---------------------------------------------------------------- helpers

/** Children alive right now (proxy, wrk), killed on SIGINT/SIGTERM. */
export const live = new Set<Bun.Subprocess>();
export function track<T extends Bun.Subprocess>(proc: T): T {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (msg: string) => console.error(`[bench] ${msg}`);

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export async function canConnect(port: number): Promise<boolean> {
  try {
    const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    sock.end();
    return true;
  } catch {
    return false;
  }
}

/** Reads a child's stream to the end, keeping the text (so that a pipe never fills). */
export function drain(stream: ReadableStream<Uint8Array> | number | undefined | null, sink: { text: string }): Promise<void> {
  if (!stream || typeof stream === "number") return Promise.resolve();
  return (async () => {
    const dec = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (sink.text.length < 1 << 20) sink.text += dec.decode(value, { stream: true });
    }
  })().catch(() => {});
}

export function run(cmd: string[]): { ok: boolean; out: string } {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return { ok: r.exitCode === 0, out: (r.stdout.toString() + r.stderr.toString()).trim() };
  } catch (e) {
    return { ok: false, out: String(e) };
  }
}

export function readStatus(pid: number, key: string): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const CLK_TCK = Number(run(["getconf", "CLK_TCK"]).out) || 100;
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by processes that are not ours (not this harness or
 * its descendants: proxy, nginx, wrk) and not kernel threads. The difference
 * over a run is the background load that competed with the benchmark (the
 * machine has 2 cores and other people's tests may be running). Children that
 * a foreign process reaps count through its cutime/cstime.
 */
export function foreignCpuSeconds(): number {
  const procs = processTable();
  let ticks = 0;
  for (const [pid, p] of procs) {
    if (pid === 2 || p.ppid === 2) continue;
    if (!descends(procs, pid, process.pid)) ticks += p.ticks + p.childTicks;
  }
  return ticks / CLK_TCK;
}

/** CPU seconds used so far by `pid` and every process below it (a master and its workers). */
export function treeCpuSeconds(pid: number): number {
  const procs = processTable();
  let ticks = 0;
  for (const [p, info] of procs) if (descends(procs, p, pid)) ticks += info.ticks;
  return ticks / CLK_TCK;
}

/** Every process: its parent, its own CPU ticks (utime + stime) and its reaped children's (cutime + cstime). */
function processTable(): Map<number, { ppid: number; ticks: number; childTicks: number }> {
  const procs = new Map<number, { ppid: number; ticks: number; childTicks: number }>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) });
    } catch {}
  }
  return procs;
}

/** `pid` is `ancestor` or below it. */
function descends(procs: ReadonlyMap<number, { ppid: number }>, pid: number, ancestor: number): boolean {
  let q = pid;
  for (let hops = 0; q > 1 && hops < 64; hops++) {
    if (q === ancestor) return true;
    q = procs.get(q)?.ppid ?? 0;
  }
  return false;
}

/** Waits (at most `limit` s) for a second in which other processes use under 10 % of a core. */
export async function waitQuiet(limit: number): Promise<number> {
  const until = Date.now() + limit * 1000;
  for (;;) {
    const a = foreignCpuSeconds();
    await sleep(1000);
    const used = foreignCpuSeconds() - a;
    if (used < 0.1 || Date.now() >= until) return used;
  }
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
export function fmtUs(us: number): string {
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(0)} µs`;
}
export const fmtRatio = (x: number) => `${x.toFixed(2)}×`;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---------------------------------------------------------------- nginx backend

/**
 * `port` speaks HTTP/1.1; `h2Port` the same site over HTTP/2 (cleartext, prior
 * knowledge); `morePorts` the same site again over HTTP/1.1 (a backend of many
 * servers that all cost the same). `/_status` is nginx's stub_status (its
 * accepted-connection and request counters).
 */
export interface Backend { port: number; h2Port: number; morePorts: number[]; proc: Bun.Subprocess; dir: string; stderr: { text: string } }

export async function startNginx(work: string, morePortCount = 0): Promise<Backend> {
  const dir = join(work, "nginx");
  const www = join(dir, "www");
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, "16k"), Buffer.alloc(16 * 1024, "a"));
  writeFileSync(join(www, "1m"), Buffer.alloc(1024 * 1024, "b"));
  writeFileSync(join(www, "ok"), "ok\n");
  const port = await freePort();
  const h2Port = await freePort();
  const morePorts: number[] = [];
  while (morePorts.length < morePortCount) {
    const p = await freePort();
    if (p !== port && p !== h2Port && !morePorts.includes(p)) morePorts.push(p);
  }
  const conf = `# generated by bench/harness.ts
daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  open_file_cache max=16 inactive=1h;
  open_file_cache_valid 1h;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    listen 127.0.0.1:${h2Port} backlog=4096 http2;
${morePorts.map((p) => `    listen 127.0.0.1:${p} backlog=4096;\n`).join("")}    http2_max_requests 100000000;
    root ${www};
    default_type application/octet-stream;
    location = / { default_type text/plain; return 200 "ok\\n"; }
    location = /_status { stub_status; }
    location = /small { default_type text/plain; return 200 ${JSON.stringify(SMALL)}; }
    location = /16k { try_files /16k =404; }
    location = /1m  { try_files /1m =404; }
    # A 'return 200' here would answer before the upload is read (nginx then
    # discards it in the background). mirror_request_body makes nginx read the
    # whole body (into memory: client_body_buffer_size) before the content
    # phase; the static handler refuses POST (405), which error_page turns into
    # the 200 answer.
    location = /upload {
      client_max_body_size 2m;
      client_body_buffer_size 2m;
      mirror /_mirror;
      mirror_request_body on;
      try_files /ok =500;
      error_page 405 =200 @uploaded;
    }
    location @uploaded { default_type text/plain; return 200 "ok\\n"; }
    location = /_mirror { internal; return 204; }
  }
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const stderr = { text: "" };
  const proc = Bun.spawn(["taskset", "-c", LOAD_CORE, "nginx", "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "pipe" });
  void drain(proc.stderr, stderr);
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      let err = "";
      try { err = readFileSync(join(dir, "error.log"), "utf8"); } catch {}
      throw new Error(`nginx did not start: ${stderr.text}${err}`);
    }
    await sleep(50);
  }
  return { port, h2Port, morePorts, proc, dir, stderr };
}

export async function checkBackend(port: number) {
  const expect = async (path: string, init: RequestInit, body: number) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
    const b = await r.arrayBuffer();
    if (r.status !== 200 || b.byteLength !== body) throw new Error(`nginx ${init.method ?? "GET"} ${path}: ${r.status}, ${b.byteLength} bytes`);
  };
  await expect("/small", {}, SMALL.length);
  await expect("/16k", {}, 16 * 1024);
  await expect("/1m", {}, 1024 * 1024);
  await expect("/upload", { method: "POST", body: new Uint8Array(1024 * 1024) }, 3);
  const big = await fetch(`http://127.0.0.1:${port}/upload`, { method: "POST", body: new Uint8Array(3 * 1024 * 1024) });
  await big.arrayBuffer();
  if (big.status !== 413) throw new Error(`nginx: a 3 MiB upload got ${big.status}, expected 413 (client_max_body_size 2m)`);
}

// ---------------------------------------------------------------- proxy configs

/** One description of the proxy; both haproxy.cfg files are generated from it. */
export interface ProxyDesc {
  mode: "http" | "tcp";
  maxconn: number;
  hardStopAfter: string;
  /** More `global` lines (e.g. `log stderr`: the proxy's events, such as server transitions). */
  globalLines?: string[];
  timeouts: { connect: string; client: string; server: string };
  frontend: { name: string; bind: string };
  backend: {
    name: string; balance: string; httpReuse?: string;
    /** Backend lines after `balance` (e.g. `option httpchk GET /`). */
    lines?: string[];
    /** `more`: the server line's further words (e.g. `check inter 100ms`). */
    servers: { name: string; address: string; proto?: string; more?: string }[];
  };
}

/** haproxy.cfg syntax; HAProxy gets `nbthread 1` (sluice is single-threaded and has no such keyword). */
export function renderCfg(d: ProxyDesc, target: "haproxy" | "sluice"): string {
  const global = [`    maxconn ${d.maxconn}`, `    hard-stop-after ${d.hardStopAfter}`, ...(d.globalLines ?? []).map((l) => `    ${l}`)];
  if (target === "haproxy") global.unshift("    nbthread 1");
  return `# generated by bench/harness.ts for ${target}
global
${global.join("\n")}

defaults
    mode ${d.mode}
    # No traffic log for either proxy (HAProxy logs nothing without a log line; sluice needs to be told).
    no log
    timeout connect ${d.timeouts.connect}
    timeout client  ${d.timeouts.client}
    timeout server  ${d.timeouts.server}

frontend ${d.frontend.name}
    bind ${d.frontend.bind}
    default_backend ${d.backend.name}

backend ${d.backend.name}
    balance ${d.backend.balance}
${d.backend.httpReuse ? `    http-reuse ${d.backend.httpReuse}\n` : ""}${(d.backend.lines ?? []).map((l) => `    ${l}\n`).join("")}${d.backend.servers.map((s) => `    server ${s.name} ${s.address}${s.proto ? ` proto ${s.proto}` : ""}${s.more ? ` ${s.more}` : ""}`).join("\n")}
`;
}

// ---------------------------------------------------------------- proxies

export interface Running { pid: number; port: number; proc: Bun.Subprocess; stderr: { text: string }; cmd: string[] }

/**
 * Runs a proxy (`cmd`, which listens on `port`); resolves when it accepts
 * connections (sluice: once it has logged that it is ready), or rejects with
 * its own error.
 */
export async function launchProxy(cmd: string[], port: number, waitForReadyLine: boolean): Promise<Running> {
  const stderr = { text: "" };
  const proc = track(Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe", cwd: root }));
  const drained = drain(proc.stderr, stderr);
  const deadline = Date.now() + 15000;
  const firstError = () => {
    const lines = stderr.text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
    const line = lines.find((l) => /error|not supported|alert/i.test(l)) ?? lines[0] ?? `exit code ${proc.exitCode}`;
    return line.replace(/^\S+\.cfg:\d+:\s*/, "");
  };
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode) {
      await Promise.race([drained, sleep(500)]);
      throw new Error(firstError());
    }
    const ready = !waitForReadyLine || stderr.text.includes(") ready");
    if (ready && (await canConnect(port))) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`not ready after 15 s: ${firstError()}`);
    }
    await sleep(50);
  }
  return { pid: proc.pid, port, proc, stderr, cmd };
}

export async function stopProxy(p: Running) {
  p.proc.kill("SIGTERM");
  const exited = await Promise.race([p.proc.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!exited) {
    log(`pid ${p.pid} still running 5 s after SIGTERM; SIGKILL`);
    p.proc.kill("SIGKILL");
    await p.proc.exited;
  }
}


// ---------------------------------------------------------------- wrk

export interface WrkResult {
  requests: number; bytes: number; durationUs: number;
  connect: number; read: number; write: number; status: number; timeout: number;
  p50: number; p90: number; p99: number; max: number; mean: number;
  text: string;
}

export function wrkScript(work: string, c: Case): string {
  const file = join(work, `${c.name}.lua`);
  const lines = [`-- generated by bench/harness.ts for ${c.name}`];
  if (c.method === "POST") {
    lines.push(`wrk.method = "POST"`, `wrk.body = string.rep("x", ${c.uploadBytes})`, `wrk.headers["Content-Type"] = "application/octet-stream"`);
  }
  lines.push(
    `done = function(s, latency, requests)`,
    `  io.write(string.format("\\nBENCHJSON {\\"requests\\":%d,\\"bytes\\":%d,\\"durationUs\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,\\"max\\":%d,\\"mean\\":%f}\\n",`,
    `    s.requests, s.bytes, s.duration, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout,`,
    `    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))`,
    `end`,
  );
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

export function wrkCommand(c: Case, script: string, port: number, seconds: number, connections: number): string[] {
  const cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t", "1", "-c", String(connections), "-d", `${seconds}s`, "--timeout", "5s", "--latency", "-s", script];
  if (c.connectionClose) cmd.push("-H", "Connection: close");
  cmd.push(`http://127.0.0.1:${port}${c.path}`);
  return cmd;
}

export async function runWrk(cmd: string[], seconds: number): Promise<WrkResult> {
  const proc = track(Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" }));
  const killer = setTimeout(() => proc.kill("SIGKILL"), (seconds + 20) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(killer);
  const m = out.match(/BENCHJSON (\{.*\})/);
  if (!m) throw new Error(`wrk gave no result (exit ${proc.exitCode}): ${(err || out).trim().slice(0, 300)}`);
  return { ...JSON.parse(m[1]!), text: out.replace(/\nBENCHJSON .*\n?/, "\n").trim() };
}

/**
 * The haproxy.cfg of the edge benchmarks (edge.ts, h2-ab.ts): one HTTP
 * frontend on `bind` in front of one nginx. `haproxy`: HAProxy's copy, with
 * `nbthread 1` (sluice is single-threaded); `noSessionCache`: `tune.ssl.cachesize 0`.
 */
export function edgeConfig(o: { bind: string; backendPort: number; header?: string; haproxy?: boolean; noSessionCache?: boolean }): string {
  return `${o.header === undefined ? "" : `# ${o.header}\n`}global
${o.haproxy ? "    nbthread 1\n" : ""}${o.noSessionCache ? "    tune.ssl.cachesize 0\n" : ""}    maxconn 4096
    hard-stop-after 2s

defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind ${o.bind}
    default_backend be

backend be
    server nginx 127.0.0.1:${o.backendPort}
`;
}

/** The nginx of the edge benchmarks (edge.ts, h2-ab.ts): one worker in `dir`, answering SMALL to every GET on `port`. */
export function edgeNginxConf(dir: string, port: number): string {
  return `daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { default_type text/plain; return 200 ${JSON.stringify(SMALL)}; }
  }
}
`;
}
