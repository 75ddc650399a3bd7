// Hash converters (HAProxy 2.6 §7.3.1): crc32, djb2, sdbm, wt6 (HAProxy's
// own hash functions, src/hash.c, with the optional avalanche of its
// full_hash), sha1 and sha2 (binary digests). The input is bytes (a
// binary sample: one latin1 character per byte).
import { createHash } from "node:crypto";
import type { ConverterDef, Sample } from "../types.ts";

/** HAProxy's full_hash: Bob Jenkins' 32-bit integer mix, then a product by a prime near 3/4 of 2^32. */
export function avalanche(a: number): number {
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

function djb2(s: string): number {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 33) + (s.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

export function sdbm(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = ((s.charCodeAt(i) & 0xff) + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

function wt6(s: string): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < s.length; i++) {
    let t = s.charCodeAt(i) & 0xff;
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, zlib's) of bytes, or of a byte string (a latin1 character per byte: samples). The release archives use it too. */
export function crc32(data: string | Uint8Array): number {
  let c = 0xffffffff;
  if (typeof data === "string") for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  else for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A 32-bit hash converter: `name([<avalanche>])`, 1 to mix the result with full_hash. */
function hash32(name: string, hash: (s: string) => number): ConverterDef {
  return {
    name,
    minArgs: 0,
    maxArgs: 1,
    in: "bin",
    out: "int",
    compile(args) {
      const mode = args[0] ?? "";
      if (mode !== "" && mode !== "0" && mode !== "1") return `${name}: the avalanche argument must be 0 or 1, not '${mode}'`;
      return mode === "1" ? (s: Sample) => avalanche(hash(s as string)) : (s: Sample) => hash(s as string);
    },
  };
}

/** A digest of the input's bytes, as bytes. */
function digest(algorithm: string, s: string): string {
  return createHash(algorithm).update(Buffer.from(s, "latin1")).digest("latin1");
}

export const HASH_CONVERTERS: readonly ConverterDef[] = [
  hash32("crc32", crc32),
  hash32("djb2", djb2),
  hash32("sdbm", sdbm),
  hash32("wt6", wt6),
  { name: "sha1", minArgs: 0, maxArgs: 0, in: "bin", out: "bin", compile: () => (s: Sample) => digest("sha1", s as string) },
  {
    // sha2([<bits>]): SHA-224, -256 (default), -384 or -512.
    name: "sha2",
    minArgs: 0,
    maxArgs: 1,
    in: "bin",
    out: "bin",
    compile(args) {
      const bits = args[0] === undefined || args[0] === "" ? "256" : args[0];
      if (!["224", "256", "384", "512"].includes(bits)) return `sha2: unsupported number of bits '${bits}' (224, 256, 384 or 512)`;
      return (s: Sample) => digest(`sha${bits}`, s as string);
    },
  },
];
