// The server-side HTTP/2 mux's defences, each against a client that
// misbehaves on purpose, over the in-memory runtime: rapid reset
// (CVE-2023-44487), CONTINUATION floods (CVE-2024-27316 family), an HPACK
// bomb, SETTINGS and PING floods, empty-frame floods. Each ends the way the
// defence says (throttled, then GOAWAY ENHANCE_YOUR_CALM; or a 431 on the one
// stream), and a client that behaves is never touched by them.
import { afterEach, expect, test } from "bun:test";
import type { Proxy } from "../../../src/core/proxy.ts";
import { ErrorCode, FrameType, SettingId } from "../../../src/http2/constants.ts";
import * as write from "../../../src/http2/frame-writer.ts";
import { H2MemClient, h2Config } from "../../support/h2-mem-client.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";

let proxy: Proxy | undefined;
let clock: { advance(ms: number): Promise<void> } | undefined;
afterEach(async () => {
  const stopped = proxy?.stop(10);
  await clock?.advance(20);
  await stopped;
  proxy = undefined;
});

async function setup(extraGlobal = "") {
  const runtime = memRuntime({ keep: true });
  clock = runtime.clock;
  proxy = await memProxyConfig(runtime, h2Config(extraGlobal), { strictOwnership: true });
  const client = new H2MemClient(runtime);
  client.preface();
  const turn = () => runtime.clock.settle();
  await turn();
  return { runtime, client, turn };
}

const GET = (path: string): [string, string][] => [[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", path]];

test("rapid reset: streams opened and reset in a loop are throttled, then GOAWAY ENHANCE_YOUR_CALM", async () => {
  const { runtime, client, turn } = await setup("    tune.h2.fe.glitches-threshold 100");
  let id = 1;
  let throttledAt = -1;
  for (let round = 0; round < 40 && client.goaway() === undefined; round++) {
    // One read of the socket: ten streams opened and reset at once.
    const frames: Uint8Array[] = [];
    for (let k = 0; k < 10; k++, id += 2) frames.push(client.headers(id, GET(`/r${id}`), true), write.rstStream(id, ErrorCode.CANCEL));
    client.send(concat(frames));
    await turn();
    if (throttledAt < 0 && client.socket.pauses > 0) throttledAt = round;
  }
  const goaway = client.goaway();
  expect(goaway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  // Past half the threshold the client was read at a slower pace first.
  expect(throttledAt).toBeGreaterThanOrEqual(0);
  expect(client.socket.ended).toBe(true);
  // Every stream's server side was cancelled: no connection is left open behind the client.
  expect(runtime.servers.every((s) => s.closed)).toBe(true);
});

test("a client that resets now and then stays under the threshold (the count halves every second)", async () => {
  const { runtime, client, turn } = await setup("    tune.h2.fe.glitches-threshold 10");
  let id = 1;
  for (let second = 0; second < 20; second++) {
    for (let k = 0; k < 4; k++, id += 2) client.send(client.headers(id, GET("/"), true), write.rstStream(id, ErrorCode.CANCEL));
    await turn();
    await runtime.clock.advance(1000);
  }
  expect(client.goaway()).toBeUndefined();
});

test("CONTINUATION flood: a header block past tune.bufsize across CONTINUATION frames is ENHANCE_YOUR_CALM", async () => {
  const { client, turn } = await setup("    tune.bufsize 4096");
  const block = client.block(GET("/"));
  client.send(write.rawFrame(FrameType.HEADERS, 0x1, 1, block));
  for (let k = 0; k < 10 && client.goaway() === undefined; k++) {
    client.send(write.rawFrame(FrameType.CONTINUATION, 0, 1, new Uint8Array(1000).fill(0x40)));
    await turn();
  }
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
});

test("CONTINUATION flood of empty frames (the size never grows) is ENHANCE_YOUR_CALM too", async () => {
  const { client, turn } = await setup();
  client.send(write.rawFrame(FrameType.HEADERS, 0x1, 1, client.block(GET("/"))));
  const empties: Uint8Array[] = [];
  for (let k = 0; k < 200; k++) empties.push(write.rawFrame(FrameType.CONTINUATION, 0, 1));
  client.send(concat(empties));
  await turn();
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
});

test("HPACK bomb: a small block that decodes past the list size is answered 431 on its stream; the connection goes on", async () => {
  const { runtime, client, turn } = await setup("    tune.bufsize 8192");
  // Hand-made HPACK: a 4000-octet value enters the dynamic table once (index 62), then is referenced a thousand times, one octet each.
  const pseudo = [0x82, 0x86, 0x84, 0x01, 0x01, 0x61]; // :method GET, :scheme http, :path /, :authority a (not indexed)
  const seed = new Uint8Array([...pseudo, 0x40, 0x05, ...new TextEncoder().encode("x-big"), 0x7f, 0xa1, 0x1e, ...new Uint8Array(4000).fill(0x76)]);
  client.send(write.headers(1, seed, true));
  await turn();
  expect(runtime.servers.length).toBe(1);
  expect(runtime.servers[0]!.text()).toContain(`x-big: ${"v".repeat(4000)}\r\n`);
  const block = new Uint8Array([...pseudo, ...new Uint8Array(1000).fill(0xbe)]);
  client.send(write.headers(3, block, true));
  await turn();
  expect(client.statuses(3)).toEqual(["431"]);
  expect(runtime.servers.length).toBe(1);
  client.send(write.headers(5, new Uint8Array(pseudo), true));
  await turn();
  expect(runtime.servers.length).toBe(2);
  expect(client.goaway()).toBeUndefined();
});

test("PING flood: ENHANCE_YOUR_CALM once past the allowance and the threshold", async () => {
  const { client, turn } = await setup("    tune.h2.fe.max-control-frames-per-sec 10\n    tune.h2.fe.glitches-threshold 50");
  const pings: Uint8Array[] = [];
  for (let k = 0; k < 100; k++) pings.push(write.ping(new Uint8Array(8)));
  client.send(concat(pings));
  await turn();
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  // Answered up to the point it was cut, no further.
  expect(client.of(FrameType.PING).length).toBeLessThan(100);
});

test("SETTINGS flood: ENHANCE_YOUR_CALM", async () => {
  const { client, turn } = await setup("    tune.h2.fe.max-control-frames-per-sec 10\n    tune.h2.fe.glitches-threshold 50");
  const frames: Uint8Array[] = [];
  for (let k = 0; k < 100; k++) frames.push(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 65535 + k]]));
  client.send(concat(frames));
  await turn();
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
});

test("a few PINGs a second are answered, never counted against the client", async () => {
  const { runtime, client, turn } = await setup("    tune.h2.fe.max-control-frames-per-sec 10\n    tune.h2.fe.glitches-threshold 5");
  for (let second = 0; second < 5; second++) {
    for (let k = 0; k < 8; k++) client.send(write.ping(new Uint8Array(8)));
    await turn();
    await runtime.clock.advance(1000);
  }
  expect(client.goaway()).toBeUndefined();
  expect(client.of(FrameType.PING).length).toBe(40);
});

test("empty DATA frames without END_STREAM in a flood: ENHANCE_YOUR_CALM", async () => {
  const { client, turn } = await setup("    tune.h2.fe.glitches-threshold 100");
  client.send(client.headers(1, [[":method", "POST"], [":scheme", "http"], [":authority", "a"], [":path", "/"]], false));
  const empties: Uint8Array[] = [];
  for (let k = 0; k < 200; k++) empties.push(write.data(1, new Uint8Array(0), false));
  client.send(concat(empties));
  await turn();
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
});

test("malformed requests in a loop: each is reset, then GOAWAY ENHANCE_YOUR_CALM", async () => {
  const { runtime, client, turn } = await setup("    tune.h2.fe.glitches-threshold 50");
  const frames: Uint8Array[] = [];
  for (let id = 1; id < 400; id += 2) frames.push(client.headers(id, [...GET("/"), ["X-Upper", "1"]], true));
  client.send(concat(frames));
  await turn();
  expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
  expect(client.goaway()?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  expect(runtime.servers.length).toBe(0);
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
