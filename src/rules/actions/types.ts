// What compiling an http-request / http-response / http-after-response
// action needs from the configuration around it, and the shape each action
// family's parser has. The caller (config/) provides the context: it binds
// ACLs and the stage into conditions, compiles log-format strings and sample
// expressions, and owns stick tables, capture slots and errorfiles.
import type { Action, ActionTxn, CompileEnv, Condition, SampleFn, Txn, VerdictCode } from "../types.ts";

/** The rule sets whose actions are compiled here. */
export type RuleSet = "http-request" | "http-response" | "http-after-response";

/** A compiled log-format string (`%[src]`, `%[req.hdr(host)]`, `%ci:%cp`...). */
export type FormatFn = (t: Txn) => string;

export interface ActionContext {
  /** Compiles `if ...` / `unless ...`: `words` start at that keyword. */
  condition(words: readonly string[]): Condition | string;
  /** Compiles a log-format string. */
  format(text: string): FormatFn | string;
  /** Compiles a sample expression (`req.hdr(x-forwarded-for),lower`). */
  expr(text: string): SampleFn | string;
  readonly env: CompileEnv;
  /** The proxy's `errorfile` for `status` (a complete raw HTTP/1.x response), if it declares one. */
  errorFile(status: number): Uint8Array | undefined;
  /** The proxy's page for `status` built per transaction (`http-error` with log-format parts), when errorFile has none. */
  errorFormat?(status: number): ((t: ActionTxn) => Uint8Array) | undefined;
  /** Stick-table tracking for `track-sc<slot>`: a hook that makes `t.tracked[slot]` track the entry of the key in `table`. */
  track(slot: number, key: SampleFn, table: string): ((t: ActionTxn) => void) | string;
  /** The name of the section the rule is in: `auth`'s default realm. */
  readonly proxy: string;
  /** The section has a backend's part (a backend or a listen): actions that set server-side things need one. */
  readonly backendCapable?: boolean;
  /** `http-request capture ... len N`: declares the next request capture slot (after `capture request header` ones); its index. */
  declareCapture(length: number): number;
  /** `capture ... id N`: the length of request or response capture slot N, or undefined when none is declared. */
  captureLength(direction: "request" | "response", id: number): number | undefined;
  /** An HAProxy time (`1s`, `500`: ms) in ms, or what is wrong with it (`wait-for-body time`). */
  duration?(text: string): number | string;
  /** An HAProxy size (`1k`, `2m`: powers of 1024) in bytes, or what is wrong with it (`wait-for-body at-least`). */
  size?(text: string): number | string;
  /** What HAProxy accepts with a warning and ignores (a content-type without a payload, `hdr` with an errorfile). */
  warn?(message: string): void;
}

/** What one action's parser makes of its arguments: the action and the index of the first word it did not take. */
export interface Parsed {
  run: Action;
  next: number;
}

/**
 * One action keyword. `words[0]` is the keyword as written (with its
 * parenthesised argument: `set-var(txn.x)`), `arg` that argument, if any.
 */
export interface ActionDef {
  readonly name: string;
  /** The rule sets it is available in (HAProxy 2.6's lists). */
  readonly sets: readonly RuleSet[];
  /** Whether the keyword takes a parenthesised argument (`set-var(txn.x)`, `sc-inc-gpc0(0)`). */
  readonly paren?: boolean;
  parse(words: readonly string[], arg: string | undefined, ctx: ActionContext, set: RuleSet): Parsed | string;
}

/** Shorthand for the verdict-returning closures the families build. */
export type Run = (t: ActionTxn) => VerdictCode;
