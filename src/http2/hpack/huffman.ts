// The HPACK Huffman code, RFC 7541 Appendix B, and §5.2's rules for it.
//
// The code is canonical (codes of one length are consecutive, in symbol order,
// each length starting where the shorter one left off, doubled), so the table
// below lists only each symbol's code length; the codes are rebuilt from it at
// module load. The unit test checks every code against Appendix B.
//
// Decoding walks a finite-state machine four bits at a time: a state is an
// internal node of the code tree (256 of them), and each (state, nibble) entry
// gives the next state and at most one decoded octet (no code is shorter than
// five bits, so a nibble can finish at most one). The machine is 256 × 16
// 32-bit entries (16 KiB), built once.

import { HpackError } from "./errors.ts";
import { latin1 } from "./latin1.ts";

/** Code length in bits of symbols 0..255 and EOS (256). */
// deno-fmt-ignore
export const HUFFMAN_LENGTHS: Uint8Array = new Uint8Array([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //   0
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //  16
   6, 10, 10, 12, 13,  6,  8, 11, 10, 10,  8, 11,  8,  6,  6,  6, //  32 ' '
   5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8, 15,  6, 12, 10, //  48 '0'
  13,  6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, //  64 '@'
   7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8, 13, 19, 13, 14,  6, //  80 'P'
  15,  5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5, //  96 '`'
   6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7, 15, 11, 14, 13, 28, // 112 'p'
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240
  30, // EOS
]);

export const EOS = 256;

/** Code of each symbol 0..256, right-aligned (the low HUFFMAN_LENGTHS[sym] bits). */
export const HUFFMAN_CODES: Uint32Array = (() => {
  const order = Array.from({ length: 257 }, (_, sym) => sym);
  order.sort((a, b) => HUFFMAN_LENGTHS[a]! - HUFFMAN_LENGTHS[b]! || a - b);
  const codes = new Uint32Array(257);
  let code = 0;
  let len = HUFFMAN_LENGTHS[order[0]!]!;
  for (const sym of order) {
    const l = HUFFMAN_LENGTHS[sym]!;
    code *= 2 ** (l - len); // not <<: codes reach 30 bits and the shifts must not wrap
    len = l;
    codes[sym] = code++;
  }
  return codes;
})();

// ---- decoding machine ------------------------------------------------------

const EMIT = 1 << 8; // the entry decodes an octet, held in bits 9..16
const FAIL = 1 << 17; // the nibble completes EOS
/** (state << 4 | nibble) → next state (bits 0..7) | EMIT | octet << 9, or FAIL. */
const MACHINE = new Uint32Array(256 * 16);
/** Per state: the depth of its node when the path to it is all ones (valid padding iff ≤ 7), else -1. */
const ONES_DEPTH = new Int8Array(256);

(() => {
  // The code tree: child[node * 2 + bit] ≥ 0 is an internal node, < 0 a leaf ~symbol.
  const child = new Int32Array(256 * 2).fill(0x7fffffff);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = HUFFMAN_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const slot = node * 2 + (Math.floor(code / 2 ** i) & 1);
      if (child[slot] === 0x7fffffff) child[slot] = nodes++;
      node = child[slot]!;
    }
    child[node * 2 + (code & 1)] = ~sym;
  }
  if (nodes !== 256) throw new Error(`HPACK Huffman tree has ${nodes} internal nodes, not 256`);

  ONES_DEPTH.fill(-1);
  for (let node = 0, depth = 0; node >= 0; node = child[node * 2 + 1]!, depth++) {
    ONES_DEPTH[node] = depth > 127 ? 127 : depth;
  }

  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = child[node * 2 + ((nibble >> bit) & 1)]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        if (~next === EOS) {
          entry = FAIL;
          break;
        }
        entry = EMIT | (~next << 9);
        node = 0;
      }
      MACHINE[(state << 4) | nibble] = entry === FAIL ? FAIL : entry | node;
    }
  }
})();

let scratch = new Uint8Array(1024);

/**
 * Decodes the Huffman-coded octets src[start..end) into a byte string.
 * Throws HpackError (offsets are into src) on EOS inside the string, padding
 * longer than 7 bits, or padding that is not the most significant bits of EOS
 * (all ones).
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  const most = Math.floor(((end - start) * 8) / 5);
  if (scratch.length < most) scratch = new Uint8Array(Math.max(most, scratch.length * 2));
  const out = scratch;
  let o = 0;
  let all = 0; // OR of the decoded octets: ASCII when < 0x80
  let state = 0;
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    let e = MACHINE[(state << 4) | (b >> 4)]!;
    if (e & (EMIT | FAIL)) {
      if (e & FAIL) throw new HpackError("EOS symbol inside a Huffman-coded string", i);
      all |= out[o++] = e >>> 9;
    }
    e = MACHINE[((e & 0xff) << 4) | (b & 0x0f)]!;
    if (e & (EMIT | FAIL)) {
      if (e & FAIL) throw new HpackError("EOS symbol inside a Huffman-coded string", i);
      all |= out[o++] = e >>> 9;
    }
    state = e & 0xff;
  }
  const ones = ONES_DEPTH[state]!;
  if (ones < 0) {
    throw new HpackError("Huffman-coded string ends with padding that is not all ones", end - 1);
  }
  if (ones > 7) {
    throw new HpackError(
      `Huffman-coded string ends with ${ones} bits of padding (at most 7 allowed)`,
      end - 1,
    );
  }
  return latin1(out, 0, o, all < 0x80);
}

/**
 * Length in octets of s Huffman-coded, or -1 when s has a char above U+00FF
 * (which is not an octet and cannot be sent).
 */
export function huffmanLength(s: string): number {
  let bits = 0;
  let all = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    all |= c;
    bits += HUFFMAN_LENGTHS[c & 0xff]!;
  }
  return all > 0xff ? -1 : (bits + 7) >>> 3;
}

/**
 * Writes s Huffman-coded at out[pos..], padded with ones; returns the end. Gives
 * up and returns -1 when the end would pass `limit` (the caller then sends s
 * raw: out[pos .. limit + 4] may have been written), or when s has a char
 * above U+00FF. out must have room up to the end (or limit + 4).
 */
export function huffmanEncode(s: string, out: Uint8Array, pos: number, limit = Infinity): number {
  let acc = 0; // the pending bits are its low `n`; higher bits are stale and never read
  let n = 0;
  let all = 0;
  for (let i = 0; i < s.length; i++) {
    if (pos > limit) return -1;
    let c = s.charCodeAt(i);
    all |= c;
    c &= 0xff;
    let code = HUFFMAN_CODES[c]!;
    let len = HUFFMAN_LENGTHS[c]!;
    if (len > 24) {
      // n (≤ 7) + len must stay ≤ 32 for the shift below: send the high part first
      const high = len - 8;
      acc = (acc << high) | (code >>> 8);
      n += high;
      while (n >= 8) {
        n -= 8;
        out[pos++] = acc >>> n;
      }
      code &= 0xff;
      len = 8;
    }
    acc = (acc << len) | code;
    n += len;
    while (n >= 8) {
      n -= 8;
      out[pos++] = acc >>> n;
    }
  }
  if (n > 0) out[pos++] = (acc << (8 - n)) | (0xff >>> n);
  return pos > limit || all > 0xff ? -1 : pos;
}
