// Header block decoding, RFC 7541 §3 and §6, with §4.2's rules for table size
// updates, for one direction of one connection.

import { DynamicTable, ENTRY_OVERHEAD } from "./dynamic-table.ts";
import { HeaderListTooLarge, HpackError } from "./errors.ts";
import { huffmanDecode } from "./huffman.ts";
import { type Cursor, readInteger } from "./integer.ts";
import { latin1 } from "./latin1.ts";
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from "./static-table.ts";
import type { HeaderField } from "./types.ts";

const NO_BYTES = new Uint8Array(0);
const NO_NAMES: readonly string[] = Object.freeze([]);
const MAX_SETTING = 2 ** 32 - 1;

export interface HpackDecoderOptions {
  /**
   * Our SETTINGS_HEADER_TABLE_SIZE as the peer's encoder starts with it
   * (default 4096, HTTP/2's initial value). Lower it later, once the peer has
   * acknowledged our SETTINGS, with setMaxTableSize.
   */
  maxTableSize?: number;
  /**
   * RFC 9113 §6.5.2 size (name + value + 32 per field) above which decode
   * throws HeaderListTooLarge, after decoding the whole block. Default: no limit.
   */
  maxHeaderListSize?: number;
  /** Per static index (1..61), 1 when the owner holds that entry valid: reported by `known`. Default: none. */
  knownStatic?: Uint8Array;
}

const NONE_KNOWN = new Uint8Array(STATIC_TABLE_LENGTH + 1);

export class HpackDecoder {
  /** The dynamic table: exposed for tests and diagnostics, not to be changed. */
  readonly table: DynamicTable;
  private readonly maxHeaderListSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE in force: no size update may exceed it. */
  private limit: number;
  /** The limit went below the table's size since the last block: the next must begin with an update ≤ requiredMax. */
  private updateRequired = false;
  private requiredMax = 0;
  private failed = false;
  private readonly cursor: Cursor = { buf: NO_BYTES, pos: 0, end: 0 };
  private listSize = 0;
  private neverNames: readonly string[] = NO_NAMES;
  private readonly knownStatic: Uint8Array;
  /** Per field of the last block: 1 when it came from a known static entry or a marked dynamic entry. */
  private checkedFields = new Uint8Array(16);
  /** table.inserted before the last block. */
  private insertedBefore = 0;

  constructor(options: HpackDecoderOptions = {}) {
    const maxTableSize = options.maxTableSize ?? 4096;
    checkSetting("maxTableSize", maxTableSize);
    const maxList = options.maxHeaderListSize ?? Infinity;
    if (!(maxList >= 0)) {
      throw new RangeError(`HPACK: maxHeaderListSize must be ≥ 0, not ${maxList}`);
    }
    this.limit = maxTableSize;
    this.maxHeaderListSize = maxList;
    this.table = new DynamicTable(maxTableSize);
    this.knownStatic = options.knownStatic ?? NONE_KNOWN;
  }

  /**
   * Decodes one complete header block (HEADERS + CONTINUATION payloads joined).
   * Throws HpackError on any violation, after which this decoder refuses all
   * blocks (the connection must end with COMPRESSION_ERROR); throws
   * HeaderListTooLarge when the list exceeds maxHeaderListSize, the block having
   * been decoded in full (the decoder stays usable).
   */
  decode(block: Uint8Array): HeaderField[] {
    if (this.failed) throw new HpackError("decoder unusable: an earlier header block was refused");
    const c = this.cursor;
    c.buf = block;
    c.pos = 0;
    c.end = block.length;
    let fields: HeaderField[];
    try {
      fields = this.run(c);
    } catch (e) {
      this.failed = true;
      throw e;
    } finally {
      c.buf = NO_BYTES;
    }
    if (this.listSize > this.maxHeaderListSize) {
      throw new HeaderListTooLarge(this.listSize, this.maxHeaderListSize);
    }
    return fields;
  }

  /**
   * Names of the fields the last block sent as never-indexed literals (§6.2.3),
   * in order (usually none: a shared empty array). An intermediary must keep
   * that representation when it encodes them again: pass
   * `(name) => neverIndexed.includes(name)` as the encoder's `sensitive`.
   */
  get neverIndexed(): readonly string[] {
    return this.neverNames;
  }

  /**
   * Per field of the last block (by its index in the list decode returned):
   * 1 when the field is known valid, because it is a static-table entry the
   * owner named (knownStatic) or a dynamic entry marked by markInserted(); 0
   * otherwise. Valid until the next
   * decode.
   */
  get known(): Uint8Array {
    return this.checkedFields;
  }

  /**
   * The owner found every field of the last block valid: the dynamic entries
   * that block inserted (those still in the table) are marked, so that later
   * blocks referencing them report them as known.
   */
  markInserted(): void {
    const table = this.table;
    const first = Math.max(this.insertedBefore, table.inserted - table.length);
    for (let seq = first; seq < table.inserted; seq++) table.mark(table.inserted - seq);
  }

  /**
   * Our advertised SETTINGS_HEADER_TABLE_SIZE changed (call when the peer
   * acknowledges it). If it is below the table's current maximum, the peer's
   * next block must begin with a size update to at most the smallest value set
   * since its last block (RFC 7541 §4.2).
   */
  setMaxTableSize(n: number): void {
    checkSetting("maxTableSize", n);
    this.limit = n;
    if (n < this.table.maxSize) {
      this.requiredMax = this.updateRequired ? Math.min(this.requiredMax, n) : n;
      this.updateRequired = true;
    }
  }

  private run(c: Cursor): HeaderField[] {
    const out: HeaderField[] = [];
    const table = this.table;
    const maxList = this.maxHeaderListSize;
    let listSize = 0;
    let fieldSeen = false;
    let never: string[] | null = null;
    let known = 0;
    this.neverNames = NO_NAMES;
    this.insertedBefore = table.inserted;
    if (this.updateRequired && (c.end === 0 || (c.buf[0]! & 0xe0) !== 0x20)) {
      throw new HpackError(
        `header block must begin with a dynamic table size update to at most ${this.requiredMax} (our SETTINGS_HEADER_TABLE_SIZE was lowered)`,
        0,
      );
    }
    while (c.pos < c.end) {
      const at = c.pos;
      const b = c.buf[at]!;
      // An indexed field is the table's own pair (fields are never changed in place: an edit replaces the pair).
      let field: HeaderField;
      if (b >= 0x80) {
        // §6.1 indexed field
        const index = readInteger(c, 7);
        if (index <= STATIC_TABLE_LENGTH) {
          if (index === 0) throw new HpackError("indexed header field with index 0", at);
          field = STATIC_TABLE[index - 1] as HeaderField;
          known = this.knownStatic[index]!;
        } else {
          const i = index - STATIC_TABLE_LENGTH;
          if (i > table.length) throw this.badIndex(index, at);
          field = table.field(i);
          known = table.marked(i) ? 1 : 0;
        }
      } else if (b >= 0x40) {
        // §6.2.1 literal with incremental indexing
        const name = this.literalName(c, 6, at);
        field = [name, this.literal(c)];
        table.addField(field);
        known = 0;
      } else if (b >= 0x20) {
        // §6.3 dynamic table size update
        if (fieldSeen) {
          throw new HpackError(
            "dynamic table size update after a header field (allowed only at the start of a block)",
            at,
          );
        }
        const size = readInteger(c, 5);
        if (size > this.limit) {
          throw new HpackError(
            `dynamic table size update to ${size} exceeds SETTINGS_HEADER_TABLE_SIZE ${this.limit}`,
            at,
          );
        }
        if (this.updateRequired) {
          if (size > this.requiredMax) {
            throw new HpackError(
              `dynamic table size update to ${size}; the first after SETTINGS_HEADER_TABLE_SIZE went down must be at most ${this.requiredMax}`,
              at,
            );
          }
          this.updateRequired = false;
        }
        table.setMaxSize(size);
        continue;
      } else {
        // §6.2.2 literal without indexing (0000), §6.2.3 never indexed (0001)
        const name = this.literalName(c, 4, at);
        field = [name, this.literal(c)];
        known = 0;
        if (b & 0x10) (never ??= []).push(name);
      }
      fieldSeen = true;
      listSize += field[0].length + field[1].length + ENTRY_OVERHEAD;
      if (listSize <= maxList) {
        const k = out.length;
        if (k === this.checkedFields.length) this.growChecked();
        this.checkedFields[k] = known;
        out.push(field);
      }
    }
    this.listSize = listSize;
    if (never !== null) this.neverNames = never;
    return out;
  }

  private growChecked(): void {
    const next = new Uint8Array(this.checkedFields.length * 2);
    next.set(this.checkedFields);
    this.checkedFields = next;
  }

  /** A literal representation's name: indexed (prefix ≠ 0) or a string literal. */
  private literalName(c: Cursor, prefixBits: number, at: number): string {
    const index = readInteger(c, prefixBits);
    if (index === 0) return this.literal(c);
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1]![0];
    const i = index - STATIC_TABLE_LENGTH;
    if (i > this.table.length) throw this.badIndex(index, at);
    return this.table.name(i);
  }

  /** §5.2 string literal. */
  private literal(c: Cursor): string {
    const at = c.pos;
    if (at >= c.end) {
      throw new HpackError("header block ends where a string literal should begin", at);
    }
    const huffman = c.buf[at]! >= 0x80;
    const length = readInteger(c, 7);
    const start = c.pos;
    if (length > c.end - start) {
      throw new HpackError(
        `string literal of ${length} octets runs past the end of the header block (${
          c.end - start
        } left)`,
        at,
      );
    }
    c.pos = start + length;
    return huffman ? huffmanDecode(c.buf, start, c.pos) : latin1(c.buf, start, c.pos);
  }

  private badIndex(index: number, at: number): HpackError {
    const n = STATIC_TABLE_LENGTH + this.table.length;
    return new HpackError(`index ${index} beyond the static and dynamic tables (${n} entries)`, at);
  }
}

function checkSetting(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SETTING) {
    throw new RangeError(`HPACK: ${what} must be an integer 0..2^32-1, not ${n}`);
  }
}
