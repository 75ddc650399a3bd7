// Persistence by a cookie (issue 15, cookie) in the model: the `cookie` line
// of defaults, backend and listen sections, and a server's `cookie VALUE`.
// The line is a list of words in both syntaxes (`cookie: SRV insert indirect`
// in YAML reads as the haproxy.cfg line), checked as HAProxy 2.6 checks it.
import * as v from "valibot";
import { lineWords } from "./schema-check.ts";
import { describe } from "./schema-values.ts";
import type { CookiePersistence } from "./types.ts";

const OPTIONS = "rewrite, insert, prefix, indirect, nocache, postonly, preserve, httponly, secure, domain, maxidle, maxlife and attr";

/** RFC 6265 §4.1.1 cookie-name: a token. */
function isToken(text: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text);
}

/** RFC 6265 §4.1.1 cookie-octet: visible ASCII but space, DQUOTE, comma, semicolon and backslash. */
export function isCookieValue(text: string): boolean {
  return /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(text);
}

/** Seconds from a time whose bare number is seconds (HAProxy reads maxidle and maxlife so), rounded up. */
function seconds(option: string, text: string | undefined): number | string {
  if (text === undefined) return `'${option}' expects <time> as argument`;
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (m === null) return `invalid ${option} '${text}' (expected a number with unit us, ms, s, m, h or d; seconds without one)`;
  const perUnit = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? "s"]!;
  const s = Math.ceil(Number(m[1]) * perUnit);
  // The dates in the cookie count seconds on 32 bits.
  if (s > 2 ** 31 - 1) return `${option} '${text}' is too large`;
  return s;
}

/** The words after `cookie` → the settings, or what is wrong (HAProxy's messages where it has one). */
export function parseCookieLine(words: readonly string[]): CookiePersistence | string {
  const [name, ...rest] = words;
  if (name === undefined) return "'cookie' expects <cookie_name> as argument";
  if (!isToken(name)) return `invalid cookie name '${name}' (expected a token, RFC 6265)`;
  const c: CookiePersistence = {
    name,
    mode: "passive",
    indirect: false,
    nocache: false,
    postonly: false,
    preserve: false,
    httponly: false,
    secure: false,
    domains: [],
    maxidle: 0,
    maxlife: 0,
    attrs: [],
  };
  let modes = 0;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    switch (word) {
      case "rewrite":
      case "insert":
      case "prefix":
        if (c.mode !== word) modes++;
        c.mode = word;
        break;
      case "indirect":
      case "nocache":
      case "postonly":
      case "preserve":
      case "httponly":
      case "secure":
        c[word] = true;
        break;
      case "domain": {
        const d = rest[++i];
        if (d === undefined) return "'domain' expects <domain> as argument";
        if (!isCookieValue(d)) return `invalid cookie domain '${d}'`;
        c.domains.push(d);
        break;
      }
      case "maxidle":
      case "maxlife": {
        const s = seconds(word, rest[++i]);
        if (typeof s === "string") return s;
        c[word] = s;
        break;
      }
      case "attr": {
        const a = rest[++i];
        if (a === undefined) return "'attr' expects <value> as argument";
        // HAProxy: any character but controls and ';'.
        if (/[\x00-\x1f\x7f;]/.test(a)) return `character ${describe(a)} is not permitted in attribute value (no control characters, no ';')`;
        c.attrs.push(a);
        break;
      }
      case "dynamic":
        return "cookie option 'dynamic' is not supported yet (give each server its 'cookie <value>')";
      default:
        return `'cookie' supports ${OPTIONS} options (got '${word}')`;
    }
  }
  if (modes > 1) return "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible";
  if (c.mode === "rewrite" && c.indirect) return "cookie 'rewrite' and 'indirect' modes are incompatible";
  if (c.preserve && c.mode !== "insert" && !c.indirect) return "cookie 'preserve' requires at least 'insert' or 'indirect'";
  return c;
}

/** The `cookie` line of a proxy section: one string (haproxy.cfg's words) or a list of words. */
export const CookieSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): CookiePersistence => {
    const x = dataset.value;
    const wordy = (typeof x === "string" && x.trim() !== "") || (Array.isArray(x) && x.length > 0 && x.every((w) => typeof w === "string"));
    const words = wordy ? lineWords(x) : `invalid cookie ${describe(x)} (expected a string such as 'SRV insert indirect nocache')`;
    const r = typeof words === "string" ? words : parseCookieLine(words);
    if (typeof r === "string") {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  }),
);

/** A server's `cookie VALUE`. */
export const ServerCookieSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    if (typeof x === "string" && isCookieValue(x)) return x;
    addIssue({ message: `invalid cookie ${describe(x)} (expected a cookie value: visible characters but space, '"', ',', ';' and '\\')` });
    return NEVER;
  }),
);
