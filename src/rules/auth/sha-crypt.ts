// SHA-256-crypt ($5$) and SHA-512-crypt ($6$), the crypt(3) schemes of
// Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512", over node:crypto's
// digests (on Bun and Deno alike). Pure.
//
// Why our own: the npm packages for these schemes were checked (December
// 2026) and none is sound: `unixcrypt` 3.0.4 hashes every password whose
// length is a multiple of the digest size wrongly (its steps 9/10 and 16 add
// no block when the length is exactly 32 or 64 bytes), throws instead of
// answering false when the lengths of two strings differ, and allocates an
// array of `rounds` entries; `sha512crypt-node` and `sha512-crypt-ts` have
// $6$ only. The spec's own test vectors are the unit tests.
//
// The numbered steps below are the spec's.
import { createHash } from "node:crypto";

export type ShaCryptAlgorithm = "sha256" | "sha512";

/** The spec's rounds: the default when the setting names none, and the bounds it clamps to. */
export const SHA_CRYPT_ROUNDS = { default: 5000, min: 1000, max: 999_999_999 } as const;

/** Salt characters beyond this many are ignored. */
export const SHA_CRYPT_SALT_MAX = 16;

/** Length of the encoded digest: 43 characters for SHA-256, 86 for SHA-512. */
export const SHA_CRYPT_HASH_LENGTH: Readonly<Record<ShaCryptAlgorithm, number>> = { sha256: 43, sha512: 86 };

const DIGEST_SIZE: Readonly<Record<ShaCryptAlgorithm, number>> = { sha256: 32, sha512: 64 };
const PREFIX: Readonly<Record<ShaCryptAlgorithm, string>> = { sha256: "$5$", sha512: "$6$" };
const ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const encoder = new TextEncoder();

/**
 * crypt(password, setting) for a `$5$` or `$6$` setting: `$5$[rounds=N$]salt[$anything]`.
 * As the spec says, rounds are clamped to 1000..999999999 and the salt is cut
 * at 16 characters; the result names the rounds only when the setting did.
 * Throws on a setting of another scheme.
 */
export function shaCrypt(password: Uint8Array | string, setting: string): string {
  const algorithm = setting.startsWith("$5$") ? "sha256" : setting.startsWith("$6$") ? "sha512" : undefined;
  if (algorithm === undefined) throw new Error(`not a SHA-crypt setting: '${setting.slice(0, 3)}'`);
  let rest = setting.slice(3);
  let rounds: number = SHA_CRYPT_ROUNDS.default;
  let explicit = false;
  const named = /^rounds=(\d+)\$/.exec(rest);
  if (named) {
    rounds = Math.min(SHA_CRYPT_ROUNDS.max, Math.max(SHA_CRYPT_ROUNDS.min, Number(named[1])));
    explicit = true;
    rest = rest.slice(named[0].length);
  }
  const end = rest.indexOf("$");
  const salt = (end < 0 ? rest : rest.slice(0, end)).slice(0, SHA_CRYPT_SALT_MAX);
  const key = typeof password === "string" ? encoder.encode(password) : password;
  const digest = shaCryptDigest(algorithm, key, encoder.encode(salt), rounds);
  return `${PREFIX[algorithm]}${explicit ? `rounds=${rounds}$` : ""}${salt}$${encodeDigest(algorithm, digest)}`;
}

/** Steps 1-21: the final digest C for this key, salt (at most 16 bytes) and number of rounds. */
export function shaCryptDigest(
  algorithm: ShaCryptAlgorithm,
  key: Uint8Array,
  salt: Uint8Array,
  rounds: number,
): Uint8Array {
  const size = DIGEST_SIZE[algorithm];
  // 4-8: digest B of key, salt, key.
  const b = createHash(algorithm).update(key).update(salt).update(key).digest();
  // 1-3: digest A starts with key and salt.
  const a = createHash(algorithm).update(key).update(salt);
  // 9-10: one B per whole block of the key's length, then as many bytes of B as remain.
  addRepeated(a, b, key.length, size);
  // 11: each bit of the key's length, lowest first: B for a 1, the key for a 0.
  for (let n = key.length; n > 0; n >>>= 1) a.update((n & 1) !== 0 ? b : key);
  // 12
  const digestA = a.digest();

  // 13-15: digest DP, the key once per byte of the key.
  const dp = createHash(algorithm);
  for (let i = 0; i < key.length; i++) dp.update(key);
  // 16: P, the key's length of bytes taken from DP.
  const p = stretch(dp.digest(), key.length, size);
  // 17-19: digest DS, the salt 16 + A[0] times.
  const ds = createHash(algorithm);
  for (let i = 0; i < 16 + digestA[0]!; i++) ds.update(salt);
  // 20: S, the salt's length of bytes taken from DS.
  const s = stretch(ds.digest(), salt.length, size);

  // 21: the rounds. Each round hashes one buffer assembled in a scratch
  // area: one digest call per round instead of four or five updates.
  const scratch = new Uint8Array(size * 2 + p.length * 2 + s.length);
  let c: Uint8Array = digestA;
  for (let i = 0; i < rounds; i++) {
    let at = 0;
    const odd = (i & 1) !== 0;
    scratch.set(odd ? p : c, at);
    at += odd ? p.length : size;
    if (i % 3 !== 0) {
      scratch.set(s, at);
      at += s.length;
    }
    if (i % 7 !== 0) {
      scratch.set(p, at);
      at += p.length;
    }
    scratch.set(odd ? c : p, at);
    at += odd ? size : p.length;
    c = createHash(algorithm).update(scratch.subarray(0, at)).digest();
  }
  return c;
}

/** Adds `block` once per whole `size` bytes of `length`, then its first `length % size` bytes. */
function addRepeated(h: ReturnType<typeof createHash>, block: Uint8Array, length: number, size: number): void {
  for (let n = length; n >= size; n -= size) h.update(block);
  const rest = length % size;
  if (rest > 0) h.update(block.subarray(0, rest));
}

/** `length` bytes: `block` repeated, the last copy cut short. */
function stretch(block: Uint8Array, length: number, size: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += size) out.set(block.subarray(0, Math.min(size, length - at)), at);
  return out;
}

/**
 * Step 22: the digest's bytes, three at a time in the spec's order, each
 * group as four characters of the crypt alphabet, lowest six bits first.
 * SHA-256 groups bytes (i, i+10, i+20), SHA-512 (i, i+21, i+42), rotated by
 * i mod 3 (SHA-256 one way, SHA-512 the other); the last one or two bytes
 * make a short group.
 */
export function encodeDigest(algorithm: ShaCryptAlgorithm, d: Uint8Array): string {
  let out = "";
  const step = algorithm === "sha256" ? 10 : 21;
  for (let i = 0; i < step; i++) {
    const x = d[i]!;
    const y = d[i + step]!;
    const z = d[i + 2 * step]!;
    const r = i % 3;
    if (algorithm === "sha256") out += r === 0 ? b64(x, y, z, 4) : r === 1 ? b64(z, x, y, 4) : b64(y, z, x, 4);
    else out += r === 0 ? b64(x, y, z, 4) : r === 1 ? b64(y, z, x, 4) : b64(z, x, y, 4);
  }
  return algorithm === "sha256" ? out + b64(0, d[31]!, d[30]!, 3) : out + b64(0, 0, d[63]!, 2);
}

function b64(high: number, middle: number, low: number, chars: number): string {
  let w = (high << 16) | (middle << 8) | low;
  let out = "";
  for (let i = 0; i < chars; i++) {
    out += ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}
