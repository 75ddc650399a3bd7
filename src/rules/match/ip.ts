// Address matching (`-m ip`, `map_ip`): IPv4 and IPv6 networks in binary
// prefix trees, one per family, walked bit by bit along the sample's address
// (at most 32 or 128 steps, whatever the number of networks; nothing
// allocated). Pure.
//
// As HAProxy 2.6 (pattern.c pat_match_ip): the most specific network of the
// sample's own family wins. An IPv4 sample that none matches is tried as
// ::ffff:a.b.c.d against the IPv6 networks. An IPv6 sample that none
// matches is tried against the IPv4 networks when it carries an IPv4
// address: IPv4-mapped ::ffff:a.b.c.d (what dual-stack sockets report),
// the old IPv4-compatible ::a.b.c.d (so "::1" is 0.0.0.1 there), or 6to4
// 2002:AABB:CCDD:: (a.b.c.d in its bits 16-47). IPv4 networks whose dotted
// mask is not contiguous (10.0.0.255/255.0.0.255) are kept in a list tried
// last, in load order.
// Duplicate networks keep their first entry.

import { parseIPv4, parseIPv6 } from "../network.ts";
import type { Sample } from "../types.ts";

/** A network as an ip pattern writes it. */
type IpPattern =
  /** A contiguous mask: its length (0-32); a dotted mask that is not contiguous: prefix -1 and the mask. */
  | { family: 4; address: number; prefix: number; mask?: number }
  | { family: 6; words: Uint32Array; prefix: number };

const HINT = "expected an IPv4 or IPv6 address or network such as 10.0.0.0/8, 192.168.1 or 2001:db8::/32; " +
  "host names are not resolved";

/** Parses one ip pattern, or says what is wrong with it. */
export function parseIpPattern(text: string): IpPattern | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);

  if (!addressText.includes(":")) {
    const address = parseShortIPv4(addressText);
    if (address < 0) return `'${text}' is not a valid IPv4 or IPv6 address (${HINT})`;
    if (maskText === undefined) return { family: 4, address, prefix: 32 };
    if (/^\d{1,2}$/.test(maskText) && Number(maskText) <= 32) {
      return { family: 4, address, prefix: Number(maskText) };
    }
    const mask = parseIPv4(maskText, 0, maskText.length);
    if (mask < 0) return `'${text}': invalid mask '${maskText}' (expected 0-32 or a dotted mask such as 255.255.0.0)`;
    const prefix = contiguousLength(mask);
    return prefix >= 0 ? { family: 4, address, prefix } : { family: 4, address, prefix: -1, mask };
  }

  const groups = new Uint16Array(8);
  if (!parseIPv6(addressText, 0, addressText.length, groups)) {
    return `'${text}' is not a valid IPv4 or IPv6 address (${HINT})`;
  }
  let prefix = 128;
  if (maskText !== undefined) {
    if (!/^\d{1,3}$/.test(maskText) || Number(maskText) > 128) {
      return `'${text}': invalid prefix length '${maskText}' (IPv6 takes 0-128)`;
    }
    prefix = Number(maskText);
  }
  return { family: 6, words: wordsOf(groups, new Uint32Array(4)), prefix };
}

/**
 * IPv4 as HAProxy's patterns write it: a dotted quad, or the short forms
 * that omit zero octets before the last part (192.168.1 is 192.168.0.1,
 * 10.12 is 10.0.0.12, the last part filling the bytes left). Decimal only,
 * without leading zeros (010 means 8 to inet_aton). -1 if it is none.
 */
function parseShortIPv4(text: string): number {
  const parts = text.split(".");
  if (parts.length < 2 || parts.length > 4) return -1;
  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9]\d{0,9})$/.test(part)) return -1;
    const n = Number(part);
    const last = i === parts.length - 1;
    const limit = last ? 2 ** (8 * (5 - parts.length)) : 256;
    if (n >= limit) return -1;
    value = last ? value * limit + n : value * 256 + n;
  }
  return value;
}

/** Prefix length of a contiguous mask, or -1. */
function contiguousLength(mask: number): number {
  let bits = 0;
  while (bits < 32 && ((mask >>> (31 - bits)) & 1) === 1) bits++;
  const rebuilt = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return rebuilt === mask ? bits : -1;
}

function wordsOf(groups: Uint16Array, out: Uint32Array): Uint32Array {
  for (let k = 0; k < 4; k++) out[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return out;
}

/**
 * A binary tree of prefixes over 32-bit words, in flat arrays: node n's
 * children are zero[n] and one[n] (0: none), its entry entry[n] (-1: none).
 */
class PrefixTree {
  private zero: number[] = [0];
  private one: number[] = [0];
  private entry: number[] = [-1];

  insert(words: ArrayLike<number>, prefix: number, index: number): void {
    let node = 0;
    for (let b = 0; b < prefix; b++) {
      const side = (words[b >>> 5]! >>> (31 - (b & 31))) & 1 ? this.one : this.zero;
      let child = side[node]!;
      if (child === 0) {
        child = this.zero.length;
        this.zero.push(0);
        this.one.push(0);
        this.entry.push(-1);
        side[node] = child;
      }
      node = child;
    }
    if (this.entry[node]! < 0) this.entry[node] = index;
  }

  /** The entry of the longest prefix of `words` (its first `bits` bits), or -1; with `any`, the first found. */
  find(words: ArrayLike<number>, bits: number, any: boolean): number {
    const zero = this.zero;
    const one = this.one;
    const entry = this.entry;
    let node = 0;
    let found = entry[0]!;
    if (found >= 0 && any) return found;
    for (let b = 0; b < bits; b++) {
      node = (words[b >>> 5]! >>> (31 - (b & 31))) & 1 ? one[node]! : zero[node]!;
      if (node === 0) return found;
      const e = entry[node]!;
      if (e >= 0) {
        if (any) return e;
        found = e;
      }
    }
    return found;
  }
}

/** Scratch words for the address being looked up (never kept across calls). */
const V4 = new Uint32Array(1);
const V6 = new Uint32Array(4);
const GROUPS = new Uint16Array(8);

export class IpIndex {
  private readonly v4 = new PrefixTree();
  private readonly v6 = new PrefixTree();
  /** IPv4 networks with a non-contiguous mask: address, mask, entry, in load order. */
  private readonly odd: number[] = [];

  private constructor() {}

  /** The index of `patterns`, or what is wrong with the first bad one. */
  static build(patterns: readonly string[]): IpIndex | string {
    const index = new IpIndex();
    for (let i = 0; i < patterns.length; i++) {
      const p = parseIpPattern(patterns[i]!);
      if (typeof p === "string") return p;
      if (p.family === 6) {
        index.v6.insert(p.words, p.prefix, i);
      } else if (p.prefix >= 0) {
        V4[0] = p.address;
        index.v4.insert(V4, p.prefix, i);
      } else {
        const mask = p.mask ?? 0;
        index.odd.push((p.address & mask) >>> 0, mask, i);
      }
    }
    return index;
  }

  /**
   * The entry for `sample`'s address, or -1 (also when it is no address).
   * Strings are parsed as sockets and HAProxy's casts write addresses (a
   * zone, fe80::1%eth0, is ignored); integers and booleans are IPv4
   * addresses as HAProxy's int-to-ip cast makes them.
   */
  find(sample: Sample, any: boolean): number {
    if (typeof sample !== "string") return this.findV4(Number(sample) >>> 0, any);
    const v4 = parseIPv4(sample, 0, sample.length);
    if (v4 >= 0) return this.findV4(v4, any);
    const zone = sample.indexOf("%");
    if (!parseIPv6(sample, 0, zone < 0 ? sample.length : zone, GROUPS)) return -1;
    return this.findV6(wordsOf(GROUPS, V6), any);
  }

  private findV4(address: number, any: boolean): number {
    V4[0] = address;
    let e = this.v4.find(V4, 32, any);
    if (e >= 0) return e;
    V6[0] = 0;
    V6[1] = 0;
    V6[2] = 0xffff;
    V6[3] = address;
    e = this.v6.find(V6, 128, any);
    return e >= 0 ? e : this.findOdd(address);
  }

  private findV6(words: Uint32Array, any: boolean): number {
    const e = this.v6.find(words, 128, any);
    if (e >= 0) return e;
    let address: number;
    if (words[0] === 0 && words[1] === 0 && (words[2] === 0 || words[2] === 0xffff)) {
      address = words[3]!;
    } else if (words[0]! >>> 16 === 0x2002) {
      address = (((words[0]! & 0xffff) << 16) | (words[1]! >>> 16)) >>> 0;
    } else {
      return -1;
    }
    V4[0] = address;
    const e4 = this.v4.find(V4, 32, any);
    return e4 >= 0 ? e4 : this.findOdd(address);
  }

  private findOdd(address: number): number {
    const odd = this.odd;
    for (let k = 0; k < odd.length; k += 3) {
      if (((address & odd[k + 1]!) >>> 0) === odd[k]) return odd[k + 2]!;
    }
    return -1;
  }
}
