// Request-target forms (RFC 9112 §3.2). The bytes are already known to be
// visible ASCII without "#"; here only the form and, for absolute-form, the
// agreement of its authority with Host.

import { HOSTCHAR, LOWER } from "./chars.ts";

const SLASH = 0x2f;
const QUESTION = 0x3f;
const STAR = 0x2a;
const COLON = 0x3a;
const AT = 0x40;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Error code, or undefined when the target's form suits the method. hostA < 0: no Host field. */
export function checkTarget(raw: Uint8Array, ts: number, te: number, method: string, hostA: number, hostE: number): string | undefined {
  const first = raw[ts]!;
  if (method === "CONNECT") return isAuthority(raw, ts, te) ? undefined : "bad-target";
  if (first === SLASH) return undefined; // origin-form
  if (first === STAR && te - ts === 1) return method === "OPTIONS" ? undefined : "bad-target";
  // absolute-form: "http://" or "https://" authority path-abempty [ "?" query ]
  let i = ts;
  if (!(lc(raw, i++) === 0x68 && lc(raw, i++) === 0x74 && lc(raw, i++) === 0x74 && lc(raw, i++) === 0x70)) return "bad-target";
  if (lc(raw, i) === 0x73) i++;
  if (!(raw[i] === COLON && raw[i + 1] === SLASH && raw[i + 2] === SLASH)) return "bad-target";
  i += 3;
  const aStart = i;
  while (i < te && raw[i] !== SLASH && raw[i] !== QUESTION) {
    const c = raw[i]!;
    if (c === AT || HOSTCHAR[c] !== 1) return "bad-target"; // userinfo is deprecated for http(s) URIs
    i++;
  }
  if (i === aStart || i > te) return "bad-target";
  if (hostA >= 0) {
    if (hostE - hostA !== i - aStart) return "host-mismatch";
    for (let k = 0; k < i - aStart; k++) if (LOWER[raw[aStart + k]!] !== LOWER[raw[hostA + k]!]) return "host-mismatch";
  }
  return undefined;
}

function lc(raw: Uint8Array, i: number): number {
  return LOWER[raw[i]!]!;
}

/** authority-form: uri-host ":" port, port required (RFC 9112 §3.2.3). */
function isAuthority(raw: Uint8Array, ts: number, te: number): boolean {
  let i = ts;
  if (raw[i] === LBRACKET) {
    while (i < te && raw[i] !== RBRACKET) {
      if (HOSTCHAR[raw[i]!] !== 1) return false;
      i++;
    }
    if (i === te || i - ts < 3) return false;
    i++; // "]"
  } else {
    while (i < te && raw[i] !== COLON) {
      const c = raw[i]!;
      if (HOSTCHAR[c] !== 1 || c === LBRACKET || c === RBRACKET) return false;
      i++;
    }
    if (i === ts) return false;
  }
  if (raw[i] !== COLON) return false;
  i++;
  const ps = i;
  let port = 0;
  while (i < te) {
    const d = raw[i]! - 0x30;
    if (d < 0 || d > 9) return false;
    port = port * 10 + d;
    if (port > 65535) return false;
    i++;
  }
  return i > ps;
}
