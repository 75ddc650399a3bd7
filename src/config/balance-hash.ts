// `balance hash <expr>` (HAProxy 2.6): the expression is evaluated for each
// stream the backend balances, over its transaction (`req.cook(sid)`,
// `req.hdr(host),lower`, `src`...), and its value, as text, is the key the
// hash algorithms hash; no sample: no key (round-robin, as HAProxy). Compiled
// here with the backend's rules, at the stage its streams pick a server from.
import { compileExpr } from "../rules/expr.ts";
import { canCast, castFn } from "../rules/sample.ts";
import type { CompileEnv, StageBit, Txn } from "../rules/types.ts";

/** The key of a transaction, or what is wrong with the expression. */
export function compileBalanceHash(text: string, stage: StageBit, env: CompileEnv): ((t: Txn) => string | undefined) | string {
  const e = compileExpr(text, stage, env);
  if (typeof e === "string") return e;
  if (!canCast(e.type, "str")) return `the expression gives ${e.type}, which has no text to hash`;
  const one = e.one;
  const cast = castFn(e.type, "str");
  return (t) => {
    const s = one(t);
    const key = s === undefined || cast === undefined ? s : cast(s);
    return typeof key === "string" ? key : undefined;
  };
}
