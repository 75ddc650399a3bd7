// redirect location|prefix|scheme X [code 301|302|303|307|308]
// [drop-query] [append-slash] [set-cookie NAME[=V]] [clear-cookie NAME[=]]
// [ignore-empty], with HAProxy's Location rules:
//  - location: X as evaluated;
//  - prefix: X then the request's path and query (a configured "/" alone
//    adds nothing, for self-redirects); drop-query cuts at the "?";
//  - scheme: X "://" the first Host value, then the path and query as for
//    prefix ("/" when the target has no path);
//  - append-slash adds a "/" when the Location does not end with one (after
//    the query when it is kept: HAProxy's order; use it with drop-query);
//  - code 302 by default; 302, 303 and 307 say Cache-Control: no-cache.
// http-response allows only `location`.
import { isFieldValue } from "../../http/edit-head.ts";
import type { Head } from "../../http/message.ts";
import { pathAndQuery } from "../../http/request-target.ts";
import { type ActionTxn, type Reply, Verdict } from "../types.ts";
import { CONTINUE, freezeReply, isConditionWord, isConstantFormat } from "./common.ts";
import type { ActionDef, FormatFn, Parsed } from "./types.ts";

export type RedirectType = "location" | "prefix" | "scheme";

export interface RedirectRule {
  type: RedirectType;
  code: 301 | 302 | 303 | 307 | 308;
  dropQuery: boolean;
  appendSlash: boolean;
  /** The Set-Cookie value written with the redirect ("NAME=V; path=/;", or with "Max-Age=0;" to clear). */
  cookie: string | undefined;
  /** location type: an empty evaluated Location skips the rule. */
  ignoreEmpty: boolean;
}

const CODES = [301, 302, 303, 307, 308];
const EMPTY_BODY = new Uint8Array(0);

/** The first value of the Host field (up to a comma, blanks trimmed), or "". */
function firstHost(request: Head): string {
  const host = request.get("host");
  if (host === undefined) return "";
  const comma = host.indexOf(",");
  return (comma < 0 ? host : host.slice(0, comma)).trim();
}

/** The request's path and query as a redirect uses them: "/" when it has none, cut at "?" for drop-query. */
function redirectPath(request: Head | undefined, dropQuery: boolean): string {
  let path = request === undefined ? "" : pathAndQuery(request.target);
  if (path.length === 0) return "/";
  if (dropQuery) {
    const q = path.indexOf("?");
    if (q >= 0) path = path.slice(0, q);
  }
  return path;
}

/**
 * The Location of a redirect, given the evaluated argument `value` (the
 * location, prefix or scheme; a configured prefix "/" evaluates to "");
 * undefined when the rule is skipped (an empty location with ignore-empty).
 */
export function redirectLocation(rule: RedirectRule, value: string, request: Head | undefined): string | undefined {
  let location: string;
  if (rule.type === "location") {
    if (value.length === 0 && rule.ignoreEmpty) return undefined;
    location = value;
  } else if (rule.type === "prefix") {
    location = value + redirectPath(request, rule.dropQuery);
  } else {
    location = `${value}://${request === undefined ? "" : firstHost(request)}${redirectPath(request, rule.dropQuery)}`;
  }
  // append-slash applies to prefix and scheme redirects, as in HAProxy (a location is written whole).
  if (rule.appendSlash && rule.type !== "location" && location.length > 0 && !location.endsWith("/")) location += "/";
  return location;
}

/** The redirect response for a Location. */
export function redirectReply(rule: RedirectRule, location: string): Reply {
  const fields: [string, string][] = [["location", location]];
  if (rule.code === 302 || rule.code === 303 || rule.code === 307) fields.push(["cache-control", "no-cache"]);
  if (rule.cookie !== undefined) fields.push(["set-cookie", rule.cookie]);
  return { status: rule.code, fields, body: EMPTY_BODY, local: true };
}

const OPTIONS = "'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash'";

/** The rule and its argument from `words` (after the keyword), or what is wrong. */
export function parseRedirect(words: readonly string[], responseSide: boolean): { rule: RedirectRule; value: string; next: number } | string {
  let type: RedirectType | undefined;
  let value = "";
  const rule: RedirectRule = { type: "location", code: 302, dropQuery: false, appendSlash: false, cookie: undefined, ignoreEmpty: false };
  let i = 1;
  while (i < words.length && !isConditionWord(words[i])) {
    const word = words[i]!;
    const arg = words[i + 1];
    const takesArg = word === "location" || word === "prefix" || word === "scheme" || word === "code" || word === "set-cookie" ||
      word === "clear-cookie";
    if (takesArg && (arg === undefined || arg === "")) return `'redirect': missing argument for '${word}'`;
    if (word === "location" || word === "prefix" || word === "scheme") {
      type = word;
      value = arg!;
      i += 2;
    } else if (word === "code") {
      const code = Number(arg);
      if (!/^\d+$/.test(arg!) || !CODES.includes(code)) {
        return `'redirect' 'code': unsupported HTTP code '${arg}' (must be one of 301, 302, 303, 307 or 308)`;
      }
      rule.code = code as RedirectRule["code"];
      i += 2;
    } else if (word === "set-cookie" || word === "clear-cookie") {
      const cookie = word === "set-cookie" ? `${arg}; path=/;` : `${arg}; path=/; Max-Age=0;`;
      if (!isFieldValue(cookie)) return `'redirect' '${word}': '${arg}' cannot be written in a Set-Cookie field`;
      rule.cookie = cookie;
      i += 2;
    } else if (word === "drop-query") {
      rule.dropQuery = true;
      i += 1;
    } else if (word === "append-slash") {
      rule.appendSlash = true;
      i += 1;
    } else if (word === "ignore-empty") {
      rule.ignoreEmpty = true;
      i += 1;
    } else {
      return `'redirect' expects ${OPTIONS} (was '${word}')`;
    }
  }
  if (type === undefined) return "'redirect': redirection type expected ('prefix', 'location', or 'scheme')";
  if (responseSide && type !== "location") return "'redirect': http-response only supports redirect type 'location'";
  rule.type = type;
  return { rule, value, next: i };
}

export const redirect: ActionDef = {
  name: "redirect",
  sets: ["http-request", "http-response"],
  parse(words, _arg, ctx, set): Parsed | string {
    const parsed = parseRedirect(words, set !== "http-request");
    if (typeof parsed === "string") return parsed;
    const { rule, value, next } = parsed;
    if (rule.type === "location" && isConstantFormat(value)) {
      // A constant Location: one frozen reply for every transaction.
      if (value.length === 0 && rule.ignoreEmpty) return { next, run: () => CONTINUE };
      if (!isFieldValue(value)) return `'redirect' 'location': '${value}' cannot be written in a Location field`;
      const reply = freezeReply(redirectReply(rule, redirectLocation(rule, value, undefined)!));
      return {
        next,
        run: (t) => {
          t.reply = reply;
          return Verdict.reply;
        },
      };
    }
    let format: FormatFn;
    // A prefix of exactly "/" adds nothing: the same URL again (to set a cookie, say).
    if (rule.type === "prefix" && value === "/") format = () => "";
    else if (isConstantFormat(value)) format = () => value;
    else {
      const compiled = ctx.format(value);
      if (typeof compiled === "string") return `'redirect' '${rule.type}': ${compiled}`;
      format = compiled;
    }
    return {
      next,
      run: (t: ActionTxn) => {
        const location = redirectLocation(rule, format(t), t.request);
        // Skipped (ignore-empty), or a Location that could not be written: the rules go on.
        if (location === undefined || !isFieldValue(location)) return CONTINUE;
        t.reply = redirectReply(rule, location);
        return Verdict.reply;
      },
    };
  },
};
