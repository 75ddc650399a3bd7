// The whole HTTP engine (session, stream, codec, pool), driven in-process over
// in-memory sockets: the JavaScript cost of one keep-alive request with no
// system call in the way. The socket benchmark (bench/run.ts) includes the
// kernel's share, which is the same for every proxy and swamps this; this one
// shows what the engine itself costs, steadily enough to compare two commits.
//   bun bench/engine.ts [requests] [--row rules|rate-limit]     deno run -A bench/engine.ts ...
// --row adds the frontend rules of that row of bench/rules.ts (rule-rows.ts).

import { hostRuntime } from "../tests/support/host-runtime.ts";
import { memConfigText, memProxyConfig, MemSocket, memRuntime } from "../tests/support/mem-runtime.ts";
import { type RuleRow, ruleRowLines } from "./rule-rows.ts";

const enc = new TextEncoder();
const REQUEST = enc.encode("GET /small HTTP/1.1\r\nHost: 127.0.0.1:9200\r\n\r\n");
const RESPONSE = enc.encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2026 10:00:00 GMT\r\n" +
    "Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world\n",
);

// The real runtime's clock and timers: what the engine costs in production,
// timers (one per session, re-armed per request) included.
const runtime = memRuntime({ timers: await hostRuntime() });
const servers = runtime.servers;

const args = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
const rowAt = args.indexOf("--row");
const row = (rowAt >= 0 ? args.splice(rowAt, 2)[1] : "none") as RuleRow;
if (!["none", "rules", "rate-limit"].includes(row)) throw new Error(`--row wants rules or rate-limit, got ${row}`);
const { fe, backends } = ruleRowLines(row);
const proxy = await memProxyConfig(runtime, memConfigText("", fe, backends));

const client = new MemSocket("127.0.0.1", 40000);
runtime.accept(client);

/** One request: client bytes in, the proxy writes to the server, the server's answer goes back. */
async function one(): Promise<void> {
  const before = client.written;
  client.events.data(REQUEST);
  if (servers.length === 0) await Promise.resolve(); // the first request connects
  for (let i = 0; i < 5 && servers[servers.length - 1]!.writes === 0; i++) await Promise.resolve();
  const server = servers[servers.length - 1]!;
  server.events.data(RESPONSE);
  if (client.written === before) throw new Error("no response reached the client");
}

const n = Number(args[2] ?? "") || 500_000;
for (let i = 0; i < 3; i++) await one();
if (servers.length !== 1) throw new Error(`expected one pooled server connection, got ${servers.length}`);

// Each chunk is a fresh copy, as a runtime hands them out: views into a fresh
// buffer cost more than views into one already viewed (the runtime has to
// materialise its ArrayBuffer first), and the engine must be measured on that.
function round(count: number): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    client.events.data(REQUEST.slice());
    servers[0]!.events.data(RESPONSE.slice());
  }
  return ((performance.now() - t0) * 1000) / count;
}
round(Math.min(n, 50_000)); // warm-up
const rounds = [round(n), round(n), round(n), round(n), round(n)].sort((a, b) => a - b);
const expected = 3 + Math.min(n, 50_000) + 5 * n;
if (servers[0]!.writes !== expected) throw new Error(`server got ${servers[0]!.writes} writes, expected ${expected}`);
const runtimeName = "Bun" in globalThis ? "bun" : "deno";
// Stopped at once (hard-stop-after 0: the in-memory client never closes its
// end), so that the process ends here: the idle session's `timeout client`
// timer (a real one) would otherwise keep it alive for 30 s.
await proxy.stop(0);
console.log(`${runtimeName}${row === "none" ? "" : ` (${row})`}: ${rounds[2]!.toFixed(2)} µs per request (median of 5 rounds of ${n}; min ${rounds[0]!.toFixed(2)}, max ${rounds[4]!.toFixed(2)}); ${(client.written / client.writes).toFixed(0)} bytes per client write`);
