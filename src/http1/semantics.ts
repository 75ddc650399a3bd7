// From a syntactically valid head (offsets into its bytes) to a Head with its
// framing and connection semantics decided, or the code of why it is refused.
// Runs once per head, over the field names (by length, then bytes), and over
// the values of the few fields that decide framing and routing.

import { asciiString, COMMA, HOSTCHAR, HTAB, LOWER, lowerLatin1, SP, TCHAR } from "./chars.ts";
import { CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING, UPGRADE } from "./fields.ts";
import { H1Head, NO_TOKENS } from "./head.ts";
import { storeWords, wordsSlab } from "./slab.ts";
import { checkTarget } from "./target.ts";
import { BodyKind } from "./types.ts";

function eq(b: Uint8Array, a: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[b[a + k]!] !== lower[k]) return false;
  return true;
}

const MAX_SAFE_TENTH = Math.floor(Number.MAX_SAFE_INTEGER / 10); // 900719925474099
const MAX_SAFE_LAST = Number.MAX_SAFE_INTEGER % 10; // 1

/**
 * Content-Length value: 1*DIGIT, or a list of identical such values (RFC 9110
 * §8.6 lets a recipient accept "5, 5"). -1: not digits / too large; -2: a list
 * with differing values.
 */
function parseContentLength(b: Uint8Array, a: number, e: number): number {
  let result = -1;
  let i = a;
  for (;;) {
    // one element
    const start = i;
    let n = 0;
    while (i < e) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      if (n > MAX_SAFE_TENTH || (n === MAX_SAFE_TENTH && d > MAX_SAFE_LAST)) return -1;
      n = n * 10 + d;
      i++;
    }
    if (i === start) return -1;
    if (result === -1) result = n;
    else if (result !== n) return -2;
    if (i === e) return result;
    // OWS "," OWS
    while (i < e && (b[i] === SP || b[i] === HTAB)) i++;
    if (i === e || b[i] !== COMMA) return -1;
    i++;
    while (i < e && (b[i] === SP || b[i] === HTAB)) i++;
  }
}

const CHUNKED = [0x63, 0x68, 0x75, 0x6e, 0x6b, 0x65, 0x64];

/** Transfer-Encoding list state across fields: bit 1 = chunked seen, bit 2 = last coding is chunked, bit 4 = invalid. */
function scanCodings(b: Uint8Array, a: number, e: number, state: number): number {
  let i = a;
  while (i < e) {
    const c = b[i]!;
    if (c === SP || c === HTAB || c === COMMA) {
      i++;
      continue;
    }
    const start = i;
    while (i < e && TCHAR[b[i]!] === 1) i++;
    if (i === start) return state | 4; // not a token (";" parameters, quotes, ...)
    // after a token: OWS then "," or end
    const end = i;
    while (i < e && (b[i] === SP || b[i] === HTAB)) i++;
    if (i < e && b[i] !== COMMA) return state | 4;
    let chunked = end - start === 7;
    if (chunked) for (let k = 0; k < 7; k++) if (LOWER[b[start + k]!] !== CHUNKED[k]) { chunked = false; break; }
    if (chunked) {
      if (state & 1) return state | 4; // chunked twice
      state |= 3;
    } else {
      state &= ~2;
    }
  }
  return state;
}

const CLOSE_T = "close";
const KEEP_ALIVE_T = "keep-alive";
const UPGRADE_T = "upgrade";

/** Lower-cased Connection tokens appended to the scratch list; returns flags 1 close, 2 keep-alive, 4 upgrade. */
function connectionTokens(b: Uint8Array, a: number, e: number): number {
  let flags = 0;
  let i = a;
  while (i < e) {
    const c = b[i]!;
    if (c === SP || c === HTAB || c === COMMA) {
      i++;
      continue;
    }
    const start = i;
    while (i < e && b[i] !== COMMA) i++;
    let end = i;
    while (b[end - 1] === SP || b[end - 1] === HTAB) end--;
    let t: string;
    const len = end - start;
    if (len === 5 && eqs(b, start, CLOSE_T)) { t = CLOSE_T; flags |= 1; }
    else if (len === 10 && eqs(b, start, KEEP_ALIVE_T)) { t = KEEP_ALIVE_T; flags |= 2; }
    else if (len === 7 && eqs(b, start, UPGRADE_T)) { t = UPGRADE_T; flags |= 4; }
    else t = lowerLatin1(b, start, end);
    tokens[tokenCount++] = t;
  }
  return flags;
}

function eqs(b: Uint8Array, a: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[b[a + k]!] !== lower.charCodeAt(k)) return false;
  return true;
}

const CONTINUE_100 = "100-continue";

// What scanFields found, in module scratch (the codec is synchronous; no object per head).
let clError: string | undefined;
let contentLength = -1;
let te = 0;
let hasTe = false;
let hostIdx = -1;
let hostCount = 0;
let upgradeIdx = -1;
let expectIdx = -1;
let connFlags = 0;
/**
 * Connection tokens of the head being scanned: the first tokenCount of a
 * scratch list, reused (emptied by its count: `length = 0` would give V8's
 * backing store away, to be allocated again by the next head's tokens).
 */
const tokens: string[] = [];
let tokenCount = 0;
// The usual Connection values as shared lists: no array per message for them.
const ONLY_KEEP_ALIVE: readonly string[] = Object.freeze([KEEP_ALIVE_T]);
const ONLY_CLOSE: readonly string[] = Object.freeze([CLOSE_T]);

/** The head's own list of Connection tokens (shared when it is one of the usual ones). */
function tokenList(): readonly string[] {
  switch (tokenCount) {
    case 0:
      return NO_TOKENS;
    case 1:
      if (tokens[0] === KEEP_ALIVE_T) return ONLY_KEEP_ALIVE;
      if (tokens[0] === CLOSE_T) return ONLY_CLOSE;
  }
  return tokens.slice(0, tokenCount);
}

function scanFields(raw: Uint8Array, f: Uint32Array, count: number): void {
  clError = undefined;
  contentLength = -1;
  te = 0;
  hasTe = false;
  hostIdx = -1;
  hostCount = 0;
  upgradeIdx = -1;
  expectIdx = -1;
  connFlags = 0;
  tokenCount = 0;
  for (let i = 0; i < count; i++) {
    const a = f[4 * i]!;
    switch (f[4 * i + 1]! - a) {
      case 4:
        if (eq(raw, a, HOST)) {
          if (hostCount++ === 0) hostIdx = i;
        }
        break;
      case 6:
        if (expectIdx < 0 && eq(raw, a, EXPECT)) expectIdx = i;
        break;
      case 7:
        if (upgradeIdx < 0 && eq(raw, a, UPGRADE)) upgradeIdx = i;
        break;
      case 10:
        if (eq(raw, a, CONNECTION)) connFlags |= connectionTokens(raw, f[4 * i + 2]!, f[4 * i + 3]!);
        break;
      case 14:
        if (eq(raw, a, CONTENT_LENGTH) && clError === undefined) {
          const n = parseContentLength(raw, f[4 * i + 2]!, f[4 * i + 3]!);
          if (n === -1) clError = "cl-invalid";
          else if (n === -2 || (contentLength !== -1 && n !== contentLength)) clError = "cl-dup";
          else contentLength = n;
        }
        break;
      case 17:
        if (eq(raw, a, TRANSFER_ENCODING)) {
          hasTe = true;
          te = scanCodings(raw, f[4 * i + 2]!, f[4 * i + 3]!, te);
        }
        break;
    }
  }
}

/** Framing checks common to both sides; undefined when acceptable. */
function framingError(minor: 0 | 1): string | undefined {
  if (hasTe) {
    if (contentLength !== -1 || clError !== undefined) return "cl-te";
    if (minor === 0) return "te-http10";
    if ((te & 4) !== 0 || (te & 2) === 0) return "te-not-chunked";
  }
  return clError;
}

/** The method token raw[0..end) as a string; the common ones without decoding. */
export function methodString(raw: Uint8Array, end: number): string {
  const c0 = raw[0];
  switch (end) {
    case 3:
      if (c0 === 0x47 && raw[1] === 0x45 && raw[2] === 0x54) return "GET";
      if (c0 === 0x50 && raw[1] === 0x55 && raw[2] === 0x54) return "PUT";
      break;
    case 4:
      if (c0 === 0x50 && raw[1] === 0x4f && raw[2] === 0x53 && raw[3] === 0x54) return "POST";
      if (c0 === 0x48 && raw[1] === 0x45 && raw[2] === 0x41 && raw[3] === 0x44) return "HEAD";
      break;
    case 5:
      if (c0 === 0x50 && raw[1] === 0x41 && raw[2] === 0x54 && raw[3] === 0x43 && raw[4] === 0x48) return "PATCH";
      break;
    case 6:
      if (c0 === 0x44 && raw[1] === 0x45 && raw[2] === 0x4c && raw[3] === 0x45 && raw[4] === 0x54 && raw[5] === 0x45) return "DELETE";
      break;
    case 7: {
      const s = asciiString(raw, 0, 7);
      if (s === "OPTIONS") return "OPTIONS";
      if (s === "CONNECT") return "CONNECT";
      return s;
    }
  }
  return asciiString(raw, 0, end);
}

export function buildRequestHead(
  raw: Uint8Array,
  f: Uint32Array,
  count: number,
  minor: 0 | 1,
  method: string,
  targetStart: number,
  targetEnd: number,
): H1Head | string {
  scanFields(raw, f, count);
  if (hostCount > 1) return "host-dup";
  const fe = framingError(minor);
  if (fe !== undefined) return fe;
  let hostA = -1;
  let hostE = -1;
  if (hostIdx >= 0) {
    hostA = f[4 * hostIdx + 2]!;
    hostE = f[4 * hostIdx + 3]!;
    for (let k = hostA; k < hostE; k++) if (HOSTCHAR[raw[k]!] !== 1) return "bad-host";
  } else if (minor === 1) return "host-missing";
  const targetError = checkTarget(raw, targetStart, targetEnd, method, hostA, hostE);
  if (targetError !== undefined) return targetError;
  const bodyKind = hasTe ? BodyKind.Chunked : contentLength >= 0 ? BodyKind.Length : BodyKind.None;
  const close = (connFlags & 1) !== 0;
  const keepAlive = minor === 1 ? !close : !close && (connFlags & 2) !== 0;
  let expectContinue = false;
  if (minor === 1 && expectIdx >= 0) {
    const va = f[4 * expectIdx + 2]!;
    expectContinue = f[4 * expectIdx + 3]! - va === CONTINUE_100.length && eqs(raw, va, CONTINUE_100);
  }
  const fb = storeWords(f, count << 2);
  return new H1Head(
    true, raw, method, 0, minor, count, wordsSlab(), fb, bodyKind,
    bodyKind === BodyKind.Length ? contentLength : -1,
    keepAlive, tokenList(), expectContinue, targetStart, targetEnd, hostIdx,
    minor === 1 && (connFlags & 4) !== 0 ? upgradeIdx : -1,
  );
}

export function buildResponseHead(
  raw: Uint8Array,
  f: Uint32Array,
  count: number,
  minor: 0 | 1,
  status: number,
  requestMethod: string,
): H1Head | string {
  scanFields(raw, f, count);
  const fe = framingError(minor);
  if (fe !== undefined) return fe;
  let bodyKind: BodyKind;
  if (status < 200 || status === 204 || status === 304 || requestMethod === "HEAD" || (requestMethod === "CONNECT" && status < 300)) {
    bodyKind = BodyKind.None;
  } else if (hasTe) bodyKind = BodyKind.Chunked;
  else if (contentLength >= 0) bodyKind = BodyKind.Length;
  else bodyKind = BodyKind.UntilClose;
  const close = (connFlags & 1) !== 0;
  const keepAlive = bodyKind !== BodyKind.UntilClose && (minor === 1 ? !close : !close && (connFlags & 2) !== 0);
  const fb = storeWords(f, count << 2);
  return new H1Head(
    false, raw, "", status, minor, count, wordsSlab(), fb, bodyKind,
    bodyKind === BodyKind.Length ? contentLength : -1,
    keepAlive, tokenList(), false, 0, 0, -1,
    (connFlags & 4) !== 0 ? upgradeIdx : -1,
  );
}
