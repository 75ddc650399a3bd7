// How many writes a response from an HTTP/2 server costs the client side: the
// whole engine (session, stream, H2 mux, translation) over in-memory sockets,
// so every write the proxy makes is seen and counted. A response whose HEADERS
// and DATA arrive in one read must leave in one write (it used to be one per
// frame: half the proxy's time under load went into those extra writes).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Proxy } from "../../../src/core/proxy.ts";
import { FrameType } from "../../../src/http2/constants.ts";
import { FrameReader } from "../../../src/http2/frame-reader.ts";
import * as write from "../../../src/http2/frame-writer.ts";
import type { Frame } from "../../../src/http2/frames.ts";
import { HpackDecoder, HpackEncoder } from "../../../src/http2/hpack/index.ts";
import { memProxy, MemSocket, memRuntime } from "../../support/mem-runtime.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const runtime = memRuntime({ keep: true });
/** The end of a turn: promise jobs, and the proxy's deferred writes (its HTTP/2 frames), run. */
const turn = () => runtime.clock.settle();

let proxy: Proxy;
beforeAll(async () => {
  proxy = await memProxy(runtime, "proto h2", { strictOwnership: true });
});
afterAll(async () => {
  await proxy.stop(100);
});

/** The server's view of what the proxy sent: frames decoded as they come. */
function serverSide() {
  const frames: Frame[] = [];
  const reader = new FrameReader({ frame: (f) => frames.push(f), error: (e) => { throw e; } }, {
    role: "server",
    preface: true,
    maxHeaderBlockSize: 65536,
  });
  let read = 0;
  return {
    frames,
    /** Request header blocks received so far. */
    requests: () => frames.filter((f) => f.type === FrameType.HEADERS).length,
    /** Reads the writes the server socket got since the last call. */
    pump(socket: MemSocket): void {
      for (; read < socket.kept.length; read++) reader.push(socket.kept[read]!);
    },
  };
}

test("a response whose HEADERS and DATA come in one read reaches the client in one write, for each request", async () => {
  const client = new MemSocket("127.0.0.1", 40000, true);
  runtime.accept(client);
  const server = serverSide();
  const hpackOut = new HpackEncoder();
  const hpackIn = new HpackDecoder();
  let settingsSent = false;
  const bodies = ["Hello, world\n", "second answer\n", "third\n"];
  for (let i = 0; i < bodies.length; i++) {
    client.events.data(enc.encode(`GET /r${i} HTTP/1.1\r\nHost: example.test\r\n\r\n`));
    // The proxy connects, sends its preface (the server answers with its SETTINGS), then the request's HEADERS.
    for (let k = 0; k < 20 && server.requests() <= i; k++) {
      await turn();
      const socket = runtime.servers[0];
      if (socket === undefined) continue;
      if (!settingsSent && socket.kept.length !== 0) {
        settingsSent = true;
        socket.events.data(write.settings([]));
      }
      server.pump(socket);
    }
    expect(runtime.servers.length).toBe(1);
    const request = server.frames.filter((f) => f.type === FrameType.HEADERS).at(-1)!;
    if (request.type !== FrameType.HEADERS) throw new Error("no HEADERS");
    expect(hpackIn.decode(request.fragment)).toContainEqual([":path", `/r${i}`]);
    const before = client.writes;
    const body = enc.encode(bodies[i]!);
    const block = hpackOut.encode([[":status", "200"], ["content-type", "text/plain"], ["content-length", String(body.length)]]);
    const head = write.headers(request.streamId, block, false);
    const data = write.data(request.streamId, body, true);
    const chunk = new Uint8Array(head.length + data.length);
    chunk.set(head);
    chunk.set(data, head.length);
    runtime.servers[0]!.events.data(chunk);
    expect(client.writes - before).toBe(1);
    expect(dec.decode(client.kept.at(-1)!)).toBe(
      `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${bodies[i]}`,
    );
  }
  client.destroy();
});

