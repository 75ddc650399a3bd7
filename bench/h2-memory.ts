// Where sluice's memory goes under Deno with an HTTP/2 backend: the
// h2-backend row of bench/run.ts (wrk -c50 small keep-alive → sluice → nginx
// over h2c), with the proxy's heap watched from outside, so that any commit
// can be measured unchanged (nothing in src/ knows about it):
//   - V8's own GC trace (--v8-flags=--trace-gc-nvp, one JSON record per
//     collection): bytes allocated and promoted per request over the load,
//     the heap's size and the new space's capacity;
//   - VmRSS sampled every 100 ms, and VmHWM at the end;
//   - with --usage, Deno.memoryUsage() every 250 ms over the inspector
//     protocol (heap used/total and external: ArrayBuffer stores);
//   - with --snapshot, heap snapshots over the inspector protocol (Deno
//     --inspect): one at the end of the load, one after it (what the idle
//     proxy keeps); both summarised by constructor (count, self size).
//
// Usage: bun bench/h2-memory.ts [--rev GIT-REV] [--seconds S] [--connections N] [--usage] [--snapshot] [--v8-flags F] [--gc-log FILE] [--rate N]
//   --rev: sluice as committed at GIT-REV (git archive into a temp dir), else the working tree.
//   --rate N: a fixed load of N requests/s (bench/paced-load.ts) instead of
//     wrk's as-fast-as-it-goes, so that two revisions do the same work.
//   --gc-log FILE: the proxy's stdout (V8's GC trace) is kept there.
//   --v8-flags: more V8 flags for the proxy (for example --max-semi-space-size=8), to test a cause.
// Bounded: one nginx, one proxy, one load run of S seconds (default 12), on 127.0.0.1.
// As in bench/run.ts, the proxy runs on core 0, nginx and the load on core 1.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");
const DENO = join(root, "node_modules/.bin/deno");
const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rev: { type: "string" },
    seconds: { type: "string", default: "12" },
    connections: { type: "string", default: "50" },
    snapshot: { type: "boolean", default: false },
    usage: { type: "boolean", default: false },
    "v8-flags": { type: "string" },
    "gc-log": { type: "string" },
    rate: { type: "string" },
  },
});
const seconds = Number(opts.seconds);
if (!(seconds > 0 && seconds <= 120)) throw new Error("--seconds: 1 to 120");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), "sluice-h2mem-"));
const children: Bun.Subprocess[] = [];
const cleanup = () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
};
process.on("SIGINT", () => { cleanup(); process.exit(130); });

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function waitPort(port: number, what: string, proc: Bun.Subprocess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {}
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port}`);
}

/** Resident KiB of the process's mappings at this moment, by kind: files, [heap] (brk), anonymous (by size), stacks. */
function smaps(pid: number): string {
  const groups = new Map<string, { n: number; rss: number }>();
  let key = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = line.match(/^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/);
    if (head) {
      const size = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      const name = head[3]!;
      key = name.startsWith("/") ? "file" : name !== "" ? name : size >= 65536 ? "anon ≥64 MiB" : size >= 1024 ? "anon 1-64 MiB" : "anon <1 MiB";
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    if (rss) {
      const g = groups.get(key) ?? { n: 0, rss: 0 };
      g.n++;
      g.rss += Number(rss[1]);
      groups.set(key, g);
    }
  }
  return [...groups].filter(([, g]) => g.rss > 0).sort((a, b) => b[1].rss - a[1].rss)
    .map(([k, g]) => `${k} ${(g.rss / 1024).toFixed(1)} MiB (${g.n})`).join(", ");
}

/** The process's read and write system calls so far (/proc/PID/io). */
function syscalls(pid: number): { r: number; w: number } {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return { r: Number(io.match(/^syscr: (\d+)/m)?.[1]), w: Number(io.match(/^syscw: (\d+)/m)?.[1]) };
}

function kb(pid: number, key: string): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"));
  return m ? Number(m[1]) : 0;
}

// ---- the tree to run
let tree = root;
if (opts.rev) {
  tree = join(work, "sluice");
  mkdirSync(tree);
  const r = Bun.spawnSync(["sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", root, opts.rev, tree]);
  if (r.exitCode !== 0) throw new Error(`--rev ${opts.rev}: ${r.stderr.toString()}`);
  symlinkSync(join(root, "node_modules"), join(tree, "node_modules"));
}

// ---- nginx over h2c (as bench/run.ts)
const h2Port = freePort();
mkdirSync(join(work, "nginx"));
writeFileSync(join(work, "nginx/nginx.conf"), `daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${work}/nginx/nginx.pid;
error_log ${work}/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout 65s;
  client_body_temp_path ${work}/nginx/cb; proxy_temp_path ${work}/nginx/p; fastcgi_temp_path ${work}/nginx/f;
  uwsgi_temp_path ${work}/nginx/u; scgi_temp_path ${work}/nginx/s;
  server {
    listen 127.0.0.1:${h2Port} http2;
    http2_max_requests 100000000;
    location = /small { default_type text/plain; return 200 "Hello, world\\n"; }
  }
}
`);
const nginx = Bun.spawn(["taskset", "-c", "1", "nginx", "-p", join(work, "nginx"), "-c", join(work, "nginx/nginx.conf")], { stderr: "ignore" });
children.push(nginx);

// ---- the proxy
const port = freePort();
const inspectPort = freePort();
writeFileSync(join(work, "sluice.cfg"), `global
    maxconn 4096
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
    balance roundrobin
    server nginx 127.0.0.1:${h2Port} proto h2
`);
const v8Flags = ["--trace-gc-nvp", ...(opts["v8-flags"] ? [opts["v8-flags"]] : [])].join(",");
const denoArgs = [DENO, "run", "-A", `--v8-flags=${v8Flags}`];
const inspect = opts.snapshot || opts.usage;
if (inspect) denoArgs.push(`--inspect=127.0.0.1:${inspectPort}`);
const proxy = Bun.spawn(["taskset", "-c", "0", ...denoArgs, join(tree, "src/main.ts"), "-f", join(work, "sluice.cfg")], { stdout: "pipe", stderr: "pipe", cwd: tree });
children.push(proxy);
let gcText = "";
/** Reads a child's stream to its end (so that its pipe never fills), each piece to `sink`. */
async function drain(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const dec = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    sink(dec.decode(value, { stream: true }));
  }
}
void drain(proxy.stdout, (t) => (gcText += t)).catch(() => {});
void drain(proxy.stderr, () => {}).catch(() => {});

// ---- the inspector protocol (Deno --inspect)
interface Inspector { call(method: string, params?: object): Promise<any>; chunks: string[]; close(): void }

async function inspector(): Promise<Inspector> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise<void>((ok, ko) => { ws.onopen = () => ok(); ws.onerror = () => ko(new Error("inspector")); });
  const chunks: string[] = [];
  let id = 0;
  const pending = new Map<number, (result: any) => void>();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data));
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(msg.params.chunk);
    else if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  };
  const call = (method: string, params: object = {}) =>
    new Promise<any>((ok) => { const n = ++id; pending.set(n, ok); ws.send(JSON.stringify({ id: n, method, params })); });
  return { call, chunks, close: () => ws.close() };
}

interface Usage { rss: number; heapTotal: number; heapUsed: number; external: number; spaces: Record<string, number>; malloced: number }
/** Deno.memoryUsage(), each V8 heap space's committed size and V8's own malloc'd memory, read in the proxy. */
const USAGE = `(async () => {
  const v8 = await import("node:v8");
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.space_size;
  return JSON.stringify({ ...Deno.memoryUsage(), spaces, malloced: v8.getHeapStatistics().malloced_memory });
})()`;
async function usage(i: Inspector): Promise<Usage> {
  const r = await i.call("Runtime.evaluate", { expression: USAGE, returnByValue: true, awaitPromise: true });
  return JSON.parse(r.result.value);
}

// ---- heap snapshots
interface Summary { total: number; byName: Map<string, { count: number; size: number }> }

async function snapshot(i: Inspector): Promise<Summary> {
  i.chunks.length = 0;
  await i.call("HeapProfiler.enable");
  await i.call("HeapProfiler.collectGarbage");
  await i.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  return summarise(JSON.parse(i.chunks.join("")));
}

/** Self size and count per constructor name (V8's heap snapshot format: nodes as flat arrays of fields). */
function summarise(snap: { snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } }; nodes: number[]; strings: string[] }): Summary {
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = f.length;
  const iType = f.indexOf("type"), iName = f.indexOf("name"), iSize = f.indexOf("self_size");
  const byName = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const name = type === "object" || type === "closure" || type === "native" ? `${type}:${snap.strings[snap.nodes[i + iName]!]}` : `(${type})`;
    const size = snap.nodes[i + iSize]!;
    total += size;
    const e = byName.get(name) ?? { count: 0, size: 0 };
    e.count++;
    e.size += size;
    byName.set(name, e);
  }
  return { total, byName };
}

function top(s: Summary, n = 25): string[] {
  return [...s.byName].sort((a, b) => b[1].size - a[1].size).slice(0, n)
    .map(([k, v]) => `  ${(v.size / 1024).toFixed(0).padStart(8)} KiB ${String(v.count).padStart(8)}  ${k}`);
}

try {
  await waitPort(h2Port, "nginx", nginx);
  await waitPort(port, "sluice", proxy);
  const r = await fetch(`http://127.0.0.1:${port}/small`);
  if (r.status !== 200 || (await r.text()) !== "Hello, world\n") throw new Error(`sanity check: ${r.status}`);
  const rssStart = kb(proxy.pid, "VmRSS");
  const samples: number[] = [];
  const poll = setInterval(() => samples.push(kb(proxy.pid, "VmRSS")), 100);
  const insp = inspect ? await inspector() : undefined;
  const usages: Usage[] = [];
  let probing = opts.usage;
  const probe = opts.usage ? (async () => { while (probing) { usages.push(await usage(insp!)); await sleep(250); } })() : undefined;
  const gcAtLoad = gcText.length;
  const io0 = syscalls(proxy.pid);
  const load = opts.rate
    ? [process.execPath, join(root, "bench/paced-load.ts"), String(port), "/small", opts.rate, opts.connections!, String(seconds)]
    : ["wrk", "-t", "1", "-c", opts.connections!, "-d", `${seconds}s`, "--timeout", "5s", `http://127.0.0.1:${port}/small`];
  const wrk = Bun.spawn(["taskset", "-c", "1", ...load], { stdout: "pipe", stderr: "pipe" });
  children.push(wrk);
  let during: Summary | undefined;
  if (opts.snapshot) {
    await sleep((seconds - 3) * 1000);
    during = await snapshot(insp!);
  }
  const wrkOut = await new Response(wrk.stdout).text();
  await wrk.exited;
  clearInterval(poll);
  probing = false;
  await probe;
  const io1 = syscalls(proxy.pid);
  const hwm = kb(proxy.pid, "VmHWM");
  const mappings = smaps(proxy.pid);
  await sleep(1000);
  const after = opts.snapshot ? await snapshot(insp!) : undefined;
  insp?.close();
  const rssIdle = kb(proxy.pid, "VmRSS");
  if (opts["gc-log"]) writeFileSync(opts["gc-log"], gcText);
  const paced = wrkOut.match(/(\d+) requests in ([\d.]+) s, (\d+) late/);
  const rps = paced ? `${(Number(paced[1]) / Number(paced[2])).toFixed(0)} (paced, ${paced[3]} late)` : wrkOut.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? "?";

  // One JSON record per collection, from the start of the load on.
  interface GcRecord { gc: string; allocated: number; promoted: number; new_space_survived: number; new_space_capacity: number; end_memory_size: number; end_object_size: number; pause: number }
  const gcs: GcRecord[] = [...gcText.slice(gcAtLoad).matchAll(/GC: (\{.*\})/g)].map((m) => JSON.parse(m[1]!));
  const requests = Number(wrkOut.match(/(\d+) requests in/)?.[1] ?? NaN);
  if (!(requests > 0)) throw new Error(`the load reported nothing: ${wrkOut.slice(0, 300)}`);
  const sum = (k: keyof GcRecord) => gcs.reduce((a, g) => a + (g[k] as number), 0);
  const maxOf = (k: keyof GcRecord) => Math.max(...gcs.map((g) => g[k] as number));
  const kinds = new Map<string, number>();
  for (const g of gcs) kinds.set(g.gc, (kinds.get(g.gc) ?? 0) + 1);
  // V8 grows the new space once the bytes that survived scavenges add up to its capacity: when that happened.
  const growths: string[] = [];
  for (let k = 1; k < gcs.length; k++) {
    if (gcs[k]!.new_space_capacity > gcs[k - 1]!.new_space_capacity) growths.push(`${gcs[k]!.new_space_capacity / 1048576} MiB at GC ${k}`);
  }
  console.log(`rev ${opts.rev ?? "working tree"}: ${rps} req/s (${requests} requests); VmRSS start ${(rssStart / 1024).toFixed(1)} MiB, max sampled ${(Math.max(...samples) / 1024).toFixed(1)}, VmHWM ${(hwm / 1024).toFixed(1)}, idle after ${(rssIdle / 1024).toFixed(1)} MiB`);
  console.log(`GCs over the load: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}; allocated ${(sum("allocated") / requests).toFixed(0)} B/request, promoted ${(sum("promoted") / requests).toFixed(1)} B/request, survived ${(sum("new_space_survived") / requests).toFixed(1)} B/request; new space grew: ${growths.join(", ") || "no"}; GC pause ${sum("pause").toFixed(0)} ms; new space capacity max ${(maxOf("new_space_capacity") / 1048576).toFixed(1)} MiB; heap committed max ${(maxOf("end_memory_size") / 1048576).toFixed(1)} MiB`);
  console.log(`resident at the end of the load: ${mappings}`);
  console.log(`system calls per request: ${((io1.r - io0.r) / requests).toFixed(2)} reads, ${((io1.w - io0.w) / requests).toFixed(2)} writes`);
  if (usages.length) {
    const mib = (n: number) => (n / 1048576).toFixed(1);
    const max = (k: Exclude<keyof Usage, "spaces">) => Math.max(...usages.map((u) => u[k]));
    console.log(`Deno.memoryUsage() over the load (${usages.length} samples), max: rss ${mib(max("rss"))}, heapTotal ${mib(max("heapTotal"))}, heapUsed ${mib(max("heapUsed"))}, external ${mib(max("external"))}, V8 malloced ${mib(max("malloced"))} MiB; external median ${mib(usages.map((u) => u.external).sort((a, b) => a - b)[usages.length >> 1]!)} MiB`);
    const spaces = Object.keys(usages[0]!.spaces).map((k) => [k, Math.max(...usages.map((u) => u.spaces[k] ?? 0))] as const).filter(([, v]) => v > 0);
    console.log(`heap spaces, max committed: ${spaces.map(([k, v]) => `${k} ${mib(v)}`).join(", ")} MiB; at the start: ${Object.entries(usages[0]!.spaces).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${mib(v)}`).join(", ")}`);
  }
  if (during) console.log(`heap snapshot at the end of the load: ${(during.total / 1024 / 1024).toFixed(1)} MiB\n${top(during).join("\n")}`);
  if (after) console.log(`heap snapshot 1 s after the load: ${(after.total / 1024 / 1024).toFixed(1)} MiB\n${top(after).join("\n")}`);
} finally {
  cleanup();
}
