// Format strings as actions take them (`set-header X %[src]`, `lf-string`,
// `use_backend be_%[req.hdr(host),lower]`): literal text, `%%` for a percent
// sign, `%[expr]` for a sample expression, and the few log variables that
// cost nothing (%ci %cp %fi %fp %f %b). Compiled once: a format without `%`
// is a constant, and per request only the pieces that vary are evaluated.
// A missing sample writes nothing (HAProxy's headers and bodies); logs say
// "-" instead (`absent`).
import process from "node:process";
import { parseExprText } from "./expr-parse.ts";
import { compileResolved, resolveTerms } from "./expr.ts";
import { toStr } from "./sample.ts";
import type { CompileEnv, SampleFn, StageBit, Txn } from "./types.ts";

export interface FormatOptions {
  /** Written for a sample that is absent: "" (the default) for values, "-" for log lines. */
  readonly absent?: string;
}

type Piece = string | ((t: Txn) => string);

/** The log variables sluice offers in formats, by name. */
const VARIABLES: ReadonlyMap<string, SampleFn> = new Map<string, SampleFn>([
  ["ci", (t) => t.client.address],
  ["cp", (t) => t.client.port],
  ["fi", (t) => t.client.localAddress],
  ["fp", (t) => t.client.localPort],
  ["f", (t) => t.frontend],
  ["b", (t) => t.backend],
  // The request's date (HAProxy: its accept date; here the clock when the rule runs, the same millisecond or
  // the next): `set-header X-Request-Start t=%Ts%ms`.
  ["Ts", (t) => Math.floor(t.world.wallNow() / 1000)],
  ["ms", (t) => String(Math.floor(t.world.wallNow()) % 1000).padStart(3, "0")],
  ["pid", () => process.pid],
  // unique-id-format's id ("" without one).
  ["ID", (t) => t.uniqueId ?? ""],
]);

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function textOf(one: SampleFn, absent: string): (t: Txn) => string {
  return (t) => {
    const s = one(t);
    return s === undefined ? absent : toStr(s);
  };
}

/** The compiled format, or what is wrong with it. */
export function compileFormatString(text: string, stage: StageBit, env: CompileEnv, options: FormatOptions = {}): ((t: Txn) => string) | string {
  const absent = options.absent ?? "";
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const percent = text.indexOf("%", i);
    if (percent < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, percent);
    const next = text.charCodeAt(percent + 1);
    if (next === 37) {
      literal += "%";
      i = percent + 2;
      continue;
    }
    let piece: (t: Txn) => string;
    if (next === 91) {
      const parsed = parseExprText(text, percent + 2, 93);
      if (typeof parsed === "string") return parsed;
      if (parsed.end >= text.length) return `missing ']' after '${text.slice(percent)}'`;
      const expr = text.slice(percent + 2, parsed.end);
      const resolved = resolveTerms(parsed.terms, expr);
      if (typeof resolved === "string") return resolved;
      const compiled = compileResolved(resolved, stage, env);
      if (typeof compiled === "string") return compiled;
      piece = textOf(compiled.one, absent);
      i = parsed.end + 1;
    } else if (next === 123) {
      return `log-format flags ('${text.slice(percent, text.indexOf("}", percent) + 1 || undefined)}') are not supported in sluice's formats`;
    } else {
      let end = percent + 1;
      while (end < text.length && isLetter(text.charCodeAt(end))) end++;
      const name = text.slice(percent + 1, end);
      if (name === "") return `a '%' at offset ${percent} of '${text}' must be followed by '[', '%' or a variable (write '%%' for a percent sign)`;
      const variable = VARIABLES.get(name);
      if (variable === undefined) {
        return `unknown log-format variable '%${name}' (sluice's formats know %[expr], %ci, %cp, %fi, %fp, %f, %b, %Ts, %ms, %pid, %ID and %%)`;
      }
      piece = textOf(variable, absent);
      i = end;
    }
    if (literal !== "") pieces.push(literal);
    literal = "";
    pieces.push(piece);
  }
  if (literal !== "") pieces.push(literal);
  return assemble(pieces);
}

function assemble(pieces: readonly Piece[]): (t: Txn) => string {
  if (pieces.length === 0) return () => "";
  if (pieces.length === 1) {
    const only = pieces[0]!;
    if (typeof only === "string") return () => only;
    return only;
  }
  if (pieces.length === 2) {
    const [a, b] = pieces;
    if (typeof a === "string") return (t) => a + (b as (t: Txn) => string)(t);
    if (typeof b === "string") return (t) => a!(t) + b;
  }
  return (t) => {
    let out = "";
    for (const p of pieces) out += typeof p === "string" ? p : p(t);
    return out;
  };
}
