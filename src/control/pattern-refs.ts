// What `show map`/`show acl` and `get map`/`get acl` print of the
// configuration's pattern references (rules/match/map-ref.ts), in HAProxy
// 2.6's words (map.c): the list of references, one reference's entries, and
// which entry each expression reading it finds for a sample.
import type { MapRef, RefKind, RefUse } from "../rules/match/map-ref.ts";

/**
 * The expressions reading a reference as HAProxy keeps them: readers with
 * the same kind, method, case and output share one (two `map()` converters
 * of a file are one expression), in the configuration's order.
 */
function expressions(ref: MapRef): RefUse[] {
  const seen = new Set<string>();
  const out: RefUse[] = [];
  for (const use of [...ref.uses].sort((a, b) => (a.at ?? 0) - (b.at ?? 0))) {
    const key = `${use.kind}/${use.method}/${use.ignoreCase}/${use.out ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(use);
  }
  return out;
}

/** `show map` / `show acl` without an argument. */
export function listRefs(refs: readonly MapRef[]): string {
  let out = "# id (file) description\n";
  // HAProxy counts the entries (prepared versions' too) once per expression that reads them.
  for (const r of refs) out += `${r.id} (${r.file}) ${r.describe()}. curr_ver=${r.currVer} next_ver=${r.nextVer} entry_cnt=${r.allEntries * Math.max(1, expressions(r).length)}\n`;
  return out;
}

/** One reference's entries (of version `ver`, else the current one), each with its `#<ref>` handle (HAProxy shows a pointer). */
export function showEntries(ref: MapRef, ver?: number): string {
  let out = "";
  for (const e of ver === undefined ? ref.entries : ref.entriesAt(ver)) out += e.value === "" ? `0x${e.id.toString(16)} ${e.key}\n` : `0x${e.id.toString(16)} ${e.key} ${e.value}\n`;
  return out;
}

/** HAProxy indexes exact strings and prefixes in trees unless -i, addresses always; the rest are lists. */
function indexKind(use: RefUse): "tree" | "list" {
  if (use.method === "ip") return "tree";
  return (use.method === "str" || use.method === "beg") && !use.ignoreCase ? "tree" : "list";
}

/** `get map` / `get acl`: per expression reading `ref`, whether `sample` finds an entry and which. */
export function getEntry(ref: MapRef, kind: RefKind, sample: string): string {
  const keys = ref.entries.map((e) => e.key);
  let out = "";
  for (const use of expressions(ref)) {
    const head = `type=${use.method}, case=${use.ignoreCase ? "insensitive" : "sensitive"}`;
    const at = use.find(keys, sample);
    const e = at >= 0 ? ref.entries[at] : undefined;
    if (kind === "acl") {
      out += e === undefined ? `${head}, match=no\n` : `${head}, match=yes, idx=${indexKind(use)}, pattern="${e.key}"\n`;
    } else if (e === undefined) {
      out += `${head}, found=no\n`;
    } else {
      const value = use.kind === "map" ? `value="${e.value}", type="${use.out ?? "str"}"` : "value=none";
      out += `${head}, found=yes, idx=${indexKind(use)}, key="${e.key}", ${value}\n`;
    }
  }
  return out;
}

/** A leading `@<version>` of a command's arguments: the version and the rest, or undefined when there is none. */
export function versionArg(args: readonly string[]): { ver: number; rest: readonly string[] } | undefined {
  const first = args[0];
  if (first === undefined || !first.startsWith("@")) return undefined;
  const ver = /^@\d+$/.test(first) ? Number(first.slice(1)) : Number.NaN;
  return { ver, rest: args.slice(1) };
}
