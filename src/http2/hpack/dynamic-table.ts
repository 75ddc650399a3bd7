// The dynamic table, RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first in
// index order, whose size is the sum of name + value + 32 per entry (§4.1),
// kept within maxSize by evicting the oldest entries (§4.3, §4.4).
//
// A ring buffer of fields; a field's octet length is its string length (one
// char per octet). Each entry is the [name, value] pair made when it was
// inserted, handed out as is to every block that references it: fields are
// never changed in place (an edit replaces the pair), so a request whose
// fields all come from the tables makes no pair of its own.

import type { HeaderField } from "./types.ts";

export const ENTRY_OVERHEAD = 32;

const EMPTY: HeaderField = ["", ""];

export class DynamicTable {
  private fields: HeaderField[] = new Array<HeaderField>(16).fill(EMPTY);
  /** Per slot: the entry was marked (see mark()). */
  private marks = new Uint8Array(16);
  private mask = 15;
  private head = 0; // ring slot of the oldest entry
  /** Number of entries. */
  length = 0;
  /** Sum of the entries' sizes (§4.1). */
  size = 0;
  /** Entries ever inserted: the newest entry's sequence number is inserted - 1. */
  inserted = 0;

  /** Upper bound on size (the last dynamic table size update, or the initial setting). */
  maxSize: number;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  /** Name of the entry at dynamic index i (1 = newest .. length). */
  name(i: number): string {
    return this.fields[(this.head + this.length - i) & this.mask]![0];
  }

  /** Value of the entry at dynamic index i (1 = newest .. length). */
  value(i: number): string {
    return this.fields[(this.head + this.length - i) & this.mask]![1];
  }

  /** The entry at dynamic index i (1 = newest .. length): the pair itself, never to be changed. */
  field(i: number): HeaderField {
    return this.fields[(this.head + this.length - i) & this.mask]!;
  }

  /** Whether the entry at dynamic index i was marked. */
  marked(i: number): boolean {
    return this.marks[(this.head + this.length - i) & this.mask] === 1;
  }

  /**
   * Marks the entry at dynamic index i, until it leaves the table: the
   * decoder's owner says so of entries whose fields it found valid, and skips
   * checking them again when they are referenced.
   */
  mark(i: number): void {
    this.marks[(this.head + this.length - i) & this.mask] = 1;
  }

  /**
   * Inserts a field (§4.4): evicts from the oldest end until it fits; a field
   * larger than maxSize empties the table and is not inserted (not an error).
   */
  add(name: string, value: string): void {
    this.addField([name, value]);
  }

  /** As add(), keeping `field` itself as the entry (field() hands it out). */
  addField(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      while (this.length > 0) this.evictOldest();
      return;
    }
    while (this.size + size > this.maxSize) this.evictOldest();
    if (this.length === this.fields.length) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.fields[slot] = field;
    this.marks[slot] = 0;
    this.length++;
    this.size += size;
    this.inserted++;
  }

  /** A new maximum size (§4.3): evicts until the table fits it. */
  setMaxSize(maxSize: number): void {
    this.maxSize = maxSize;
    while (this.size > maxSize) this.evictOldest();
  }

  /** The entries, newest first (index 1 first): for tests and diagnostics. */
  entries(): HeaderField[] {
    const out: HeaderField[] = [];
    for (let i = 1; i <= this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }

  /** Called for each entry leaving the table, with its sequence number (see inserted). */
  protected evicted(_name: string, _value: string, _seq: number): void {}

  private evictOldest(): void {
    const slot = this.head;
    const [name, value] = this.fields[slot]!;
    this.fields[slot] = EMPTY;
    this.head = (slot + 1) & this.mask;
    this.length--;
    this.size -= name.length + value.length + ENTRY_OVERHEAD;
    this.evicted(name, value, this.inserted - this.length - 1);
  }

  private grow(): void {
    const n = this.fields.length;
    const fields = new Array<HeaderField>(n * 2).fill(EMPTY);
    const marks = new Uint8Array(n * 2);
    for (let i = 0; i < this.length; i++) {
      fields[i] = this.fields[(this.head + i) & this.mask]!;
      marks[i] = this.marks[(this.head + i) & this.mask]!;
    }
    this.fields = fields;
    this.marks = marks;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
