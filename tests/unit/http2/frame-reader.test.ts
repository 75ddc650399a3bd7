import { describe, expect, test } from "bun:test";
import { CONNECTION_PREFACE, ErrorCode, Flag, FrameType, SettingId, errorCodeName, frameTypeName, settingName } from "../../../src/http2/constants.ts";
import { H2ConnectionError, H2StreamError, type H2Error } from "../../../src/http2/errors.ts";
import { DEFAULT_MAX_HEADER_BLOCK_SIZE, FrameReader, type FrameReaderOptions } from "../../../src/http2/frame-reader.ts";
import type { Frame } from "../../../src/http2/frames.ts";

// ---- helpers (frames built by hand, independent of the writer) ----

const { DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION } = FrameType;
const { END_STREAM, ACK, END_HEADERS, PADDED } = Flag;
const PRIO = Flag.PRIORITY;

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function setting(id: number, value: number): number[] {
  return [id >>> 8, id & 0xff, ...u32(value)];
}

/** A frame exactly as given; `length` overrides the length field. */
function raw(type: number, flags: number, streamId: number, payload: ArrayLike<number> = [], length = payload.length): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out.set([length >>> 16, (length >>> 8) & 0xff, length & 0xff, type, flags, ...u32(streamId)]);
  out.set(payload, 9);
  return out;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

interface Run {
  reader: FrameReader;
  frames: Frame[];
  errors: H2Error[];
  /** Frames and errors in order. */
  log: (Frame | H2Error)[];
}

function reader(options: FrameReaderOptions = {}, hooks: { frame?: (f: Frame, r: FrameReader) => void } = {}): Run {
  const run: Run = { reader: undefined as unknown as FrameReader, frames: [], errors: [], log: [] };
  run.reader = new FrameReader(
    {
      frame(f) {
        run.frames.push(f);
        run.log.push(f);
        hooks.frame?.(f, run.reader);
      },
      error(e) {
        run.errors.push(e);
        run.log.push(e);
      },
    },
    options,
  );
  return run;
}

function read(chunks: Uint8Array | Uint8Array[], options: FrameReaderOptions = {}): Run {
  const run = reader(options);
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) run.reader.push(c);
  return run;
}

/** A frame with byte fields as plain arrays, for toEqual. */
function plain(f: Frame | H2Error): unknown {
  if (f instanceof Error) return { error: f.constructor.name, message: f.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) out[k] = v instanceof Uint8Array ? Array.from(v) : v;
  return out;
}

function expectConnectionError(run: Run, code: number): H2ConnectionError {
  expect(run.errors).toHaveLength(1);
  const e = run.errors[0]!;
  expect(e).toBeInstanceOf(H2ConnectionError);
  expect(e.code).toBe(code);
  expect(e.message.startsWith(`${errorCodeName(code)}: `)).toBe(true);
  expect(run.reader.closed).toBe(true);
  return e as H2ConnectionError;
}

function expectStreamError(run: Run, streamId: number, code: number): H2StreamError {
  expect(run.errors).toHaveLength(1);
  const e = run.errors[0]!;
  expect(e).toBeInstanceOf(H2StreamError);
  expect((e as H2StreamError).streamId).toBe(streamId);
  expect(e.code).toBe(code);
  expect(e.message.startsWith(`${errorCodeName(code)} on stream ${streamId}: `)).toBe(true);
  expect(run.reader.closed).toBe(false);
  return e as H2StreamError;
}

const PING_DATA = [1, 2, 3, 4, 5, 6, 7, 8];
/** A frame that must still be read after a stream error. */
const AFTER = raw(PING, 0, 0, PING_DATA);

// ---- frames ----

describe("frames", () => {
  test("DATA: data, endStream, flowLength", () => {
    const { frames, errors } = read(cat(raw(DATA, 0, 1, ascii("hello")), raw(DATA, END_STREAM, 1, [])));
    expect(errors).toEqual([]);
    expect(frames.map(plain)).toEqual([
      { type: DATA, streamId: 1, data: Array.from(ascii("hello")), endStream: false, flowLength: 5 },
      { type: DATA, streamId: 1, data: [], endStream: true, flowLength: 0 },
    ]);
  });

  test("DATA: padding removed, flowLength counts the Pad Length octet and the padding", () => {
    const { frames } = read(cat(raw(DATA, PADDED | END_STREAM, 3, [3, 0x61, 0x62, 0, 0, 0]), raw(DATA, PADDED, 3, [0]), raw(DATA, PADDED, 3, [2, 0, 0])));
    expect(frames.map(plain)).toEqual([
      { type: DATA, streamId: 3, data: [0x61, 0x62], endStream: true, flowLength: 6 },
      { type: DATA, streamId: 3, data: [], endStream: false, flowLength: 1 },
      { type: DATA, streamId: 3, data: [], endStream: false, flowLength: 3 },
    ]);
  });

  test("HEADERS: plain, padded, with priority, both", () => {
    const { frames } = read(
      cat(
        raw(HEADERS, END_HEADERS, 1, [0x82, 0x84]),
        raw(HEADERS, END_HEADERS | END_STREAM | PADDED, 3, [2, 0x82, 0, 0]),
        raw(HEADERS, END_HEADERS | PRIO, 5, [...u32(0x80000003), 15, 0x82]),
        raw(HEADERS, END_HEADERS | PRIO | PADDED, 7, [1, ...u32(1), 255, 0x82, 0x86, 0]),
      ),
    );
    expect(frames.map(plain)).toEqual([
      { type: HEADERS, streamId: 1, fragment: [0x82, 0x84], endStream: false, endHeaders: true, priority: undefined },
      { type: HEADERS, streamId: 3, fragment: [0x82], endStream: true, endHeaders: true, priority: undefined },
      { type: HEADERS, streamId: 5, fragment: [0x82], endStream: false, endHeaders: true, priority: { exclusive: true, dependency: 3, weight: 16 } },
      { type: HEADERS, streamId: 7, fragment: [0x82, 0x86], endStream: false, endHeaders: true, priority: { exclusive: false, dependency: 1, weight: 256 } },
    ]);
  });

  test("HEADERS + CONTINUATION joined into one block (default)", () => {
    const { frames, errors } = read(
      cat(raw(HEADERS, END_STREAM | PADDED, 1, [1, 1, 2, 0]), raw(CONTINUATION, 0, 1, [3]), raw(CONTINUATION, 0, 1, []), raw(CONTINUATION, END_HEADERS, 1, [4, 5])),
    );
    expect(errors).toEqual([]);
    expect(frames.map(plain)).toEqual([{ type: HEADERS, streamId: 1, fragment: [1, 2, 3, 4, 5], endStream: true, endHeaders: true, priority: undefined }]);
  });

  test("HEADERS + CONTINUATION as fragments (joinHeaderBlocks: false)", () => {
    const { frames } = read(cat(raw(HEADERS, 0, 1, [1, 2]), raw(CONTINUATION, 0, 1, [3]), raw(CONTINUATION, END_HEADERS, 1, [4])), { joinHeaderBlocks: false });
    expect(frames.map(plain)).toEqual([
      { type: HEADERS, streamId: 1, fragment: [1, 2], endStream: false, endHeaders: false, priority: undefined },
      { type: CONTINUATION, streamId: 1, fragment: [3], endHeaders: false },
      { type: CONTINUATION, streamId: 1, fragment: [4], endHeaders: true },
    ]);
  });

  test("PRIORITY", () => {
    const { frames } = read(cat(raw(PRIORITY, 0, 5, [...u32(0x80000001), 0]), raw(PRIORITY, 0, 7, [...u32(0), 200])));
    expect(frames.map(plain)).toEqual([
      { type: PRIORITY, streamId: 5, priority: { exclusive: true, dependency: 1, weight: 1 } },
      { type: PRIORITY, streamId: 7, priority: { exclusive: false, dependency: 0, weight: 201 } },
    ]);
  });

  test("RST_STREAM, unknown error codes accepted", () => {
    const { frames } = read(cat(raw(RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)), raw(RST_STREAM, 0, 3, u32(0xffffffff))));
    expect(frames.map(plain)).toEqual([
      { type: RST_STREAM, streamId: 1, errorCode: ErrorCode.CANCEL },
      { type: RST_STREAM, streamId: 3, errorCode: 0xffffffff },
    ]);
  });

  test("SETTINGS: entries in order (unknown ids kept, unchecked), empty, ACK", () => {
    const { frames, errors } = read(
      cat(
        raw(SETTINGS, 0, 0, [
          ...setting(SettingId.HEADER_TABLE_SIZE, 0),
          ...setting(SettingId.ENABLE_PUSH, 0),
          ...setting(SettingId.MAX_CONCURRENT_STREAMS, 0xffffffff),
          ...setting(SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff),
          ...setting(SettingId.MAX_FRAME_SIZE, 16384),
          ...setting(SettingId.MAX_FRAME_SIZE, 0xffffff),
          ...setting(SettingId.MAX_HEADER_LIST_SIZE, 8192),
          ...setting(0xabcd, 0xffffffff),
          ...setting(SettingId.ENABLE_PUSH, 1),
        ]),
        raw(SETTINGS, 0, 0, []),
        raw(SETTINGS, ACK, 0, []),
      ),
    );
    expect(errors).toEqual([]);
    expect(frames.map(plain)).toEqual([
      {
        type: SETTINGS,
        streamId: 0,
        ack: false,
        settings: [
          [1, 0],
          [2, 0],
          [3, 0xffffffff],
          [4, 0x7fffffff],
          [5, 16384],
          [5, 0xffffff],
          [6, 8192],
          [0xabcd, 0xffffffff],
          [2, 1],
        ],
      },
      { type: SETTINGS, streamId: 0, ack: false, settings: [] },
      { type: SETTINGS, streamId: 0, ack: true, settings: [] },
    ]);
  });

  test("PUSH_PROMISE: plain, padded, joined with CONTINUATION", () => {
    const { frames } = read(
      cat(
        raw(PUSH_PROMISE, END_HEADERS, 1, [...u32(2), 0x82]),
        raw(PUSH_PROMISE, END_HEADERS | PADDED, 1, [2, ...u32(4), 0x82, 0x84, 0, 0]),
        raw(PUSH_PROMISE, 0, 3, [...u32(6), 1]),
        raw(CONTINUATION, END_HEADERS, 3, [2]),
      ),
    );
    expect(frames.map(plain)).toEqual([
      { type: PUSH_PROMISE, streamId: 1, promisedId: 2, fragment: [0x82], endHeaders: true },
      { type: PUSH_PROMISE, streamId: 1, promisedId: 4, fragment: [0x82, 0x84], endHeaders: true },
      { type: PUSH_PROMISE, streamId: 3, promisedId: 6, fragment: [1, 2], endHeaders: true },
    ]);
  });

  test("PING and its ACK", () => {
    const { frames } = read(cat(raw(PING, 0, 0, PING_DATA), raw(PING, ACK, 0, PING_DATA)));
    expect(frames.map(plain)).toEqual([
      { type: PING, streamId: 0, ack: false, data: PING_DATA },
      { type: PING, streamId: 0, ack: true, data: PING_DATA },
    ]);
  });

  test("GOAWAY with and without debug data", () => {
    const { frames } = read(cat(raw(GOAWAY, 0, 0, [...u32(7), ...u32(ErrorCode.ENHANCE_YOUR_CALM), ...ascii("calm")]), raw(GOAWAY, 0, 0, [...u32(0), ...u32(0)])));
    expect(frames.map(plain)).toEqual([
      { type: GOAWAY, streamId: 0, lastStreamId: 7, errorCode: ErrorCode.ENHANCE_YOUR_CALM, debug: Array.from(ascii("calm")) },
      { type: GOAWAY, streamId: 0, lastStreamId: 0, errorCode: 0, debug: [] },
    ]);
  });

  test("WINDOW_UPDATE on the connection and on a stream, up to 2^31-1", () => {
    const { frames } = read(cat(raw(WINDOW_UPDATE, 0, 0, u32(1)), raw(WINDOW_UPDATE, 0, 9, u32(0x7fffffff))));
    expect(frames.map(plain)).toEqual([
      { type: WINDOW_UPDATE, streamId: 0, increment: 1 },
      { type: WINDOW_UPDATE, streamId: 9, increment: 0x7fffffff },
    ]);
  });

  test("unknown frame types are skipped, whatever their stream, flags and size", () => {
    const big = new Uint8Array(16384).fill(7);
    const bytes = cat(raw(0x0a, 0xff, 0, [1, 2, 3]), raw(0xfe, 0, 5, []), raw(0x20, 0x1, 0x7fffffff, big), AFTER);
    for (const chunks of [[bytes], [bytes.subarray(0, 20), bytes.subarray(20, 100), bytes.subarray(100)]]) {
      const { frames, errors } = read(chunks);
      expect(errors).toEqual([]);
      expect(frames.map(plain)).toEqual([{ type: PING, streamId: 0, ack: false, data: PING_DATA }]);
    }
  });

  test("unknown flags are ignored", () => {
    const { frames } = read(cat(raw(DATA, 0xf6, 1, [9]), raw(PING, 0xfe, 0, PING_DATA), raw(SETTINGS, 0xfe, 0, [])));
    expect(frames.map(plain)).toEqual([
      { type: DATA, streamId: 1, data: [9], endStream: false, flowLength: 1 },
      { type: PING, streamId: 0, ack: false, data: PING_DATA },
      { type: SETTINGS, streamId: 0, ack: false, settings: [] },
    ]);
  });

  test("the reserved bit is ignored: stream ids, WINDOW_UPDATE increment, GOAWAY last stream, promised id", () => {
    const R = 0x80000000;
    const { frames, errors } = read(
      cat(
        raw(DATA, 0, R | 1, [1]),
        raw(WINDOW_UPDATE, 0, R, u32(R | 10)),
        raw(WINDOW_UPDATE, 0, R | 3, u32(R | 1)),
        raw(GOAWAY, 0, R, [...u32(R | 5), ...u32(0)]),
        raw(PUSH_PROMISE, END_HEADERS, R | 1, [...u32(R | 2)]),
        raw(RST_STREAM, 0, R | 3, u32(0)),
      ),
    );
    expect(errors).toEqual([]);
    expect(frames.map(plain)).toEqual([
      { type: DATA, streamId: 1, data: [1], endStream: false, flowLength: 1 },
      { type: WINDOW_UPDATE, streamId: 0, increment: 10 },
      { type: WINDOW_UPDATE, streamId: 3, increment: 1 },
      { type: GOAWAY, streamId: 0, lastStreamId: 5, errorCode: 0, debug: [] },
      { type: PUSH_PROMISE, streamId: 1, promisedId: 2, fragment: [], endHeaders: true },
      { type: RST_STREAM, streamId: 3, errorCode: 0 },
    ]);
  });

  test("a frame up to the max frame size is read; setMaxFrameSize raises it", () => {
    const max = new Uint8Array(16384);
    expect(read(raw(DATA, 0, 1, max)).frames).toHaveLength(1);
    const r = reader({ maxFrameSize: 20000 });
    expect(r.reader.maxFrameSize).toBe(20000);
    r.reader.push(raw(DATA, 0, 1, new Uint8Array(20000)));
    r.reader.setMaxFrameSize(0xffffff);
    r.reader.push(raw(DATA, 0, 1, new Uint8Array(100000)));
    expect(r.errors).toEqual([]);
    expect(r.frames.map((f) => (f.type === DATA ? f.data.length : -1))).toEqual([20000, 100000]);
  });

  test("setMaxFrameSize refuses values outside 2^14..2^24-1", () => {
    const { reader: r } = reader();
    expect(() => r.setMaxFrameSize(16383)).toThrow(RangeError);
    expect(() => r.setMaxFrameSize(0x1000000)).toThrow(RangeError);
    expect(() => r.setMaxFrameSize(20000.5)).toThrow(RangeError);
    expect(() => new FrameReader({ frame() {}, error() {} }, { maxFrameSize: 100 })).toThrow(RangeError);
    expect(r.maxFrameSize).toBe(16384);
  });

  test("a 64 KiB field block by default, the size limit settable", () => {
    const r = reader();
    expect(r.reader.maxHeaderBlockSize).toBe(DEFAULT_MAX_HEADER_BLOCK_SIZE);
    const parts = [raw(HEADERS, 0, 1, new Uint8Array(16384))];
    for (let i = 0; i < 3; i++) parts.push(raw(CONTINUATION, i === 2 ? END_HEADERS : 0, 1, new Uint8Array(16384)));
    r.reader.push(cat(...parts));
    expect(r.errors).toEqual([]);
    expect(r.frames.map((f) => (f.type === HEADERS ? f.fragment.length : -1))).toEqual([65536]);
    r.reader.setMaxHeaderBlockSize(10);
    r.reader.push(raw(HEADERS, END_HEADERS, 3, new Uint8Array(10)));
    expect(r.errors).toEqual([]);
    r.reader.push(raw(HEADERS, END_HEADERS, 5, new Uint8Array(11)));
    expectConnectionError(r, ErrorCode.ENHANCE_YOUR_CALM);
  });
});

// ---- zero copy ----

describe("zero copy", () => {
  // Reads up to COPY_BELOW (4 KiB) are copied into a slab first (a copy is
  // cheaper than the first view of a fresh runtime buffer): these chunks are
  // made bigger with an extension frame, which the reader skips.
  const FILLER = raw(0xfa, 0, 0, new Array(5000).fill(0));

  test("small reads are copied once; their frames are views of the copy", () => {
    const chunk = raw(DATA, 0, 1, [1, 2, 3]);
    const { frames } = read(chunk);
    const data = (frames[0] as { data: Uint8Array }).data;
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(data.buffer).not.toBe(chunk.buffer);
  });

  test("payloads within one chunk are views of it", () => {
    const chunk = cat(raw(DATA, PADDED, 1, [1, 0x61, 0]), raw(HEADERS, END_HEADERS | PRIO, 1, [...u32(0), 0, 0x82]), raw(PING, 0, 0, PING_DATA), raw(GOAWAY, 0, 0, [...u32(0), ...u32(0), 1]), FILLER);
    const { frames } = read(chunk);
    const views = frames.map((f) => (f.type === DATA ? f.data : f.type === HEADERS ? f.fragment : f.type === PING ? f.data : f.type === GOAWAY ? f.debug : undefined));
    for (const v of views) expect(v!.buffer).toBe(chunk.buffer);
    expect(views[0]!.byteOffset).toBe(10);
  });

  test("a payload alone in the next chunk (header split off) is a view of that chunk", () => {
    const bytes = raw(DATA, 0, 1, new Array(5000).fill(3));
    const second = bytes.slice(9);
    const { frames } = read([bytes.slice(0, 4), bytes.slice(4, 9), second]);
    expect((frames[0] as { data: Uint8Array }).data.buffer).toBe(second.buffer);
  });

  test("a payload straddling chunks is joined into a buffer of its own", () => {
    const bytes = raw(DATA, 0, 1, [1, 2, 3, 4]);
    const a = bytes.slice(0, 11);
    const b = bytes.slice(11);
    const { frames } = read([a, b]);
    const data = (frames[0] as { data: Uint8Array }).data;
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
    expect(data.buffer).not.toBe(a.buffer);
    expect(data.buffer).not.toBe(b.buffer);
    expect(data.buffer.byteLength).toBe(4);
  });

  test("a field block in one HEADERS frame is not copied; a joined one is", () => {
    const chunk = cat(raw(HEADERS, END_HEADERS, 1, [1, 2]), raw(HEADERS, 0, 3, [1]), raw(CONTINUATION, END_HEADERS, 3, [2]), FILLER);
    const { frames } = read(chunk);
    expect((frames[0] as { fragment: Uint8Array }).fragment.buffer).toBe(chunk.buffer);
    expect((frames[1] as { fragment: Uint8Array }).fragment.buffer).not.toBe(chunk.buffer);
  });
});

// ---- every split point ----

/** Frames of every type, padded and unpadded, unknown ones, a field block over three frames. */
function sequence(): Uint8Array {
  return cat(
    raw(SETTINGS, 0, 0, [...setting(SettingId.MAX_CONCURRENT_STREAMS, 100), ...setting(SettingId.INITIAL_WINDOW_SIZE, 1 << 20)]),
    raw(SETTINGS, ACK, 0, []),
    raw(WINDOW_UPDATE, 0, 0, u32(1 << 20)),
    raw(HEADERS, PADDED | PRIO | END_STREAM, 1, [3, ...u32(0), 15, 0x82, 0x86, 0, 0, 0]),
    raw(CONTINUATION, 0, 1, [0x84]),
    raw(CONTINUATION, 0, 1, []),
    raw(CONTINUATION, END_HEADERS, 1, [0x41, 0x01, 0x61]),
    raw(HEADERS, END_HEADERS, 3, [0x82]),
    raw(0x42, 0, 3, [9, 9, 9, 9, 9]),
    raw(DATA, PADDED, 3, [4, ...ascii("body"), 0, 0, 0, 0]),
    raw(DATA, 0, 3, ascii("more")),
    raw(0x43, 0, 0, []),
    raw(DATA, END_STREAM, 3, []),
    raw(PRIORITY, 0, 5, [...u32(3), 7]),
    raw(RST_STREAM, 0, 5, u32(ErrorCode.CANCEL)),
    raw(PUSH_PROMISE, PADDED, 3, [1, ...u32(2), 0x82, 0]),
    raw(CONTINUATION, END_HEADERS, 3, [0x84]),
    raw(PING, 0, 0, PING_DATA),
    raw(WINDOW_UPDATE, 0, 3, u32(100)),
    raw(GOAWAY, 0, 0, [...u32(3), ...u32(ErrorCode.NO_ERROR), ...ascii("bye")]),
  );
}

function splitAt(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.slice(from, p));
    from = p;
  }
  return chunks;
}

describe("every split point", () => {
  for (const joinHeaderBlocks of [true, false]) {
    const options = { joinHeaderBlocks };
    const bytes = sequence();
    const whole = read(bytes, options);
    const expected = whole.log.map(plain);

    test(`the sequence reads cleanly (joinHeaderBlocks: ${joinHeaderBlocks})`, () => {
      expect(whole.errors).toEqual([]);
      expect(whole.frames.length).toBe(joinHeaderBlocks ? 14 : 18);
      expect(whole.reader.atBoundary).toBe(true);
    });

    test(`one split at every offset gives the same frames (joinHeaderBlocks: ${joinHeaderBlocks})`, () => {
      for (let i = 0; i <= bytes.length; i++) expect(read(splitAt(bytes, [i]), options).log.map(plain)).toEqual(expected);
    });

    test(`two splits at every pair of offsets give the same frames (joinHeaderBlocks: ${joinHeaderBlocks})`, () => {
      const want = JSON.stringify(expected);
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j++) {
          const got = JSON.stringify(read(splitAt(bytes, [i, j]), options).log.map(plain));
          if (got !== want) expect(`split at ${i}, ${j}: ${got}`).toBe(want);
        }
      }
    });

    test(`one byte at a time gives the same frames (joinHeaderBlocks: ${joinHeaderBlocks})`, () => {
      const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
      expect(read(chunks, options).log.map(plain)).toEqual(expected);
    });
  }

  test("the client preface and its SETTINGS, split at every offset (role server)", () => {
    const bytes = cat(CONNECTION_PREFACE, raw(SETTINGS, 0, 0, setting(SettingId.ENABLE_PUSH, 0)), raw(HEADERS, END_HEADERS | END_STREAM, 1, [0x82]));
    const options = { role: "server" as const, preface: true };
    const expected = [
      { type: SETTINGS, streamId: 0, ack: false, settings: [[2, 0]] },
      { type: HEADERS, streamId: 1, fragment: [0x82], endStream: true, endHeaders: true, priority: undefined },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, i + 1, i + 9, bytes.length].filter((j) => j <= bytes.length)) {
        expect(read(splitAt(bytes, [i, j]), options).log.map(plain)).toEqual(expected);
      }
    }
  });

  test("errors are the same at every split point", () => {
    const bytes = cat(raw(WINDOW_UPDATE, 0, 1, u32(0)), raw(DATA, 0, 1, [1]), raw(PING, 0, 3, PING_DATA), raw(DATA, 0, 1, [2]));
    const expected = read(bytes).log.map(plain);
    expect(expected).toHaveLength(3);
    for (let i = 0; i <= bytes.length; i++) expect(read(splitAt(bytes, [i])).log.map(plain)).toEqual(expected);
  });
});

// ---- connection preface ----

describe("connection preface (§3.4)", () => {
  test("role server with preface: the 24 octets, then SETTINGS", () => {
    const { frames, errors } = read(cat(CONNECTION_PREFACE, raw(SETTINGS, 0, 0, [])), { role: "server", preface: true });
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.type)).toEqual([SETTINGS]);
  });

  test("role client with preface: no octets, a first SETTINGS", () => {
    const { frames, errors } = read(raw(SETTINGS, 0, 0, []), { role: "client", preface: true });
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.type)).toEqual([SETTINGS]);
  });

  test("an HTTP/1.1 request instead of the preface: PROTOCOL_ERROR at the first wrong octet", () => {
    const r = reader({ role: "server", preface: true });
    r.reader.push(ascii("PRI"));
    expect(r.errors).toEqual([]);
    r.reader.push(ascii(" / HTTP/1.1\r\n"));
    expectConnectionError(r, ErrorCode.PROTOCOL_ERROR);
    expect(r.errors[0]!.message).toContain("preface");
  });

  test("a first frame other than SETTINGS: PROTOCOL_ERROR", () => {
    expectConnectionError(read(cat(CONNECTION_PREFACE, AFTER), { role: "server", preface: true }), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(read(raw(WINDOW_UPDATE, 0, 0, u32(1)), { role: "client", preface: true }), ErrorCode.PROTOCOL_ERROR);
  });

  test("a first frame of an unknown type: PROTOCOL_ERROR", () => {
    expectConnectionError(read(raw(0x20, 0, 0, []), { preface: true }), ErrorCode.PROTOCOL_ERROR);
  });

  test("a SETTINGS ACK first: PROTOCOL_ERROR", () => {
    expectConnectionError(read(raw(SETTINGS, ACK, 0, []), { role: "client", preface: true }), ErrorCode.PROTOCOL_ERROR);
  });
});

// ---- connection errors ----

interface ErrorCase {
  name: string;
  bytes: Uint8Array;
  code: number;
  options?: FrameReaderOptions;
}

const connectionErrors: ErrorCase[] = [
  // frame size
  { name: "a frame larger than the max frame size (16384)", bytes: raw(DATA, 0, 1, new Uint8Array(16385)), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "a frame larger than a set max frame size", bytes: raw(DATA, 0, 1, new Uint8Array(20001)), code: ErrorCode.FRAME_SIZE_ERROR, options: { maxFrameSize: 20000 } },
  { name: "an unknown frame larger than the max frame size", bytes: raw(0x30, 0, 1, new Uint8Array(16385)), code: ErrorCode.FRAME_SIZE_ERROR },
  // stream id 0 where a stream is required
  { name: "DATA on stream 0", bytes: raw(DATA, 0, 0, [1]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "HEADERS on stream 0", bytes: raw(HEADERS, END_HEADERS, 0, [0x82]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "PRIORITY on stream 0", bytes: raw(PRIORITY, 0, 0, [0, 0, 0, 1, 0]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "RST_STREAM on stream 0", bytes: raw(RST_STREAM, 0, 0, u32(0)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "PUSH_PROMISE on stream 0", bytes: raw(PUSH_PROMISE, END_HEADERS, 0, u32(2)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "CONTINUATION on stream 0 inside a field block", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(CONTINUATION, END_HEADERS, 0, [])), code: ErrorCode.PROTOCOL_ERROR },
  // stream id where 0 is required
  { name: "SETTINGS on a stream", bytes: raw(SETTINGS, 0, 1, []), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS ACK on a stream", bytes: raw(SETTINGS, ACK, 3, []), code: ErrorCode.PROTOCOL_ERROR },
  { name: "PING on a stream", bytes: raw(PING, 0, 1, PING_DATA), code: ErrorCode.PROTOCOL_ERROR },
  { name: "GOAWAY on a stream", bytes: raw(GOAWAY, 0, 1, [...u32(0), ...u32(0)]), code: ErrorCode.PROTOCOL_ERROR },
  // fixed and minimum lengths
  { name: "RST_STREAM of 3 octets", bytes: raw(RST_STREAM, 0, 1, [0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "RST_STREAM of 5 octets", bytes: raw(RST_STREAM, 0, 1, [0, 0, 0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "PING of 7 octets", bytes: raw(PING, 0, 0, [1, 2, 3, 4, 5, 6, 7]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "PING of 9 octets", bytes: raw(PING, 0, 0, [...PING_DATA, 9]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "PING ACK of 0 octets", bytes: raw(PING, ACK, 0, []), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "WINDOW_UPDATE of 3 octets", bytes: raw(WINDOW_UPDATE, 0, 0, [0, 0, 1]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "WINDOW_UPDATE of 5 octets on a stream", bytes: raw(WINDOW_UPDATE, 0, 1, [0, 0, 0, 1, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "SETTINGS of 5 octets", bytes: raw(SETTINGS, 0, 0, [0, 1, 0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "SETTINGS of 7 octets", bytes: raw(SETTINGS, 0, 0, [...setting(1, 0), 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "SETTINGS ACK with a payload", bytes: raw(SETTINGS, ACK, 0, setting(1, 0)), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "GOAWAY of 7 octets", bytes: raw(GOAWAY, 0, 0, [0, 0, 0, 0, 0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "padded DATA without a Pad Length octet", bytes: raw(DATA, PADDED, 1, []), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "padded HEADERS without a Pad Length octet", bytes: raw(HEADERS, PADDED | END_HEADERS, 1, []), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "HEADERS with PRIORITY but 4 octets", bytes: raw(HEADERS, PRIO | END_HEADERS, 1, [0, 0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "padded HEADERS with PRIORITY but 5 octets", bytes: raw(HEADERS, PADDED | PRIO | END_HEADERS, 1, [0, 0, 0, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "PUSH_PROMISE of 3 octets", bytes: raw(PUSH_PROMISE, END_HEADERS, 1, [0, 0, 2]), code: ErrorCode.FRAME_SIZE_ERROR },
  { name: "padded PUSH_PROMISE of 4 octets", bytes: raw(PUSH_PROMISE, PADDED | END_HEADERS, 1, [0, 0, 0, 2]), code: ErrorCode.FRAME_SIZE_ERROR },
  // padding
  { name: "DATA padding equal to the payload length", bytes: raw(DATA, PADDED, 1, [3, 0, 0]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "DATA padding longer than the payload", bytes: raw(DATA, PADDED, 1, [200, 0, 0]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "DATA padding equal to the payload length, data octets present", bytes: raw(DATA, PADDED, 1, [4, 1, 0, 0]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "HEADERS padding exceeding the payload", bytes: raw(HEADERS, PADDED | END_HEADERS, 1, [2, 0x82]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "HEADERS padding exceeding what the priority fields leave", bytes: raw(HEADERS, PADDED | PRIO | END_HEADERS, 1, [2, 0, 0, 0, 0, 0, 0]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "PUSH_PROMISE padding exceeding the payload", bytes: raw(PUSH_PROMISE, PADDED | END_HEADERS, 1, [1, ...u32(2)]), code: ErrorCode.PROTOCOL_ERROR },
  // SETTINGS values
  { name: "SETTINGS_ENABLE_PUSH = 2", bytes: raw(SETTINGS, 0, 0, setting(SettingId.ENABLE_PUSH, 2)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS_ENABLE_PUSH = 2^32-1", bytes: raw(SETTINGS, 0, 0, setting(SettingId.ENABLE_PUSH, 0xffffffff)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS_ENABLE_PUSH = 1 from a server (role client)", bytes: raw(SETTINGS, 0, 0, setting(SettingId.ENABLE_PUSH, 1)), code: ErrorCode.PROTOCOL_ERROR, options: { role: "client" } },
  { name: "SETTINGS_INITIAL_WINDOW_SIZE = 2^31", bytes: raw(SETTINGS, 0, 0, setting(SettingId.INITIAL_WINDOW_SIZE, 0x80000000)), code: ErrorCode.FLOW_CONTROL_ERROR },
  { name: "SETTINGS_INITIAL_WINDOW_SIZE = 2^32-1", bytes: raw(SETTINGS, 0, 0, setting(SettingId.INITIAL_WINDOW_SIZE, 0xffffffff)), code: ErrorCode.FLOW_CONTROL_ERROR },
  { name: "SETTINGS_MAX_FRAME_SIZE = 2^14-1", bytes: raw(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 16383)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS_MAX_FRAME_SIZE = 0", bytes: raw(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 0)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS_MAX_FRAME_SIZE = 2^24", bytes: raw(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 0x1000000)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS_NO_RFC7540_PRIORITIES = 2 (RFC 9218)", bytes: raw(SETTINGS, 0, 0, setting(SettingId.NO_RFC7540_PRIORITIES, 2)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "a bad value after good ones", bytes: raw(SETTINGS, 0, 0, [...setting(1, 0), ...setting(0x99, 5), ...setting(SettingId.ENABLE_PUSH, 3)]), code: ErrorCode.PROTOCOL_ERROR },
  // WINDOW_UPDATE
  { name: "WINDOW_UPDATE of 0 on the connection", bytes: raw(WINDOW_UPDATE, 0, 0, u32(0)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "WINDOW_UPDATE of 0 on the connection, reserved bit set", bytes: raw(WINDOW_UPDATE, 0, 0, u32(0x80000000)), code: ErrorCode.PROTOCOL_ERROR },
  // PUSH_PROMISE
  { name: "PUSH_PROMISE from a client (role server)", bytes: raw(PUSH_PROMISE, END_HEADERS, 1, u32(2)), code: ErrorCode.PROTOCOL_ERROR, options: { role: "server" } },
  { name: "PUSH_PROMISE promising stream 0", bytes: raw(PUSH_PROMISE, END_HEADERS, 1, u32(0)), code: ErrorCode.PROTOCOL_ERROR },
  // field block sequencing
  { name: "CONTINUATION without a field block", bytes: raw(CONTINUATION, END_HEADERS, 1, [0x82]), code: ErrorCode.PROTOCOL_ERROR },
  { name: "CONTINUATION after a complete field block", bytes: cat(raw(HEADERS, END_HEADERS, 1, [0x82]), raw(CONTINUATION, END_HEADERS, 1, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "CONTINUATION after the END_HEADERS CONTINUATION", bytes: cat(raw(HEADERS, 0, 1, []), raw(CONTINUATION, END_HEADERS, 1, []), raw(CONTINUATION, END_HEADERS, 1, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "DATA inside a field block", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(DATA, 0, 1, [1])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "HEADERS inside a field block", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(HEADERS, END_HEADERS, 3, [0x82])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "PING inside a field block", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(PING, 0, 0, PING_DATA)), code: ErrorCode.PROTOCOL_ERROR },
  { name: "SETTINGS inside a field block", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(SETTINGS, 0, 0, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "an unknown frame type inside a field block (§5.5)", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(0x42, 0, 1, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "CONTINUATION of another stream", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(CONTINUATION, END_HEADERS, 3, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "a frame after two CONTINUATIONs without END_HEADERS", bytes: cat(raw(HEADERS, 0, 1, []), raw(CONTINUATION, 0, 1, []), raw(CONTINUATION, 0, 1, []), raw(WINDOW_UPDATE, 0, 1, u32(1))), code: ErrorCode.PROTOCOL_ERROR },
  { name: "DATA inside a PUSH_PROMISE field block", bytes: cat(raw(PUSH_PROMISE, 0, 1, u32(2)), raw(DATA, 0, 1, [])), code: ErrorCode.PROTOCOL_ERROR },
  { name: "DATA inside a field block (fragments mode)", bytes: cat(raw(HEADERS, 0, 1, [0x82]), raw(DATA, 0, 1, [1])), code: ErrorCode.PROTOCOL_ERROR, options: { joinHeaderBlocks: false } },
  // field block size
  { name: "a HEADERS fragment over the field block limit", bytes: raw(HEADERS, END_HEADERS, 1, new Uint8Array(101)), code: ErrorCode.ENHANCE_YOUR_CALM, options: { maxHeaderBlockSize: 100 } },
  {
    name: "CONTINUATION fragments over the field block limit",
    bytes: cat(raw(HEADERS, 0, 1, new Uint8Array(60)), raw(CONTINUATION, 0, 1, new Uint8Array(40)), raw(CONTINUATION, END_HEADERS, 1, [1])),
    code: ErrorCode.ENHANCE_YOUR_CALM,
    options: { maxHeaderBlockSize: 100 },
  },
  {
    name: "CONTINUATION fragments over the field block limit (fragments mode)",
    bytes: cat(raw(HEADERS, 0, 1, new Uint8Array(60)), raw(CONTINUATION, 0, 1, new Uint8Array(41))),
    code: ErrorCode.ENHANCE_YOUR_CALM,
    options: { maxHeaderBlockSize: 100, joinHeaderBlocks: false },
  },
  {
    name: "a PUSH_PROMISE field block over the limit",
    bytes: cat(raw(PUSH_PROMISE, 0, 1, [...u32(2), ...new Uint8Array(50)]), raw(CONTINUATION, END_HEADERS, 1, new Uint8Array(51))),
    code: ErrorCode.ENHANCE_YOUR_CALM,
    options: { maxHeaderBlockSize: 100 },
  },
];

describe("connection errors", () => {
  for (const c of connectionErrors) {
    test(c.name, () => {
      const run = read(cat(c.bytes, AFTER), c.options);
      const e = expectConnectionError(run, c.code);
      expect(e.detail.length).toBeGreaterThan(0);
      // Nothing is read after a connection error (AFTER was in the same chunk).
      expect(run.frames.some((f) => f.type === PING)).toBe(false);
      run.reader.push(AFTER);
      expect(run.log.at(-1)).toBe(e);
    });
  }

  test("an oversized frame is refused from its header, before its payload", () => {
    const r = reader();
    r.reader.push(raw(DATA, 0, 1, [], 16385));
    expectConnectionError(r, ErrorCode.FRAME_SIZE_ERROR);
  });

  test("a bad frame header is refused before its payload arrives", () => {
    const r = reader();
    r.reader.push(raw(SETTINGS, 0, 1, [], 6));
    expectConnectionError(r, ErrorCode.PROTOCOL_ERROR);
  });

  test("a CONTINUATION over the field block limit is refused from its header", () => {
    const r = reader({ maxHeaderBlockSize: 100 });
    r.reader.push(cat(raw(HEADERS, 0, 1, new Uint8Array(100)), raw(CONTINUATION, 0, 1, [], 1)));
    expectConnectionError(r, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("the frames before a connection error in the same chunk are delivered", () => {
    const run = read(cat(AFTER, raw(DATA, 0, 0, [])));
    expect(run.frames.map((f) => f.type)).toEqual([PING]);
    expectConnectionError(run, ErrorCode.PROTOCOL_ERROR);
  });

  test("messages name the code, the frame type and the setting", () => {
    expect(read(raw(PING, 0, 1, PING_DATA)).errors[0]!.message).toBe("PROTOCOL_ERROR: PING frame on stream 1");
    expect(read(raw(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 1))).errors[0]!.message).toContain("SETTINGS_MAX_FRAME_SIZE");
    expect(read(raw(DATA, 0, 1, [], 20000)).errors[0]!.message).toContain("DATA frame of 20000 octets");
    expect((read(raw(DATA, 0, 0, [])).errors[0] as H2ConnectionError).codeName).toBe("PROTOCOL_ERROR");
  });
});

// ---- stream errors ----

const streamErrors: (ErrorCase & { streamId: number })[] = [
  { name: "WINDOW_UPDATE of 0 on a stream", bytes: raw(WINDOW_UPDATE, 0, 3, u32(0)), code: ErrorCode.PROTOCOL_ERROR, streamId: 3 },
  { name: "WINDOW_UPDATE of 0 on a stream, reserved bits set", bytes: raw(WINDOW_UPDATE, 0, 0x80000005, u32(0x80000000)), code: ErrorCode.PROTOCOL_ERROR, streamId: 5 },
  { name: "PRIORITY of 4 octets", bytes: raw(PRIORITY, 0, 7, [0, 0, 0, 1]), code: ErrorCode.FRAME_SIZE_ERROR, streamId: 7 },
  { name: "PRIORITY of 6 octets", bytes: raw(PRIORITY, 0, 9, [0, 0, 0, 1, 0, 0]), code: ErrorCode.FRAME_SIZE_ERROR, streamId: 9 },
  { name: "PRIORITY of 0 octets", bytes: raw(PRIORITY, 0, 9, []), code: ErrorCode.FRAME_SIZE_ERROR, streamId: 9 },
  { name: "PRIORITY depending on its own stream", bytes: raw(PRIORITY, 0, 11, [...u32(11), 0]), code: ErrorCode.PROTOCOL_ERROR, streamId: 11 },
  { name: "PRIORITY depending on its own stream, exclusive", bytes: raw(PRIORITY, 0, 11, [...u32(0x8000000b), 0]), code: ErrorCode.PROTOCOL_ERROR, streamId: 11 },
];

describe("stream errors", () => {
  for (const c of streamErrors) {
    test(c.name, () => {
      const run = read(cat(c.bytes, AFTER), c.options);
      const e = expectStreamError(run, c.streamId, c.code);
      expect(e.detail.length).toBeGreaterThan(0);
      // The frame is dropped and reading goes on.
      expect(run.log.map(plain)).toEqual([plain(e), { type: PING, streamId: 0, ack: false, data: PING_DATA }]);
    });
  }

  test("HEADERS depending on its own stream: the frame is delivered (its block must be decoded), then the stream error", () => {
    const run = read(cat(raw(HEADERS, END_HEADERS | PRIO, 3, [...u32(3), 0, 0x82]), AFTER));
    expectStreamError(run, 3, ErrorCode.PROTOCOL_ERROR);
    expect(run.log.map((x) => (x instanceof Error ? "error" : frameTypeName(x.type)))).toEqual(["HEADERS", "error", "PING"]);
    expect(plain(run.frames[0]!)).toMatchObject({ streamId: 3, fragment: [0x82] });
  });

  test("HEADERS depending on its own stream, joined: the error follows the whole block", () => {
    const run = read(cat(raw(HEADERS, PRIO, 3, [...u32(3), 0, 1]), raw(CONTINUATION, END_HEADERS, 3, [2]), AFTER));
    expectStreamError(run, 3, ErrorCode.PROTOCOL_ERROR);
    expect(run.log.map((x) => (x instanceof Error ? "error" : frameTypeName(x.type)))).toEqual(["HEADERS", "error", "PING"]);
    expect(plain(run.frames[0]!)).toMatchObject({ fragment: [1, 2], endHeaders: true });
  });

  test("HEADERS depending on its own stream, fragments mode: the error follows the HEADERS frame", () => {
    const run = read(cat(raw(HEADERS, PRIO, 3, [...u32(3), 0, 1]), raw(CONTINUATION, END_HEADERS, 3, [2]), AFTER), { joinHeaderBlocks: false });
    expectStreamError(run, 3, ErrorCode.PROTOCOL_ERROR);
    expect(run.log.map((x) => (x instanceof Error ? "error" : frameTypeName(x.type)))).toEqual(["HEADERS", "error", "CONTINUATION", "PING"]);
  });

  test("a stream error's message names the stream and the code", () => {
    const e = read(raw(WINDOW_UPDATE, 0, 3, u32(0))).errors[0] as H2StreamError;
    expect(e.message).toBe("PROTOCOL_ERROR on stream 3: WINDOW_UPDATE of 0");
    expect(e.codeName).toBe("PROTOCOL_ERROR");
    expect(e.name).toBe("H2StreamError");
  });
});

// ---- the reader's own contract ----

describe("reader contract", () => {
  test("close() from the handler stops the rest of the chunk and later pushes", () => {
    const run = reader({}, { frame: (_f, r) => r.close() });
    run.reader.push(cat(AFTER, AFTER));
    run.reader.push(AFTER);
    expect(run.frames).toHaveLength(1);
    expect(run.reader.closed).toBe(true);
  });

  test("setMaxFrameSize from the handler applies to the next frame of the same chunk", () => {
    const run = reader({}, { frame: (f, r) => f.type === SETTINGS && f.ack && r.setMaxFrameSize(32768) });
    run.reader.push(cat(raw(SETTINGS, ACK, 0, []), raw(DATA, 0, 1, new Uint8Array(32768))));
    expect(run.errors).toEqual([]);
    expect(run.frames).toHaveLength(2);
  });

  test("push from the handler throws; a throwing handler closes the reader", () => {
    const run = reader({}, { frame: (_f, r) => r.push(AFTER) });
    expect(() => run.reader.push(AFTER)).toThrow("own handler");
    expect(run.reader.closed).toBe(true);
  });

  test("atBoundary and openBlockStream", () => {
    const r = reader();
    expect(r.reader.atBoundary).toBe(true);
    r.reader.push(raw(HEADERS, 0, 5, [1]).subarray(0, 4));
    expect(r.reader.atBoundary).toBe(false);
    r.reader.push(raw(HEADERS, 0, 5, [1]).subarray(4));
    expect(r.reader.openBlockStream).toBe(5);
    expect(r.reader.atBoundary).toBe(false);
    r.reader.push(raw(CONTINUATION, END_HEADERS, 5, []));
    expect(r.reader.openBlockStream).toBe(0);
    expect(r.reader.atBoundary).toBe(true);
  });

  test("empty chunks are harmless", () => {
    const bytes = raw(DATA, 0, 1, [1]);
    const { frames } = read([new Uint8Array(0), bytes.slice(0, 9), new Uint8Array(0), bytes.slice(9), new Uint8Array(0)]);
    expect(frames).toHaveLength(1);
  });

  test("a zero-length frame whose header ends a chunk is delivered at once", () => {
    const r = reader();
    r.reader.push(raw(SETTINGS, ACK, 0, []));
    expect(r.frames).toHaveLength(1);
    r.reader.push(raw(DATA, END_STREAM, 1, []).subarray(0, 5));
    r.reader.push(raw(DATA, END_STREAM, 1, []).subarray(5));
    expect(r.frames).toHaveLength(2);
  });
});

describe("names for logs", () => {
  test("frame types, settings, error codes; unknown values", () => {
    expect(frameTypeName(FrameType.WINDOW_UPDATE)).toBe("WINDOW_UPDATE");
    expect(frameTypeName(0x42)).toBe("UNKNOWN(0x42)");
    expect(settingName(SettingId.INITIAL_WINDOW_SIZE)).toBe("SETTINGS_INITIAL_WINDOW_SIZE");
    expect(settingName(0x99)).toBe("SETTINGS_UNKNOWN(0x99)");
    expect(errorCodeName(ErrorCode.HTTP_1_1_REQUIRED)).toBe("HTTP_1_1_REQUIRED");
    expect(errorCodeName(0xff)).toBe("UNKNOWN_ERROR(0xff)");
    expect(new TextDecoder().decode(CONNECTION_PREFACE)).toBe("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    expect(CONNECTION_PREFACE.length).toBe(24);
  });
});
