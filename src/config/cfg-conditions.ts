// HAProxy's conditional blocks (2.4+): `.if <cond>`, `.elif <cond>`, `.else`,
// `.endif`, and the messages `.diag`/`.notice`/`.warning` (a warning) and
// `.alert` (an error), read in the blocks that are kept.
//
// A condition, as HAProxy 2.6 reads it: terms joined by `&&` and `||` (`&&`
// first), each possibly negated by `!` or made of a parenthesised condition.
// A term is a number (true unless 0) or a predicate:
//   defined(NAME)          the environment variable is set
//   feature(NAME)          a build feature of the proxy (see FEATURES)
//   streq(a,b) strneq(a,b) string (in)equality (arguments after env expansion)
//   version_atleast(v) version_before(v)
// Versions compare with HAProxy 2.6's: sluice reads HAProxy 2.6's
// configuration language, so a block meant for a later HAProxy is skipped, as
// HAProxy 2.6 would skip it.

import type { Env } from "./cfg-env.ts";

/** The HAProxy version whose configuration language sluice reads. */
export const HAPROXY_VERSION = "2.6";

/**
 * `feature(NAME)` answers as an HAProxy 2.6 build with these would: OPENSSL
 * (sluice terminates and originates TLS). LUA, PCRE, PROMEX... are absent:
 * a block that needs them is skipped.
 */
const FEATURES = new Set(["OPENSSL"]);

function compareVersions(a: string, b: string): number | undefined {
  const parse = (v: string) => (/^\d+(\.\d+)*/.test(v) ? v.match(/^\d+(\.\d+)*/)![0].split(".").map(Number) : undefined);
  const x = parse(a);
  const y = parse(b);
  if (x === undefined || y === undefined) return undefined;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

type Evaluated = { value: boolean } | { error: string };

/** Evaluates a condition's text (its words joined by spaces, variables already expanded). */
export function evaluateCondition(text: string, env: Env): Evaluated {
  let at = 0;
  const skip = () => {
    while (text[at] === " ") at++;
  };
  const fail = (why: string): never => {
    throw new ConditionError(why);
  };

  const term = (): boolean => {
    skip();
    if (text[at] === "!") {
      at++;
      return !term();
    }
    if (text[at] === "(") {
      at++;
      const v = or();
      skip();
      if (text[at] !== ")") fail(`missing ')' in '${text}'`);
      at++;
      return v;
    }
    const number = /^-?\d+/.exec(text.slice(at));
    if (number) {
      at += number[0].length;
      return Number(number[0]) !== 0;
    }
    const call = /^([a-z_]+)\(([^)]*)\)/.exec(text.slice(at));
    if (!call) fail(`unparsable condition '${text.slice(at) || text}' (expected a number or a predicate such as defined(NAME))`);
    at += call![0].length;
    const name = call![1]!;
    const args = call![2]!.split(",").map((a) => a.trim());
    const arity = (n: number) => {
      if (args.length !== n) fail(`${name}() takes ${n} argument${n === 1 ? "" : "s"}, got ${args.length}`);
    };
    switch (name) {
      case "defined":
        arity(1);
        return env[args[0]!] !== undefined;
      case "feature":
        arity(1);
        return FEATURES.has(args[0]!);
      case "streq":
        arity(2);
        return args[0] === args[1];
      case "strneq":
        arity(2);
        return args[0] !== args[1];
      case "version_atleast":
      case "version_before": {
        arity(1);
        const d = compareVersions(HAPROXY_VERSION, args[0]!);
        if (d === undefined) fail(`${name}(): invalid version '${args[0]}'`);
        return name === "version_atleast" ? d! >= 0 : d! < 0;
      }
      default:
        return fail(`unknown predicate '${name}' (supported: defined, feature, streq, strneq, version_atleast, version_before)`);
    }
  };
  const and = (): boolean => {
    let v = term();
    for (skip(); text.startsWith("&&", at); skip()) {
      at += 2;
      const right = term();
      v = v && right;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    for (skip(); text.startsWith("||", at); skip()) {
      at += 2;
      const right = and();
      v = v || right;
    }
    return v;
  };

  try {
    if (text.trim() === "") return { error: "missing condition" };
    const value = or();
    skip();
    if (at < text.length) return { error: `unexpected '${text.slice(at)}' in condition '${text}'` };
    return { value };
  } catch (e) {
    if (e instanceof ConditionError) return { error: e.message };
    throw e;
  }
}

class ConditionError extends Error {}

/** One open `.if` block. */
interface Block {
  /** The enclosing lines are read. */
  outer: boolean;
  /** One branch of this block was taken already. */
  taken: boolean;
  /** The lines of the current branch are read. */
  active: boolean;
  sawElse: boolean;
}

export type DirectiveResult =
  | { kind: "none" }
  | { kind: "error"; message: string }
  | { kind: "warning"; message: string };

/** Follows `.if` nesting; says whether a line is read. */
export class Conditions {
  private stack: Block[] = [];

  /** Lines outside any skipped branch are read. */
  get active(): boolean {
    return this.stack.length === 0 || this.stack[this.stack.length - 1]!.active;
  }

  /** Handles a line whose first word starts with '.'; `args` are its other words. */
  directive(keyword: string, args: string[], env: Env): DirectiveResult {
    const top = this.stack[this.stack.length - 1];
    switch (keyword) {
      case ".if": {
        const outer = this.active;
        if (!outer) {
          this.stack.push({ outer, taken: true, active: false, sawElse: false });
          return { kind: "none" };
        }
        const r = evaluateCondition(args.join(" "), env);
        this.stack.push({ outer, taken: "value" in r && r.value, active: "value" in r && r.value, sawElse: false });
        return "error" in r ? { kind: "error", message: `.if: ${r.error}` } : { kind: "none" };
      }
      case ".elif": {
        if (top === undefined) return { kind: "error", message: "'.elif' without '.if'" };
        if (top.sawElse) return { kind: "error", message: "'.elif' after '.else'" };
        if (!top.outer || top.taken) {
          top.active = false;
          return { kind: "none" };
        }
        const r = evaluateCondition(args.join(" "), env);
        top.active = "value" in r && r.value;
        top.taken = top.active;
        return "error" in r ? { kind: "error", message: `.elif: ${r.error}` } : { kind: "none" };
      }
      case ".else":
        if (top === undefined) return { kind: "error", message: "'.else' without '.if'" };
        if (top.sawElse) return { kind: "error", message: "a second '.else' in one '.if' block" };
        top.sawElse = true;
        top.active = top.outer && !top.taken;
        top.taken = true;
        return { kind: "none" };
      case ".endif":
        if (top === undefined) return { kind: "error", message: "'.endif' without '.if'" };
        this.stack.pop();
        return { kind: "none" };
    }
    if (!this.active) return { kind: "none" };
    const message = args.join(" ");
    if (keyword === ".alert") return { kind: "error", message: `.alert: ${message}` };
    if (keyword === ".warning" || keyword === ".notice" || keyword === ".diag") return { kind: "warning", message: `${keyword}: ${message}` };
    return { kind: "error", message: `unknown directive '${keyword}' (expected .if, .elif, .else, .endif, .alert, .warning, .notice or .diag)` };
  }
}
