// What one client connection keeps and what it churns, in the engine alone
// (session, mux, codec, stream, pool over in-memory sockets, the real clock
// and timers): robust on a busy machine, since it counts objects and bytes,
// not time.
//
//   idle   N keep-alive connections, each after one GET answered, left idle:
//          heap bytes and objects (by type, under Bun) per connection, after a
//          full GC. The runtime's own socket is not in it (bench/churn-memory.ts
//          measures the whole process).
//   churn  connections that each send one `Connection: close` GET and go:
//          CPU µs per connection (engine only), and what is left afterwards
//          (must be nothing: no leak).
//
//   bun bench/conn-objects.ts [N]        deno run -A --v8-flags=--expose-gc bench/conn-objects.ts [N]
import { hostRuntime } from "../tests/support/host-runtime.ts";
import { memProxyConfig, MemSocket, memRuntime } from "../tests/support/mem-runtime.ts";

const enc = new TextEncoder();
const GET = enc.encode("GET /small HTTP/1.1\r\nHost: 127.0.0.1:9200\r\nUser-Agent: wrk\r\n\r\n");
const GET_CLOSE = enc.encode("GET /small HTTP/1.1\r\nHost: 127.0.0.1:9200\r\nConnection: close\r\n\r\n");
const RESPONSE = enc.encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2026 10:00:00 GMT\r\n" +
    "Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world\n",
);

const isBun = "Bun" in globalThis;
const jsc: { heapStats(): { heapSize: number; objectTypeCounts: Record<string, number> } } | undefined = isBun
  ? await import("bun:jsc" as string)
  : undefined;
const g = globalThis as { gc?: () => void; Bun?: { gc(full: boolean): void }; Deno?: { memoryUsage(): { heapUsed: number; external: number } } };
function fullGc(): void {
  if (g.Bun) g.Bun.gc(true);
  else if (g.gc) g.gc();
  else throw new Error("run Deno with --v8-flags=--expose-gc");
}
interface Snapshot { heap: number; external: number; types: Record<string, number> }
function snapshot(): Snapshot {
  fullGc();
  fullGc();
  if (jsc) {
    const s = jsc.heapStats();
    return { heap: s.heapSize, external: 0, types: { ...s.objectTypeCounts } };
  }
  const m = g.Deno!.memoryUsage();
  return { heap: m.heapUsed, external: m.external, types: {} };
}

const args = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
const N = Number(args[2] ?? "") || 5000;
const runtime = memRuntime({ timers: await hostRuntime() });
const servers = runtime.servers;
const proxy = await memProxyConfig(runtime, `global
    maxconn 100000
defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);

/** Feeds the answer to whichever server connection was just written to. */
function answerServer(before: number[]): void {
  for (let i = 0; i < servers.length; i++) {
    if (servers[i]!.writes !== (before[i] ?? 0)) return void servers[i]!.events.data(RESPONSE.slice());
  }
  throw new Error(`no server connection was written to (${servers.length} servers, ${runtime.connectAttempts} connects)`);
}

/** Server connections the proxy closed (sent its FIN): the server closes too, and the bench forgets them. */
function reapServers(): void {
  for (let i = servers.length - 1; i >= 0; i--) {
    const s = servers[i]!;
    if (!s.ended && !s.closed) continue;
    if (!s.closed) {
      s.events.end();
      s.destroy();
    }
    servers.splice(i, 1);
  }
}

async function request(client: MemSocket, bytes: Uint8Array): Promise<void> {
  const before = servers.map((s) => s.writes);
  const written = client.written;
  client.events.data(bytes.slice());
  const idle = () => servers.every((s, j) => s.writes === (before[j] ?? 0));
  for (let i = 0; i < 20 && idle(); i++) await Promise.resolve();
  for (let i = 0; i < 50 && idle(); i++) await new Promise((r) => setTimeout(r, 1));
  answerServer(before);
  if (client.written === written) throw new Error("no response reached the client");
}

// Warm up: code compiled, the pool's one server connection open.
for (let i = 0; i < 200; i++) {
  const c = new MemSocket("127.0.0.1", 30000 + i);
  runtime.accept(c);
  await request(c, GET_CLOSE);
  c.events.end();
  c.destroy();
  reapServers();
}

// ---- idle ----
const before = snapshot();
const idle: MemSocket[] = [];
for (let i = 0; i < N; i++) {
  const c = new MemSocket("127.0.0.1", 40000 + (i % 20000));
  runtime.accept(c);
  await request(c, GET);
  idle.push(c);
  reapServers();
}
const loaded = snapshot();
const perConn = (loaded.heap - before.heap) / N;
console.log(`${isBun ? "bun" : "deno"}: ${N} idle keep-alive connections: ${perConn.toFixed(0)} heap bytes per connection${jsc ? "" : ` (+${((loaded.external - before.external) / N).toFixed(0)} external)`}; ${servers.length} server connection(s)`);
if (jsc) {
  const rows = Object.keys(loaded.types)
    .map((t) => [t, ((loaded.types[t] ?? 0) - (before.types[t] ?? 0)) / N] as const)
    .filter(([, n]) => n >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, n]) => s + n, 0);
  console.log(`  ${total.toFixed(1)} objects per connection: ${rows.map(([t, n]) => `${t} ${n.toFixed(1)}`).join(", ")}`);
}
for (const c of idle) {
  c.events.end();
  c.destroy();
}
idle.length = 0;
reapServers();

// ---- churn ----
const churnBefore = snapshot();

const cpu0 = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process!.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const c = new MemSocket("127.0.0.1", 40000 + (i % 20000));
  runtime.accept(c);
  await request(c, GET_CLOSE);
  if (!c.ended) throw new Error("the proxy did not close a Connection: close client");
  c.events.end();
  c.destroy();
  reapServers();
}
const cpu1 = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process!.cpuUsage();
const wall = performance.now() - t0;
const churnAfter = snapshot();
console.log(`  churn: ${(((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / N).toFixed(1)} µs CPU per connection (${((wall * 1000) / N).toFixed(1)} µs wall), ${((churnAfter.heap - churnBefore.heap) / N).toFixed(1)} heap bytes left per connection`);
if (jsc) {
  const left = Object.keys(churnAfter.types)
    .map((t) => [t, (churnAfter.types[t] ?? 0) - (churnBefore.types[t] ?? 0)] as const)
    .filter(([, n]) => n >= N / 10)
    .sort((a, b) => b[1] - a[1]);
  if (left.length > 0) console.log(`  left after churn: ${left.map(([t, n]) => `${t} ${n}`).join(", ")}`);
}
await proxy.stop(0);
