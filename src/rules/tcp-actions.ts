// `tcp-request connection`, `session` and `content` actions (HAProxy 2.6
// §4.2): accept and reject, `expect-proxy layer4` (connection only: a PROXY
// header comes first, as `accept-proxy` on the bind), and the actions they share with http-request
// that need no HTTP message (track-sc0/1/2, sc-inc-gpc0/1, set-var,
// unset-var), compiled once into the same Action closures.
import { compileHttpAction } from "./actions/index.ts";
import type { ActionContext } from "./actions/types.ts";
import { type Action, type Condition, Verdict } from "./types.ts";

export type TcpRuleSet = "connection" | "session" | "content";

/** Shared with http-request: these read and write no HTTP message. */
const SHARED = ["track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "set-var", "unset-var"];
const SUPPORTED = ["accept", "reject", "expect-proxy", ...SHARED].sort();

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
  if (name === "expect-proxy") return expectProxy(set, words.slice(1), ctx);
  if (SHARED.includes(name)) return compileHttpAction("http-request", words, ctx);
  if (name === "") return `tcp-request ${set} expects an action (supported: ${SUPPORTED.join(", ")})`;
  return `unknown tcp-request ${set} action '${name}' (supported: ${SUPPORTED.join(", ")})`;
}

/** `expect-proxy layer4 [if|unless COND]`: marks the connection; the frontend reads the header after the rules. */
function expectProxy(set: TcpRuleSet, rest: readonly string[], ctx: ActionContext): Action | string {
  if (set !== "connection") return "expect-proxy is a 'tcp-request connection' action (the header is a connection's first bytes)";
  if (rest[0] !== "layer4") return `expect-proxy expects 'layer4' (usage: tcp-request connection expect-proxy layer4 [if|unless <condition>])`;
  const after = rest.slice(1);
  if (after.length === 0) {
    return (t) => {
      t.expectProxy = true;
      return Verdict.continue;
    };
  }
  if (after[0] !== "if" && after[0] !== "unless") return `tcp-request connection expect-proxy layer4: unexpected '${after[0]}' (expected 'if' or 'unless' and a condition)`;
  const cond = ctx.condition(after);
  if (typeof cond === "string") return cond;
  return (t) => {
    try {
      if (cond(t)) t.expectProxy = true;
    } catch {
      // A condition that cannot be evaluated does not match (as for accept/reject).
    }
    return Verdict.continue;
  };
}
