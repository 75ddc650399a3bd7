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

/** What reads a reference: an ACL (its patterns are the keys) or a map converter. */
export type RefKind = "acl" | "map";

/**
 * One expression that reads the entries (an ACL line, a map converter), as
 * the runtime API's `get acl` / `get map` report it: its match method, its
 * case, and which entry a sample finds (the index of the key, or -1).
 */
export interface RefUse {
  readonly kind: RefKind;
  readonly method: string;
  readonly ignoreCase: boolean;
  /** The converter's output type (`get map` prints it); undefined for ACLs. */
  readonly out?: string;
  find(keys: readonly string[], sample: string): number;
  /** Where in the configuration it is (CompileEnv.position): `get` lists readers in the configuration's order. */
  readonly at?: number;
}

let nextEntryId = 1;

export class MapRef {
  private list: MapEntry[] = [];
  /** The entries of each key, in order: add-acl and set-map ask per request about one key (no scan). */
  private readonly byKey = new Map<string, MapEntry[]>();
  /**
   * Moves on every change of keys that is not an append (a removal, a clear,
   * a commit; a new value is not one): while it stays, the keys a reader
   * indexed are still the first ones, and what came since can be read from
   * `entries` after them (an ACL's matcher checks the few new patterns
   * beside its index instead of rebuilding it for each address a blocklist
   * gains).
   */
  layout = 0;
  /** Moves on every change: converters rebuild their index when it differs from theirs. */
  version = 0;
  private readonly checks: EntryCheck[] = [];
  /** The expressions that read it, in the order they were compiled (`get acl`, `get map`). */
  readonly uses: RefUse[] = [];
  /** Read by ACLs (`show acl` lists it), by map converters (`show map`), or both. */
  readonly kinds = new Set<RefKind>();

  constructor(
    /** HAProxy's unique id (`show map`, `#<id>`): creation order, then the configuration's (MapRegistry.number). */
    public id: number,
    /** The file name as the configuration wrote it (HAProxy's reference name); "" for an ACL's own values. */
    readonly file: string,
    /** The same file's path as it was read. */
    readonly path: string,
    /**
     * Where it is used, for `show map` ("map at file 'x.cfg'"), or, for an
     * ACL's own values, what it is ("acl 'src' file 'x.cfg' line 3"); "" while
     * only actions (add-acl, set-map) name it, which HAProxy does not list.
     */
    public usedBy: string,
    entries: readonly { key: string; value: string; line?: number }[],
  ) {
    for (const e of entries) this.list.push(e.line === undefined ? { id: nextEntryId++, key: e.key, value: e.value } : { id: nextEntryId++, key: e.key, value: e.value, line: e.line });
    this.indexKeys();
  }

  get entries(): readonly MapEntry[] {
    return this.list;
  }

  /** Whether an entry has this key (its text, never a `#<ref>`). */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  private indexKeys(): void {
    this.byKey.clear();
    for (const e of this.list) this.indexKey(e);
  }

  private indexKey(e: MapEntry): void {
    const same = this.byKey.get(e.key);
    if (same === undefined) this.byKey.set(e.key, [e]);
    else same.push(e);
  }

  /** `show map` / `show acl`'s description: where the entries came from and who reads them. */
  describe(): string {
    if (this.file === "") return this.usedBy;
    const users = [{ text: this.usedBy, at: this.firstAt }, ...this.laterUsers].sort((a, b) => a.at - b.at);
    return `pattern loaded from file '${this.file}' used by ${users.map((u) => u.text).join(", by ")}`;
  }

  /** Where in the configuration its earliest reader is (MapRegistry's position), for the ids' order. */
  at = Number.MAX_SAFE_INTEGER;
  /** Where `usedBy` reads it. */
  firstAt = Number.MAX_SAFE_INTEGER;
  /** Other expressions reading the file ("map at file 'x.cfg' line 9") and where, for `describe`. */
  readonly laterUsers: { text: string; at: number }[] = [];

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
    for (const e of entries) {
      const entry = { id: nextEntryId++, key: e.key, value: e.value };
      this.list.push(entry);
      this.indexKey(entry);
    }
    this.version++;
    return undefined;
  }

  /** The entries a `<key>` or `#<ref>` names (a ref: `#0x1a`, as `show map` prints it); `keysOnly`: a key, even one written `#...` (the rules' actions). */
  select(keyOrRef: string, keysOnly = false): MapEntry[] {
    if (!keysOnly && keyOrRef.startsWith("#")) {
      const id = Number.parseInt(keyOrRef.slice(1), 16);
      return this.list.filter((e) => e.id === id);
    }
    return this.byKey.get(keyOrRef)?.slice() ?? [];
  }

  /** Sets the value of the entries `keyOrRef` names: how many, or the problem. */
  set(keyOrRef: string, value: string, keysOnly = false): number | string {
    const hits = this.select(keyOrRef, keysOnly);
    for (const e of hits) {
      const p = this.problem(e.key, value);
      if (p !== undefined) return p;
    }
    for (const e of hits) e.value = value;
    // The keys stay: an ACL over them needs no rebuild.
    if (hits.length > 0) this.version++;
    return hits.length;
  }

  /** Removes the entries `keyOrRef` names: how many. */
  delete(keyOrRef: string, keysOnly = false): number {
    const gone = new Set(this.select(keyOrRef, keysOnly));
    if (gone.size === 0) return 0;
    this.list = this.list.filter((e) => !gone.has(e));
    this.indexKeys();
    this.version++;
    this.layout++;
    return gone.size;
  }

  clear(): void {
    this.list = [];
    this.byKey.clear();
    this.version++;
    this.layout++;
  }

  // ---- versions: HAProxy's atomic replacement (`prepare map`, `add map @V`, `commit map @V`)

  /** The version the converters read (`curr_ver`), and the last one prepared (`next_ver`). */
  currVer = 0;
  nextVer = 0;
  /** Entries of prepared versions, not read until committed. */
  private readonly pending = new Map<number, MapEntry[]>();

  /** A new version to fill: its number. */
  prepare(): number {
    this.nextVer++;
    this.pending.set(this.nextVer, []);
    return this.nextVer;
  }

  /** Why version `ver` cannot be written or read, in HAProxy's words; undefined: it can. */
  private versionProblem(ver: number, forCommit: boolean): string | undefined {
    if (ver > this.nextVer) return forCommit ? "Version number out of range." : "Version number in the future, please use 'prepare map' before.";
    if (ver <= this.currVer && (forCommit || ver < this.currVer)) return "Version number out of range.";
    return undefined;
  }

  /** The entries of version `ver` (the current one's, or a prepared one's). */
  entriesAt(ver: number): readonly MapEntry[] {
    return ver === this.currVer ? this.list : (this.pending.get(ver) ?? []);
  }

  /** Adds entries to version `ver` (all or none): the problem, or undefined. The current version is changed as `add`. */
  addAt(ver: number, entries: readonly { key: string; value: string }[]): string | undefined {
    if (ver === this.currVer) return this.add(entries);
    const bad = this.versionProblem(ver, false);
    if (bad !== undefined) return bad;
    for (const e of entries) {
      const p = this.problem(e.key, e.value);
      if (p !== undefined) return p;
    }
    let list = this.pending.get(ver);
    if (list === undefined) this.pending.set(ver, (list = []));
    for (const e of entries) list.push({ id: nextEntryId++, key: e.key, value: e.value });
    return undefined;
  }

  /** Empties version `ver`: the problem, or undefined. */
  clearAt(ver: number): string | undefined {
    if (ver === this.currVer) {
      this.clear();
      return undefined;
    }
    const bad = this.versionProblem(ver, false);
    if (bad !== undefined) return bad;
    this.pending.set(ver, []);
    return undefined;
  }

  /** Version `ver` becomes the one read, in one step; older prepared ones are dropped. The problem, or undefined. */
  commit(ver: number): string | undefined {
    const bad = this.versionProblem(ver, true);
    if (bad !== undefined) return bad;
    this.list = this.pending.get(ver) ?? [];
    for (const v of [...this.pending.keys()]) if (v <= ver) this.pending.delete(v);
    this.currVer = ver;
    this.indexKeys();
    this.version++;
    this.layout++;
    return undefined;
  }

  /** Entries of every version, current and prepared (HAProxy's entry_cnt counts them all). */
  get allEntries(): number {
    let n = this.list.length;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }
}

/**
 * The pattern references of one configuration (HAProxy's pat_ref list): map
 * and ACL files by file name (HAProxy keys them by the name as written; an
 * ACL and a map naming one file share it), and each ACL line's own values.
 * Ids follow creation, which follows the configuration.
 */
export class MapRegistry {
  private readonly byFile = new Map<string, MapRef>();
  private readonly list: MapRef[] = [];
  private readonly files: string[] = [];

  /** The configuration files in the order first seen (the first part of a position). */
  fileRank(file: string): number {
    const rank = this.files.indexOf(file);
    return rank >= 0 ? rank : this.files.push(file) - 1;
  }

  /**
   * The reference of `file`, read once (`entries` says what is wrong with
   * it), now also read as `kind` by `usedBy`. `at`: where in the
   * configuration (a number that grows with file and line), for the ids.
   */
  ref(file: string, path: string, usedBy: string, entries: () => readonly { key: string; value: string; line?: number }[] | string, kind: RefKind = "map", at?: number): MapRef | string {
    let ref = this.byFile.get(file);
    if (ref === undefined) {
      const list = entries();
      if (typeof list === "string") return list;
      ref = new MapRef(this.list.length, file, path, usedBy, list);
      if (at !== undefined && usedBy !== "") ref.at = ref.firstAt = at;
      this.byFile.set(file, ref);
      this.list.push(ref);
    } else if (usedBy === "") {
      // An action's: not a reader.
    } else if (ref.usedBy === "") {
      ref.usedBy = usedBy;
      ref.at = ref.firstAt = at ?? Number.MAX_SAFE_INTEGER;
    } else if (usedBy !== ref.usedBy && !ref.laterUsers.some((u) => u.text === usedBy)) {
      ref.laterUsers.push({ text: usedBy, at: at ?? Number.MAX_SAFE_INTEGER });
      if (at !== undefined && at < ref.at) ref.at = at;
    }
    ref.kinds.add(kind);
    return ref;
  }

  /** An ACL line's own values (`acl x path_beg /a /b`): a reference of its own, changed by `add acl #<id>`. */
  inline(description: string, values: readonly string[], at?: number): MapRef {
    const ref = new MapRef(this.list.length, "", "", description, values.map((key) => ({ key, value: "" })));
    if (at !== undefined) ref.at = at;
    ref.kinds.add("acl");
    this.list.push(ref);
    return ref;
  }

  /**
   * Ids in the configuration's order, as HAProxy numbers its references
   * while it reads the file (sluice compiles a proxy's ACL lines before its
   * rules); references made on one line keep their order. Once, after the
   * configuration is compiled.
   */
  number(): void {
    const order = this.list.map((ref, made) => ({ ref, made })).sort((a, b) => a.ref.at - b.ref.at || a.made - b.made);
    this.list.length = 0;
    order.forEach(({ ref }, id) => {
      ref.id = id;
      this.list.push(ref);
    });
  }

  /** By `#<id>`, the file name as written, or the path it was read from; of `kind` when given. */
  find(name: string, kind?: RefKind): MapRef | undefined {
    let ref: MapRef | undefined;
    if (name.startsWith("#")) {
      // HAProxy reads the id with strtol(10) and wants nothing after it: `#`, `#+0` and `# 1` name #0, #0
      // and #1 (measured with 2.6.12); `#0x1` or `#1a` name nothing.
      const m = /^#\s*([+-]?)(\d*)$/.exec(name);
      const id = m === null ? -1 : (m[1] === "-" ? -1 : 1) * Number(m[2] === "" ? 0 : m[2]);
      ref = this.list.find((r) => r.id === id);
    } else {
      ref = this.byFile.get(name) ?? this.list.find((r) => r.path !== "" && r.path === name);
    }
    return ref !== undefined && (kind === undefined || ref.kinds.has(kind)) ? ref : undefined;
  }

  /** In id order; those read as `kind` when given. A file only actions name (add-acl, set-map) is left out: nothing reads it, HAProxy lists none. */
  all(kind?: RefKind): MapRef[] {
    return this.list.filter((r) => r.usedBy !== "" && (kind === undefined || r.kinds.has(kind)));
  }
}
