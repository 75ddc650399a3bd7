// Prefix-coded integers, RFC 7541 §5.1.
//
// Decoding refuses values above MAX_INTEGER (2^31) and encodings with more
// continuation octets than any value up to that bound needs (5): both signal a
// broken or hostile peer, and the bound keeps arithmetic exact.

import { HpackError } from "./errors.ts";

export const MAX_INTEGER = 2 ** 31;
/** 2^31 - 1 (the most a continuation can carry, prefix of 1 bit) fits in 31 bits: 5 octets of 7. */
const MAX_CONTINUATION_OCTETS = 5;

/** Where reading is: the decoder itself implements this, so reading allocates nothing. */
export interface Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
}

/** Reads an integer whose prefix is the low `prefixBits` (1..8) bits of buf[pos]; pos must be < end. */
export function readInteger(c: Cursor, prefixBits: number): number {
  const mask = (1 << prefixBits) - 1;
  const start = c.pos;
  let value = c.buf[start]! & mask;
  if (value < mask) {
    c.pos = start + 1;
    return value;
  }
  const buf = c.buf;
  const end = c.end;
  let pos = start + 1;
  let weight = 1;
  for (let n = 0;; n++) {
    if (pos >= end) {
      throw new HpackError("integer truncated: the header block ends inside it", start);
    }
    if (n === MAX_CONTINUATION_OCTETS) {
      throw new HpackError(
        `integer encoding longer than ${MAX_CONTINUATION_OCTETS} continuation octets`,
        start,
      );
    }
    const b = buf[pos++]!;
    value += (b & 0x7f) * weight;
    if (value > MAX_INTEGER) throw new HpackError(`integer overflow: value exceeds 2^31`, start);
    if (b < 0x80) break;
    weight *= 128;
  }
  c.pos = pos;
  return value;
}

/**
 * Writes `value` (0..2^32-1) with a `prefixBits`-bit prefix; `flags` fills the
 * first octet's high bits. Returns the position after it. At most 1 + 5 octets.
 */
export function writeInteger(
  out: Uint8Array,
  pos: number,
  value: number,
  prefixBits: number,
  flags: number,
): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out[pos] = flags | value;
    return pos + 1;
  }
  out[pos++] = flags | mask;
  value -= mask;
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = value >>> 7;
  }
  out[pos++] = value;
  return pos;
}

/** Octets writeInteger takes for value with a prefixBits-bit prefix. */
export function integerLength(value: number, prefixBits: number): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return 1;
  let n = 2;
  for (value -= mask; value >= 0x80; value = Math.floor(value / 0x80)) n++;
  return n;
}
