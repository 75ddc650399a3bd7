import { describe, expect, test } from "bun:test";
import { ErrorCode, Flag, FrameType, SettingId } from "../../../src/http2/constants.ts";
import type { H2Error } from "../../../src/http2/errors.ts";
import { FrameReader, type FrameReaderOptions } from "../../../src/http2/frame-reader.ts";
import * as write from "../../../src/http2/frame-writer.ts";
import type { Frame } from "../../../src/http2/frames.ts";

const { DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION } = FrameType;

function read(bytes: Uint8Array, options: FrameReaderOptions = {}): Frame[] {
  const frames: Frame[] = [];
  const errors: H2Error[] = [];
  const reader = new FrameReader({ frame: (f) => frames.push(f), error: (e) => errors.push(e) }, { maxFrameSize: 0xffffff, ...options });
  reader.push(bytes);
  expect(errors).toEqual([]);
  expect(reader.atBoundary).toBe(true);
  return frames;
}

function plain(f: Frame): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) out[k] = v instanceof Uint8Array ? Array.from(v) : v;
  return out;
}

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** [length, type, flags, streamId] of each frame in a buffer. */
function headersOf(buf: Uint8Array): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let at = 0; at < buf.length; ) {
    const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    out.push([length, buf[at + 3]!, buf[at + 4]!, ((buf[at + 5]! << 24) | (buf[at + 6]! << 16) | (buf[at + 7]! << 8) | buf[at + 8]!) >>> 0]);
    at += 9 + length;
  }
  return out;
}

const PING_DATA = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

describe("round trips writer → reader, every frame type", () => {
  test("DATA", () => {
    expect(read(write.data(1, bytes(100), false)).map(plain)).toEqual([{ type: DATA, streamId: 1, data: Array.from(bytes(100)), endStream: false, flowLength: 100 }]);
    expect(read(write.data(0x7fffffff, new Uint8Array(0), true)).map(plain)).toEqual([{ type: DATA, streamId: 0x7fffffff, data: [], endStream: true, flowLength: 0 }]);
  });

  test("HEADERS, with and without priority", () => {
    expect(read(write.headers(3, bytes(20), true)).map(plain)).toEqual([
      { type: HEADERS, streamId: 3, fragment: Array.from(bytes(20)), endStream: true, endHeaders: true, priority: undefined },
    ]);
    const priority = { exclusive: true, dependency: 1, weight: 256 };
    expect(read(write.headers(5, bytes(3), false, 16384, priority)).map(plain)).toEqual([
      { type: HEADERS, streamId: 5, fragment: Array.from(bytes(3)), endStream: false, endHeaders: true, priority },
    ]);
  });

  test("HEADERS + CONTINUATION: joined, and as fragments", () => {
    const block = bytes(40000);
    const buf = write.headers(7, block, true, 16384, { exclusive: false, dependency: 3, weight: 1 });
    expect(read(buf).map(plain)).toEqual([
      { type: HEADERS, streamId: 7, fragment: Array.from(block), endStream: true, endHeaders: true, priority: { exclusive: false, dependency: 3, weight: 1 } },
    ]);
    const parts = read(buf, { joinHeaderBlocks: false });
    expect(parts.map((f) => [f.type, (f as { fragment: Uint8Array }).fragment.length, (f as { endHeaders: boolean }).endHeaders])).toEqual([
      [HEADERS, 16384 - 5, false],
      [CONTINUATION, 16384, false],
      [CONTINUATION, 40000 - (16384 - 5) - 16384, true],
    ]);
  });

  test("PRIORITY", () => {
    const priority = { exclusive: true, dependency: 0x7fffffff, weight: 42 };
    expect(read(write.priority(9, priority)).map(plain)).toEqual([{ type: PRIORITY, streamId: 9, priority }]);
  });

  test("RST_STREAM", () => {
    expect(read(write.rstStream(1, ErrorCode.REFUSED_STREAM)).map(plain)).toEqual([{ type: RST_STREAM, streamId: 1, errorCode: ErrorCode.REFUSED_STREAM }]);
    expect(read(write.rstStream(1, 0xffffffff)).map(plain)).toEqual([{ type: RST_STREAM, streamId: 1, errorCode: 0xffffffff }]);
  });

  test("SETTINGS and its ACK", () => {
    const list: [number, number][] = [
      [SettingId.HEADER_TABLE_SIZE, 4096],
      [SettingId.ENABLE_PUSH, 0],
      [SettingId.MAX_CONCURRENT_STREAMS, 0xffffffff],
      [SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff],
      [SettingId.MAX_FRAME_SIZE, 0xffffff],
      [SettingId.MAX_HEADER_LIST_SIZE, 65536],
    ];
    expect(read(write.settings(list)).map(plain)).toEqual([{ type: SETTINGS, streamId: 0, ack: false, settings: list }]);
    expect(read(write.settings([])).map(plain)).toEqual([{ type: SETTINGS, streamId: 0, ack: false, settings: [] }]);
    expect(read(write.settingsAck()).map(plain)).toEqual([{ type: SETTINGS, streamId: 0, ack: true, settings: [] }]);
  });

  test("PUSH_PROMISE, with CONTINUATION", () => {
    expect(read(write.pushPromise(1, 2, bytes(10))).map(plain)).toEqual([{ type: PUSH_PROMISE, streamId: 1, promisedId: 2, fragment: Array.from(bytes(10)), endHeaders: true }]);
    const big = bytes(20000);
    expect(read(write.pushPromise(3, 4, big)).map(plain)).toEqual([{ type: PUSH_PROMISE, streamId: 3, promisedId: 4, fragment: Array.from(big), endHeaders: true }]);
    expect(headersOf(write.pushPromise(3, 4, big)).map((h) => h.slice(0, 3))).toEqual([
      [16384, PUSH_PROMISE, 0],
      [20000 - 16380, CONTINUATION, Flag.END_HEADERS],
    ]);
  });

  test("PING and its ACK", () => {
    expect(read(write.ping(PING_DATA)).map(plain)).toEqual([{ type: PING, streamId: 0, ack: false, data: Array.from(PING_DATA) }]);
    expect(read(write.ping(PING_DATA, true)).map(plain)).toEqual([{ type: PING, streamId: 0, ack: true, data: Array.from(PING_DATA) }]);
  });

  test("GOAWAY: no debug data, bytes, a string", () => {
    expect(read(write.goaway(0, ErrorCode.NO_ERROR)).map(plain)).toEqual([{ type: GOAWAY, streamId: 0, lastStreamId: 0, errorCode: 0, debug: [] }]);
    expect(read(write.goaway(0x7fffffff, ErrorCode.PROTOCOL_ERROR, Uint8Array.of(1, 2))).map(plain)).toEqual([
      { type: GOAWAY, streamId: 0, lastStreamId: 0x7fffffff, errorCode: 1, debug: [1, 2] },
    ]);
    const [f] = read(write.goaway(5, ErrorCode.ENHANCE_YOUR_CALM, "héllo"));
    expect(f!.type === GOAWAY && new TextDecoder().decode(f.debug)).toBe("héllo");
  });

  test("WINDOW_UPDATE on the connection and a stream", () => {
    expect(read(write.windowUpdate(0, 1)).map(plain)).toEqual([{ type: WINDOW_UPDATE, streamId: 0, increment: 1 }]);
    expect(read(write.windowUpdate(11, 0x7fffffff)).map(plain)).toEqual([{ type: WINDOW_UPDATE, streamId: 11, increment: 0x7fffffff }]);
  });

  test("many frames back to back, every split point", () => {
    const all = [
      write.settings([[SettingId.MAX_FRAME_SIZE, 16384]]),
      write.settingsAck(),
      write.headers(1, bytes(50), false, 16384),
      write.headers(3, bytes(40), false, 16384, { exclusive: false, dependency: 1, weight: 16 }),
      write.data(1, bytes(70), true, 16384),
      write.priority(3, { exclusive: true, dependency: 1, weight: 2 }),
      write.rstStream(3, ErrorCode.CANCEL),
      write.pushPromise(1, 2, bytes(5)),
      write.ping(PING_DATA),
      write.windowUpdate(0, 1000),
      write.goaway(3, ErrorCode.NO_ERROR, "done"),
    ];
    const buf = new Uint8Array(all.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of all) {
      buf.set(b, at);
      at += b.length;
    }
    const expected = read(buf).map(plain);
    expect(expected.map((f) => (f as { type: number }).type)).toEqual([SETTINGS, SETTINGS, HEADERS, HEADERS, DATA, PRIORITY, RST_STREAM, PUSH_PROMISE, PING, WINDOW_UPDATE, GOAWAY]);
    for (let i = 0; i <= buf.length; i++) {
      const frames: Frame[] = [];
      const reader = new FrameReader({ frame: (f) => frames.push(f), error: (e) => frames.push(e as never) });
      reader.push(buf.slice(0, i));
      reader.push(buf.slice(i));
      expect(frames.map(plain)).toEqual(expected);
    }
  });
});

describe("wire format", () => {
  test("SETTINGS ACK", () => {
    expect(Array.from(write.settingsAck())).toEqual([0, 0, 0, 4, 1, 0, 0, 0, 0]);
  });

  test("SETTINGS", () => {
    expect(Array.from(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 0x01020304]]))).toEqual([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
  });

  test("PING ACK", () => {
    expect(Array.from(write.ping(PING_DATA, true))).toEqual([0, 0, 8, 6, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test("WINDOW_UPDATE", () => {
    expect(Array.from(write.windowUpdate(0x01020304, 0x7fffffff))).toEqual([0, 0, 4, 8, 0, 1, 2, 3, 4, 0x7f, 0xff, 0xff, 0xff]);
  });

  test("RST_STREAM", () => {
    expect(Array.from(write.rstStream(5, ErrorCode.STREAM_CLOSED))).toEqual([0, 0, 4, 3, 0, 0, 0, 0, 5, 0, 0, 0, 5]);
  });

  test("GOAWAY", () => {
    expect(Array.from(write.goaway(7, 0xdeadbeef, Uint8Array.of(9)))).toEqual([0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef, 9]);
  });

  test("PRIORITY: E bit and weight - 1", () => {
    expect(Array.from(write.priority(3, { exclusive: true, dependency: 1, weight: 256 }))).toEqual([0, 0, 5, 2, 0, 0, 0, 0, 3, 0x80, 0, 0, 1, 255]);
  });

  test("HEADERS in one frame", () => {
    expect(Array.from(write.headers(1, Uint8Array.of(0x82, 0x86), true))).toEqual([0, 0, 2, 1, 5, 0, 0, 0, 1, 0x82, 0x86]);
  });

  test("HEADERS with priority", () => {
    expect(Array.from(write.headers(1, Uint8Array.of(0x82), false, 16384, { exclusive: false, dependency: 0, weight: 16 }))).toEqual([
      0, 0, 6, 1, 0x24, 0, 0, 0, 1, 0, 0, 0, 0, 15, 0x82,
    ]);
  });

  test("DATA", () => {
    expect(Array.from(write.data(1, Uint8Array.of(0x61), true))).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 1, 0x61]);
    expect(Array.from(write.dataFrameHeader(3, 0x010203, false))).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 3]);
  });

  test("rawFrame writes any type, flags and payload", () => {
    expect(Array.from(write.rawFrame(0x42, 0xff, 9, Uint8Array.of(1, 2)))).toEqual([0, 0, 2, 0x42, 0xff, 0, 0, 0, 9, 1, 2]);
    expect(Array.from(write.rawFrame(0x43, 0, 0))).toEqual([0, 0, 0, 0x43, 0, 0, 0, 0, 0]);
  });
});

describe("splitting by the peer's max frame size", () => {
  for (const n of [0, 1, 16383, 16384, 16385, 32768, 50000]) {
    test(`DATA of ${n} octets`, () => {
      const payload = bytes(n, n);
      const buf = write.data(1, payload, true, 16384);
      const count = Math.max(1, Math.ceil(n / 16384));
      expect(buf.length).toBe(n + 9 * count);
      const hs = headersOf(buf);
      expect(hs).toHaveLength(count);
      hs.forEach(([length, type, flags, streamId], i) => {
        expect(type).toBe(DATA);
        expect(streamId).toBe(1);
        expect(length).toBe(i < count - 1 ? 16384 : n - 16384 * (count - 1));
        expect(flags).toBe(i === count - 1 ? Flag.END_STREAM : 0);
      });
      const frames = read(buf);
      const joined = frames.flatMap((f) => (f.type === DATA ? Array.from(f.data) : []));
      expect(joined).toEqual(Array.from(payload));
    });
  }

  test("DATA without END_STREAM: no frame carries it", () => {
    expect(headersOf(write.data(1, bytes(40000), false)).map((h) => h[2])).toEqual([0, 0, 0]);
  });

  test("DATA with a larger max frame size", () => {
    expect(headersOf(write.data(1, bytes(40000), false, 32768)).map((h) => h[0])).toEqual([32768, 40000 - 32768]);
  });

  for (const n of [0, 16384, 16385, 16384 * 3, 16384 * 3 + 1]) {
    test(`HEADERS with a block of ${n} octets: CONTINUATION frames as needed, END_HEADERS on the last, END_STREAM on HEADERS`, () => {
      const block = bytes(n, 7);
      const buf = write.headers(5, block, true, 16384);
      const count = Math.max(1, Math.ceil(n / 16384));
      expect(buf.length).toBe(n + 9 * count);
      const hs = headersOf(buf);
      expect(hs.map((h) => h[1])).toEqual([HEADERS, ...Array(count - 1).fill(CONTINUATION)]);
      expect(hs.map((h) => h[2])).toEqual(count === 1 ? [Flag.END_STREAM | Flag.END_HEADERS] : [Flag.END_STREAM, ...Array(count - 2).fill(0), Flag.END_HEADERS]);
      expect(hs.every((h) => h[3] === 5 && h[0] <= 16384)).toBe(true);
      const [f] = read(buf);
      expect(f!.type === HEADERS && Array.from(f.fragment)).toEqual(Array.from(block));
    });
  }

  test("HEADERS with priority: the first frame's 5 octets count towards the max", () => {
    const buf = write.headers(1, bytes(16380), false, 16384, { exclusive: false, dependency: 0, weight: 16 });
    expect(headersOf(buf).map((h) => h.slice(0, 3))).toEqual([
      [16384, HEADERS, Flag.PRIORITY],
      [1, CONTINUATION, Flag.END_HEADERS],
    ]);
  });
});

describe("arguments that cannot make a valid frame throw RangeError", () => {
  test.each([
    ["DATA on stream 0", () => write.data(0, new Uint8Array(1), false)],
    ["HEADERS on stream 0", () => write.headers(0, new Uint8Array(1), false)],
    ["RST_STREAM on stream 0", () => write.rstStream(0, 0)],
    ["PRIORITY on stream 0", () => write.priority(0, { exclusive: false, dependency: 1, weight: 16 })],
    ["PUSH_PROMISE promising stream 0", () => write.pushPromise(1, 0, new Uint8Array(1))],
    ["a stream id above 2^31-1", () => write.windowUpdate(0x80000000, 1)],
    ["a negative stream id", () => write.data(-1, new Uint8Array(1), false)],
    ["WINDOW_UPDATE of 0", () => write.windowUpdate(1, 0)],
    ["WINDOW_UPDATE above 2^31-1", () => write.windowUpdate(0, 0x80000000)],
    ["PING data of 7 octets", () => write.ping(new Uint8Array(7))],
    ["a max frame size below 2^14", () => write.data(1, new Uint8Array(1), false, 16383)],
    ["a max frame size above 2^24-1", () => write.headers(1, new Uint8Array(1), false, 0x1000000)],
    ["a weight of 0", () => write.priority(1, { exclusive: false, dependency: 3, weight: 0 })],
    ["a weight of 257", () => write.headers(1, new Uint8Array(1), false, 16384, { exclusive: false, dependency: 3, weight: 257 })],
    ["a DATA length above 2^24-1", () => write.dataFrameHeader(1, 0x1000000, false)],
  ] as [string, () => unknown][])("%s", (_name, make) => {
    expect(make).toThrow(RangeError);
  });
});
