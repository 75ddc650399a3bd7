// A map file's entries, shared by every `map(FILE)` converter that names the
// file (HAProxy's pat_ref: one reference per file name, many expressions),
// and changed at run time by the runtime API (`add map`, `set map`, `del
// map`, `clear map`). Each converter compiles its own index (its match
// method, its output type) and rebuilds it when the entries' version moved,
// on its next lookup: one comparison per lookup, nothing per change.
//
// A change is checked against every converter first (a key an ip map cannot
// read, a value a map_str_int cannot read), so no converter is left with an
// entry it cannot use. Pure: the caller reads the file.

/** One line of a map: its id (HAProxy shows a pointer; `#<ref>` names it), key and value. */
export interface MapEntry {
  readonly id: number;
  readonly key: string;
  value: string;
  /** The file's line it was read from; undefined for one added at run time. */
  readonly line?: number;
}

/** What a converter says of a key and value it would have to read; undefined: fine. */
export type EntryCheck = (key: string, value: string) => string | undefined;

let nextEntryId = 1;

export class MapRef {
  private list: MapEntry[] = [];
  /** Moves on every change: converters rebuild their index when it differs from theirs. */
  version = 0;
  private readonly checks: EntryCheck[] = [];

  constructor(
    /** HAProxy's unique id (`show map`, `#<id>`). */
    readonly id: number,
    /** The file name as the configuration wrote it (HAProxy's reference name). */
    readonly file: string,
    /** The same file's path as it was read. */
    readonly path: string,
    /** Where it is used, for `show map` ("map at file 'x.cfg'"). */
    readonly usedBy: string,
    entries: readonly { key: string; value: string; line?: number }[],
  ) {
    for (const e of entries) this.list.push(e.line === undefined ? { id: nextEntryId++, key: e.key, value: e.value } : { id: nextEntryId++, key: e.key, value: e.value, line: e.line });
  }

  get entries(): readonly MapEntry[] {
    return this.list;
  }

  /** A converter that reads this map: later changes must suit it. */
  use(check: EntryCheck): void {
    this.checks.push(check);
  }

  /** Why `key value` cannot be added or set, or undefined. */
  problem(key: string, value: string): string | undefined {
    for (const check of this.checks) {
      const p = check(key, value);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** Adds entries (all or none): the first problem, or undefined. */
  add(entries: readonly { key: string; value: string }[]): string | undefined {
    for (const e of entries) {
      const p = this.problem(e.key, e.value);
      if (p !== undefined) return p;
    }
    for (const e of entries) this.list.push({ id: nextEntryId++, key: e.key, value: e.value });
    this.version++;
    return undefined;
  }

  /** The entries a `<key>` or `#<ref>` names (a ref: `#0x1a`, as `show map` prints it). */
  select(keyOrRef: string): MapEntry[] {
    if (keyOrRef.startsWith("#")) {
      const id = Number.parseInt(keyOrRef.slice(1), 16);
      return this.list.filter((e) => e.id === id);
    }
    return this.list.filter((e) => e.key === keyOrRef);
  }

  /** Sets the value of the entries `keyOrRef` names: how many, or the problem. */
  set(keyOrRef: string, value: string): number | string {
    const hits = this.select(keyOrRef);
    for (const e of hits) {
      const p = this.problem(e.key, value);
      if (p !== undefined) return p;
    }
    for (const e of hits) e.value = value;
    if (hits.length > 0) this.version++;
    return hits.length;
  }

  /** Removes the entries `keyOrRef` names: how many. */
  delete(keyOrRef: string): number {
    const gone = new Set(this.select(keyOrRef));
    if (gone.size === 0) return 0;
    this.list = this.list.filter((e) => !gone.has(e));
    this.version++;
    return gone.size;
  }

  clear(): void {
    this.list = [];
    this.version++;
  }
}

/** The map files of one configuration, by file name (HAProxy keys them by the name as written). */
export class MapRegistry {
  private readonly byFile = new Map<string, MapRef>();

  /** The map of `file`, read once (`read` throws with the path on failure). */
  ref(file: string, path: string, usedBy: string, entries: () => readonly { key: string; value: string; line?: number }[] | string): MapRef | string {
    const known = this.byFile.get(file);
    if (known !== undefined) return known;
    const list = entries();
    if (typeof list === "string") return list;
    const ref = new MapRef(this.byFile.size, file, path, usedBy, list);
    this.byFile.set(file, ref);
    return ref;
  }

  /** By `#<id>`, the file name as written, or the path it was read from. */
  find(name: string): MapRef | undefined {
    if (name.startsWith("#")) {
      const id = Number(name.slice(1));
      return [...this.byFile.values()].find((r) => r.id === id);
    }
    return this.byFile.get(name) ?? [...this.byFile.values()].find((r) => r.path === name);
  }

  all(): MapRef[] {
    return [...this.byFile.values()];
  }
}
