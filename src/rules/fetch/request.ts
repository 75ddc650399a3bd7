// Request-line fetches (HAProxy 2.6 §7.3.6): path, url, query, base, pathq,
// url_param, method, the version, and their ACL derivatives. The target is
// split once per request head and the offsets kept on the transaction
// (Txn.targetMemo): twenty `path_beg` rules slice the path once. HTTP/1's
// origin-form and HTTP/2's :path give "/p?q"; an absolute-form target
// ("http://h/p?q") has its path after the authority; "*" and CONNECT's
// authority-form have none.
import { avalanche, sdbm } from "../convert/hash.ts";
import { castFn } from "../sample.ts";
import { strl2ic } from "../sample.ts";
import { isIPv4, isIPv6 } from "node:net";
import { requestUri } from "../../http/fields-head.ts";
import type { Head } from "../../http/message.ts";
import { HTTP_STAGES, Stage, type EachFn, type FetchDef, type SampleFn, type TargetMemo, type Txn } from "../types.ts";
import { define, simple, withDerivatives } from "./define.ts";

/** The memo of the current request head's target, computed on first use. */
export function targetOf(t: Txn): TargetMemo | undefined {
  const head = t.request;
  if (head === undefined) return undefined;
  let memo = t.targetMemo;
  if (memo !== undefined && memo.head === head) return memo;
  const target = head.target;
  const q = target.indexOf("?");
  const pathEnd = q < 0 ? target.length : q;
  let pathStart = -1;
  if (target.charCodeAt(0) === 47) {
    pathStart = 0;
  } else {
    const scheme = target.indexOf("://");
    if (scheme > 0 && scheme < pathEnd) {
      const slash = target.indexOf("/", scheme + 3);
      pathStart = slash >= 0 && slash < pathEnd ? slash : pathEnd;
    }
  }
  if (memo === undefined) {
    memo = { head, pathStart, pathEnd, path: undefined, uri: undefined };
    t.targetMemo = memo;
  } else {
    memo.head = head;
    memo.pathStart = pathStart;
    memo.pathEnd = pathEnd;
    memo.path = undefined;
    memo.uri = undefined;
  }
  return memo;
}

/** The request's path: from the first slash to before '?'; no sample without one. */
export function pathOf(t: Txn): string | undefined {
  const m = targetOf(t);
  if (m === undefined || m.pathStart < 0) return undefined;
  if (m.path === undefined) m.path = m.head.target.slice(m.pathStart, m.pathEnd);
  return m.path;
}

const path: SampleFn = pathOf;

/**
 * The URI as HAProxy reads it: the target as sent, but `scheme://authority`
 * then the path for an HTTP/2 request that named an :authority (so `url_beg
 * /` does not match those, there as here: `path` is the fetch for paths).
 */
function uriOf(t: Txn): string | undefined {
  const head = t.request;
  if (head === undefined) return undefined;
  if (head.absoluteScheme === undefined) return head.target;
  const m = targetOf(t)!;
  return (m.uri ??= requestUri(head));
}

const url: SampleFn = uriOf;

const query: SampleFn = (t) => {
  const m = targetOf(t);
  if (m === undefined || m.pathEnd >= m.head.target.length) return undefined;
  return m.head.target.slice(m.pathEnd + 1);
};

/** Path and query: what follows the authority. */
const pathq: SampleFn = (t) => {
  const m = targetOf(t);
  if (m === undefined || m.pathStart < 0) return undefined;
  return m.pathStart === 0 ? m.head.target : m.head.target.slice(m.pathStart);
};

/** The first Host value and the path; the path alone without a Host (HAProxy's base). */
function hostOf(head: Head): string | undefined {
  return head.get("host") ?? head.host;
}

const base: SampleFn = (t) => {
  const p = pathOf(t);
  if (p === undefined) return undefined;
  const host = t.request === undefined ? undefined : hostOf(t.request);
  return host === undefined || host === "" ? p : host + p;
};

/** base32: HAProxy's 32-bit hash of `base` (sdbm over host and path, then its full_hash avalanche). */
const base32: SampleFn = (t) => {
  const b = base(t);
  return b === undefined ? undefined : avalanche(sdbm(b as string));
};

/** base32+src: base32's 4 bytes (network order) then the client address's, as binary. */
const base32src: SampleFn = (t) => {
  const h = base32(t) as number | undefined;
  if (h === undefined) return undefined;
  const hash = String.fromCharCode(h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255);
  const address = castFn("ip", "bin")!(t.client.address);
  return address === undefined ? undefined : hash + (address as string);
};

const baseq: SampleFn = (t) => {
  const p = pathq(t);
  if (p === undefined) return undefined;
  const host = t.request === undefined ? undefined : hostOf(t.request);
  return host === undefined || host === "" ? p : host + p;
};

/**
 * url_param(NAME[,DELIM]): parameters begin after '?' (with DELIM: after the
 * first DELIM instead, HAProxy's; a URL without one has none) and end at
 * '&', ';' or DELIM; the name is case-sensitive, the value as sent (no
 * decoding). Without a name every parameter counts. As a sample, the first
 * occurrence; in an ACL, each.
 */
function urlParam(args: readonly string[]): { one: SampleFn; each: EachFn } | string {
  const name = args[0] === undefined || args[0] === "" ? undefined : args[0];
  const delim = args[1] === undefined || args[1] === "" ? -1 : args[1].charCodeAt(0);
  const visitParams = (t: Txn, visit: (v: string) => boolean): boolean => {
    const target = t.request?.target;
    if (target === undefined) return false;
    let start = -1;
    for (let k = 0; k < target.length; k++) {
      const c = target.charCodeAt(k);
      if (delim >= 0 ? c === delim : c === 63) {
        start = k + 1;
        break;
      }
    }
    if (start < 0) return false;
    const n = target.length;
    while (start <= n) {
      let end = start;
      while (end < n) {
        const c = target.charCodeAt(end);
        if (c === 38 || c === 59 || c === delim) break;
        end++;
      }
      const eq = target.indexOf("=", start);
      if (eq >= 0 && eq < end) {
        const matches = name === undefined || (eq - start === name.length && target.startsWith(name, start));
        if (matches && visit(target.slice(eq + 1, end))) return true;
      }
      start = end + 1;
    }
    return false;
  };
  const one: SampleFn = (t) => {
    let found: string | undefined;
    visitParams(t, (v) => {
      found = v;
      return true;
    });
    return found;
  };
  return { one, each: visitParams };
}

/**
 * The host and port of an absolute-form target written with an IP address
 * (HAProxy's url2sa: "http://" then an IPv4 or a bracketed IPv6 address and
 * an optional port, 80 without one). A host name, another scheme or an
 * origin-form target give nothing: these fetches never resolve a name.
 */
function urlAddress(t: Txn): { ip: string; port: number } | undefined {
  const target = uriOf(t);
  if (target === undefined || target.length < 8 || target.slice(0, 7).toLowerCase() !== "http://") return undefined;
  let end = 7;
  while (end < target.length && !AUTHORITY_END.includes(target[end]!)) end++;
  const authority = target.slice(7, end);
  const at = authority.lastIndexOf("@");
  const m = URL_HOST.exec(at < 0 ? authority : authority.slice(at + 1));
  if (m === null) return undefined;
  const ip = m[1] ?? m[2]!;
  if (m[1] !== undefined && !isIPv4(ip)) return undefined;
  if (m[2] !== undefined && !isIPv6(ip)) return undefined;
  const port = m[3] === undefined || m[3] === "" ? 80 : Number(m[3]);
  return port > 65535 ? undefined : { ip, port };
}
const AUTHORITY_END = "/?#";
const URL_HOST = /^(?:([\d.]+)|\[([0-9A-Fa-f:.]+)\])(?::(\d{0,5}))?$/;

const method: SampleFn = (t) => t.request?.method;

/**
 * "1.0", "1.1", or "2.0" for an HTTP/2 client's request, as HAProxy says
 * (its head carries HTTP/1.1's semantics here, hence the transaction's word).
 */
const version: SampleFn = (t) => (t.request === undefined ? undefined : t.requestVersion ?? (t.request.versionMinor === 0 ? "1.0" : "1.1"));

/**
 * req.proto_http (the HTTP ACL): a request head was parsed, or, in
 * tcp-request content, the first bytes are an HTTP/1 request head (its line
 * and its blank line); while they may still become one, "maybe" keeps the
 * rule waiting (HAProxy parses the buffer the same way, its sample may change).
 */
function protoHttp(t: Txn): boolean | undefined {
  if (t.request !== undefined) return true;
  const p = t.payload;
  if (p === undefined) return undefined;
  const verdict = httpHead(p);
  if (verdict === "maybe" && t.payloadFinal !== true) t.sampleMayChange = true;
  return verdict === "yes";
}

const TCHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `bytes` begin with an HTTP/1.x request head: yes, no, or maybe (not all of it yet). */
function httpHead(bytes: Uint8Array): "yes" | "no" | "maybe" {
  const n = Math.min(bytes.length, 16384);
  const text = String.fromCharCode(...bytes.subarray(0, n));
  const lf = text.indexOf("\n");
  if (lf < 0) {
    // No whole line yet: maybe, while it still reads as the start of one.
    const space = text.indexOf(" ");
    const method = space < 0 ? text : text.slice(0, space);
    return (method === "" || TCHAR.test(method)) && n < 16384 ? "maybe" : "no";
  }
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.[01]\r?$/.test(text.slice(0, lf))) return "no";
  if (/\r?\n\r?\n/.test(text.slice(lf))) return "yes";
  return n < 16384 ? "maybe" : "no";
}

export const REQUEST_FETCHES: readonly FetchDef[] = [
  ...withDerivatives(["path"], 0, 0, HTTP_STAGES, () => ({ one: path })),
  ...withDerivatives(["url"], 0, 0, HTTP_STAGES, () => ({ one: url })),
  ...withDerivatives(["base"], 0, 0, HTTP_STAGES, () => ({ one: base })),
  ...withDerivatives(["urlp"], 0, 2, HTTP_STAGES, urlParam),
  define("url_param", 0, 2, "str", HTTP_STAGES, "str", urlParam),
  define("urlp_val", 0, 2, "int", HTTP_STAGES, "int", (args) => {
    const param = urlParam(args);
    if (typeof param === "string") return param;
    const { one, each } = param;
    // A sample is the first value; an ACL tests each (HAProxy: `urlp_val(a) eq 9` matches ?a=1&a=9).
    return {
      one: (t) => {
        const v = one(t);
        return v === undefined ? undefined : strl2ic(v as string);
      },
      each: (t, visit) => each(t, (v) => visit(strl2ic(v as string))),
    };
  }),
  simple("query", "str", HTTP_STAGES, "str", query),
  simple("pathq", "str", HTTP_STAGES, "str", pathq),
  simple("baseq", "str", HTTP_STAGES, "str", baseq),
  simple("base32", "int", HTTP_STAGES, "int", base32),
  simple("base32+src", "bin", HTTP_STAGES, "str", base32src),
  simple("method", "meth", HTTP_STAGES, "str", method),
  simple("req.ver", "str", HTTP_STAGES, "str", version),
  simple("req_ver", "str", HTTP_STAGES, "str", version),
  simple("url_ip", "ip", HTTP_STAGES, "ip", (t) => urlAddress(t)?.ip),
  simple("url_port", "int", HTTP_STAGES, "int", (t) => urlAddress(t)?.port),
  simple("req.proto_http", "bool", HTTP_STAGES | Stage.tcpContent, "bool", protoHttp),
];
