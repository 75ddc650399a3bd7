// `stick on|match|store-request <pattern> [table <table>] [if|unless <cond>]`
// (issue 15): persistence by a stick table, compiled once the configuration
// is read, like the other rule lines (config/rules.ts). HAProxy 2.6's rules:
// the table is the proxy's own unless `table` names another proxy's; the
// pattern must be available when the request arrives; `store-response` (the
// response's pattern) is not taken. A table used by these lines stores
// server_id whether or not its `store` says so (HAProxy adds it too).
import { compileExpr } from "../rules/expr.ts";
import type { StickRule } from "../rules/rule-set.ts";
import { type CompileEnv, type Condition, Stage } from "../rules/types.ts";
import type { RuleLine } from "./types.ts";

export const STICK_USAGE = "stick on|match|store-request <pattern> [table <table>] [if|unless <condition>]";

/** One `stick` line's words → the rule, or what is wrong. */
export function compileStickLine(
  words: readonly string[],
  env: CompileEnv,
  condition: (words: readonly string[]) => Condition | string,
): StickRule | string {
  const [how, pattern, ...rest] = words;
  if (how === "store-response") return "'stick store-response' is not supported yet (use 'stick on' or 'stick store-request')";
  if (how !== "on" && how !== "match" && how !== "store-request") {
    return `unknown 'stick' rule '${how ?? ""}' (usage: ${STICK_USAGE})`;
  }
  if (pattern === undefined || pattern === "" || pattern === "if" || pattern === "unless" || pattern === "table") {
    return `'stick ${how}' expects <pattern> (usage: ${STICK_USAGE})`;
  }
  let table = env.ownTable;
  let i = 0;
  if (rest[0] === "table") {
    table = rest[1];
    if (table === undefined || table === "if" || table === "unless") return `'stick ${how}' 'table' expects <table>`;
    if (!env.hasTable(table)) return `'stick ${how}': proxy '${table}' declares no stick-table`;
    i = 2;
  }
  if (table === undefined) return `'stick ${how}' needs a stick-table: declare one in this proxy or name another with 'table <proxy>'`;
  const key = compileExpr(pattern, Stage.httpRequest, env);
  if (typeof key === "string") return `'stick ${how}' <pattern>: ${key}`;
  let when: Condition | undefined;
  if (i < rest.length) {
    const w = rest[i];
    if (w !== "if" && w !== "unless") return `unexpected '${w}' (expected 'table', 'if' or 'unless')`;
    const c = condition(rest.slice(i));
    if (typeof c === "string") return c;
    when = c;
  }
  return { match: how !== "store-request", store: how !== "match", key: key.one, table, when };
}

/** Compiles a proxy's `stick` lines; problems go to `fail`. The tables they write are added to `writes`. */
export function compileStickLines(
  lines: readonly RuleLine[],
  env: CompileEnv,
  condition: (words: readonly string[]) => Condition | string,
  fail: (line: RuleLine, detail: string) => void,
  writes: Set<string>,
): StickRule[] {
  const out: StickRule[] = [];
  for (const line of lines) {
    const rule = compileStickLine(line.words, env, condition);
    if (typeof rule === "string") fail(line, rule);
    else {
      out.push(rule);
      writes.add(rule.table);
    }
  }
  return out;
}
