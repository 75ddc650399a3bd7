// Helpers the fetch families share: one definition, its ACL derivatives
// (`path_beg` is `path` matched by prefix), and argument checks.
import type { CompileEnv, EachFn, FetchDef, MatchMethod, SampleFn, SampleType, StageBit } from "../types.ts";

type Compile = (args: readonly string[], env: CompileEnv, stage?: StageBit) => { one: SampleFn; each?: EachFn } | string;

export function define(
  name: string,
  minArgs: number,
  maxArgs: number,
  out: SampleType,
  stages: number,
  match: MatchMethod,
  compile: Compile,
): FetchDef {
  return { name, minArgs, maxArgs, out, stages, match, compile };
}

/** The suffixes of HAProxy's ACL derivatives of a string fetch, with their match methods. */
const DERIVED: readonly MatchMethod[] = ["beg", "dir", "dom", "end", "len", "reg", "sub"];

/** A string fetch and its `_beg`, `_dir`, `_dom`, `_end`, `_len`, `_reg`, `_sub` forms (same sample, another match). */
export function withDerivatives(names: readonly string[], minArgs: number, maxArgs: number, stages: number, compile: Compile): FetchDef[] {
  const out: FetchDef[] = [];
  for (const name of names) {
    out.push(define(name, minArgs, maxArgs, "str", stages, "str", compile));
    for (const m of DERIVED) out.push(define(`${name}_${m}`, minArgs, maxArgs, "str", stages, m, compile));
  }
  return out;
}

/** A whole decimal integer argument, or undefined. */
export function intArg(text: string): number | undefined {
  // Up to 19 digits (HAProxy reads 64 bits; beyond 2^53 a double keeps the value to its precision).
  return /^[+-]?\d{1,19}$/.test(text) ? Number(text) : undefined;
}

/** Fetches without arguments that read one value of the transaction. */
export function simple(name: string, out: SampleType, stages: number, match: MatchMethod, one: SampleFn): FetchDef {
  return define(name, 0, 0, out, stages, match, () => ({ one }));
}
