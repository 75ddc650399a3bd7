// IP networks as a configuration writes them (`option forwardfor except
// 10.0.0.0/8`), matched against the addresses sockets report. Pure.
//
// A network is parsed once, at load; `contains` runs on every request, so it
// reads the address by char codes and allocates nothing (IPv6 groups go to a
// module-level scratch array). An IPv4-mapped IPv6 address (::ffff:10.1.2.3,
// what a dual-stack socket reports for an IPv4 client) is the IPv4 address
// for an IPv4 network, and an IPv4 address is its mapped form for an IPv6
// network.

export interface Network {
  readonly family: 4 | 6;
  /** Bits that must match: 0-32 (IPv4) or 0-128 (IPv6). */
  readonly prefix: number;
  /** As written. */
  readonly text: string;
  /** `address` as a socket reports it; anything that is not an IP address is outside. */
  contains(address: string): boolean;
}

const FORMS =
  "expected an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.0/8, 10.1.2.3 or 2001:db8::/32";

/** The network, or what is wrong with `text`. */
export function parseNetwork(text: string): Network | string {
  const slash = text.indexOf("/");
  const end = slash < 0 ? text.length : slash;
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);

  const v4 = parseIPv4(text, 0, end);
  if (v4 >= 0) {
    let prefix = 32;
    if (prefixText !== undefined) {
      if (/^\d{1,3}$/.test(prefixText) && Number(prefixText) <= 32) {
        prefix = Number(prefixText);
      } else {
        // HAProxy also takes a dotted netmask: 10.0.0.0/255.0.0.0.
        const mask = parseIPv4(prefixText, 0, prefixText.length);
        if (mask < 0) {
          return `invalid prefix length '${prefixText}' in '${text}' (expected 0-32 or a netmask such as 255.255.0.0)`;
        }
        prefix = maskLength(mask);
        if (prefix < 0) {
          return `invalid netmask '${prefixText}' in '${text}' (its one bits must all come first)`;
        }
      }
    }
    return new IPv4Network(text, v4, prefix);
  }

  const groups = new Uint16Array(8);
  if (parseIPv6(text, 0, end, groups)) {
    let prefix = 128;
    if (prefixText !== undefined) {
      if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128) {
        return `invalid prefix length '${prefixText}' in '${text}' (expected 0-128)`;
      }
      prefix = Number(prefixText);
    }
    return new IPv6Network(text, groups, prefix);
  }
  return `invalid network '${text}' (${FORMS})`;
}

class IPv4Network implements Network {
  readonly family = 4;
  private readonly mask: number;
  private readonly base: number;

  constructor(readonly text: string, address: number, readonly prefix: number) {
    // A shift by 32 is a shift by 0 in JS: /0 needs its own case.
    this.mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    this.base = (address & this.mask) >>> 0;
  }

  contains(address: string): boolean {
    let v = parseIPv4(address, 0, address.length);
    if (v < 0) v = mappedIPv4(address);
    return v >= 0 && ((v & this.mask) >>> 0) === this.base;
  }

  toString(): string {
    return this.text;
  }
}

class IPv6Network implements Network {
  readonly family = 6;
  private readonly groups: Uint16Array;

  constructor(readonly text: string, groups: Uint16Array, readonly prefix: number) {
    // Keep only the prefix bits, as HAProxy does with 2001:db8::1/32.
    const full = prefix >> 4;
    const rest = prefix & 15;
    for (let k = full; k < 8; k++) {
      groups[k] = k === full && rest > 0 ? groups[k]! & ((0xffff << (16 - rest)) & 0xffff) : 0;
    }
    this.groups = groups;
  }

  contains(address: string): boolean {
    const g = SCRATCH;
    const v4 = parseIPv4(address, 0, address.length);
    if (v4 >= 0) {
      g.fill(0, 0, 5);
      g[5] = 0xffff;
      g[6] = v4 >>> 16;
      g[7] = v4 & 0xffff;
    } else {
      const zone = address.indexOf("%");
      if (!parseIPv6(address, 0, zone < 0 ? address.length : zone, g)) return false;
    }
    const full = this.prefix >> 4;
    for (let k = 0; k < full; k++) if (g[k] !== this.groups[k]) return false;
    const rest = this.prefix & 15;
    if (rest === 0) return true;
    const mask = (0xffff << (16 - rest)) & 0xffff;
    return (g[full]! & mask) === this.groups[full];
  }

  toString(): string {
    return this.text;
  }
}

/** Reused by every `contains` call on an IPv6 address. */
const SCRATCH = new Uint16Array(8);

/** Dotted-quad s[start,end) as an unsigned 32-bit number, or -1. No leading zeros (010 is octal to some). */
export function parseIPv4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d, or any spelling of it), or -1. */
function mappedIPv4(s: string): number {
  // The form sockets report, without touching the scratch groups.
  if (
    s.length > 7 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58 &&
    isF(s.charCodeAt(2)) && isF(s.charCodeAt(3)) && isF(s.charCodeAt(4)) &&
    isF(s.charCodeAt(5)) && s.charCodeAt(6) === 58
  ) {
    const v = parseIPv4(s, 7, s.length);
    if (v >= 0) return v;
  }
  const zone = s.indexOf("%");
  const g = SCRATCH;
  if (!parseIPv6(s, 0, zone < 0 ? s.length : zone, g)) return -1;
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0xffff) {
    return -1;
  }
  return g[6]! * 65536 + g[7]!;
}

function isF(c: number): boolean {
  return c === 102 || c === 70;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * IPv6 text s[start,end) into 8 groups (RFC 4291 §2.2: `::` once, an
 * embedded IPv4 tail allowed). Returns false, leaving `out` undefined, when
 * it is not an IPv6 address.
 */
export function parseIPv6(s: string, start: number, end: number, out: Uint16Array): boolean {
  let n = 0;
  let gap = -1;
  let i = start;
  if (i < end && s.charCodeAt(i) === 58) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let v = 0;
    let digits = 0;
    for (; i < end; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      if (++digits > 4) return false;
      v = v * 16 + h;
    }
    if (digits === 0) return false;
    if (i < end && s.charCodeAt(i) === 46) {
      // a.b.c.d fills the last two groups.
      if (n > 6) return false;
      const v4 = parseIPv4(s, groupStart, end);
      if (v4 < 0) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (n === 8) return false;
    out[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Slide the groups written after `::` to the end; zeros in between.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/** Prefix length of a contiguous netmask, or -1. */
function maskLength(mask: number): number {
  let bits = 0;
  while (bits < 32 && ((mask >>> (31 - bits)) & 1) === 1) bits++;
  const rebuilt = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return rebuilt === mask ? bits : -1;
}
