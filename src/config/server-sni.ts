// `server ... ssl sni <expression>`: HAProxy evaluates the expression for
// each new connection to the server, in the stream that asks for it
// (`req.hdr(host)`, `ssl_fc_sni`...), and the name becomes part of the
// connection's reuse key (connection-ownership.md, invariant 12). Compiled
// here with the backend's rules, at the stage its streams connect from.
import { compileExpr } from "../rules/expr.ts";
import { canCast, castFn } from "../rules/sample.ts";
import type { CompileEnv, StageBit, Txn } from "../rules/types.ts";

/** The name a connection sends, from the transaction asking for it; "" (no sample, an empty one): none is sent. */
export function compileServerSni(text: string, stage: StageBit, env: CompileEnv): ((t: Txn) => string) | string {
  const e = compileExpr(text, stage, env);
  if (typeof e === "string") return e;
  if (!canCast(e.type, "str")) return `the expression gives ${e.type}, not a name`;
  const one = e.one;
  const cast = castFn(e.type, "str");
  return (t) => {
    const s = one(t);
    const name = s === undefined || cast === undefined ? s : cast(s);
    // Sent as it comes, case too (HAProxy's): `SRV.test` and `srv.test` are two names, two reuse keys.
    return typeof name === "string" ? name : "";
  };
}
