// `tcp-request connection` and `tcp-request content` actions (HAProxy 2.6
// §4.2): accept and reject, and the actions they share with http-request
// that need no HTTP message (track-sc0/1/2, sc-inc-gpc0/1, set-var,
// unset-var), compiled once into the same Action closures.
import { compileHttpAction } from "./actions/index.ts";
import type { ActionContext } from "./actions/types.ts";
import { type Action, type Condition, Verdict } from "./types.ts";

export type TcpRuleSet = "connection" | "content";

/** Shared with http-request: these read and write no HTTP message. */
const SHARED = ["track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "set-var", "unset-var"];
const SUPPORTED = ["accept", "reject", ...SHARED].sort();

/** Compiles the words after `tcp-request connection|content` into an action, or says what is wrong. */
export function compileTcpAction(set: TcpRuleSet, words: readonly string[], ctx: ActionContext): Action | string {
  const keyword = words[0] ?? "";
  const name = keyword.includes("(") ? keyword.slice(0, keyword.indexOf("(")) : keyword;
  if (name === "accept" || name === "reject") {
    const rest = words.slice(1);
    let when: Condition | undefined;
    if (rest.length > 0) {
      if (rest[0] !== "if" && rest[0] !== "unless") return `tcp-request ${set} ${name}: unexpected '${rest[0]}' (expected 'if' or 'unless' and a condition)`;
      const c = ctx.condition(rest);
      if (typeof c === "string") return c;
      when = c;
    }
    const verdict = name === "accept" ? Verdict.stop : Verdict.reject;
    if (when === undefined) return () => verdict;
    const cond = when;
    return (t) => {
      try {
        return cond(t) ? verdict : Verdict.continue;
      } catch {
        return Verdict.continue;
      }
    };
  }
  if (SHARED.includes(name)) return compileHttpAction("http-request", words, ctx);
  if (name === "") return `tcp-request ${set} expects an action (supported: ${SUPPORTED.join(", ")})`;
  return `unknown tcp-request ${set} action '${name}' (supported: ${SUPPORTED.join(", ")})`;
}
