// Fuzzing the HTTP/2 codecs (issue 18), fast-check with a fixed seed:
//  - HPACK: any header lists survive encode → decode through one pair of
//    contexts (the dynamic tables stay in step across blocks, table size
//    changes included); random and mutated blocks either decode or throw the
//    typed HpackError / HeaderListTooLarge, and a decoded list stays within
//    its size limit;
//  - the frame reader: a valid frame sequence gives the same frames and
//    errors whatever the splits; random bytes and mutated sequences only ever
//    report typed H2 errors through the handler, never throw.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { H2ConnectionError, H2StreamError } from "../../../src/http2/errors.ts";
import { FrameReader } from "../../../src/http2/frame-reader.ts";
import type { Frame } from "../../../src/http2/frames.ts";
import * as w from "../../../src/http2/frame-writer.ts";
import { HeaderListTooLarge, HpackDecoder, HpackEncoder, HpackError, type HeaderField } from "../../../src/http2/hpack/index.ts";
import { FUZZ, FUZZ_TIMEOUT_MS } from "./settings.ts";

const nameChar = fc.constantFrom(..."abcdefxyz-0123:");
const valueChar = fc.constantFrom(..."abcXYZ 019/;=,.\t\u00e9\u00ff");
const commonNames = ["content-type", "cache-control", "server", "date", "set-cookie", "x-request-id", ":path", ":status"];
const name = fc.oneof(fc.constantFrom(...commonNames), fc.string({ unit: nameChar, minLength: 1, maxLength: 12 }));
const value = fc.string({ unit: valueChar, maxLength: 40 });
const field: fc.Arbitrary<HeaderField> = fc.tuple(name, value);
const list = fc.array(field, { maxLength: 12 });

describe("HPACK, fuzzed (fast-check, fixed seed)", () => {
  test("header lists round-trip through one encoder and one decoder, blocks after blocks, with table size changes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ fields: list, resize: fc.option(fc.constantFrom(0, 64, 256, 4096), { nil: undefined }), huffman: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        (blocks) => {
          const encoder = new HpackEncoder({ huffman: blocks[0]!.huffman });
          const decoder = new HpackDecoder();
          for (const b of blocks) {
            if (b.resize !== undefined) encoder.setPeerMaxTableSize(b.resize);
            const block = encoder.encode(b.fields);
            expect(decoder.decode(block.slice())).toEqual(b.fields);
          }
        },
      ),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  test("random and mutated blocks decode or throw a typed error; a decoded list stays within maxHeaderListSize", () => {
    const limit = 2048;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(list, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 })).map(([fields, edits]) => {
            const block = new HpackEncoder().encode(fields).slice();
            for (const [at, byte] of edits) if (block.length > 0) block[at % block.length] = byte;
            return block;
          }),
        ),
        (block) => {
          const decoder = new HpackDecoder({ maxHeaderListSize: limit });
          try {
            const fields = decoder.decode(block);
            const size = fields.reduce((n, [a, b]) => n + a.length + b.length + 32, 0);
            expect(size).toBeLessThanOrEqual(limit);
          } catch (e) {
            expect(e instanceof HpackError || e instanceof HeaderListTooLarge).toBe(true);
          }
        },
      ),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});

// ---------------------------------------------------------------- frames

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const HEADERS = 0x1;
const CONTINUATION = 0x9;

/** HEADERS, then CONTINUATION frames every `every` octets of the block (0: one HEADERS frame). */
function headersInPieces(streamId: number, block: Uint8Array, endStream: boolean, every: number): Uint8Array {
  if (every === 0 || block.length <= every) return w.rawFrame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, block);
  const parts: Uint8Array[] = [w.rawFrame(HEADERS, endStream ? END_STREAM : 0, streamId, block.subarray(0, every))];
  for (let at = every; at < block.length; at += every) {
    const last = at + every >= block.length;
    parts.push(w.rawFrame(CONTINUATION, last ? END_HEADERS : 0, streamId, block.subarray(at, at + every)));
  }
  return concat(parts);
}

/** A frame as bytes, from a small vocabulary of valid client frames. */
const frameBytes = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 40 }), fc.boolean()).map(([s, d, end]) => w.data(2 * s + 1, d, end)),
  fc.tuple(fc.integer({ min: 0, max: 3 }), list, fc.boolean(), fc.nat(6)).map(([s, fields, end, cutAt]) =>
    headersInPieces(2 * s + 1, new HpackEncoder().encode(fields).slice(), end, cutAt)
  ),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((d) => w.ping(d)),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 1 << 20 })).map(([s, n]) => w.windowUpdate(2 * s + 1, n)),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(13)).map(([s, code]) => w.rstStream(2 * s + 1, code)),
  fc.array(fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 6, 0x99), fc.nat(1 << 16)), { maxLength: 4 })
    .map((l) => w.settings(l.map(([id, v]) => [id, id === 2 ? v % 2 : id === 5 ? 16384 + (v % 1000) : v] as const))),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 10 })).map(([s, d]) => w.rawFrame(0x77, 0, 2 * s + 1, d)),
);

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

function cut(input: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, input.length]) {
    if (p <= from) continue;
    pieces.push(input.slice(from, p));
    from = p;
  }
  if (from < input.length) pieces.push(input.slice(from));
  return pieces;
}

/** What a reader reports for `pieces`, as comparable text; throws only if the reader does. */
function read(pieces: Uint8Array[]): string[] {
  const out: string[] = [];
  const reader = new FrameReader({
    frame(f: Frame) {
      out.push(JSON.stringify(f, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)));
    },
    error(e) {
      expect(e instanceof H2ConnectionError || e instanceof H2StreamError).toBe(true);
      out.push(`error ${e.constructor.name} ${e.code}`);
    },
  }, { role: "server" });
  for (const p of pieces) reader.push(p);
  return out;
}

describe("HTTP/2 frame reader, fuzzed (fast-check, fixed seed)", () => {
  test("valid frame sequences: the same frames whatever the splits", () => {
    fc.assert(
      fc.property(fc.array(frameBytes, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(1 << 12), { maxLength: 6 }), (frames, points) => {
        const bytes = concat(frames);
        const whole = read([bytes.slice()]);
        // Every frame but the unknown type (ignored, §5.5) comes out once, CONTINUATIONs joined to their HEADERS.
        expect(whole.length).toBe(frames.filter((f) => f[3] !== 0x77).length);
        expect(whole.some((line) => line.startsWith("error"))).toBe(false);
        expect(read(cut(bytes, points))).toEqual(whole);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  test("random bytes and mutated sequences: typed errors through the handler, never a throw, the same whatever the splits", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.array(frameBytes, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }))
            .map(([frames, edits]) => {
              const bytes = concat(frames);
              for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
              return bytes;
            }),
        ),
        fc.array(fc.nat(1 << 12), { maxLength: 4 }),
        (bytes, points) => {
          const whole = read([bytes.slice()]);
          expect(read(cut(bytes, points))).toEqual(whole);
        },
      ),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
