// http-request normalize-uri NORMALIZER: HAProxy's URI normalizers
// (RFC 3986 §6.2.2), each a pure function of the path (path-*) or of the
// path with its query (percent-*, fragment-*, query-sort-by-name). A
// target without a path ("*", CONNECT's) is left alone. With `strict`, an
// invalid percent sequence answers 400 with the proxy's page for it.
//
// Differential tests beware: HAProxy 2.6.12 (Debian) runs path-strip-dotdot,
// percent-decode-unreserved and percent-to-uppercase as path-merge-slashes
// when no option follows them and a condition does (its parser leaves the
// action unset); sluice applies them as documented.
import { setTarget } from "../../http/edit-head.ts";
import { pathEnd, pathStart, withPath, withPathAndQuery } from "../../http/request-target.ts";
import { Verdict } from "../types.ts";
import { atEnd, CONTINUE, freezeReply } from "./common.ts";
import { errorReply } from "./replies.ts";
import type { ActionDef, Parsed } from "./types.ts";

/** Merges runs of "/" into one. */
export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, "/");
}

/** Removes "." segments: "/./bar/" → "/bar/", "/." → "/". */
export function stripDot(path: string): string {
  const segments = path.split("/");
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === "." && i > 0) {
      // A "." that ends the path leaves the path ending with "/".
      if (i === segments.length - 1) out.push("");
      continue;
    }
    out.push(segments[i]!);
  }
  return out.join("/");
}

/**
 * Merges ".." segments with the segment before them: "/foo/bar/../" →
 * "/foo/"; empty segments count as segments ("/foo//../" → "/foo/"). The
 * ".." that climb above the root stay in front ("/../bar/"), or go with
 * `full` ("/bar/").
 */
export function stripDotDot(path: string, full: boolean): string {
  const segments = path.split("/");
  const kept: string[] = [];
  let above = 0;
  let endsInParent = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    endsInParent = segment === "..";
    if (!endsInParent) kept.push(segment);
    else if (kept.length > 0) kept.pop();
    else above++;
  }
  // A path that ends in ".." ends with "/" after merging ("/a/b/.." → "/a/").
  if (endsInParent) kept.push("");
  const prefix = full ? "" : "/..".repeat(above);
  return `${prefix}/${kept.join("/")}`;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const u = c & ~0x20;
  return u >= 0x41 && u <= 0x46 ? u - 0x37 : -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e ||
    c === 0x5f || c === 0x7e;
}

/** Decodes %XX that stand for unreserved characters ("/%61dmin" → "/admin"); undefined for an invalid sequence when `strict`. */
export function decodeUnreserved(text: string, strict: boolean): string | undefined {
  if (!text.includes("%")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== "%") {
      out += ch;
      continue;
    }
    const hi = hexDigit(text.charCodeAt(i + 1));
    const lo = hexDigit(text.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) {
      if (strict) return undefined;
      out += ch;
      continue;
    }
    const code = hi * 16 + lo;
    out += isUnreserved(code) ? String.fromCharCode(code) : text.slice(i, i + 3);
    i += 2;
  }
  return out;
}

/** Upper-cases the hex digits of %xx sequences ("/%6f" → "/%6F"); undefined for an invalid sequence when `strict`. */
export function percentToUppercase(text: string, strict: boolean): string | undefined {
  if (!text.includes("%")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "%" && hexDigit(text.charCodeAt(i + 1)) >= 0 && hexDigit(text.charCodeAt(i + 2)) >= 0) {
      out += ch + text.slice(i + 1, i + 3).toUpperCase();
      i += 2;
    } else {
      if (ch === "%" && strict) return undefined;
      out += ch;
    }
  }
  return out;
}

/** Drops the fragment ("/#foo" → "/"). */
export function stripFragment(text: string): string {
  const hash = text.indexOf("#");
  return hash < 0 ? text : text.slice(0, hash);
}

/** Encodes "#" as "%23". */
export function encodeFragment(text: string): string {
  return text.replaceAll("#", "%23");
}

/** Sorts "&"-separated query parameters by name, stable: "/?c=3&a=1&b=2" → "/?a=1&b=2&c=3". */
export function sortQuery(pathQuery: string): string {
  const q = pathQuery.indexOf("?");
  if (q < 0) return pathQuery;
  const params = pathQuery.slice(q + 1).split("&");
  const name = (p: string) => {
    const eq = p.indexOf("=");
    return eq < 0 ? p : p.slice(0, eq);
  };
  // Array.prototype.sort is stable: equal names keep their order.
  params.sort((a, b) => {
    const x = name(a);
    const y = name(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return `${pathQuery.slice(0, q + 1)}${params.join("&")}`;
}

/** A normalizer over the path (true) or the path with its query (false); undefined: invalid input (strict). */
type Normalizer = { pathOnly: boolean; apply: (text: string) => string | undefined };

const NORMALIZERS = [
  "fragment-encode",
  "fragment-strip",
  "path-merge-slashes",
  "path-strip-dot",
  "path-strip-dotdot",
  "percent-decode-unreserved",
  "percent-to-uppercase",
  "query-sort-by-name",
];

/** The normalizers that take an option, and its word. */
const OPTION_OF: Readonly<Record<string, string>> = {
  "path-strip-dotdot": "full",
  "percent-decode-unreserved": "strict",
  "percent-to-uppercase": "strict",
};

function make(name: string, flag: boolean): Normalizer {
  switch (name) {
    case "fragment-encode":
      return { pathOnly: false, apply: encodeFragment };
    case "fragment-strip":
      return { pathOnly: false, apply: stripFragment };
    case "path-merge-slashes":
      return { pathOnly: true, apply: mergeSlashes };
    case "path-strip-dot":
      return { pathOnly: true, apply: stripDot };
    case "path-strip-dotdot":
      return { pathOnly: true, apply: (p) => stripDotDot(p, flag) };
    case "percent-decode-unreserved":
      return { pathOnly: false, apply: (p) => decodeUnreserved(p, flag) };
    case "percent-to-uppercase":
      return { pathOnly: false, apply: (p) => percentToUppercase(p, flag) };
    default:
      return { pathOnly: false, apply: sortQuery };
  }
}

/** The normalizer and its option, or what is wrong with them. */
function normalizer(words: readonly string[]): { n: Normalizer; next: number } | string {
  const name = words[1];
  if (name === undefined || name === "" || atEnd(words, 1)) return "'normalize-uri' expects <normalizer>";
  if (!NORMALIZERS.includes(name)) return `'normalize-uri': unknown normalizer '${name}' (expected ${NORMALIZERS.join(", ")})`;
  const option = OPTION_OF[name];
  if (option === undefined || atEnd(words, 2)) return { n: make(name, false), next: 2 };
  if (words[2] !== option) return `'normalize-uri': unknown argument '${words[2]}' for '${name}' normalizer (expected '${option}')`;
  return { n: make(name, true), next: 3 };
}

export const normalizeUri: ActionDef = {
  name: "normalize-uri",
  sets: ["http-request"],
  parse(words, _arg, ctx): Parsed | string {
    const parsed = normalizer(words);
    if (typeof parsed === "string") return parsed;
    const { pathOnly, apply } = parsed.n;
    const page = errorReply(ctx, 400);
    if (typeof page === "string") return `'normalize-uri': ${page}`;
    // HAProxy's 400 page says connection: close: the connection closes after it, as after deny_status 400.
    const badRequest = freezeReply({ status: 400, fields: page.fields, body: page.body, ...(page.close === true ? { close: true } : {}) });
    return {
      next: parsed.next,
      run: (t) => {
        const head = t.request;
        if (head === undefined) return CONTINUE;
        const target = head.target;
        const start = pathStart(target);
        if (start < 0) return CONTINUE;
        const end = pathOnly ? pathEnd(target, start) : target.length;
        const part = target.slice(start, end);
        const normalized = apply(part);
        if (normalized === undefined) {
          t.reply = badRequest;
          return Verdict.reply;
        }
        if (normalized === part) return CONTINUE;
        const next = setTarget(head, pathOnly ? withPath(target, normalized) : withPathAndQuery(target, normalized));
        if (next !== undefined) t.request = next;
        return CONTINUE;
      },
    };
  },
};
