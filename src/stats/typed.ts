// `show stat typed`: HAProxy's one-field-per-line form,
// `F.<iid>.<sid>.<pos>.<name>.<process>:<origin><nature><scope>:<type>:<value>`
// (the first letter says Frontend, Backend or Server), built from the same
// typed fields as the JSON.
import { type JsonField, statJson } from "./json.ts";
import type { StatRow } from "./types.ts";

/** HAProxy's one-letter tags (stats.h: FO_*, FN_*, FS_*). */
const ORIGIN: Readonly<Record<string, string>> = { Metric: "M", Status: "S", Key: "K", Config: "C", Product: "P" };
const NATURE: Readonly<Record<string, string>> = {
  Age: "A", Avg: "a", Counter: "C", Duration: "D", Gauge: "G", Limit: "L", Max: "M", Min: "m", Name: "N", Output: "O", Rate: "R", Time: "T",
};
const SCOPE: Readonly<Record<string, string>> = { Process: "P", Service: "S", System: "s", Cluster: "C" };

/** The tag letters back to the words of the JSON form (`show info json`). */
const invert = (m: Readonly<Record<string, string>>): Readonly<Record<string, string>> => Object.fromEntries(Object.entries(m).map(([w, l]) => [l, w]));
export const ORIGIN_WORDS = invert(ORIGIN);
export const NATURE_WORDS = invert(NATURE);
export const SCOPE_WORDS = invert(SCOPE);

function tags(t: { origin: string; nature: string; scope: string }): string {
  return (ORIGIN[t.origin] ?? "?") + (NATURE[t.nature] ?? "?") + (SCOPE[t.scope] ?? "?");
}

function statLine(f: JsonField): string {
  return `${f.objType[0]}.${f.proxyId}.${f.id}.${f.field.pos}.${f.field.name}.${f.processNum}:${tags(f.tags)}:${f.value.type}:${f.value.value}`;
}

export function statTyped(rows: readonly StatRow[]): string {
  return statJson(rows).map((row) => row.map(statLine).join("\n") + "\n").join("");
}
