// A DNS message codec of our own (RFC 1035, EDNS0 of RFC 6891), just what
// server-name resolution needs: one question out (A or AAAA, recursion
// desired, an OPT record announcing `accepted_payload_size`), and the
// answer read back (header, questions, answer records with their TTL;
// A, AAAA and CNAME data, other types kept as their type only). Pure
// functions: the bytes go over UDP in check/resolution.ts. The decoder
// treats its input as hostile: every length is checked, compression
// pointers must point backwards (no loops), names stay within 255 bytes.
import { formatIpv6 } from "../runtime/ip-text.ts";

export const DNS_TYPE = { A: 1, CNAME: 5, OPT: 41, AAAA: 28 } as const;
export type QueryType = typeof DNS_TYPE.A | typeof DNS_TYPE.AAAA;

/** RCODE values (RFC 1035 §4.1.1) the resolution tells apart. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const CLASS_IN = 1;
/** RFC 1035: a UDP message without EDNS0 is at most 512 bytes. */
export const CLASSIC_PAYLOAD = 512;
const MAX_NAME = 255;
const MAX_LABEL = 63;

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  /** A and AAAA: the address in text; CNAME: the target name; others: "". */
  readonly data: string;
}

export interface DnsMessage {
  readonly id: number;
  readonly response: boolean;
  readonly truncated: boolean;
  readonly rcode: number;
  readonly questions: readonly { readonly name: string; readonly type: number }[];
  readonly answers: readonly DnsRecord[];
}

/** A name in its canonical form for comparing: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** Why `name` cannot be asked for, or undefined. */
export function nameProblem(name: string): string | undefined {
  const labels = canonicalName(name).split(".");
  if (labels.some((l) => l.length === 0)) return `'${name}' has an empty label`;
  if (labels.some((l) => l.length > MAX_LABEL)) return `'${name}' has a label longer than ${MAX_LABEL} bytes`;
  if (labels.some((l) => !/^[\x21-\x7e]+$/.test(l))) return `'${name}' has a byte a host name cannot have`;
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_NAME) return `'${name}' is longer than ${MAX_NAME} bytes`;
  return undefined;
}

/**
 * One query: `id`, recursion desired, one question (`name`, `type`, IN),
 * and an OPT record when `payloadSize` is above 512 (EDNS0). `name` must
 * pass nameProblem.
 */
export function encodeQuery(id: number, name: string, type: QueryType, payloadSize: number): Uint8Array {
  const labels = canonicalName(name).split(".");
  const qname = labels.reduce((n, l) => n + l.length + 1, 1);
  const edns = payloadSize > CLASSIC_PAYLOAD;
  const out = new Uint8Array(12 + qname + 4 + (edns ? 11 : 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, id & 0xffff);
  view.setUint16(2, 0x0100); // RD
  view.setUint16(4, 1); // QDCOUNT
  view.setUint16(10, edns ? 1 : 0); // ARCOUNT
  let at = 12;
  for (const label of labels) {
    out[at++] = label.length;
    for (let i = 0; i < label.length; i++) out[at++] = label.charCodeAt(i);
  }
  out[at++] = 0;
  view.setUint16(at, type);
  view.setUint16(at + 2, CLASS_IN);
  at += 4;
  if (edns) {
    out[at] = 0; // the root name
    view.setUint16(at + 1, DNS_TYPE.OPT);
    view.setUint16(at + 3, Math.min(payloadSize, 65535)); // CLASS: the UDP payload size
    // TTL (extended RCODE, version, flags) and RDLENGTH stay 0.
  }
  return out;
}

class Malformed extends Error {}

/** Reads a (possibly compressed) name at `start`; returns it and where the bytes after it begin. */
function readName(bytes: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = start;
  let next = -1;
  let length = 1;
  // A pointer must go strictly backwards: no loop is possible, and the walk ends.
  let limit = start;
  for (;;) {
    if (at >= bytes.length) throw new Malformed("a name runs past the message");
    const len = bytes[at]!;
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= bytes.length) throw new Malformed("a compression pointer runs past the message");
      const target = ((len & 0x3f) << 8) | bytes[at + 1]!;
      if (target >= limit) throw new Malformed("a compression pointer that does not point backwards");
      if (next < 0) next = at + 2;
      limit = target;
      at = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Malformed("a label type DNS does not use");
    if (at + 1 + len > bytes.length) throw new Malformed("a label runs past the message");
    length += len + 1;
    if (length > MAX_NAME) throw new Malformed(`a name longer than ${MAX_NAME} bytes`);
    let label = "";
    for (let i = at + 1; i <= at + len; i++) label += String.fromCharCode(bytes[i]!);
    labels.push(label);
    at += 1 + len;
  }
  return { name: labels.join("."), next };
}

/** Decodes a message, or says why it is not one. */
export function decodeMessage(bytes: Uint8Array): DnsMessage | { error: string } {
  try {
    return decode(bytes);
  } catch (error) {
    if (error instanceof Malformed) return { error: error.message };
    throw error;
  }
}

function decode(bytes: Uint8Array): DnsMessage {
  if (bytes.length < 12) throw new Malformed("shorter than a DNS header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint16(2);
  const qdcount = view.getUint16(4);
  const ancount = view.getUint16(6);
  let at = 12;
  const questions: { name: string; type: number }[] = [];
  for (let i = 0; i < qdcount; i++) {
    const { name, next } = readName(bytes, at);
    if (next + 4 > bytes.length) throw new Malformed("a question runs past the message");
    questions.push({ name, type: view.getUint16(next) });
    at = next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < ancount; i++) {
    const { name, next } = readName(bytes, at);
    if (next + 10 > bytes.length) throw new Malformed("a record runs past the message");
    const type = view.getUint16(next);
    const ttl = view.getUint32(next + 4);
    const rdlength = view.getUint16(next + 8);
    const rdata = next + 10;
    if (rdata + rdlength > bytes.length) throw new Malformed("a record's data runs past the message");
    let data = "";
    if (type === DNS_TYPE.A) {
      if (rdlength !== 4) throw new Malformed("an A record whose data is not 4 bytes");
      data = `${bytes[rdata]}.${bytes[rdata + 1]}.${bytes[rdata + 2]}.${bytes[rdata + 3]}`;
    } else if (type === DNS_TYPE.AAAA) {
      if (rdlength !== 16) throw new Malformed("an AAAA record whose data is not 16 bytes");
      data = formatIpv6(bytes, rdata);
    } else if (type === DNS_TYPE.CNAME) {
      const target = readName(bytes, rdata);
      if (target.next > rdata + rdlength) throw new Malformed("a CNAME's name runs past its data");
      data = target.name;
    }
    answers.push({ name, type, ttl, data });
    at = rdata + rdlength;
  }
  return { id: view.getUint16(0), response: (flags & 0x8000) !== 0, truncated: (flags & 0x0200) !== 0, rcode: flags & 0x000f, questions, answers };
}
