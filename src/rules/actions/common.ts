// Helpers every action family shares: which head a rule set edits, text
// that is a log-format string only when it has to be, argument checks with
// messages that name the argument.
import type { Head } from "../../http/message.ts";
import { type ActionTxn, type Reply, Verdict } from "../types.ts";
import type { ActionContext, FormatFn, RuleSet } from "./types.ts";

export const CONTINUE = Verdict.continue;

/** The head a rule set works on: the request in http-request, the response after that. */
export interface HeadSlot {
  read(t: ActionTxn): Head | undefined;
  write(t: ActionTxn, head: Head): void;
}

const REQUEST_SLOT: HeadSlot = {
  read: (t) => t.request,
  write: (t, head) => {
    t.request = head;
  },
};

const RESPONSE_SLOT: HeadSlot = {
  read: (t) => t.response,
  write: (t, head) => {
    t.response = head;
  },
};

export function headSlot(set: RuleSet): HeadSlot {
  return set === "http-request" ? REQUEST_SLOT : RESPONSE_SLOT;
}

/** Whether a log-format string is plain text (no `%`): then it is used as is, with nothing to evaluate per request. */
export function isConstantFormat(text: string): boolean {
  return !text.includes("%");
}

/** A log-format string compiled by the caller, or a closure returning the text itself when it has no `%`. */
export function compileFormat(text: string, ctx: ActionContext): FormatFn | string {
  if (isConstantFormat(text)) return () => text;
  return ctx.format(text);
}

/** Whether `word` starts the condition (an action's own arguments end there). */
export function isConditionWord(word: string | undefined): boolean {
  return word === "if" || word === "unless";
}

/** Whether `words[i]` is absent or starts the condition: the end of an action's optional arguments. */
export function atEnd(words: readonly string[], i: number): boolean {
  return i >= words.length || isConditionWord(words[i]);
}

/** A decimal integer written in full ("42"), or undefined. */
export function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}


const utf8 = new TextEncoder();

/** Text as bytes: a body from the configuration or a log-format string. */
export function encodeText(text: string): Uint8Array {
  return utf8.encode(text);
}

/**
 * Configuration text as samples are: one character per byte of its UTF-8
 * form. A log-format string's literal parts and its samples (which are
 * bytes: a header's UTF-8 stays two characters) then make one byte string.
 */
export function byteChars(text: string): string {
  // Plain ASCII (the usual case) is its own byte string.
  if (!/[^\x00-\x7f]/.test(text)) return text;
  let out = "";
  for (const b of utf8.encode(text)) out += String.fromCharCode(b);
  return out;
}

/** A byte string (one character per byte, as samples are) as the bytes it stands for. */
export function byteString(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A file's bytes through the compile environment (readBytes when it has it). Throws with the path on failure. */
export function readFileBytes(ctx: ActionContext, path: string): Uint8Array {
  return ctx.env.readBytes !== undefined ? ctx.env.readBytes(path) : encodeText(ctx.env.readFile(path));
}

/** The error message of a thrown value. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A reply shared by every transaction, frozen (its fields too) so that nothing downstream can change it. */
export function freezeReply(reply: Reply): Reply {
  for (const field of reply.fields) Object.freeze(field);
  Object.freeze(reply.fields);
  return Object.freeze(reply);
}
