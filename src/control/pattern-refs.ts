// What `show map`/`show acl` and `get map`/`get acl` print of the
// configuration's pattern references (rules/match/map-ref.ts), in HAProxy
// 2.6's words (map.c): the list of references, one reference's entries, and
// which entry each expression reading it finds for a sample.
import type { MapRef, RefKind, RefUse } from "../rules/match/map-ref.ts";

/** `show map` / `show acl` without an argument. */
export function listRefs(refs: readonly MapRef[]): string {
  let out = "# id (file) description\n";
  // HAProxy counts the entries once per expression that reads them.
  for (const r of refs) out += `${r.id} (${r.file}) ${r.describe()}. curr_ver=0 next_ver=0 entry_cnt=${r.entries.length * Math.max(1, r.uses.length)}\n`;
  return out;
}

/** One reference's entries, each with its `#<ref>` handle (HAProxy shows a pointer). */
export function showEntries(ref: MapRef): string {
  let out = "";
  for (const e of ref.entries) out += e.value === "" ? `0x${e.id.toString(16)} ${e.key}\n` : `0x${e.id.toString(16)} ${e.key} ${e.value}\n`;
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
  const uses = [...ref.uses].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  for (const use of uses) {
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
