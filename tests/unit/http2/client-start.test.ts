// A server speaks first on HTTP/2 (its SETTINGS): bytes it sent before the
// connection object took its socket must be read only after our preface is
// queued, so that our SETTINGS ACK never precedes the preface (RFC 9113 §3.4;
// a server answers that with GOAWAY PROTOCOL_ERROR). Seen on Deno, whose
// reads can complete before the connect callback runs.
import { expect, test } from "bun:test";
import { H2ClientConnection } from "../../../src/http2/client-connection.ts";
import { CONNECTION_PREFACE, FrameType } from "../../../src/http2/constants.ts";
import { FrameReader } from "../../../src/http2/frame-reader.ts";
import * as write from "../../../src/http2/frame-writer.ts";
import type { Frame } from "../../../src/http2/frames.ts";
import { MemSocket } from "../../support/mem-runtime.ts";

test("early server SETTINGS: the preface and our SETTINGS go out first, the ACK after them", async () => {
  const socket = new MemSocket("127.0.0.1", 9100, true);
  const conn = new H2ClientConnection(socket, { slots() {}, closed() {} }, { defer: (fn) => setImmediate(fn) });
  conn.start([write.settings([])]);
  await new Promise<void>((r) => setImmediate(r));
  const out = new Uint8Array(socket.kept.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of socket.kept) {
    out.set(c, at);
    at += c.length;
  }
  expect(Buffer.from(out.subarray(0, CONNECTION_PREFACE.length)).equals(Buffer.from(CONNECTION_PREFACE))).toBe(true);
  const frames: Frame[] = [];
  const reader = new FrameReader({ frame: (f) => frames.push(f), error: (e) => { throw e; } }, { role: "server", preface: true, maxHeaderBlockSize: 65536 });
  reader.push(out);
  const settings = frames.filter((f) => f.type === FrameType.SETTINGS);
  expect(settings.length).toBe(2);
  expect(settings[0]!.type === FrameType.SETTINGS && settings[0]!.ack).toBe(false);
  expect(settings[1]!.type === FrameType.SETTINGS && settings[1]!.ack).toBe(true);
  expect(conn.settled).toBe(true);
  conn.close();
});
