// Actions that answer instead of the server: deny, tarpit, return (HAProxy's
// "http reply" arguments) and auth. A reply whose parts are all constant is
// built once at load and shared (frozen: nothing may edit it); log-format
// parts (lf-string, hdr values) are evaluated per transaction.
import { defaultErrorPage } from "../../http/error-pages.ts";
import { isFieldValue, isToken } from "../../http/edit-head.ts";
import { parseRawResponse, type RawResponse } from "../../http/raw-response.ts";
import { reasonOrClass } from "../../http/reasons.ts";
import { type ActionTxn, type Reply, Verdict, type VerdictCode } from "../types.ts";
import { byteChars, byteString, compileFormat, encodeText, errorText, freezeReply, isConditionWord, isConstantFormat, parseInteger, readFileBytes } from "./common.ts";
import type { ActionContext, ActionDef, FormatFn, Parsed, RuleSet } from "./types.ts";

/**
 * The statuses HAProxy has error messages for (`default-errorfiles` and a
 * bare `deny_status` accept only these). The same list as config/'s
 * errorfile codes.
 */
const HANDLED_STATUSES: readonly number[] = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

const EMPTY_BODY = new Uint8Array(0);

/** A constant reply, frozen so that no later code can change what every transaction shares. */
function frozenReply(status: number, fields: [string, string][], body: Uint8Array, close: boolean, local: boolean, reason?: string): Reply {
  return freezeReply(replyOf(status, fields, body, close, local, reason));
}

/** A reply with only the flags (and the reason phrase) that are set. */
function replyOf(status: number, fields: [string, string][], body: Uint8Array, close: boolean, local: boolean, reason?: string): Reply {
  const reply: Reply = { status, fields, body };
  if (reason !== undefined) reply.reason = reason;
  if (close) reply.close = true;
  if (local) reply.local = true;
  return reply;
}

/** The proxy's errorfile for `status`, else sluice's own page, as a reply (status, fields and body of the page). */
export function errorReply(ctx: ActionContext, status: number): RawResponse | string {
  // HAProxy's own pages say `connection: close` for 400 and 408 only (and close after them).
  const page = parseRawResponse(ctx.errorFile(status) ?? defaultErrorPage(status, status !== 400 && status !== 408));
  if (typeof page === "string") return `the errorfile for ${status} is ${page}`;
  return page;
}

type Payload =
  | { kind: "empty" }
  | { kind: "errorfiles" }
  /** `errorfiles NAME`: the status's page in the http-errors section NAME. */
  | { kind: "section"; name: string }
  | { kind: "errorfile"; file: string }
  /** A complete raw response already read (an http-errors section's page). */
  | { kind: "page"; page: Uint8Array }
  | { kind: "raw"; body: Uint8Array }
  | { kind: "format"; body: FormatFn };

/** Headers that a reply computes itself and `hdr` may not set (HAProxy ignores them with a warning). */
const COMPUTED = ["content-length", "transfer-encoding", "content-type"];

const PAYLOAD_WORDS = ["errorfile", "file", "lf-file", "string", "lf-string"];

/** The payload one of PAYLOAD_WORDS names: files are read (and lf-file compiled) at load. */
function payloadOf(action: string, word: string, value: string, ctx: ActionContext): Payload | string {
  if (word === "errorfile") return { kind: "errorfile", file: value };
  if (word === "string") return { kind: "raw", body: encodeText(value) };
  let text = value;
  if (word === "file" || word === "lf-file") {
    let bytes: Uint8Array;
    try {
      bytes = readFileBytes(ctx, value);
    } catch (e) {
      return `'${action}' '${word}': cannot read '${value}': ${errorText(e)}`;
    }
    // HAProxy 2.6.12 refuses a payload file larger than a buffer.
    const limit = ctx.env.bufsize;
    if (limit !== undefined && bytes.length > limit) return `'${action}' '${word}': file '${value}' exceeds the buffer size (${bytes.length} > ${limit})`;
    if (word === "file") return { kind: "raw", body: bytes };
    text = ctx.env.readFile(value);
  }
  if (isConstantFormat(text)) return { kind: "raw", body: encodeText(text) };
  // Evaluated as bytes (samples are): the body is that byte string, not its UTF-8 re-encoding.
  const format = ctx.format(byteChars(text));
  if (typeof format === "string") return `'${action}' '${word}': ${format}`;
  return { kind: "format", body: format };
}

/** What the arguments of deny/tarpit/return make: a reply per transaction, and the first word not taken. */
interface ParsedReply {
  make: (t: ActionTxn) => Reply;
  next: number;
}

/**
 * HAProxy's http reply arguments from `words[i]` on: [status N]
 * [content-type T] [default-errorfiles | errorfile F | errorfiles NAME | file F | lf-file F |
 * string S | lf-string S] [hdr N V]... `deny_status` is `status` for deny
 * and tarpit, whose bare form (no argument, or only deny_status) means the
 * proxy's error page.
 */
function parseReply(action: string, words: readonly string[], ctx: ActionContext, defaultStatus: number, close: boolean): ParsedReply | string {
  const isDeny = action !== "return";
  let i = 1;
  let status = defaultStatus;
  let payload: Payload = { kind: "empty" };
  let payloadWord: string | undefined;
  let contentType: string | undefined;
  const hdrs: [string, FormatFn, string][] = [];
  const bare = isDeny && (words.length <= 1 || isConditionWord(words[1]) ||
    (words[1] === "deny_status" && (words.length <= 3 || isConditionWord(words[3]))));
  if (bare) payload = { kind: "errorfiles" };
  while (i < words.length) {
    const word = words[i]!;
    const value = words[i + 1];
    const missing = value === undefined || value === "";
    if (word === "status" || (isDeny && word === "deny_status")) {
      if (missing) return `'${action}' '${word}' expects <status_code>`;
      const n = parseInteger(value);
      if (n === undefined || n < 200 || n > 599) return `'${action}' '${word}': unexpected status code '${value}' (expected 200 to 599)`;
      status = n;
      i += 2;
    } else if (word === "content-type") {
      if (missing) return `'${action}' 'content-type' expects <type>`;
      if (!isFieldValue(value)) return `'${action}' 'content-type': '${value}' is not a valid header value`;
      contentType = value;
      i += 2;
    } else if (word === "default-errorfiles") {
      if (payloadWord !== undefined) return `'${action}': unexpected '${word}' argument, '${payloadWord}' already defined`;
      payloadWord = word;
      payload = { kind: "errorfiles" };
      i += 1;
    } else if (word === "errorfiles") {
      if (payloadWord !== undefined) return `'${action}': unexpected '${word}' argument, '${payloadWord}' already defined`;
      if (missing) return `'${action}' 'errorfiles' expects <name>`;
      payloadWord = word;
      payload = { kind: "section", name: value };
      i += 2;
    } else if (PAYLOAD_WORDS.includes(word)) {
      if (payloadWord !== undefined) return `'${action}': unexpected '${word}' argument, '${payloadWord}' already defined`;
      if (missing) return `'${action}' '${word}' expects <${word.endsWith("string") ? "text" : "file"}>`;
      const next = payloadOf(action, word, value, ctx);
      if (typeof next === "string") return next;
      payloadWord = word;
      payload = next;
      i += 2;
    } else if (word === "hdr") {
      const hdrValue = words[i + 2];
      if (missing || hdrValue === undefined || hdrValue === "") return `'${action}' 'hdr' expects <name> and <fmt>`;
      if (!isToken(value)) return `'${action}' 'hdr': '${value}' is not a valid header name`;
      if (COMPUTED.includes(value.toLowerCase())) {
        ctx.warn?.(`'${action}': header '${value}' is always ignored by the reply`);
      } else {
        const format = compileFormat(hdrValue, ctx);
        if (typeof format === "string") return `'${action}' 'hdr' ${value}: ${format}`;
        hdrs.push([value, format, hdrValue]);
      }
      i += 3;
    } else break;
  }
  return buildReply(action, ctx, { status, payload, contentType, hdrs, close, local: !isDeny }, i);
}

interface ReplySpec {
  status: number;
  payload: Payload;
  contentType: string | undefined;
  hdrs: [string, FormatFn, string][];
  close: boolean;
  /** `return` answers for the proxy (HAProxy's L); deny and tarpit refuse (P). */
  local: boolean;
}

function buildReply(action: string, ctx: ActionContext, spec: ReplySpec, next: number): ParsedReply | string {
  const { status, hdrs, close, local } = spec;
  let payload = spec.payload;
  let contentType = spec.contentType;
  if (payload.kind === "section") {
    const page = sectionPage(action, ctx, payload.name, status);
    if (typeof page === "string") return page;
    if (page === undefined) {
      // HAProxy 2.6.12 warns and answers with an empty reply of that status (its content-type and hdr dropped too).
      ctx.warn?.(`'${action}': status '${status}' is not declared in http-errors section '${payload.name}'`);
      const reply = frozenReply(status, [], EMPTY_BODY, close, local, reasonOrClass(status));
      return { next, make: () => reply };
    }
    payload = { kind: "page", page };
  }
  if (payload.kind === "errorfiles" || payload.kind === "errorfile" || payload.kind === "page") {
    let page;
    if (payload.kind === "page") {
      page = parseRawResponse(payload.page);
    } else if (payload.kind === "errorfiles") {
      if (!HANDLED_STATUSES.includes(status)) {
        return `'${action}': status code '${status}' has no default error page (expected one of ${HANDLED_STATUSES.join(", ")})`;
      }
      const perTransaction = ctx.errorFile(status) === undefined ? ctx.errorFormat?.(status) : undefined;
      if (perTransaction !== undefined) return builtPageReply(perTransaction, status, close, local, next);
      page = errorReply(ctx, status);
    } else if (ctx.env.errorFilePage !== undefined) {
      // Checked as the configuration's errorfiles are (HAProxy reads both with the same parser).
      const bytes = ctx.env.errorFilePage(payload.file, status);
      page = typeof bytes === "string" ? bytes : parseRawResponse(bytes);
    } else {
      let bytes: Uint8Array;
      try {
        bytes = readFileBytes(ctx, payload.file);
      } catch (e) {
        return `'${action}' 'errorfile': cannot read '${payload.file}': ${errorText(e)}`;
      }
      page = parseRawResponse(bytes);
      if (typeof page === "string") page = `'${payload.file}' is ${page}`;
    }
    if (typeof page === "string") return `'${action}' 'errorfile': ${page}`;
    if (contentType !== undefined) ctx.warn?.(`'${action}': content-type '${contentType}' is ignored with an errorfile`);
    if (hdrs.length > 0) ctx.warn?.(`'${action}': 'hdr' arguments are ignored with an errorfile`);
    // The page's own status line, as HAProxy sends an errorfile as it is; one that says
    // `connection: close` (HAProxy's 400 and 408 pages) closes the connection after it.
    const sent = replyOf(page.silent === true ? status : page.status, page.fields, page.body, close || page.close === true, local, page.silent === true ? undefined : page.reason);
    if (page.silent === true) sent.silent = true;
    // The proxy's page for the status (errorfile N, errorloc N) says another status: the log says the rule's.
    if (payload.kind === "errorfiles" && page.status !== status) sent.logStatus = status;
    const reply = freezeReply(sent);
    return { next, make: () => reply };
  }
  const hasBody = payload.kind === "format" || (payload.kind === "raw" && payload.body.length > 0);
  if ((status === 204 || status === 304) && hasBody) return `'${action}': no body is allowed in a ${status} response`;
  if (payload.kind === "empty" || (payload.kind === "raw" && payload.body.length === 0)) {
    if (contentType !== undefined) ctx.warn?.(`'${action}': content-type '${contentType}' is ignored without a payload`);
    contentType = undefined;
  } else if (contentType === undefined) {
    return `'${action}': a content-type is required with a payload (add 'content-type <type>')`;
  }
  const fixed: [string, string][] = contentType === undefined ? [] : [["content-type", contentType]];
  const constantHdrs = hdrs.every(([, , text]) => isConstantFormat(text));
  if (payload.kind !== "format" && constantHdrs) {
    const fields = [...fixed, ...hdrs.map(([name, , text]): [string, string] => [name, text])];
    const reply = frozenReply(status, fields, payload.kind === "raw" ? payload.body : EMPTY_BODY, close, local, reasonOrClass(status));
    return { next, make: () => reply };
  }
  // The status line HAProxy writes for it (its reason names: 502 "Bad Gateway or Proxy Error").
  const reason = reasonOrClass(status);
  const bodyFormat = payload.kind === "format" ? payload.body : undefined;
  const constantBody = payload.kind === "raw" ? payload.body : EMPTY_BODY;
  return {
    next,
    make: (t) => {
      const fields = fixed.slice();
      for (const [name, format] of hdrs) {
        const value = format(t);
        // A value that cannot be written is left out rather than break the reply.
        if (isFieldValue(value)) fields.push([name, value]);
      }
      const body = bodyFormat === undefined ? constantBody : byteString(bodyFormat(t));
      return replyOf(status, fields, body, close, local, reason);
    },
  };
}

/**
 * The proxy's page for `status` built per transaction (`http-error` with
 * log-format parts) as the reply of a bare deny or `default-errorfiles`:
 * its own status line, as a fixed page's.
 */
function builtPageReply(build: (t: ActionTxn) => Uint8Array, status: number, close: boolean, local: boolean, next: number): ParsedReply {
  return {
    next,
    make: (t) => {
      const page = parseRawResponse(build(t));
      // The builder writes a well-formed page; should a sample make it otherwise, an empty reply of the status goes out.
      if (typeof page === "string") return replyOf(status, [], EMPTY_BODY, close, local, reasonOrClass(status));
      return replyOf(page.status, page.fields, page.body, close, local, page.reason);
    },
  };
}

/**
 * The page of `status` in the http-errors section `name`: undefined when the
 * section has none for it; a message when the section does not exist or the
 * status has no error message in HAProxy (both refused by HAProxy 2.6).
 */
function sectionPage(action: string, ctx: ActionContext, name: string, status: number): Uint8Array | undefined | string {
  if (!HANDLED_STATUSES.includes(status)) {
    return `'${action}': status code '${status}' not handled by default with 'errorfiles' argument (expected one of ${HANDLED_STATUSES.join(", ")})`;
  }
  const pages = ctx.env.httpErrors?.(name);
  if (pages === undefined) return `'${action}': unknown http-errors section '${name}' referenced by 'errorfiles'`;
  return pages[status];
}

function replyAction(action: "deny" | "return" | "tarpit", sets: readonly RuleSet[]): ActionDef {
  const verdict: VerdictCode = action === "tarpit" ? Verdict.tarpit : Verdict.reply;
  return {
    name: action,
    sets,
    parse(words, _arg, ctx, set): Parsed | string {
      const defaultStatus = action === "return" ? 200 : action === "tarpit" ? 500 : set === "http-request" ? 403 : 502;
      // A tarpitted client that waited out the delay keeps its connection, as in HAProxy 2.6 (its 500 says no
      // `connection: close`; measured on 2.6.12): the next request is held again if the rule matches again.
      const parsed = parseReply(action, words, ctx, defaultStatus, false);
      if (typeof parsed === "string") return parsed;
      const make = parsed.make;
      // HAProxy 2.6 counts an HTTP error for the tracked counters when an
      // http-request deny or tarpit answers (whatever its status), not for
      // return, nor for an http-response deny (measured on 2.6.12).
      if (set === "http-request" && action !== "return") {
        return {
          next: parsed.next,
          run: (t) => {
            t.reply = make(t);
            t.countHttpError?.();
            return verdict;
          },
        };
      }
      return {
        next: parsed.next,
        run: (t) => {
          t.reply = make(t);
          return verdict;
        },
      };
    },
  };
}

/** auth [realm R]: 401 with the proxy's page for it and a Basic challenge for the realm (default: the proxy's name). */
const auth: ActionDef = {
  name: "auth",
  sets: ["http-request"],
  parse(words, _arg, ctx): Parsed | string {
    let realm = ctx.proxy;
    let next = 1;
    if (words[1] === "realm") {
      const value = words[2];
      if (value === undefined || value === "") return "'auth' 'realm' expects <realm>";
      if (!isFieldValue(value) || value.includes('"')) return `'auth' 'realm': '${value}' cannot be written in a challenge`;
      realm = value;
      next = 3;
    }
    const challenge: [string, string] = ["www-authenticate", `Basic realm="${realm}"`];
    const withChallenge = (fields: readonly [string, string][]) => [...fields.filter(([name]) => name.toLowerCase() !== "www-authenticate"), challenge];
    // The proxy's 401 built per transaction (http-error with log-format parts), its challenge replaced, as HAProxy 2.6.12 sends it.
    const perTransaction = ctx.errorFile(401) === undefined ? ctx.errorFormat?.(401) : undefined;
    if (perTransaction !== undefined) {
      return {
        next,
        run: (t) => {
          const built = parseRawResponse(perTransaction(t));
          t.reply = typeof built === "string" ? replyOf(401, [challenge], EMPTY_BODY, false, true) : replyOf(401, withChallenge(built.fields), built.body, false, true);
          return Verdict.reply;
        },
      };
    }
    const page = errorReply(ctx, 401);
    if (typeof page === "string") return `'auth': ${page}`;
    const reply = frozenReply(401, withChallenge(page.fields), page.body, false, true);
    return {
      next,
      run: (t) => {
        t.reply = reply;
        return Verdict.reply;
      },
    };
  },
};

export const REPLY_ACTIONS: readonly ActionDef[] = [
  replyAction("deny", ["http-request", "http-response"]),
  replyAction("return", ["http-request", "http-response"]),
  replyAction("tarpit", ["http-request"]),
  auth,
];
