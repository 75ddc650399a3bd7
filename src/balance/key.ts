// The request's key for the hash algorithms, as HAProxy takes it: the
// client's address (source), the URI's path or all of it, cut by length or
// depth (uri), one query parameter's value (url_param), or a header field's
// value (hdr). undefined: the request has no such key (round-robin then).
import type { Head } from "../http/message.ts";
import type { BalanceSettings } from "../config/balance.ts";

export function requestKey(balance: BalanceSettings, clientAddress: string, request: Head | undefined): string | undefined {
  switch (balance.algorithm) {
    case "source":
      return clientAddress;
    case "uri":
      return request === undefined ? undefined : uriKey(request.target, balance);
    case "url_param":
      return request === undefined ? undefined : queryParam(request.target, balance.name);
    case "hdr":
      return request?.get(balance.name.toLowerCase());
    default:
      return undefined;
  }
}

/** The path (or, with `whole`, the whole target) of an origin-form or absolute-form target, cut by `depth` slashes and `len` characters. */
export function uriKey(target: string, o: { whole: boolean; len: number; depth: number }): string {
  let start = 0;
  // absolute-form: scheme://authority/path: the path onwards, as HAProxy hashes.
  const scheme = target.indexOf("://");
  if (scheme > 0 && target[0] !== "/") {
    const slash = target.indexOf("/", scheme + 3);
    start = slash < 0 ? target.length : slash;
  }
  let end = target.length;
  if (!o.whole) {
    const q = target.indexOf("?", start);
    if (q >= 0) end = q;
  }
  if (o.depth > 0) {
    let slashes = 0;
    for (let i = start; i < end; i++) {
      if (target.charCodeAt(i) !== 0x2f) continue;
      if (slashes === o.depth) {
        end = i;
        break;
      }
      slashes++;
    }
  }
  if (o.len > 0 && end - start > o.len) end = start + o.len;
  return target.slice(start, end);
}

/** The value of query parameter `name` (up to the next '&'), or undefined when absent. */
export function queryParam(target: string, name: string): string | undefined {
  const q = target.indexOf("?");
  if (q < 0) return undefined;
  let i = q + 1;
  while (i < target.length) {
    let amp = target.indexOf("&", i);
    if (amp < 0) amp = target.length;
    if (amp - i > name.length && target.charCodeAt(i + name.length) === 0x3d && target.startsWith(name, i)) {
      return target.slice(i + name.length + 1, amp);
    }
    i = amp + 1;
  }
  return undefined;
}
