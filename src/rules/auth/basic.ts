// Basic credentials (RFC 7617) out of an Authorization field value, as
// HAProxy reads them for http_auth and http_auth_user: the scheme word
// `Basic` in any case, then base64 of `user:password`, split at the first
// colon. Pure; nothing here knows any user.
//
// Stricter than HAProxy where HAProxy's reading is a C-string accident: a
// NUL byte in the credentials (HAProxy would compare only what comes before
// it) and a user name that is not UTF-8 give no credentials at all.

/** What a client claims; nothing is checked yet. */
export interface BasicCredentials {
  readonly user: string;
  /** The password's bytes as sent (checked as bytes against the hash). */
  readonly password: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** base64 alphabet → value; 255: not in the alphabet. */
const VALUES = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) {
  VALUES["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}

const COLON = 0x3a;
const SPACE = 0x20;

/**
 * The Basic credentials in an Authorization value, or undefined when it
 * holds none: another scheme, no space after the scheme, base64 that is not
 * strict (RFC 4648 alphabet, padded to a multiple of 4), no colon in the
 * decoded text, a NUL byte, a user name that is not UTF-8.
 */
export function parseBasic(value: string): BasicCredentials | undefined {
  if (value.length < 6 || value.charCodeAt(5) !== SPACE || value.slice(0, 5).toLowerCase() !== "basic") {
    return undefined;
  }
  let start = 6;
  while (start < value.length && value.charCodeAt(start) === SPACE) start++;
  const bytes = decodeBase64(value, start);
  if (bytes === undefined || bytes.includes(0)) return undefined;
  const colon = bytes.indexOf(COLON);
  if (colon < 0) return undefined;
  let user: string;
  try {
    user = utf8.decode(bytes.subarray(0, colon));
  } catch {
    return undefined;
  }
  return { user, password: bytes.subarray(colon + 1) };
}

/** Strict base64 of `text` from `start` to its end; undefined if anything is out of place. */
function decodeBase64(text: string, start: number): Uint8Array | undefined {
  const length = text.length - start;
  if (length === 0 || length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.charCodeAt(text.length - 1) === 0x3d) padding = text.charCodeAt(text.length - 2) === 0x3d ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - padding);
  let bits = 0;
  let count = 0;
  let at = 0;
  for (let i = start; i < text.length - padding; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUES[code]! : 255;
    if (v === 255) return undefined;
    bits = ((bits << 6) | v) & 0xffffff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[at++] = (bits >>> count) & 0xff;
    }
  }
  return out;
}
