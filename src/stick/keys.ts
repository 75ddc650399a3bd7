// Keys as a table of each type stores them, after HAProxy 2.6's smp_to_stkey
// and its sample casts: one address or number has one key, whatever text
// carried it. A key of the wrong kind is `undefined`, never an exception: a
// rule tracking it then tracks nothing, as HAProxy's failed cast does.
//
//   ip       IPv4 only, as dotted text. An IPv4-mapped IPv6 address
//            (::ffff:a.b.c.d, what a dual-stack socket reports) is its IPv4
//            address; any other IPv6 address has no IPv4 key. An integer is an
//            address (its low 32 bits), as HAProxy's int-to-ip cast.
//   ipv6     RFC 5952 text (lower case, the longest run of zero groups as
//            "::"); an IPv4 address is stored mapped, "::ffff:a.b.c.d".
//   integer  the low 32 bits, unsigned (HAProxy stores a 32-bit key); text of
//            decimal digits with an optional sign counts, anything else does
//            not (HAProxy would read "12abc" as 12: stricter here, on purpose).
//   string   at most `len` bytes, cut at a NUL as HAProxy's C strings are.
//            Numbers and booleans become their decimal text.
//   binary   exactly `len` bytes (latin1 text): cut, or padded with NULs. An
//            integer is its 8 bytes big-endian (HAProxy's int-to-bin cast).
// Text is a byte string (one char per byte, as the HTTP layer decodes it); a
// char above U+00FF is taken as its UTF-8 bytes.
import type { StickKey, StickKeyInput, StickKeyType } from "./types.ts";

/** The key `input` has in a table of `type` (len: string/binary length), or undefined. */
export function normalizeKey(type: StickKeyType, len: number, input: StickKeyInput): StickKey | undefined {
  switch (type) {
    case "ip":
      return ipv4Key(input);
    case "ipv6":
      return ipv6Key(input);
    case "integer":
      return integerKey(input);
    case "string":
      return stringKey(input, len);
    case "binary":
      return binaryKey(input, len);
  }
}

function ipv4Key(input: StickKeyInput): string | undefined {
  if (typeof input === "number") return Number.isInteger(input) ? dotted(input >>> 0) : undefined;
  if (typeof input !== "string") return undefined;
  if (input.indexOf(":") < 0) return parseIPv4(input, 0, input.length) >= 0 ? input : undefined;
  // The common dual-stack form first, without parsing the IPv6 part.
  if (input.length > 7 && input.slice(0, 7).toLowerCase() === "::ffff:" && parseIPv4(input, 7, input.length) >= 0) {
    return input.slice(7);
  }
  if (!parseIPv6(input)) return undefined;
  return isMapped() ? dotted(words[6]! * 0x10000 + words[7]!) : undefined;
}

function ipv6Key(input: StickKeyInput): string | undefined {
  if (typeof input === "number") return Number.isInteger(input) ? "::ffff:" + dotted(input >>> 0) : undefined;
  if (typeof input !== "string") return undefined;
  if (input.indexOf(":") < 0) return parseIPv4(input, 0, input.length) >= 0 ? "::ffff:" + input : undefined;
  return parseIPv6(input) ? formatIPv6() : undefined;
}

const DECIMAL = /^[+-]?[0-9]+$/;

function integerKey(input: StickKeyInput): number | undefined {
  if (typeof input === "number") return Number.isInteger(input) ? input >>> 0 : undefined;
  if (typeof input === "boolean") return input ? 1 : 0;
  if (!DECIMAL.test(input)) return undefined;
  // Past 15 digits a double loses the low bits that the 32-bit key keeps.
  return input.length <= 15 ? Number(input) >>> 0 : Number(BigInt.asUintN(32, BigInt(input)));
}

function stringKey(input: StickKeyInput, len: number): string {
  const text = typeof input === "string" ? bytesOf(input) : typeof input === "number" ? String(input) : input ? "1" : "0";
  const nul = text.indexOf("\0");
  const end = nul >= 0 && nul < len ? nul : len;
  return text.length > end ? text.slice(0, end) : text;
}

function binaryKey(input: StickKeyInput, len: number): string | undefined {
  let bytes: string;
  if (typeof input === "string") bytes = bytesOf(input);
  else if (typeof input === "boolean") bytes = int64Bytes(input ? 1 : 0);
  else if (Number.isInteger(input)) bytes = int64Bytes(input);
  else return undefined;
  return bytes.length >= len ? bytes.slice(0, len) : bytes + "\0".repeat(len - bytes.length);
}

/** 8 bytes, big-endian, two's complement: HAProxy's int-to-bin cast. */
function int64Bytes(n: number): string {
  let v = BigInt.asUintN(64, BigInt(n));
  let s = "";
  for (let i = 0; i < 8; i++) {
    s = String.fromCharCode(Number(v & 0xffn)) + s;
    v >>= 8n;
  }
  return s;
}

const WIDE = /[^\x00-\xff]/;
const utf8 = new TextEncoder();

/** Text as bytes, one char each: unchanged when it is already a byte string. */
function bytesOf(text: string): string {
  if (!WIDE.test(text)) return text;
  let s = "";
  for (const b of utf8.encode(text)) s += String.fromCharCode(b);
  return s;
}

/**
 * A dotted IPv4 address in text[from, to) as a number, or -1. Strict, as
 * inet_pton: four decimal parts of 0..255, no leading zeros (no octal guess).
 */
export function parseIPv4(text: string, from: number, to: number): number {
  let value = 0;
  let parts = 0;
  let i = from;
  while (parts < 4) {
    const start = i;
    let part = 0;
    while (i < to) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      part = part * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || part > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= to || text.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === to ? value : -1;
}

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The eight groups of the last address parseIPv6 read (one scratch array: no allocation per key). */
const words: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
const tail: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Reads an IPv6 address (RFC 4291 text: hex groups, one "::", a dotted IPv4
 * tail) into `words`. No zone (%eth0), no brackets: those are not addresses.
 */
export function parseIPv6(text: string): boolean {
  const gap = text.indexOf("::");
  if (gap < 0) return groups(text, 0, text.length, words, true) === 8;
  if (text.indexOf("::", gap + 1) >= 0) return false;
  const head = groups(text, 0, gap, words, false);
  const rest = groups(text, gap + 2, text.length, tail, true);
  if (head < 0 || rest < 0 || head + rest > 7) return false;
  for (let i = head; i < 8 - rest; i++) words[i] = 0;
  for (let i = 0; i < rest; i++) words[8 - rest + i] = tail[i]!;
  return true;
}

/** Groups of text[from, to) into out; their count in 16-bit words, or -1. */
function groups(text: string, from: number, to: number, out: number[], v4Last: boolean): number {
  if (from === to) return 0;
  let n = 0;
  let i = from;
  for (;;) {
    let end = text.indexOf(":", i);
    if (end < 0 || end > to) end = to;
    if (end === to && v4Last && text.indexOf(".", i) >= 0) {
      const v4 = parseIPv4(text, i, to);
      if (v4 < 0 || n > 6) return -1;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      return n;
    }
    const digits = end - i;
    if (digits < 1 || digits > 4 || n > 7) return -1;
    let word = 0;
    for (let j = i; j < end; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) return -1;
      word = word * 16 + h;
    }
    out[n++] = word;
    if (end === to) return n;
    i = end + 1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** ::ffff:0:0/96, the IPv4-mapped prefix. */
function isMapped(): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff;
}

/** `words` as RFC 5952 text; a mapped IPv4 address keeps its dotted tail (section 5). */
function formatIPv6(): string {
  if (isMapped()) return "::ffff:" + dotted(words[6]! * 0x10000 + words[7]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(":")) s += ":";
    s += words[i]!.toString(16);
  }
  return s;
}
