// Samples between types, as HAProxy casts them (its sample_casts table):
// which casts exist is decided at load (a converter on a type that cannot
// become its input is a load error); the cast itself runs per request and
// yields no sample when the value does not convert ("abc" as an address).
import { asInt, asText } from "./match/cast.ts";
import { parseIPv4, parseIPv6 } from "./network.ts";
import { Stage, type Sample, type SampleType, type StageBit } from "./types.ts";

/** The text of a sample: ints in decimal, booleans as 1/0 (HAProxy's bool → str). */
export const toStr: (s: Sample) => string = asText;

/**
 * A sample as an integer, HAProxy's read_int64 on text (an optional sign and
 * the digits that follow, 0 when none); empty text is no sample.
 */
export function toInt(s: Sample): number | undefined {
  const n = asInt(s);
  return n === n ? n : undefined;
}

/**
 * Text as HAProxy's `_val` fetches read it (hdr_val, cook_val, urlp_val:
 * its strl2ic): a 32-bit integer that wraps, digits accumulated until a byte
 * above '9' (one below '0', a '+' or a space, or above 0x7f, counts as a
 * negative digit, as there: "+8" is -42), a leading '-' negates. Measured with HAProxy 2.6.12.
 */
export function strl2ic(s: string): number {
  let i = 0;
  const negative = s.charCodeAt(0) === 45;
  for (let k = negative ? 1 : 0; k < s.length; k++) {
    // HAProxy's char is signed: a byte above 0x7f is a negative digit too.
    const c = s.charCodeAt(k) & 255;
    const j = (c > 127 ? c - 256 : c) - 48;
    if (j > 9) break;
    const tens = Math.imul(i, 10);
    i = negative ? (tens - j) | 0 : (tens + j) | 0;
  }
  return i;
}

/** An integer's IPv4 address (HAProxy's int → ip). */
function intToIp(v: number): string {
  const u = v >>> 0;
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

const SCRATCH6 = new Uint16Array(8);

/** Text that is an IPv4 or IPv6 address, else undefined. */
function strToIp(s: string): string | undefined {
  if (parseIPv4(s, 0, s.length) >= 0) return s;
  return parseIPv6(s, 0, s.length, SCRATCH6) ? s : undefined;
}

/** Which casts HAProxy allows, from → to (its sample_casts table, for the types sluice has). */
const CASTS: Readonly<Record<SampleType, readonly SampleType[]>> = {
  bool: ["bool", "int", "str", "bin"],
  int: ["bool", "int", "ip", "str", "bin"],
  ip: ["int", "ip", "str", "bin"],
  str: ["bool", "int", "ip", "str", "bin", "meth"],
  bin: ["str", "bin"],
  meth: ["str", "bin", "meth"],
};

export function canCast(from: SampleType, to: SampleType): boolean {
  return CASTS[from].includes(to);
}

/** Text-like types share one representation (a string): no cast runs between them. */
function textual(t: SampleType): boolean {
  return t === "str" || t === "bin" || t === "meth" || t === "ip";
}

/**
 * The cast from one type to another, or undefined when the value passes
 * unchanged. Call only when canCast(from, to).
 */
export function castFn(from: SampleType, to: SampleType): ((s: Sample) => Sample | undefined) | undefined {
  if (from === to) return undefined;
  // HAProxy's c_int2bin / c_ip2bin: the value's bytes, not its text.
  if (to === "bin" && (from === "int" || from === "bool")) return intToBin;
  if (to === "bin" && from === "ip") return (s) => (typeof s === "string" ? ipToBin(s) : undefined);
  if (to === "ip") {
    if (from === "int") return (s) => (typeof s === "number" ? intToIp(s) : typeof s === "string" ? strToIp(s) : undefined);
    return (s) => (typeof s === "string" ? strToIp(s) : undefined);
  }
  if (textual(to)) return textual(from) ? undefined : toStr;
  if (to === "int") {
    if (from === "ip") return (s) => (typeof s === "string" ? ipv4ToInt(s) : toInt(s));
    return toInt;
  }
  // to bool
  return (s) => {
    if (typeof s === "boolean") return s;
    const v = toInt(s);
    return v === undefined ? undefined : v !== 0;
  };
}

/**
 * A sample whose type is known only when it runs (a variable's) as `to`:
 * the cast its actual type needs (text passes as it is).
 */
export function dynamicCast(to: SampleType): (s: Sample) => Sample | undefined {
  const fromInt = castFn("int", to) ?? ((s: Sample) => s);
  const fromBool = castFn("bool", to) ?? ((s: Sample) => s);
  const fromText = castFn("str", to) ?? ((s: Sample) => s);
  return (s) => (typeof s === "number" ? fromInt(s) : typeof s === "boolean" ? fromBool(s) : fromText(s));
}

/** An integer as HAProxy's binary sample: 8 bytes, big-endian two's complement (one latin1 character per byte). */
function intToBin(s: Sample): string | undefined {
  const v = typeof s === "number" ? s : typeof s === "boolean" ? (s ? 1 : 0) : toInt(s);
  if (v === undefined) return undefined;
  let n = BigInt.asUintN(64, BigInt(Math.trunc(v)));
  let out = "";
  for (let i = 0; i < 8; i++) {
    out = String.fromCharCode(Number(n & 0xffn)) + out;
    n >>= 8n;
  }
  return out;
}

/** An address as HAProxy's binary sample: its 4 (IPv4) or 16 (IPv6) bytes. */
function ipToBin(s: string): string | undefined {
  const v4 = parseIPv4(s, 0, s.length);
  if (v4 >= 0) return String.fromCharCode(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  if (!parseIPv6(s, 0, s.length, SCRATCH6)) return undefined;
  let out = "";
  for (const word of SCRATCH6) out += String.fromCharCode(word >>> 8, word & 255);
  return out;
}

/** An IPv4 address as an unsigned integer; IPv6 has none (HAProxy's ip → int). */
function ipv4ToInt(s: string): number | undefined {
  const v = parseIPv4(s, 0, s.length);
  return v >= 0 ? v : undefined;
}

/** A rule set's name as a configuration writes it, for errors. */
export function stageName(stage: StageBit): string {
  switch (stage) {
    case Stage.tcpConnection:
      return "tcp-request connection";
    case Stage.tcpSession:
      return "tcp-request session";
    case Stage.tcpContent:
      return "tcp-request content";
    case Stage.httpRequest:
      return "http-request";
    case Stage.httpResponse:
      return "http-response";
    default:
      return "http-after-response";
  }
}

/** The known name closest to a mistyped one, if it is close enough to be a likely typo. */
export function nearest(word: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const name of names) {
    const d = distance(word, name, bestDistance);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below it. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    previous = row;
  }
  return previous[b.length]!;
}

/** " (did you mean 'x'?)" when a near name exists, else "". */
export function suggestion(word: string, names: Iterable<string>): string {
  const near = nearest(word, names);
  return near === undefined ? "" : ` (did you mean '${near}'?)`;
}
