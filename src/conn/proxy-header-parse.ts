// `accept-proxy`: the PROXY header (v1 text, v2 binary) read off the first
// bytes of a connection, strictly as proxy-protocol.txt defines it. Pure and
// incremental: the caller hands the bytes received so far (from the first)
// and gets "more", the header with how many bytes it took, or a typed error;
// nothing else is ever thrown. Errors carry HAProxy's reason texts (its
// CO_ER_PRX_* codes), which its logs show when it closes such a connection.
import { formatIpv6 } from "../runtime/ip-text.ts";
export { formatIpv6 };
import {
  PROXY_V1_MAX_BYTES,
  PROXY_V1_PREFIX,
  PROXY_V2_FIXED_BYTES,
  PROXY_V2_SIGNATURE,
  type ProxyEndpoint,
  type ProxyHeader,
} from "./proxy-header.ts";

/**
 * The longest v2 header taken: HAProxy reads the header into one buffer
 * (tune.bufsize, 16384 by default), so a longer one never arrives whole there.
 */
export const PROXY_V2_MAX_BYTES = 16384;

export type ProxyHeaderFailure = "not-header" | "bad-header";

const REASONS: Record<ProxyHeaderFailure, string> = {
  "not-header": "Received something which does not look like a PROXY protocol header",
  "bad-header": "Received an invalid PROXY protocol header",
};

/** A header that is not one, or not a valid one. `reason` is HAProxy's text; `detail` says what exactly. */
export class ProxyHeaderError extends Error {
  readonly reason: string;
  constructor(readonly code: ProxyHeaderFailure, readonly detail: string) {
    super(`${REASONS[code]} (${detail})`);
    this.name = "ProxyHeaderError";
    this.reason = REASONS[code];
  }
}

export type ProxyParse =
  | { readonly done: false }
  | { readonly done: true; readonly header: ProxyHeader; readonly consumed: number };

const MORE: ProxyParse = { done: false };
const CR = 0x0d;
const LF = 0x0a;

/**
 * Reads a header from `bytes` (everything received so far, from the
 * connection's first byte). Throws only ProxyHeaderError.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyParse {
  if (bytes.length === 0) return MORE;
  if (bytes[0] === PROXY_V1_PREFIX.charCodeAt(0)) return parseV1(bytes);
  if (bytes[0] === PROXY_V2_SIGNATURE[0]) return parseV2(bytes);
  throw new ProxyHeaderError("not-header", "neither 'PROXY ' nor the v2 signature");
}

// ---- v1 ----

function parseV1(bytes: Uint8Array): ProxyParse {
  const prefix = Math.min(bytes.length, PROXY_V1_PREFIX.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== PROXY_V1_PREFIX.charCodeAt(i)) throw new ProxyHeaderError("not-header", "not 'PROXY '");
  }
  const limit = Math.min(bytes.length, PROXY_V1_MAX_BYTES);
  let lf = -1;
  for (let i = prefix; i < limit; i++) {
    if (bytes[i] === LF) {
      lf = i;
      break;
    }
  }
  if (lf < 0) {
    if (bytes.length >= PROXY_V1_MAX_BYTES) throw new ProxyHeaderError("bad-header", `no CRLF in the first ${PROXY_V1_MAX_BYTES} bytes`);
    return MORE;
  }
  if (bytes[lf - 1] !== CR) throw new ProxyHeaderError("bad-header", "line ends in LF without CR");
  let line = "";
  for (let i = PROXY_V1_PREFIX.length; i < lf - 1; i++) line += String.fromCharCode(bytes[i]!);
  return { done: true, header: v1Fields(line), consumed: lf + 1 };
}

/** The line after "PROXY " without its CRLF. */
function v1Fields(line: string): ProxyHeader {
  if (line === "UNKNOWN" || line.startsWith("UNKNOWN ")) return { version: 1 };
  const fields = line.split(" ");
  const family = fields[0];
  if (family !== "TCP4" && family !== "TCP6") {
    throw new ProxyHeaderError("bad-header", `family '${family}' is not TCP4, TCP6 or UNKNOWN`);
  }
  if (fields.length !== 5) throw new ProxyHeaderError("bad-header", `${fields.length - 1} fields after ${family}, 4 expected (one space apart)`);
  const parse = family === "TCP4" ? ipv4Text : ipv6Text;
  const src = parse(fields[1]!);
  const dst = parse(fields[2]!);
  return {
    version: 1,
    source: { address: src, port: portText(fields[3]!) },
    destination: { address: dst, port: portText(fields[4]!) },
  };
}

function portText(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) {
    throw new ProxyHeaderError("bad-header", `port '${text}' is not 0..65535 in decimal without leading zeros`);
  }
  return Number(text);
}

const V4_TEXT = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

function ipv4Octets(text: string): number[] | undefined {
  const m = V4_TEXT.exec(text);
  if (m === null) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function ipv4Text(text: string): string {
  const octets = ipv4Octets(text);
  if (octets === undefined) throw new ProxyHeaderError("bad-header", `'${text}' is not an IPv4 address`);
  return octets.join(".");
}

/** An IPv6 address in text → its canonical text (RFC 5952), so that v1 and v2 name a client alike. */
function ipv6Text(text: string): string {
  const bytes = ipv6Bytes(text);
  if (bytes === undefined) throw new ProxyHeaderError("bad-header", `'${text}' is not an IPv6 address`);
  return formatIpv6(bytes, 0);
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function groupsOf(part: string): number[] | undefined {
  if (part === "") return [];
  const out: number[] = [];
  const items = part.split(":");
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (i === items.length - 1 && item.includes(".")) {
      const v4 = ipv4Octets(item);
      if (v4 === undefined) return undefined;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(item)) {
      out.push(parseInt(item, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0]!);
    const tail = groupsOf(halves[1]!);
    // An embedded IPv4 address belongs at the end only.
    if (head === undefined || tail === undefined || halves[0]!.includes(".")) return undefined;
    const zeros = 8 - head.length - tail.length;
    if (zeros < 1) return undefined;
    groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  } else {
    const all = groupsOf(text);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}


// ---- v2 ----

const CMD_LOCAL = 0x0;
const CMD_PROXY = 0x1;
const FAMILY_UNSPEC = 0x0;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;
const PROTO_STREAM = 0x1;
const PROTO_DGRAM = 0x2;
/** The address block of TCP over IPv4 / IPv6: two addresses, two ports. */
const INET_BYTES = 12;
const INET6_BYTES = 36;

function parseV2(bytes: Uint8Array): ProxyParse {
  const signature = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signature; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) throw new ProxyHeaderError("not-header", "not the v2 signature");
  }
  if (bytes.length <= PROXY_V2_SIGNATURE.length) return MORE;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) throw new ProxyHeaderError("not-header", `v2 signature with version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command !== CMD_LOCAL && command !== CMD_PROXY) throw new ProxyHeaderError("bad-header", `command ${command} is neither LOCAL nor PROXY`);
  if (bytes.length < 14) return MORE;
  const family = bytes[13]! >> 4;
  const protocol = bytes[13]! & 0x0f;
  if (family > FAMILY_UNIX || protocol > PROTO_DGRAM) {
    throw new ProxyHeaderError("bad-header", `address family ${family} / protocol ${protocol} undefined by the spec`);
  }
  if (bytes.length < PROXY_V2_FIXED_BYTES) return MORE;
  const length = (bytes[14]! << 8) | bytes[15]!;
  const total = PROXY_V2_FIXED_BYTES + length;
  if (total > PROXY_V2_MAX_BYTES) throw new ProxyHeaderError("bad-header", `${total} bytes, more than ${PROXY_V2_MAX_BYTES}`);
  if (bytes.length < total) return MORE;
  // LOCAL (the sender's own health checks) and families other than TCP over IP keep the connection's addresses.
  if (command === CMD_LOCAL || protocol !== PROTO_STREAM || family === FAMILY_UNSPEC || family === FAMILY_UNIX) {
    return { done: true, header: { version: 2 }, consumed: total };
  }
  const inet = family === FAMILY_INET;
  const need = inet ? INET_BYTES : INET6_BYTES;
  if (length < need) throw new ProxyHeaderError("bad-header", `${length} bytes of addresses, ${need} needed for TCP over ${inet ? "IPv4" : "IPv6"}`);
  checkTlvs(bytes, PROXY_V2_FIXED_BYTES + need, total);
  const at = PROXY_V2_FIXED_BYTES;
  let source: ProxyEndpoint;
  let destination: ProxyEndpoint;
  if (inet) {
    source = { address: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`, port: (bytes[at + 8]! << 8) | bytes[at + 9]! };
    destination = { address: `${bytes[at + 4]}.${bytes[at + 5]}.${bytes[at + 6]}.${bytes[at + 7]}`, port: (bytes[at + 10]! << 8) | bytes[at + 11]! };
  } else {
    source = { address: formatIpv6(bytes, at), port: (bytes[at + 32]! << 8) | bytes[at + 33]! };
    destination = { address: formatIpv6(bytes, at + 16), port: (bytes[at + 34]! << 8) | bytes[at + 35]! };
  }
  return { done: true, header: { version: 2, source, destination }, consumed: total };
}

const TLV_AUTHORITY = 0x02;
const TLV_CRC32C = 0x03;
const TLV_UNIQUE_ID = 0x05;
/** The longest values HAProxy takes for these TLVs (a longer one is an invalid header there). */
const AUTHORITY_MAX = 255;
const UNIQUE_ID_MAX = 128;

/**
 * TLVs are skipped, but each must fit in the header: type, 16-bit length,
 * value. As HAProxy: a CRC32C TLV must hold the checksum of the whole header
 * (computed with its own value zeroed), AUTHORITY and UNIQUE_ID stay within
 * their bounds.
 */
function checkTlvs(bytes: Uint8Array, from: number, end: number): void {
  let at = from;
  while (at < end) {
    if (end - at < 3) throw new ProxyHeaderError("bad-header", `a TLV of ${end - at} bytes, shorter than its own type and length`);
    const type = bytes[at]!;
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    if (at + 3 + length > end) throw new ProxyHeaderError("bad-header", `TLV 0x${type.toString(16)} of ${length} bytes runs past the header`);
    if (type === TLV_CRC32C) checkCrc32c(bytes, at + 3, length, end);
    else if (type === TLV_AUTHORITY && length > AUTHORITY_MAX) throw new ProxyHeaderError("bad-header", `AUTHORITY TLV of ${length} bytes, more than ${AUTHORITY_MAX}`);
    else if (type === TLV_UNIQUE_ID && length > UNIQUE_ID_MAX) throw new ProxyHeaderError("bad-header", `UNIQUE_ID TLV of ${length} bytes, more than ${UNIQUE_ID_MAX}`);
    at += 3 + length;
  }
}

function checkCrc32c(bytes: Uint8Array, value: number, length: number, end: number): void {
  if (length !== 4) throw new ProxyHeaderError("bad-header", `CRC32C TLV of ${length} bytes, 4 expected`);
  const sent = ((bytes[value]! << 24) | (bytes[value + 1]! << 16) | (bytes[value + 2]! << 8) | bytes[value + 3]!) >>> 0;
  let crc = crc32cUpdate(0xffffffff, bytes, 0, value);
  crc = crc32cUpdate(crc, ZERO_CRC, 0, 4);
  crc = (crc32cUpdate(crc, bytes, value + 4, end) ^ 0xffffffff) >>> 0;
  if (crc !== sent) throw new ProxyHeaderError("bad-header", `CRC32C 0x${sent.toString(16)} does not match the header's 0x${crc.toString(16)}`);
}

const ZERO_CRC = new Uint8Array(4);
/** CRC-32C (Castagnoli, RFC 3720 B.4), reflected polynomial 0x82F63B78: one table, built once. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32cUpdate(crc: number, bytes: Uint8Array, from: number, to: number): number {
  let c = crc;
  for (let i = from; i < to; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The CRC-32C of `bytes` (exported for the tests that build checksummed headers). */
export function crc32c(bytes: Uint8Array): number {
  return (crc32cUpdate(0xffffffff, bytes, 0, bytes.length) ^ 0xffffffff) >>> 0;
}
