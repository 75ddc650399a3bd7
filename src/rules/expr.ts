// Sample expressions, `fetch(arg),conv(arg),conv` (HAProxy 2.6 §7.3): the
// text is resolved against the fetch and converter registries (names,
// argument counts, each converter's input type against what precedes it),
// then compiled for one rule set (the fetch must be available there) into a
// closure. Casts between types are decided here, at load; per request only
// the fetch, the casts that are needed and the converters run. Nothing a
// request carries makes a compiled expression throw: a failure inside is no
// sample.
import { CONVERTERS } from "./convert/index.ts";
import { type ExprTerm, parseExprText } from "./expr-parse.ts";
import { FETCHES } from "./fetch/index.ts";
import { canCast, castFn, dynamicCast, stageName, suggestion } from "./sample.ts";
import type { CompileEnv, ConverterDef, EachFn, FetchDef, MatchMethod, Sample, SampleFn, SampleType, StageBit, Txn } from "./types.ts";

/** An expression whose names, argument counts and types are known to fit; not yet compiled. */
export interface ResolvedExpr {
  /** As written, for messages. */
  readonly text: string;
  readonly fetch: FetchDef;
  readonly fetchArgs: readonly string[];
  readonly converters: readonly { readonly def: ConverterDef; readonly args: readonly string[] }[];
  /** The type of the sample it yields. */
  readonly type: SampleType;
  /** The ACL match method when none is named: the fetch's (path_beg → beg) without converters, else by type. */
  readonly match: MatchMethod;
}

export interface CompiledExpr {
  readonly one: SampleFn;
  /** Every value, for fetches that have several (hdr): an ACL matches when one does. */
  readonly each?: EachFn;
  readonly type: SampleType;
  readonly match: MatchMethod;
}

function argCount(n: number): string {
  return n === 1 ? "1 argument" : `${n} arguments`;
}

function checkCount(kind: string, name: string, min: number, max: number, got: number): string | undefined {
  if (got >= min && got <= max) return undefined;
  if (got > max && max === 0) return `${kind} '${name}' takes no arguments, got ${got}`;
  if (min === max) return `${kind} '${name}' takes ${argCount(min)}, got ${got}`;
  if (got < min) return `${kind} '${name}' takes at least ${argCount(min)}, got ${got}`;
  return `${kind} '${name}' takes at most ${argCount(max)}, got ${got}`;
}

/** `name()` wrote one empty argument; a keyword without arguments takes it as none. */
function argsFor(args: readonly string[], max: number): readonly string[] {
  return max === 0 && args.length === 1 && args[0] === "" ? [] : args;
}

function matchOf(type: SampleType): MatchMethod {
  return type === "bool" ? "bool" : type === "int" ? "int" : type === "ip" ? "ip" : "str";
}

/** Resolves parsed terms (the first a fetch, the others converters). */
export function resolveTerms(terms: readonly ExprTerm[], text: string): ResolvedExpr | string {
  const [first, ...rest] = terms;
  if (first === undefined) return "empty sample expression";
  const fetch = FETCHES.get(first.name);
  if (fetch === undefined) {
    if (CONVERTERS.has(first.name)) return `unknown fetch '${first.name}' ('${first.name}' is a converter: it follows a fetch and a comma)`;
    return `unknown fetch '${first.name}'${suggestion(first.name, FETCHES.keys())}`;
  }
  const fetchArgs = argsFor(first.args, fetch.maxArgs);
  const bad = checkCount("fetch", fetch.name, fetch.minArgs, fetch.maxArgs, fetchArgs.length);
  if (bad !== undefined) return bad;
  let type = fetch.out;
  let previous = fetch.name;
  const converters: { def: ConverterDef; args: readonly string[] }[] = [];
  for (const term of rest) {
    const def = CONVERTERS.get(term.name);
    if (def === undefined) {
      if (FETCHES.has(term.name)) return `unknown converter '${term.name}' ('${term.name}' is a fetch: an expression has one, first)`;
      return `unknown converter '${term.name}'${suggestion(term.name, CONVERTERS.keys())}`;
    }
    const args = argsFor(term.args, def.maxArgs);
    const badCount = checkCount("converter", def.name, def.minArgs, def.maxArgs, args.length);
    if (badCount !== undefined) return badCount;
    if (!canCast(type, def.in)) return `converter '${def.name}' takes ${def.in} input, but '${previous}' gives ${type}`;
    converters.push({ def, args });
    type = def.out;
    previous = def.name;
  }
  return { text, fetch, fetchArgs, converters, type, match: converters.length === 0 ? fetch.match : matchOf(type) };
}

/** Parses and resolves a whole expression: what `acl` lines check before any rule uses them. */
export function resolveExpr(text: string): ResolvedExpr | string {
  const parsed = parseExprText(text);
  if (typeof parsed === "string") return parsed;
  return resolveTerms(parsed.terms, text);
}

type Step = (s: Sample, t: Txn) => Sample | undefined;

/** The converter with the cast to its input in front, when one is needed. */
function step(from: SampleType, def: ConverterDef, convert: Step): Step {
  const cast = castFn(from, def.in);
  return cast === undefined ? convert : castThen(cast, convert);
}

function castThen(cast: (s: Sample) => Sample | undefined, convert: Step): Step {
  return (s, t) => {
    const v = cast(s);
    return v === undefined ? undefined : convert(v, t);
  };
}

/** Compiles a resolved expression for one rule set. */
export function compileResolved(r: ResolvedExpr, stage: StageBit, env: CompileEnv): CompiledExpr | string {
  if ((r.fetch.stages & stage) === 0) return `'${r.fetch.name}' is not available in ${stageName(stage)} rules`;
  const fetched = r.fetch.compile(r.fetchArgs, env, stage);
  if (typeof fetched === "string") return fetched;
  const steps: Step[] = [];
  let type = r.fetch.out;
  for (const { def, args } of r.converters) {
    const convert = def.compile(args, env);
    if (typeof convert === "string") return convert;
    // A variable's sample has the type it was stored with: the first converter's input is cast when it runs.
    if (steps.length === 0 && r.fetch.dynamic === true) steps.push(castThen(dynamicCast(def.in), convert));
    else steps.push(step(type, def, convert));
    type = def.out;
  }
  const fetchOne = fetched.one;
  const fetchEach = fetched.each;
  let one: SampleFn;
  let each: EachFn | undefined;
  if (steps.length === 0) {
    one = (t) => {
      try {
        return fetchOne(t);
      } catch {
        return undefined;
      }
    };
    if (fetchEach !== undefined) {
      each = (t, visit) => {
        try {
          return fetchEach(t, visit);
        } catch {
          return false;
        }
      };
    }
  } else {
    const chain = (s: Sample, t: Txn): Sample | undefined => {
      let v: Sample | undefined = s;
      for (let k = 0; k < steps.length && v !== undefined; k++) v = steps[k]!(v, t);
      return v;
    };
    one = (t) => {
      try {
        const s = fetchOne(t);
        return s === undefined ? undefined : chain(s, t);
      } catch {
        return undefined;
      }
    };
    if (fetchEach !== undefined) {
      each = (t, visit) => {
        try {
          return fetchEach(t, (s) => {
            const v = chain(s, t);
            return v !== undefined && visit(v);
          });
        } catch {
          return false;
        }
      };
    }
  }
  return each === undefined ? { one, type, match: r.match } : { one, each, type, match: r.match };
}

/**
 * A sample expression compiled for the rule set `stage`, or what is wrong
 * with it, naming the word (unknown fetch with the nearest name, argument
 * counts, a converter on the wrong type, a fetch the rule set lacks).
 */
export function compileExpr(text: string, stage: StageBit, env: CompileEnv): CompiledExpr | string {
  const r = resolveExpr(text);
  return typeof r === "string" ? r : compileResolved(r, stage, env);
}
