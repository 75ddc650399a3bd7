// Header block encoding, RFC 7541 §6, for one direction of one connection.
//
// Policy:
//  - an exact match in the static table, then in the dynamic table, is sent as
//    an index (§6.1);
//  - otherwise a literal, naming the field by index when the static or
//    dynamic table has the name, and entered in the dynamic table (§6.2.1)
//    unless the value rarely repeats (NOT_INDEXED names: per-request values
//    such as :path or content-length would only push useful entries out), or
//    the value is over a quarter of the table, or the entry over half of it;
//  - sensitive fields (authorization, proxy-authorization, set-cookie, cookie
//    values under 20 octets, anything the caller marks) are never indexed
//    (§6.2.3, §7.1.3);
//  - string literals are Huffman-coded when that is shorter (option).
//
// A field whose name or value holds a char above U+00FF cannot be sent:
// encode throws a TypeError. The table may then already hold entries from
// earlier fields of the refused block, which the peer never sees; so the
// encoder empties its table and begins its next block with a size update to
// 0 (then back), which empties the peer's table too. The same happens when
// the `sensitive` callback throws.

import { DynamicTable, ENTRY_OVERHEAD } from "./dynamic-table.ts";
import { huffmanEncode } from "./huffman.ts";
import { integerLength, writeInteger } from "./integer.ts";
import { STATIC_NAMES, STATIC_TABLE_LENGTH } from "./static-table.ts";
import type { HeaderField } from "./types.ts";

const MAX_SETTING = 2 ** 32 - 1;
/** HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE: what the peer's decoder assumes until told otherwise. */
const INITIAL_TABLE_SIZE = 4096;

// Blocks are written straight into a shared slab and handed out as views of
// it: a fresh ArrayBuffer per block costs ~0.8 µs under Deno (a view ~0.07).
// A view's octets are never written again; a full slab is replaced, and freed
// by the GC once no block refers to it.
const SLAB = 32 * 1024;
let slabBuffer = new ArrayBuffer(SLAB);
let slab = new Uint8Array(slabBuffer);
let slabUsed = 0;

/** Names whose values seldom repeat on a connection: sent without indexing. */
export const NOT_INDEXED: ReadonlySet<string> = new Set([
  ":path",
  "content-length",
  "content-range",
  "etag",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "last-modified",
  "age",
  "x-request-id",
  "x-correlation-id",
  "traceparent",
  "tracestate",
  "x-amzn-trace-id",
  "x-b3-traceid",
  "x-b3-spanid",
]);

/** Cookies shorter than this are never indexed: short values are the easiest to guess (§7.1.3). */
export const SHORT_COOKIE = 20;

function alwaysSensitive(name: string, value: string): boolean {
  switch (name) {
    case "authorization":
    case "proxy-authorization":
    case "set-cookie":
      return true;
    case "cookie":
      return value.length < SHORT_COOKIE;
    default:
      return false;
  }
}

export interface HpackEncoderOptions {
  /** Huffman-code string literals when shorter (default true). */
  huffman?: boolean;
  /** The most dynamic table this encoder will use, whatever the peer allows (default 4096). */
  maxTableSize?: number;
}

/**
 * What the encoder's table holds under one name: the newest entry's sequence
 * number, and the entry of each value (see DynamicTable.inserted). Most names
 * have one value at a time, kept inline; a Map only from the second.
 */
class NameEntries {
  newest: number;
  value: string;
  seq: number;
  values: Map<string, number> | null = null;

  constructor(value: string, seq: number) {
    this.newest = seq;
    this.value = value;
    this.seq = seq;
  }

  /** Sequence number of the entry holding value, or -1. */
  find(value: string): number {
    if (this.values === null) return value === this.value ? this.seq : -1;
    return this.values.get(value) ?? -1;
  }
}

/** Encoder-side table: also finds entries by name and value. */
class IndexedTable extends DynamicTable {
  readonly byName = new Map<string, NameEntries>();

  override add(name: string, value: string): void {
    super.add(name, value);
    if (this.length === 0) return; // too large: not inserted
    const seq = this.inserted - 1;
    const known = this.byName.get(name);
    if (known === undefined) {
      this.byName.set(name, new NameEntries(value, seq));
      return;
    }
    // (never a value already present: the encoder indexes those instead)
    known.newest = seq;
    if (known.values === null) {
      known.values = new Map();
      known.values.set(known.value, known.seq);
    }
    known.values.set(value, seq);
  }

  protected override evicted(name: string, value: string, seq: number): void {
    const known = this.byName.get(name)!;
    if (known.newest === seq) this.byName.delete(name); // it was the last of that name
    else if (known.values !== null && known.values.get(value) === seq) known.values.delete(value);
  }
}

export class HpackEncoder {
  /** The dynamic table: exposed for tests and diagnostics, not to be changed. */
  readonly table: IndexedTable;
  private readonly huffman: boolean;
  private readonly ownMax: number;
  /** The table size the next block will establish (min of ownMax and the peer's setting). */
  private capacity: number;
  /** A size update is due at the start of the next block: first to pendingMin when below capacity. */
  private pending: boolean;
  private pendingMin: number;

  constructor(options: HpackEncoderOptions = {}) {
    this.huffman = options.huffman ?? true;
    const own = options.maxTableSize ?? INITIAL_TABLE_SIZE;
    checkSetting("maxTableSize", own);
    this.ownMax = own;
    this.capacity = Math.min(own, INITIAL_TABLE_SIZE);
    this.table = new IndexedTable(INITIAL_TABLE_SIZE);
    this.pending = this.capacity !== INITIAL_TABLE_SIZE;
    this.pendingMin = this.capacity;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE (call on receiving it): when the size
   * this encoder uses changes, the next block begins with a size update.
   */
  setPeerMaxTableSize(n: number): void {
    checkSetting("SETTINGS_HEADER_TABLE_SIZE", n);
    const capacity = Math.min(this.ownMax, n);
    if (capacity === this.capacity) return;
    this.capacity = capacity;
    this.pendingMin = this.pending ? Math.min(this.pendingMin, capacity) : capacity;
    this.pending = true;
  }

  /**
   * Begins a block that another routine writes with this encoder's table
   * (http2/head-encoder.ts): the size updates due, at out[pos..] (room: 12
   * octets). Returns the end.
   */
  startBlock(out: Uint8Array, pos: number): number {
    if (!this.pending) return pos;
    if (this.pendingMin < this.capacity) {
      pos = writeInteger(out, pos, this.pendingMin, 5, 0x20);
      this.table.setMaxSize(this.pendingMin);
    }
    pos = writeInteger(out, pos, this.capacity, 5, 0x20);
    this.table.setMaxSize(this.capacity);
    this.pending = false;
    return pos;
  }

  /** A string literal of octets (chars ≤ U+00FF), Huffman-coded when shorter, at out[pos..] (room: 6 + s.length). */
  writeString(out: Uint8Array, pos: number, s: string): number {
    return this.literal(out, pos, s, [s, s], "value");
  }

  /**
   * Encodes one header list into one header block. Names must be lower-case
   * (not checked). `sensitive` marks further fields never to index.
   */
  encode(
    fields: readonly HeaderField[],
    sensitive?: (name: string, value: string) => boolean,
  ): Uint8Array {
    const table = this.table;
    // room for the worst case: two size updates; per field two integers of 6 octets
    // (index or name length, value length) + one of 6, and both strings raw
    let bound = 12;
    for (let f = 0; f < fields.length; f++) {
      bound += 18 + fields[f]![0].length + fields[f]![1].length;
    }
    if (slabUsed + bound > slab.length) {
      slabBuffer = new ArrayBuffer(Math.max(SLAB, bound));
      slab = new Uint8Array(slabBuffer);
      slabUsed = 0;
    }
    const out = slab;
    const buffer = slabBuffer;
    const start = slabUsed;
    slabUsed = start + bound; // reserved, should `sensitive` encode with another encoder
    let pos = this.startBlock(out, start);
    try {
      for (let f = 0; f < fields.length; f++) {
        const field = fields[f]!;
        const name = field[0];
        const value = field[1];

        const never = alwaysSensitive(name, value) ||
          (sensitive !== undefined && sensitive(name, value));
        const inStatic = STATIC_NAMES.get(name);
        const inDynamic = table.byName.get(name);
        if (!never) {
          let index = inStatic?.values.get(value);
          if (index === undefined && inDynamic !== undefined) {
            const seq = inDynamic.find(value);
            if (seq >= 0) index = STATIC_TABLE_LENGTH + table.inserted - seq;
          }
          if (index !== undefined) {
            pos = writeInteger(out, pos, index, 7, 0x80);
            continue;
          }
        }
        const nameIndex = inStatic !== undefined
          ? inStatic.index
          : inDynamic !== undefined
          ? STATIC_TABLE_LENGTH + table.inserted - inDynamic.newest
          : 0;
        const indexing = !never && !NOT_INDEXED.has(name) && value.length * 4 <= table.maxSize &&
          (name.length + value.length + ENTRY_OVERHEAD) * 2 <= table.maxSize;
        if (indexing) pos = writeInteger(out, pos, nameIndex, 6, 0x40);
        else pos = writeInteger(out, pos, nameIndex, 4, never ? 0x10 : 0x00);
        if (nameIndex === 0) pos = this.literal(out, pos, name, field, "name");
        pos = this.literal(out, pos, value, field, "value");
        if (indexing) table.add(name, value);
      }
    } catch (e) {
      // the block will not be sent, but the table may hold fields of it: start afresh (see top)
      this.table.setMaxSize(0);
      this.pendingMin = 0;
      this.pending = true;
      throw e;
    }
    if (slab === out && slabUsed === start + bound) slabUsed = pos;
    return new Uint8Array(buffer, start, pos - start);
  }

  /** §5.2 string literal at out[pos..]; returns the end. Room: 6 + s.length octets. */
  private literal(
    out: Uint8Array,
    pos: number,
    s: string,
    field: HeaderField,
    part: string,
  ): number {
    const n = s.length;
    if (this.huffman && n > 1) {
      // Huffman-code after a one-octet length, giving up as soon as it is no shorter than raw
      const end = huffmanEncode(s, out, pos + 1, pos + n);
      if (end >= 0) {
        const h = end - pos - 1;
        if (h < 0x7f) {
          out[pos] = 0x80 | h;
          return end;
        }
        const more = integerLength(h, 7) - 1;
        out.copyWithin(pos + 1 + more, pos + 1, end);
        writeInteger(out, pos, h, 7, 0x80);
        return end + more;
      }
    }
    pos = writeInteger(out, pos, n, 7, 0);
    let all = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      all |= c;
      out[pos + i] = c;
    }
    if (all > 0xff) this.refuse(field, part, s);
    return pos + n;
  }

  private refuse(field: HeaderField, part: string, s: string): never {
    let i = 0;
    while (s.charCodeAt(i) <= 0xff) i++;
    const c = s.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
    throw new TypeError(
      `HPACK: header ${
        JSON.stringify(field[0].slice(0, 64))
      } ${part} has U+${c} at offset ${i}: only U+0000..U+00FF (octets) can be sent`,
    );
  }
}

function checkSetting(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SETTING) {
    throw new RangeError(`HPACK: ${what} must be an integer 0..2^32-1, not ${n}`);
  }
}
