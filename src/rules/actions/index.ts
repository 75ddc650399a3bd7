// The entry point of http-request, http-response and http-after-response
// actions: the words after the rule-set keyword become one Action, with its
// `if`/`unless` condition folded in, or an error that names the action and
// what is wrong. Which action a set accepts is HAProxy 2.6's lists, less the
// actions sluice does not implement (an unknown one lists those it does).
//
// At run time a rule whose condition fails costs the condition and nothing
// else; an action that fails (a value that cannot be written, a throwing
// expression) leaves the transaction as it was and lets the rules go on.
import { type Action, type ActionTxn, Verdict, type VerdictCode } from "../types.ts";
import { isConditionWord } from "./common.ts";
import { CONTROL_ACTIONS } from "./control.ts";
import { CACHE_ACTIONS } from "./cache.ts";
import { MAP_ACTIONS } from "./map-actions.ts";
import { HEADER_ACTIONS } from "./headers.ts";
import { normalizeUri } from "./normalize-uri.ts";
import { redirect } from "./redirect.ts";
import { REPLY_ACTIONS } from "./replies.ts";
import type { ActionContext, ActionDef, RuleSet } from "./types.ts";
import { URI_ACTIONS } from "./uri.ts";
import { waitForBody } from "./wait-for-body.ts";

export type { ActionContext, FormatFn, RuleSet } from "./types.ts";

const DEFINITIONS: readonly ActionDef[] = [
  ...HEADER_ACTIONS,
  ...URI_ACTIONS,
  ...REPLY_ACTIONS,
  redirect,
  normalizeUri,
  ...CONTROL_ACTIONS,
  ...CACHE_ACTIONS,
  ...MAP_ACTIONS,
  waitForBody,
];

const BY_NAME: ReadonlyMap<string, ActionDef> = new Map(DEFINITIONS.map((d) => [d.name, d]));

/** The actions sluice supports in each rule set, sorted (the list an error shows). */
export const SUPPORTED_ACTIONS: Readonly<Record<RuleSet, readonly string[]>> = {
  "http-request": supportedIn("http-request"),
  "http-response": supportedIn("http-response"),
  "http-after-response": supportedIn("http-after-response"),
};

function supportedIn(set: RuleSet): readonly string[] {
  return DEFINITIONS.filter((d) => d.sets.includes(set)).map((d) => d.name).sort();
}

/** "set-var(txn.x)" → ["set-var", "txn.x"]; "deny" → ["deny", undefined]. */
function splitKeyword(word: string): [string, string | undefined] {
  const open = word.indexOf("(");
  if (open < 0 || !word.endsWith(")")) return [word, undefined];
  return [word.slice(0, open), word.slice(open + 1, -1)];
}

/** The rule as it runs: an error thrown by anything it calls (its condition too) ends it quietly. */
function guarded(run: Action): Action {
  return (t: ActionTxn): VerdictCode => {
    try {
      return run(t);
    } catch {
      return Verdict.continue;
    }
  };
}

/**
 * Compiles one rule of `set`: `words` are the words after the rule-set
 * keyword, e.g. ["set-header", "X-Client", "%[src]", "if", "is_api"].
 */
export function compileHttpAction(set: RuleSet, words: readonly string[], ctx: ActionContext): Action | string {
  const keyword = words[0];
  if (keyword === undefined || keyword === "") return `${set} expects an action (supported: ${SUPPORTED_ACTIONS[set].join(", ")})`;
  const [name, arg] = splitKeyword(keyword);
  const def = BY_NAME.get(name);
  if (def === undefined) return `unknown ${set} action '${name}' (supported: ${SUPPORTED_ACTIONS[set].join(", ")})`;
  if (!def.sets.includes(set)) {
    return `action '${name}' is not available in ${set} (supported: ${SUPPORTED_ACTIONS[set].join(", ")})`;
  }
  if (def.paren === true && arg === undefined) return `'${name}' expects its argument in parentheses: ${name}(...)`;
  if (def.paren !== true && arg !== undefined) return `'${name}' takes no argument in parentheses`;
  const parsed = def.parse(words, arg, ctx, set);
  if (typeof parsed === "string") return parsed;
  const rest = words.slice(parsed.next);
  if (rest.length === 0) return guarded(parsed.run);
  if (!isConditionWord(rest[0])) {
    return `'${name}': unexpected '${rest[0]}' after its arguments (expected 'if' or 'unless' and a condition)`;
  }
  const condition = ctx.condition(rest);
  if (typeof condition === "string") return `'${name}': ${condition}`;
  const run = parsed.run;
  return guarded((t) => (condition(t) ? run(t) : Verdict.continue));
}
