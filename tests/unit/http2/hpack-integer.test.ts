import { describe, expect, test } from "bun:test";
import { HpackError } from "../../../src/http2/hpack/errors.ts";
import {
  type Cursor,
  integerLength,
  MAX_INTEGER,
  readInteger,
  writeInteger,
} from "../../../src/http2/hpack/integer.ts";

function write(value: number, prefixBits: number, flags = 0): number[] {
  const out = new Uint8Array(8);
  return Array.from(out.subarray(0, writeInteger(out, 0, value, prefixBits, flags)));
}

function read(bytes: number[], prefixBits: number): { value: number; pos: number } {
  const c: Cursor = { buf: new Uint8Array(bytes), pos: 0, end: bytes.length };
  const value = readInteger(c, prefixBits);
  return { value, pos: c.pos };
}

describe("RFC 7541 C.1 integer examples", () => {
  test("C.1.1 10 with a 5-bit prefix", () => {
    expect(write(10, 5)).toEqual([0b01010]);
    expect(read([0b111_01010], 5)).toEqual({ value: 10, pos: 1 }); // high bits belong to the representation
  });
  test("C.1.2 1337 with a 5-bit prefix", () => {
    expect(write(1337, 5)).toEqual([0x1f, 0x9a, 0x0a]);
    expect(read([0x1f, 0x9a, 0x0a], 5)).toEqual({ value: 1337, pos: 3 });
    expect(read([0xff, 0x9a, 0x0a, 0x55], 5)).toEqual({ value: 1337, pos: 3 });
  });
  test("C.1.3 42 at an octet boundary (8-bit prefix)", () => {
    expect(write(42, 8)).toEqual([0x2a]);
    expect(read([0x2a], 8)).toEqual({ value: 42, pos: 1 });
  });
});

describe("prefix integers", () => {
  test("flags fill the bits above the prefix", () => {
    expect(write(3, 6, 0x40)).toEqual([0x43]);
    expect(write(63, 6, 0x40)).toEqual([0x7f, 0x00]);
    expect(write(62, 6, 0x40)).toEqual([0x7e]);
  });

  test("round trip at every prefix around the boundaries, up to 2^31", () => {
    const values = [
      0,
      1,
      2,
      126,
      127,
      128,
      254,
      255,
      256,
      16383,
      16384,
      2 ** 21,
      2 ** 28 - 1,
      2 ** 28,
      MAX_INTEGER - 1,
      MAX_INTEGER,
    ];
    for (let prefix = 1; prefix <= 8; prefix++) {
      for (const base of values) {
        for (const v of [base, base + (1 << prefix) - 1, base + (1 << prefix) - 2]) {
          if (v > MAX_INTEGER || v < 0) continue;
          const bytes = write(v, prefix);
          expect(bytes.length).toBeLessThanOrEqual(6);
          expect(integerLength(v, prefix)).toBe(bytes.length);
          expect(read(bytes, prefix)).toEqual({ value: v, pos: bytes.length });
        }
      }
    }
  });

  test("redundant zero continuation octets within 5 are accepted", () => {
    expect(read([0x1f, 0x80, 0x00], 5)).toEqual({ value: 31, pos: 3 });
    expect(read([0x1f, 0x81, 0x80, 0x80, 0x80, 0x00], 5)).toEqual({ value: 32, pos: 6 });
  });

  test("values above 2^31 are refused", () => {
    const over = write(MAX_INTEGER + 1, 7);
    expect(() => read(over, 7)).toThrow(HpackError);
    expect(() => read(over, 7)).toThrow(/integer overflow/);
    expect(() => read([0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f], 7)).toThrow(/integer overflow/);
    expect(() => read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 8)).toThrow(
      /integer overflow/,
    );
  });

  test("encodings longer than any value up to 2^31 needs are refused", () => {
    expect(() => read([0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 1)).toThrow(
      /longer than 5 continuation octets/,
    );
    expect(() => read([0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 7))
      .toThrow(HpackError);
  });

  test("an integer cut off by the end of the block is refused, with its offset", () => {
    try {
      read([0x1f, 0x9a], 5);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(HpackError);
      expect((e as HpackError).code).toBe("COMPRESSION_ERROR");
      expect((e as HpackError).offset).toBe(0);
      expect((e as HpackError).message).toMatch(/truncated/);
    }
    expect(() => read([0x1f], 5)).toThrow(/truncated/);
  });
});
