// The rules' part of an HTTP stream, kept out of http-stream.ts: the response
// stage (`http-response`, then `http-after-response`) and sluice's own
// replies as response heads. Each section's set runs in HAProxy's
// order, the backend's then the frontend's; `allow` (Verdict.stop) ends the
// rules of its own section only, as HAProxy's http_process_res_common and
// http_eval_after_res_rules go on with the frontend's after a STOP.
import { FieldsHead } from "../http/fields-head.ts";
import { parseRawResponse, rawResponseBytes } from "../http/raw-response.ts";
import { BodyKind, type Head } from "../http/message.ts";
import { captureHeaders, runActions } from "../rules/rule-set.ts";
import { type BodyWanted, type Reply, Verdict } from "../rules/types.ts";
import type { RuledRequest } from "./types.ts";

/**
 * Where the `http-response` rules paused at a `wait-for-body` whose body had
 * not come: they go on from the rule after it (set `set`, rule `at`) once the
 * stream holds what `wanted` asks for.
 */
export class ResponsePause {
  constructor(
    readonly set: number,
    readonly at: number,
    readonly wanted: BodyWanted,
  ) {}
}

/**
 * Runs the `http-response` sets over the server's head (from `resume` when
 * they paused before). Returns the head to send on, undefined when a rule
 * answered instead (deny, return, redirect: the transaction's reply replaces
 * the server's answer), or where they paused for the body.
 */
export function responseRules(ruled: RuledRequest, head: Head, now: number, resume?: ResponsePause): Head | undefined | ResponsePause {
  const txn = ruled.txn;
  txn.now = now;
  if (resume === undefined) {
    txn.response = head;
    if (ruled.responseHeaderCaptures.length > 0) captureHeaders(ruled.responseHeaderCaptures, head, txn.responseCaptures!);
    txn.countStatus?.(head.status);
  }
  const sets = ruled.response;
  for (let s = resume === undefined ? 0 : resume.set; s < sets.length; s++) {
    const set = sets[s]!;
    for (let i = resume !== undefined && s === resume.set ? resume.at : 0; i < set.length; i++) {
      const verdict = set[i]!(txn);
      if (verdict === Verdict.continue) continue;
      // `allow` ends its own section's rules only.
      if (verdict === Verdict.stop) break;
      if (verdict !== Verdict.wait) return undefined;
      const wanted = txn.bodyWanted!;
      txn.bodyWanted = undefined;
      // Nothing to wait for without a body (HEAD, 204, 304, a length of 0), as HAProxy's HTTP_MSGF_BODYLESS.
      if (head.bodyKind !== BodyKind.None && head.contentLength !== 0) return new ResponsePause(s, i + 1, wanted);
    }
  }
  return txn.response;
}

/** Runs the `http-after-response` sets over the head about to be sent (the server's or sluice's own); their verdicts replace nothing. */
export function afterResponse(ruled: RuledRequest, head: Head): Head {
  const txn = ruled.txn;
  txn.response = head;
  for (const set of ruled.after) {
    const verdict = runActions(set, txn);
    if (verdict !== Verdict.continue && verdict !== Verdict.stop) break;
  }
  return txn.response;
}

/**
 * A reply of the rules as a response head: its fields, then its length; none
 * for a status that has no content (1xx, 204, 304: RFC 9110 §8.6, as HAProxy).
 */
export function replyHead(reply: Reply): Head {
  const status = reply.status;
  if (status < 200 || status === 204 || status === 304) {
    return new FieldsHead([...reply.fields], { isRequest: false, status, reason: reply.reason, bodyKind: BodyKind.None });
  }
  const fields: [string, string][] = [...reply.fields, ["content-length", String(reply.body.length)]];
  return new FieldsHead(fields, { isRequest: false, status: reply.status, reason: reply.reason, bodyKind: BodyKind.Length, contentLength: reply.body.length });
}

/**
 * sluice's own page (raw HTTP/1.1 bytes: a 503, an errorfile) through the
 * `http-after-response` sets, as HAProxy runs them on its own answers too
 * (an HSTS or CORS header set there reaches outage pages); the page as it
 * is when there are none.
 */
export function pageAfterResponse(ruled: RuledRequest | undefined, page: Uint8Array): Uint8Array {
  if (ruled === undefined || ruled.after.length === 0) return page;
  const raw = parseRawResponse(page);
  if (typeof raw === "string") return page;
  const before = new FieldsHead(raw.fields, { isRequest: false, status: raw.status, reason: raw.reason, bodyKind: BodyKind.Length, contentLength: raw.body.length });
  const head = afterResponse(ruled, before);
  if (head === before) return page;
  const fields: [string, string][] = [];
  for (let i = 0; i < head.fieldCount; i++) fields.push([head.originalName(i), head.value(i)]);
  return rawResponseBytes({ status: head.status, reason: head.reason ?? raw.reason, fields, body: raw.body, close: raw.close === true });
}
