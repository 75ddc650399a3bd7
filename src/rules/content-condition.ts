// Conditions of `tcp-request content` rules as HAProxy evaluates them
// (acl_exec_cond): three-valued. A term whose fetch said its answer may
// still change with more bytes (SMP_F_MAY_CHANGE: req.len, a ClientHello cut
// short) and that did not match is MISS, not FAIL; `!` keeps MISS; the terms
// of a suite are ANDed and stop at the first that is not PASS; suites are
// ORed (PASS wins, then MISS). A condition that ends MISS makes the rules
// wait for more bytes (tcp_inspect_request's missing_data) instead of going
// on to the next rule. Once the bytes are final no fetch says "may change",
// and MISS cannot happen.
import type { Condition, Txn } from "./types.ts";

const FAIL = 0;
const MISS = 1;
const PASS = 3;
type TriState = typeof FAIL | typeof MISS | typeof PASS;
type TriTerm = (t: Txn) => TriState;

/** One term of a condition as written: the compiled term and its `!`. */
export interface Literal {
  readonly term: Condition;
  readonly negate: boolean;
}

function tri(literal: Literal): TriTerm {
  const term = literal.term;
  const positive: TriTerm = (t) => {
    t.sampleMayChange = false;
    if (term(t)) return PASS;
    return t.sampleMayChange ? MISS : FAIL;
  };
  if (!literal.negate) return positive;
  return (t) => {
    const r = positive(t);
    return r === MISS ? MISS : r === PASS ? FAIL : PASS;
  };
}

/**
 * `if|unless` over `suites` (ORed lists of ANDed literals), for a
 * tcp-request content rule: true when it holds; false when it does not, or
 * when it cannot tell yet, which it marks on the transaction
 * (`conditionMissed`) for the inspection to wait.
 */
export function contentCondition(suites: readonly (readonly Literal[])[], unless: boolean): Condition {
  const compiled = suites.map((suite) => suite.map(tri));
  return (t) => {
    let result: TriState = FAIL;
    for (const suite of compiled) {
      let r: TriState = PASS;
      for (let i = 0; i < suite.length && r === PASS; i++) r = suite[i]!(t);
      result = (result | r) as TriState;
      if (result === PASS) break;
    }
    if (result === MISS) {
      t.conditionMissed = true;
      return false;
    }
    return unless ? result !== PASS : result === PASS;
  };
}
