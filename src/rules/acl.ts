// ACLs and conditions (HAProxy 2.6 configuration.txt §7.1, §7.2, §7.4).
//
// `acl NAME EXPR [flags] [operator] VALUE...` is parsed when read: the
// expression's names, argument counts and types are checked then, the
// flags taken apart (-i applies to the -f files and values after it, -m to
// everything). It is compiled when a condition uses it, for that
// condition's rule set, since which fetches exist depends on it ('res.hdr'
// in http-request). Several `acl` lines with one name OR together; a
// condition is `if|unless` then terms, AND by juxtaposition, `||`/`or`
// between conjunctions, `!` before a term, `{ EXPR ... }` an anonymous ACL,
// and the predefined upper-case ACLs when no `acl` line took the name.
//
// Evaluation short-circuits. A fetch with several values (hdr) matches when
// one does; no sample never matches (`-m found` tests presence).
import { contentCondition, type Literal } from "./content-condition.ts";
import { compileResolved, resolveExpr, type ResolvedExpr } from "./expr.ts";
import { compileLookup, compileMatcher, parseMapFile, parsePatternFile } from "./match/index.ts";
import type { MapRef } from "./match/map-ref.ts";
import { methodMatcher, methodPatternWarning } from "./match/method.ts";
import { suggestion } from "./sample.ts";
import { type CompileEnv, type Condition, type Matcher, type MatchMethod, type SampleType, Stage, type StageBit } from "./types.ts";

/** Patterns that share one -i state: values written on the line, or a file. */
export interface PatternGroup {
  readonly ignoreCase: boolean;
  /** `-f FILE` (one pattern a line); with `-M` before it the file is a map and its keys are the patterns. */
  readonly file?: string;
  readonly mapFile?: boolean;
  readonly values?: readonly string[];
}

export interface ParsedAcl {
  readonly expr: ResolvedExpr;
  /** `-m METHOD`; else the expression's own. */
  readonly method: MatchMethod;
  readonly groups: readonly PatternGroup[];
  /** `-u ID` as written (the runtime API's handle, later). */
  readonly id?: string;
}

const METHODS: readonly MatchMethod[] = ["str", "beg", "end", "sub", "reg", "dom", "dir", "found", "len", "ip", "int", "bool"];

/** Which sample types a method can test (§7.1's matrix; "meth" is text). */
function methodFits(method: MatchMethod, type: SampleType): boolean {
  if (method === "bool") return type === "bool" || type === "int" || type === "str" || type === "meth";
  if (method === "int") return type !== "bin" && type !== "meth";
  if (method === "ip") return type === "ip" || type === "str" || type === "bin";
  return true;
}

/** The words after `acl NAME` (or inside `{ }`), or what is wrong with them. */
export function parseAcl(words: readonly string[]): ParsedAcl | string {
  if (words.length === 0) return "an ACL needs a sample expression";
  const expr = resolveExpr(words[0]!);
  if (typeof expr === "string") return expr;
  let method: MatchMethod | undefined;
  let ignoreCase = false;
  let mapFile = false;
  let id: string | undefined;
  const groups: PatternGroup[] = [];
  let i = 1;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w.length < 2 || w.charCodeAt(0) !== 45) break;
    if (w === "--") {
      i++;
      break;
    }
    if (w === "-i") ignoreCase = true;
    else if (w === "-n") continue;
    else if (w === "-M") mapFile = true;
    else if (w === "-f" || w === "-m" || w === "-u") {
      const arg = words[++i];
      if (arg === undefined) return `'${w}' needs ${w === "-f" ? "a file name" : w === "-m" ? "a match method" : "an id"} after it`;
      if (w === "-f") {
        groups.push({ ignoreCase, file: arg, mapFile });
      } else if (w === "-u") {
        id = arg;
      } else {
        if (groups.length > 0) return "'-m' must come before '-f'";
        if (arg === "bin") return "'-m bin' is not supported: sluice's samples hold no binary fetches to compare with hex blocks";
        if (!(METHODS as readonly string[]).includes(arg)) return `unknown match method '${arg}'${suggestion(arg, METHODS)}`;
        method = arg as MatchMethod;
      }
    } else {
      return `'${w}' is not an ACL flag (-i -f -m -n -M -u --); write '--' before a value that begins with '-'`;
    }
  }
  const values = words.slice(i);
  if (values.length > 0) groups.push({ ignoreCase, values });
  const chosen = method ?? expr.match;
  if (method === undefined && expr.type === "bin") return `'${expr.text}' gives binary samples: name a match method with -m`;
  if (!methodFits(chosen, expr.type)) return `'-m ${chosen}' cannot test the ${expr.type} samples of '${expr.text}'`;
  return id === undefined ? { expr, method: chosen, groups } : { expr, method: chosen, groups, id };
}

type Term = Condition;

/** Compiled ACLs, by environment, ACL and rule set: an ACL used by many rules (a 10,000-line -f file) is built once. */
const compiled = new WeakMap<CompileEnv, WeakMap<ParsedAcl, Map<StageBit, Term>>>();

function patternsOf(group: PatternGroup, env: CompileEnv): string[] | string {
  if (group.values !== undefined) return [...group.values];
  const file = group.file!;
  let text: string;
  try {
    text = env.readFile(file);
  } catch (e) {
    return `cannot read pattern file '${file}': ${(e as Error).message}`;
  }
  if (!group.mapFile) return parsePatternFile(text).map((l) => l.pattern);
  const rows = parseMapFile(text);
  return typeof rows === "string" ? `map file '${file}': ${rows}` : rows.map((r) => r.key);
}

/**
 * Case-sensitive and -i patterns (each in the order written) as one
 * matcher, or what is wrong with one. `type`: the samples' (a `method`
 * fetch's are matched as HAProxy matches methods).
 */
function matcherOf(method: MatchMethod, lists: readonly [string[], string[]], type?: SampleType): Matcher | string {
  const matchers: Matcher[] = [];
  for (let k = 0; k < 2; k++) {
    if (lists[k]!.length === 0 && !(k === 0 && lists[1].length === 0)) continue;
    const m = type === "meth" && method === "str" ? methodMatcher(lists[k]!, k === 1) : compileMatcher(method, lists[k]!, { ignoreCase: k === 1 });
    if (typeof m === "string") return m;
    matchers.push(m);
  }
  const [m0, m1] = matchers as [Matcher, Matcher | undefined];
  return m1 === undefined ? m0 : (s) => m0(s) || m1(s);
}

/** A `method` ACL whose pattern will not match the method it seems to name (`get`), for a load warning. */
export function methodPatternSurprise(acl: ParsedAcl): string | undefined {
  if (acl.expr.type !== "meth" || acl.method !== "str") return undefined;
  return methodPatternWarning(acl.groups.flatMap((g) => g.values ?? []));
}

/** Where an ACL line's patterns live at run time: a reference and the case its patterns are read with. */
interface AclSource {
  readonly ref: MapRef;
  readonly ignoreCase: boolean;
}

const sourcesByEnv = new WeakMap<CompileEnv, WeakMap<ParsedAcl, readonly AclSource[] | string>>();
/** The predefined ACLs (shared by every configuration): their patterns are fixed. */
const predefinedAcls = new WeakSet<ParsedAcl>();

function mapEntries(file: string, text: string) {
  const rows = parseMapFile(text);
  return typeof rows === "string" ? `map file '${file}': ${rows}` : rows;
}

function patternEntries(text: string) {
  return parsePatternFile(text).map((l) => ({ key: l.pattern, value: "", line: l.line }));
}

/**
 * The references an ACL line reads, made once per line when the
 * configuration gives them (env.mapRef, env.inlineRef): each `-f` file
 * (shared with every ACL and map naming it), then the line's own values,
 * which HAProxy makes a reference of for every line, values or not. The
 * runtime API and the add-acl/del-acl actions change them; every change is
 * first checked against the line's match method. Undefined: the patterns
 * are fixed (no configuration registry, or a predefined ACL).
 */
export function aclRefs(acl: ParsedAcl, env: CompileEnv): readonly AclSource[] | string | undefined {
  if (env.mapRef === undefined || env.inlineRef === undefined || predefinedAcls.has(acl)) return undefined;
  let byAcl = sourcesByEnv.get(env);
  if (byAcl === undefined) sourcesByEnv.set(env, (byAcl = new WeakMap()));
  const known = byAcl.get(acl);
  if (known !== undefined) return known;
  const sources: AclSource[] = [];
  let values: readonly string[] = [];
  let valuesIgnoreCase = false;
  for (const group of acl.groups) {
    if (group.values !== undefined) {
      values = group.values;
      valuesIgnoreCase = group.ignoreCase;
      continue;
    }
    const file = group.file!;
    const ref = group.mapFile ? env.mapRef(file, (text) => mapEntries(file, text), "acl", "map") : env.mapRef(file, patternEntries, "acl");
    if (typeof ref === "string") {
      byAcl.set(acl, ref);
      return ref;
    }
    sources.push({ ref, ignoreCase: group.ignoreCase });
  }
  const fetch = /^[^(,]*/.exec(acl.expr.text)![0];
  sources.push({ ref: env.inlineRef(`acl '${fetch}'`, values), ignoreCase: valuesIgnoreCase });
  const method = acl.method;
  for (const { ref, ignoreCase } of sources) {
    ref.use((key) => {
      const m = compileMatcher(method, [key], { ignoreCase });
      return typeof m === "string" ? m : undefined;
    });
    ref.uses.push({
      kind: "acl",
      at: env.position?.(),
      method,
      ignoreCase,
      find(keys, sample) {
        if (method === "found" || method === "bool") return -1;
        const lookup = compileLookup(method, keys.map((k, i) => [k, i] as const), { ignoreCase });
        return typeof lookup === "string" ? -1 : (lookup(sample) ?? -1);
      },
    });
  }
  byAcl.set(acl, sources);
  return sources;
}

/**
 * The ACL's patterns as a matcher that follows changes to its references: one
 * version check per reference and evaluation. Entries only appended since the
 * index was built (an `add-acl` growing a blocklist per request) are matched by
 * small matchers beside it; the index is rebuilt when anything else
 * changed or the appended part outgrows a sixteenth of it.
 */
function liveMatcher(method: MatchMethod, sources: readonly AclSource[], type: SampleType): Matcher | string {
  const refs = sources.map((s) => s.ref);
  const collect = (from: readonly number[]): [string[], string[]] => {
    const lists: [string[], string[]] = [[], []];
    sources.forEach(({ ref, ignoreCase }, i) => {
      const list = lists[ignoreCase ? 1 : 0];
      const entries = ref.entries;
      for (let k = from[i]!; k < entries.length; k++) list.push(entries[k]!.key);
    });
    return lists;
  };
  const none = refs.map(() => 0);
  const first = matcherOf(method, collect(none), type);
  if (typeof first === "string") return first;
  // found/bool ignore the patterns: no change can matter.
  if (method === "found" || method === "bool") return first;
  const seen = refs.map((r) => r.version);
  let layouts = refs.map((r) => r.layout);
  let built = refs.map((r) => r.entries.length);
  let indexed = built.reduce((a, b) => a + b, 0);
  let base = first;
  let match = first;
  // The appended part: a few small matchers, each over the entries one change
  // added, merged into one when they become many (one add costs its own
  // pattern, and a merge every eighth add).
  let extras: Matcher[] = [];
  let extrasFrom = built;
  const rebuild = (): void => {
    // Every change was checked against this method first: a build cannot fail.
    const next = matcherOf(method, collect(none), type);
    if (typeof next !== "string") base = match = next;
    layouts = refs.map((r) => r.layout);
    built = refs.map((r) => r.entries.length);
    indexed = built.reduce((a, b) => a + b, 0);
    extras = [];
    extrasFrom = built;
  };
  const refresh = (): void => {
    for (let k = 0; k < refs.length; k++) seen[k] = refs[k]!.version;
    if (refs.some((r, k) => r.layout !== layouts[k])) return rebuild();
    // A new value (set-map) changes no key: nothing to do.
    if (refs.every((r, k) => r.entries.length === extrasFrom[k])) return;
    const added = refs.reduce((n, r, k) => n + r.entries.length - built[k]!, 0);
    if (added > Math.max(32, indexed >> 4)) return rebuild();
    const merge = extras.length >= 8;
    const extra = matcherOf(method, collect(merge ? built : extrasFrom), type);
    if (typeof extra === "string") return rebuild();
    extras = merge ? [extra] : [...extras, extra];
    extrasFrom = refs.map((r) => r.entries.length);
    const b = base;
    const all = extras;
    match = (s) => {
      if (b(s)) return true;
      for (const m of all) if (m(s)) return true;
      return false;
    };
  };
  return (s) => {
    for (let i = 0; i < refs.length; i++) {
      if (refs[i]!.version !== seen[i]) {
        refresh();
        break;
      }
    }
    return match(s);
  };
}

/** One ACL line compiled for a rule set. */
export function compileAcl(acl: ParsedAcl, stage: StageBit, env: CompileEnv): Term | string {
  let byAcl = compiled.get(env);
  if (byAcl === undefined) compiled.set(env, (byAcl = new WeakMap()));
  let byStage = byAcl.get(acl);
  if (byStage === undefined) byAcl.set(acl, (byStage = new Map()));
  const known = byStage.get(stage);
  if (known !== undefined) return known;

  const expr = compileResolved(acl.expr, stage, env);
  if (typeof expr === "string") return expr;
  const sources = aclRefs(acl, env);
  if (typeof sources === "string") return sources;
  let match: Matcher | string;
  if (sources !== undefined) match = liveMatcher(acl.method, sources, acl.expr.type);
  else {
    const lists: [string[], string[]] = [[], []];
    for (const group of acl.groups) {
      const patterns = patternsOf(group, env);
      if (typeof patterns === "string") return patterns;
      lists[group.ignoreCase ? 1 : 0].push(...patterns);
    }
    match = matcherOf(acl.method, lists, acl.expr.type);
  }
  if (typeof match === "string") return match;
  const m = match;
  const { one, each } = expr;
  const term: Term = each !== undefined
    ? (t) => each(t, m)
    : (t) => {
      const s = one(t);
      return s !== undefined && m(s);
    };
  byStage.set(stage, term);
  return term;
}

/** The predefined ACLs (§7.4) as the words of an `acl` line, or why sluice has no such ACL. */
const PREDEFINED: Readonly<Record<string, readonly string[] | string>> = {
  TRUE: ["always_true"],
  FALSE: ["always_false"],
  HTTP: ["req.proto_http"],
  "HTTP_1.0": ["req.ver", "1.0"],
  "HTTP_1.1": ["req.ver", "1.1"],
  "HTTP_2.0": ["req.ver", "2.0"],
  HTTP_CONTENT: ["req.hdr_val(content-length)", "gt", "0"],
  HTTP_URL_ABS: ["url_reg", "^[^/:]*://"],
  HTTP_URL_SLASH: ["url_beg", "/"],
  HTTP_URL_STAR: ["url", "*"],
  LOCALHOST: ["src", "127.0.0.1/8", "::1"],
  METH_CONNECT: ["method", "CONNECT"],
  METH_DELETE: ["method", "DELETE"],
  METH_GET: ["method", "GET", "HEAD"],
  METH_HEAD: ["method", "HEAD"],
  METH_OPTIONS: ["method", "OPTIONS"],
  METH_POST: ["method", "POST"],
  METH_PUT: ["method", "PUT"],
  METH_TRACE: ["method", "TRACE"],
  RDP_COOKIE: "RDP_COOKIE needs req.rdp_cookie_cnt, which sluice lacks (it does not parse RDP cookies)",
  REQ_CONTENT: ["req.len", "gt", "0"],
  WAIT_END: "WAIT_END needs wait_end, which sluice lacks: tcp-request inspect-delay ends content inspection by itself",
};

const parsedPredefined = new Map<string, ParsedAcl>();

function predefined(name: string): ParsedAcl | string | undefined {
  const known = parsedPredefined.get(name);
  if (known !== undefined) return known;
  if (!Object.hasOwn(PREDEFINED, name)) return undefined;
  const def = PREDEFINED[name]!;
  if (typeof def === "string") return def;
  const parsed = parseAcl(def);
  if (typeof parsed !== "string") {
    parsedPredefined.set(name, parsed);
    predefinedAcls.add(parsed);
  }
  return parsed;
}

/** A named ACL for a rule set: its lines ORed, or the predefined one. */
function namedTerm(name: string, acls: ReadonlyMap<string, readonly ParsedAcl[]>, stage: StageBit, env: CompileEnv): Term | string {
  let lines = acls.get(name);
  if (lines === undefined) {
    const p = predefined(name);
    if (p === undefined) return `unknown ACL '${name}'${suggestion(name, [...acls.keys(), ...Object.keys(PREDEFINED)])}`;
    if (typeof p === "string") return p;
    lines = [p];
  }
  const terms: Term[] = [];
  for (const line of lines) {
    const term = compileAcl(line, stage, env);
    if (typeof term === "string") return `acl '${name}': ${term}`;
    terms.push(term);
  }
  return anyOf(terms);
}

function anyOf(terms: readonly Term[]): Term {
  if (terms.length === 1) return terms[0]!;
  if (terms.length === 2) {
    const [a, b] = terms as [Term, Term];
    return (t) => a(t) || b(t);
  }
  return (t) => {
    for (const term of terms) if (term(t)) return true;
    return false;
  };
}

function allOf(terms: readonly Term[]): Term {
  if (terms.length === 1) return terms[0]!;
  if (terms.length === 2) {
    const [a, b] = terms as [Term, Term];
    return (t) => a(t) && b(t);
  }
  return (t) => {
    for (const term of terms) if (!term(t)) return false;
    return true;
  };
}

/**
 * `if|unless TERM...` compiled for a rule set, or what is wrong, naming the
 * ACL or the word: unknown ACLs (with the nearest name), a fetch the rule
 * set lacks ("acl 'x': 'res.hdr' is not available in http-request rules"),
 * unbalanced braces, a dangling `!` or `or`.
 */
export function compileCondition(
  words: readonly string[],
  acls: ReadonlyMap<string, readonly ParsedAcl[]>,
  stage: StageBit,
  env: CompileEnv,
): Condition | string {
  const keyword = words[0];
  if (keyword !== "if" && keyword !== "unless") return `a condition begins with 'if' or 'unless', not '${keyword ?? ""}'`;
  const suites: Literal[][] = [];
  let current: Literal[] = [];
  let i = 1;
  while (i < words.length) {
    let w = words[i]!;
    if (w === "||" || w === "or") {
      if (current.length === 0) return `'${w}' needs a term before it`;
      suites.push(current);
      current = [];
      i++;
      continue;
    }
    let negate = false;
    if (w === "!") {
      negate = true;
      w = words[++i] ?? "";
      if (w === "") return "'!' needs a term after it";
    } else if (w.startsWith("!")) {
      negate = true;
      w = w.slice(1);
    }
    let term: Term | string;
    if (w === "{") {
      const close = words.indexOf("}", i + 1);
      if (close < 0) return "'{' without its '}' (braces are words of their own: '{ src 10.0.0.0/8 }')";
      const inner = words.slice(i + 1, close);
      const shown = `{ ${inner.join(" ")} }`;
      const parsed = parseAcl(inner);
      term = typeof parsed === "string" ? parsed : compileAcl(parsed, stage, env);
      if (typeof term === "string") return `anonymous ACL '${shown}': ${term}`;
      i = close + 1;
    } else if (w === "}") {
      return "'}' without a '{' before it";
    } else {
      term = namedTerm(w, acls, stage, env);
      if (typeof term === "string") return term;
      i++;
    }
    current.push({ term, negate });
  }
  if (current.length === 0) {
    return suites.length === 0 ? `'${keyword}' needs a condition after it` : `'${words[words.length - 1]}' needs a term after it`;
  }
  suites.push(current);
  // Content rules may have to wait for more bytes: HAProxy's three-valued evaluation.
  if (stage === Stage.tcpContent) return contentCondition(suites, keyword === "unless");
  const condition = anyOf(suites.map((suite) => allOf(suite.map(literalTerm))));
  return keyword === "unless" ? (t) => !condition(t) : condition;
}

function literalTerm(literal: Literal): Term {
  const positive = literal.term;
  return literal.negate ? (t) => !positive(t) : positive;
}
