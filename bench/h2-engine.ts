// The HTTP/2 side towards clients, driven in-process over in-memory sockets
// (as bench/engine.ts does for HTTP/1.1): the JavaScript cost of one request
// on a multiplexed client connection, h2load's shape (10 streams in flight,
// each request in one HEADERS frame, the client's HPACK table warm), an
// HTTP/1.1 server behind answering nginx's small response. No system call is
// in the way, so this is steady on a shared machine where the socket
// benchmarks are not (bench/h2-ab.ts); it misses the kernel and the runtime's
// event dispatch, which are the same for every commit.
//   bun bench/h2-engine.ts [requests]        deno run -A bench/h2-engine.ts [requests]
import { CONNECTION_PREFACE, FrameType, SettingId } from "../src/http2/constants.ts";
import { FrameReader } from "../src/http2/frame-reader.ts";
import * as write from "../src/http2/frame-writer.ts";
import { HpackDecoder, HpackEncoder } from "../src/http2/hpack/index.ts";
import type { Timers } from "../src/runtime/types.ts";
import { h2Config } from "../tests/support/h2-mem-client.ts";
import { hostRuntime } from "../tests/support/host-runtime.ts";
import { memProxyConfig, MemSocket, memRuntime } from "../tests/support/mem-runtime.ts";

const enc = new TextEncoder();
const RESPONSE = enc.encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2026 10:00:00 GMT\r\n" +
    "Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world\n",
);
const STREAMS = 10;

// The real clock and timers, but the end of a turn (defer) is run by this
// script after each batch: what the event loop does after a read.
const host = await hostRuntime();
const deferred: (() => void)[] = [];
const timers: Timers = {
  now: host.now,
  wallNow: host.wallNow,
  setTimer: host.setTimer,
  clearTimer: host.clearTimer,
  defer: (fn) => void deferred.push(fn),
};
function endTurn(): void {
  for (let i = 0; i < deferred.length; i++) deferred[i]!();
  deferred.length = 0;
}

const runtime = memRuntime({ timers });
const proxy = await memProxyConfig(runtime, h2Config());

/** The client's socket: counts what the proxy wrote, and decodes it while `check` is on. */
class Client extends MemSocket {
  check = true;
  statuses = 0;
  bodies = 0;
  private readonly decoder = new HpackDecoder();
  private readonly reader = new FrameReader({
    frame: (f) => {
      if (f.type === FrameType.HEADERS && this.decoder.decode(f.fragment).some(([n, v]) => n === ":status" && v === "200")) this.statuses++;
      if (f.type === FrameType.DATA && f.data.length === 13) this.bodies++;
    },
    error: (e) => {
      throw e;
    },
  }, { role: "client", preface: false, maxFrameSize: 16384 });

  override write(chunk: Uint8Array): boolean {
    if (this.check) this.reader.push(chunk.slice());
    return super.write(chunk);
  }
}
const client = new Client("127.0.0.1", 40000);
runtime.accept(client);
{
  // Windows large enough for the whole run: the client never needs to send WINDOW_UPDATE.
  const settings = write.settings([[SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff]]);
  const grow = write.windowUpdate(0, 0x7fffffff - 65535);
  const out = new Uint8Array(CONNECTION_PREFACE.length + settings.length + grow.length);
  out.set(CONNECTION_PREFACE);
  out.set(settings, CONNECTION_PREFACE.length);
  out.set(grow, CONNECTION_PREFACE.length + settings.length);
  client.events.data(out);
  endTurn();
}

// h2load's request, HPACK-encoded by one encoder as its nghttp2 would: the first carries literals, the rest indexes.
const hpack = new HpackEncoder();
const fields: [string, string][] = [[":method", "GET"], [":path", "/small"], [":scheme", "http"], [":authority", "127.0.0.1:9200"], ["accept", "*/*"], ["accept-encoding", "gzip, deflate"], ["user-agent", "h2load nghttp2/1.52.0"]];
const firstBlock = hpack.encode(fields);
const block = hpack.encode(fields);
let nextId = 1;
/** STREAMS requests' HEADERS frames in one chunk, as one read gives them. */
function batch(): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < STREAMS; i++, nextId += 2) frames.push(write.headers(nextId, nextId === 1 ? firstBlock : block, true));
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const servers = runtime.servers;
const seen: number[] = [];
/** One batch: the client's frames in, each server that got a request answers, then the turn ends. */
async function one(chunk: Uint8Array, settle: boolean): Promise<void> {
  client.events.data(chunk);
  if (settle) for (let i = 0; i < 20; i++) await Promise.resolve(); // connections being opened
  for (let s = 0; s < servers.length; s++) {
    const server = servers[s]!;
    if (server.writes !== (seen[s] ?? 0)) {
      seen[s] = server.writes;
      server.events.data(RESPONSE.slice());
    }
  }
  endTurn();
}

for (let i = 0; i < 50; i++) await one(batch(), true);
if (client.statuses !== 500 || client.bodies !== 500) throw new Error(`warm-up: ${client.statuses} responses, ${client.bodies} bodies of 500`);
client.check = false;

const args = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
const n = Math.ceil((Number(args[2] ?? "") || 300_000) / STREAMS);
// CPU time of this process where the runtime gives it (others' load takes wall time, not this), else wall time.
const cpuUsage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage;
const clockUs = cpuUsage !== undefined ? () => { const u = cpuUsage(); return u.user + u.system; } : () => performance.now() * 1000;
// Batches made before the clock starts: the client's own framing is not the proxy's cost.
async function round(count: number): Promise<number> {
  const chunks = Array.from({ length: count }, batch);
  const t0 = clockUs();
  for (let i = 0; i < count; i++) await one(chunks[i]!, false);
  return (clockUs() - t0) / (count * STREAMS);
}
await round(Math.min(n, 5_000)); // warm-up
const rounds: number[] = [];
for (let r = 0; r < 5; r++) rounds.push(await round(n));
rounds.sort((a, b) => a - b);
client.check = true;
const before = client.statuses;
await one(batch(), false);
if (client.statuses !== before + STREAMS) throw new Error("the last batch was not answered");
const runtimeName = "Bun" in globalThis ? "bun" : "deno";
await proxy.stop(0);
console.log(`${runtimeName}: ${rounds[2]!.toFixed(2)} µs ${cpuUsage !== undefined ? "CPU" : "wall"} per request (median of 5 rounds of ${n * STREAMS}; min ${rounds[0]!.toFixed(2)}, max ${rounds[4]!.toFixed(2)}); ${servers.length} server connections; ${(client.written / client.writes).toFixed(0)} bytes per client write`);
