// A response head from an HTTP/1.1 server, encoded for an HTTP/2 client
// straight from the head's bytes (RFC 9113 §8.3.2, RFC 7541 §6), with the
// policy of HpackEncoder.encode and the same dynamic table, but without a
// [name, value] list, a string per field, or Map lookups per field:
//  - each field name is classified once per distinct name (a direct-mapped
//    cache keyed by its length and a few of its octets): its string, its
//    static index, whether it is dropped (connection-specific, §8.2.2), never
//    indexed (credentials), or not worth indexing (per-response values), and
//    a small number;
//  - per connection and name number, the table entry last sent for the name
//    is remembered: when the value's octets match it (a server's Server,
//    Content-Type, Date within the same second...), the field is one index,
//    found without hashing the value or making a string;
//  - otherwise the table's own index by name and value (HpackEncoder's, which
//    encode() fills too) is asked, and a new pair is entered in the table;
//  - values not worth indexing are copied as raw octets (no Huffman pass for
//    a Content-Length or an ETag that is sent once).
// HAProxy's hpack-enc.c takes the static-table and raw-octets parts of this
// route (it keeps no dynamic table on output); the table is kept here because
// the fields that repeat on a connection then cost one octet each.
import { LOWER, lowerLatin1 } from "../http1/chars.ts";
import type { H1Head } from "../http1/head.ts";
import { intern } from "../http1/interned.ts";
import { ENTRY_OVERHEAD, type HpackEncoder, NOT_INDEXED, SHORT_COOKIE, STATIC_NAMES, STATIC_TABLE_LENGTH, writeInteger } from "./hpack/index.ts";
import { CONNECTION_SPECIFIC } from "./translate.ts";

/** How a field name is sent. */
const PLAIN = 0;
/** Connection-specific (§8.2.2): never sent. */
const DROP = 1;
/** Credentials: a never-indexed literal (RFC 7541 §7.1.3). */
const NEVER = 2;
/** A cookie: never indexed when short (easy to guess), else plain. */
const COOKIE = 3;
/** Values seldom repeat: a literal without indexing. */
const ONCE = 4;

interface NameInfo {
  /** Lower case. */
  readonly name: string;
  /** Its static-table index, 0 when none. */
  readonly staticIndex: number;
  readonly kind: number;
  /** A small number of its own (0..NAME_IDS-1), for the per-connection table of last entries; -1 when the numbers ran out. */
  readonly id: number;
}

const NAME_SLOTS = 256;
const names: (NameInfo | undefined)[] = new Array(NAME_SLOTS).fill(undefined);
/** Names that were given a number: a name keeps it for the life of the process. */
const NAME_IDS = 64;
const ids = new Map<string, number>();

function kindOf(name: string): number {
  if (CONNECTION_SPECIFIC.has(name)) return DROP;
  switch (name) {
    case "authorization":
    case "proxy-authorization":
    case "set-cookie":
      return NEVER;
    case "cookie":
      return COOKIE;
  }
  return NOT_INDEXED.has(name) ? ONCE : PLAIN;
}

/**
 * The classification of the name raw[a..b), case-insensitively. The slot
 * comes from the length and three of the octets (a full hash cost as much as
 * the comparison that confirms the hit); a collision only costs a rebuild.
 */
function nameInfo(raw: Uint8Array, a: number, b: number): NameInfo {
  const n = b - a;
  const slot = (n * 61 + LOWER[raw[a]!]! * 7 + LOWER[raw[b - 1]!]! * 3 + LOWER[raw[a + (n >>> 1)]!]!) & (NAME_SLOTS - 1);
  const cached = names[slot];
  if (cached !== undefined && cached.name.length === n) {
    const s = cached.name;
    let k = 0;
    while (k < n && s.charCodeAt(k) === LOWER[raw[a + k]!]) k++;
    if (k === n) return cached;
  }
  const name = lowerLatin1(raw, a, b);
  let id = ids.get(name);
  if (id === undefined && ids.size < NAME_IDS) ids.set(name, id = ids.size);
  const info: NameInfo = { name, staticIndex: STATIC_NAMES.get(name)?.index ?? 0, kind: kindOf(name), id: id ?? -1 };
  names[slot] = info;
  return info;
}

/** :status values with a static-table entry (RFC 7541 Appendix A). */
const STATUS_INDEX: Readonly<Record<number, number>> = { 200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14 };
/** The static index of the name :status. */
const STATUS_NAME = 8;

export class ResponseHeadEncoder {
  /** Per name number (NameInfo.id): the sequence number + 1 of the table entry last sent for that name; 0 for none. */
  private last: Int32Array | undefined;

  constructor(private readonly hpack: HpackEncoder) {}

  /** The most octets encode() writes for this head. */
  bound(head: H1Head): number {
    // size updates 12, :status 6, per field two integers of 6 and one of 6 beside its octets
    return 18 + head.raw.length + 18 * head.fieldCount;
  }

  /** Encodes head's status and fields as one header block at out[pos..] (room: bound(head)); returns the end. */
  encode(head: H1Head, out: Uint8Array, pos: number): number {
    const hpack = this.hpack;
    const table = hpack.table;
    const last = (this.last ??= new Int32Array(NAME_IDS));
    pos = hpack.startBlock(out, pos);
    const status = head.status;
    const index = STATUS_INDEX[status];
    if (index !== undefined) out[pos++] = 0x80 | index;
    else pos = literalNotIndexed(out, pos, STATUS_NAME, String(status));
    const raw = head.raw;
    const fw = head.fw;
    // Connection's tokens matter only when one names a field that is not dropped anyway (nginx's "keep-alive" does not).
    const listed = hopByHop(head.connectionTokens);
    for (let i = 0, o = head.fb; i < head.fieldCount; i++, o += 4) {
      const info = nameInfo(raw, fw[o]!, fw[o + 1]!);
      const kind = info.kind;
      if (kind === DROP || (listed !== undefined && listed.includes(info.name))) continue;
      const vs = fw[o + 2]!;
      const ve = fw[o + 3]!;
      const n = ve - vs;
      if (kind === PLAIN || (kind === COOKIE && n >= SHORT_COOKIE)) {
        // The entry last sent for this name, when it is still in the table and holds the same value: one index.
        const id = info.id;
        if (id >= 0) {
          const at = table.inserted - last[id]! + 1; // its dynamic index, if still there
          if (last[id] !== 0 && at <= table.length && sameOctets(table.value(at), raw, vs, ve) && table.name(at) === info.name) {
            pos = writeInteger(out, pos, STATIC_TABLE_LENGTH + at, 7, 0x80);
            continue;
          }
        }
        // Otherwise the table may hold it all the same (another value of the name was sent since, or encode() entered it).
        const value = intern(raw, vs, ve);
        const found = table.byName.get(info.name)?.find(value) ?? -1;
        if (found >= 0) {
          if (id >= 0) last[id] = found + 1;
          pos = writeInteger(out, pos, STATIC_TABLE_LENGTH + table.inserted - found, 7, 0x80);
          continue;
        }
        const max = table.maxSize;
        if (n * 4 <= max && (info.name.length + n + ENTRY_OVERHEAD) * 2 <= max) {
          const nameIndex = this.nameIndex(info);
          pos = writeInteger(out, pos, nameIndex, 6, 0x40);
          if (nameIndex === 0) pos = hpack.writeString(out, pos, info.name);
          pos = hpack.writeString(out, pos, value);
          table.add(info.name, value);
          if (id >= 0) last[id] = table.inserted;
          continue;
        }
      }
      const nameIndex = this.nameIndex(info);
      pos = writeInteger(out, pos, nameIndex, 4, kind === NEVER || kind === COOKIE ? 0x10 : 0);
      if (nameIndex === 0) pos = hpack.writeString(out, pos, info.name);
      pos = writeInteger(out, pos, n, 7, 0);
      if (n < 32) for (let k = vs; k < ve; k++) out[pos++] = raw[k]!;
      else {
        out.set(raw.subarray(vs, ve), pos);
        pos += n;
      }
    }
    return pos;
  }

  /** The name's index in the static table, else in the dynamic one, else 0. */
  private nameIndex(info: NameInfo): number {
    if (info.staticIndex !== 0) return info.staticIndex;
    const table = this.hpack.table;
    const known = table.byName.get(info.name);
    return known === undefined ? 0 : STATIC_TABLE_LENGTH + table.inserted - known.newest;
  }
}

/** The tokens of Connection that name fields not already dropped as connection-specific; undefined when none. */
function hopByHop(tokens: readonly string[]): readonly string[] | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t !== "keep-alive" && !CONNECTION_SPECIFIC.has(t)) return tokens;
  }
  return undefined;
}

/** A literal without indexing, name by static index, raw value octets (s is ASCII). */
function literalNotIndexed(out: Uint8Array, pos: number, nameIndex: number, s: string): number {
  pos = writeInteger(out, pos, nameIndex, 4, 0);
  pos = writeInteger(out, pos, s.length, 7, 0);
  for (let k = 0; k < s.length; k++) out[pos++] = s.charCodeAt(k);
  return pos;
}

function sameOctets(s: string, raw: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) !== raw[start + k]) return false;
  return true;
}
