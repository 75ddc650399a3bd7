// `stick-table type ip|ipv6|integer|string [len N]|binary [len N] size N[k|m|g]
// [expire T] [nopurge] store COUNTER[,COUNTER(PERIOD)]...` (issue 15) in
// frontend, backend and listen sections: the words in both syntaxes
// (`stick-table: "type ip size 100k expire 30s store http_req_rate(10s)"` in
// YAML reads as the haproxy.cfg line), checked as HAProxy 2.6's
// stktable_parse_fields checks them, then by the store's own
// stickSpecProblems (unknown counters, periods). The table is named after its
// proxy (config/build.ts), as HAProxy names it.
import * as v from "valibot";
import { stickSpecProblems } from "../stick/layout.ts";
import type { StickCounterSpec, StickKeyType, StickTableSpec } from "../stick/types.ts";
import { parseDuration } from "./duration.ts";
import { lineWords } from "./schema-check.ts";
import { describe } from "./schema-values.ts";

/** A table's spec before build.ts names it after its proxy. */
export type StickTableShape = Omit<StickTableSpec, "name">;

const TYPES: readonly StickKeyType[] = ["ip", "ipv6", "integer", "string", "binary"];
/**
 * HAProxy's key size for string and binary tables when `len` is not given: 32
 * bytes, which for a string holds its NUL too, so 31 characters (with `len N`
 * a string table takes N characters: HAProxy adds the NUL's byte itself).
 */
const DEFAULT_KEY_LEN = 32;
const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `size 100k`: HAProxy's parse_size_err (k, m, g are powers of 1024). */
function parseSize(text: string | undefined): number | string {
  if (text === undefined) return "'size' expects <size> as argument";
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (m === null) return `invalid size '${text}' (expected a positive integer, optionally followed by k, m or g)`;
  const n = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
  if (n < 1 || n > 2 ** 32 - 1) return `invalid size '${text}' (expected between 1 and 4294967295 entries)`;
  return n;
}

/** `store gpc0,http_req_rate(10s)`: one store item, or what is wrong. */
function parseStoreItem(item: string): StickCounterSpec | string {
  const m = /^([a-z0-9_]+)(?:\((.*)\))?$/.exec(item);
  if (m === null) return `invalid store item '${item}' (expected <counter> or <counter>(<period>))`;
  if (m[2] === undefined) return { counter: m[1]! };
  const period = parseDuration(m[2]);
  if (!period.ok) return `store '${m[1]}': ${period.error}`;
  if (period.ms < 1) return `store '${m[1]}': the period must be at least 1ms`;
  return { counter: m[1]!, periodMs: period.ms };
}

/** The words after `stick-table` → the spec (without its name), or what is wrong. */
export function parseStickTableLine(words: readonly string[]): StickTableShape | string {
  let type: StickKeyType | undefined;
  let len = DEFAULT_KEY_LEN;
  let size: number | undefined;
  let expireMs = 0;
  let nopurge = false;
  let peers: string | undefined;
  const store: StickCounterSpec[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    switch (word) {
      case "type": {
        const t = words[++i];
        if (t === undefined) return "'type' expects <type> as argument (ip, ipv6, integer, string or binary)";
        if (!TYPES.includes(t as StickKeyType)) return `unknown type '${t}' (expected ip, ipv6, integer, string or binary)`;
        type = t as StickKeyType;
        // `len` belongs to the types whose keys have a length (HAProxy reads it right after them).
        if ((type === "string" || type === "binary") && words[i + 1] === "len") {
          const n = words[i + 2];
          if (n === undefined || !/^\d+$/.test(n) || Number(n) < 1) return `'len' expects a positive integer (got ${n === undefined ? "nothing" : `'${n}'`})`;
          len = Number(n);
          i += 2;
        }
        break;
      }
      case "size": {
        const s = parseSize(words[++i]);
        if (typeof s === "string") return s;
        size = s;
        break;
      }
      case "expire": {
        const text = words[++i];
        if (text === undefined) return "'expire' expects <time> as argument";
        const d = parseDuration(text);
        if (!d.ok) return `'expire': ${d.error}`;
        expireMs = d.ms;
        break;
      }
      case "nopurge":
        nopurge = true;
        break;
      case "store": {
        const list = words[++i];
        if (list === undefined) return "'store' expects <data type>[,<data type>...] as argument";
        for (const item of list.split(",")) {
          const parsed = parseStoreItem(item);
          if (typeof parsed === "string") return parsed;
          store.push(parsed);
        }
        break;
      }
      case "len":
        return "'len' applies to 'type string' and 'type binary' only, right after the type";
      case "peers": {
        peers = words[++i];
        if (peers === undefined) return "'peers' expects <peers section name> as argument";
        break;
      }
      case "srvkey":
      case "write-to":
        return `stick-table option '${word}' is not supported yet`;
      default:
        return `unknown argument '${word}' (expected type, size, expire, nopurge, peers or store)`;
    }
  }
  if (type === undefined) return "missing type (type ip|ipv6|integer|string [len <n>]|binary [len <n>])";
  if (type === "string" && !words.includes("len")) len = DEFAULT_KEY_LEN - 1;
  if (size === undefined) return "missing size (size <entries>[k|m|g])";
  const shape: StickTableShape = { type, len, size, expireMs, store, ...(nopurge ? { nopurge } : {}), ...(peers === undefined ? {} : { peers }) };
  const problems = stickSpecProblems({ name: "", ...shape });
  if (problems.length > 0) return problems.join("; ");
  return shape;
}

/** The `stick-table` line of a proxy section: one string (haproxy.cfg's words) or a list of words. */
export const StickTableSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): StickTableShape => {
    const x = dataset.value;
    const wordy = (typeof x === "string" && x.trim() !== "") || (Array.isArray(x) && x.length > 0 && x.every((w) => typeof w === "string"));
    const words = wordy ? lineWords(x) : `invalid stick-table ${describe(x)} (expected a string such as 'type ip size 100k expire 30s store http_req_rate(10s)')`;
    const r = typeof words === "string" ? words : parseStickTableLine(words);
    if (typeof r === "string") {
      addIssue({ message: `stick-table: ${r}` });
      return NEVER;
    }
    return r;
  }),
);
