// HAProxy's peers protocol integers (doc/peers-v2.0.txt, "Encoded Integer"):
// below 240 one byte; else the first byte carries the low 4 bits with its top
// four bits set (0xF0 | x), and each following byte 7 more bits, the high bit
// set on every byte but the last. Values are offsets past each byte's range,
// so every number has exactly one encoding. Numbers here are doubles: exact to
// 2^53, which covers the counters and ids the protocol carries (32-bit ids,
// 64-bit byte counters below 2^53).

/** The most bytes an encoded 64-bit integer takes (a length longer than this is an error). */
export const VARINT_MAX_BYTES = 10;

/** Appends `n` (a whole number, 0 ≤ n < 2^53) to `out`. */
export function pushVarint(out: number[], n: number): void {
  if (n < 240) {
    out.push(n);
    return;
  }
  out.push((n % 16) | 0xf0);
  // Arithmetic instead of shifts: the value may exceed 32 bits.
  let rest = Math.floor((n - 240) / 16);
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor((rest - 128) / 128);
  }
  out.push(rest);
}

/** A decoded integer and where the next field starts; undefined when the bytes end inside it. */
export interface VarintRead {
  value: number;
  next: number;
}

/**
 * Reads an integer at `at` in bytes[at, end). Undefined if the bytes end
 * first or it runs past VARINT_MAX_BYTES (no such message is valid).
 */
export function readVarint(bytes: Uint8Array, at: number, end: number): VarintRead | undefined {
  if (at >= end) return undefined;
  let value = bytes[at]!;
  let i = at + 1;
  if (value < 240) return { value, next: i };
  let scale = 16;
  for (;;) {
    if (i >= end || i - at >= VARINT_MAX_BYTES) return undefined;
    const b = bytes[i++]!;
    value += b * scale;
    scale *= 128;
    if (b < 128) return { value, next: i };
  }
}
