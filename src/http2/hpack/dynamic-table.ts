// The dynamic table, RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first in
// index order, whose size is the sum of name + value + 32 per entry (§4.1),
// kept within maxSize by evicting the oldest entries (§4.3, §4.4).
//
// A ring buffer of names and values; a field's octet length is its string
// length (one char per octet).

import type { HeaderField } from "./types.ts";

export const ENTRY_OVERHEAD = 32;

export class DynamicTable {
  private names: string[] = new Array<string>(16).fill("");
  private values: string[] = new Array<string>(16).fill("");
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
    return this.names[(this.head + this.length - i) & this.mask]!;
  }

  /** Value of the entry at dynamic index i (1 = newest .. length). */
  value(i: number): string {
    return this.values[(this.head + this.length - i) & this.mask]!;
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
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      while (this.length > 0) this.evictOldest();
      return;
    }
    while (this.size + size > this.maxSize) this.evictOldest();
    if (this.length === this.names.length) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
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
    const name = this.names[slot]!;
    const value = this.values[slot]!;
    this.names[slot] = "";
    this.values[slot] = "";
    this.head = (slot + 1) & this.mask;
    this.length--;
    this.size -= name.length + value.length + ENTRY_OVERHEAD;
    this.evicted(name, value, this.inserted - this.length - 1);
  }

  private grow(): void {
    const n = this.names.length;
    const names = new Array<string>(n * 2).fill("");
    const values = new Array<string>(n * 2).fill("");
    const marks = new Uint8Array(n * 2);
    for (let i = 0; i < this.length; i++) {
      names[i] = this.names[(this.head + i) & this.mask]!;
      values[i] = this.values[(this.head + i) & this.mask]!;
      marks[i] = this.marks[(this.head + i) & this.mask]!;
    }
    this.names = names;
    this.values = values;
    this.marks = marks;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
