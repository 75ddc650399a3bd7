// ipmask(MASK4[,MASK6]) (HAProxy 2.6 §7.3.1): an address with its host bits
// cleared, so that a network shares one table entry. MASK4 is a prefix
// length or a dotted mask, MASK6 a prefix length or a colon mask; without
// MASK6 an IPv6 address does not convert. An IPv4-mapped IPv6 address (what
// a dual-stack socket reports) is masked as the IPv4 address it is.
import { parseIPv4, parseIPv6 } from "../network.ts";
import type { ConverterDef, Sample } from "../types.ts";

const SCRATCH = new Uint16Array(8);

/** A contiguous mask's length in bits, or -1. */
function contiguousBits(words: readonly number[], width: number): number {
  let bits = 0;
  let seenZero = false;
  for (const w of words) {
    for (let b = width - 1; b >= 0; b--) {
      if ((w >>> b) & 1) {
        if (seenZero) return -1;
        bits++;
      } else {
        seenZero = true;
      }
    }
  }
  return bits;
}

function mask4Bits(text: string): number {
  if (/^\d{1,2}$/.test(text)) return Number(text) <= 32 ? Number(text) : -1;
  const v = parseIPv4(text, 0, text.length);
  return v < 0 ? -1 : contiguousBits([v >>> 16, v & 0xffff], 16);
}

function mask6Bits(text: string): number {
  if (/^\d{1,3}$/.test(text)) return Number(text) <= 128 ? Number(text) : -1;
  const g = new Uint16Array(8);
  return parseIPv6(text, 0, text.length, g) ? contiguousBits(Array.from(g), 16) : -1;
}

function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text of 8 groups: lower-case hex, the longest run of two or more zero groups as "::". */
function v6Text(g: Uint16Array): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8;) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > bestLen) {
      bestAt = k;
      bestLen = j - k;
    }
    k = j;
  }
  let out = "";
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      out += "::";
      k += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += g[k]!.toString(16);
  }
  return out;
}

function ipmask(args: readonly string[]): ((s: Sample) => Sample | undefined) | string {
  const bits4 = mask4Bits(args[0]!);
  if (bits4 < 0) return `ipmask: '${args[0]}' is not an IPv4 mask (a prefix length 0-32 or a dotted mask)`;
  const bits6 = args[1] === undefined ? -1 : mask6Bits(args[1]);
  if (args[1] !== undefined && bits6 < 0) return `ipmask: '${args[1]}' is not an IPv6 mask (a prefix length 0-128 or a colon mask)`;
  const mask4 = bits4 === 0 ? 0 : (0xffffffff << (32 - bits4)) >>> 0;
  return (s) => {
    const text = s as string;
    let v = parseIPv4(text, 0, text.length);
    if (v < 0) {
      const g = SCRATCH;
      if (!parseIPv6(text, 0, text.length, g)) return undefined;
      if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
        v = g[6]! * 65536 + g[7]!;
      } else {
        if (bits6 < 0) return undefined;
        for (let k = 0; k < 8; k++) {
          const keep = Math.max(0, Math.min(16, bits6 - 16 * k));
          g[k] = g[k]! & ((0xffff << (16 - keep)) & 0xffff);
        }
        return v6Text(g);
      }
    }
    return v4Text((v & mask4) >>> 0);
  };
}

export const IP_CONVERTERS: readonly ConverterDef[] = [
  { name: "ipmask", minArgs: 1, maxArgs: 2, in: "ip", out: "ip", compile: ipmask },
];
