// The passwords of a userlist: a crypt(3) hash (`user NAME password HASH`) or
// clear text (`insecure-password`), each turned once, at load, into a check
// of the bytes a client sends. Pure.
//
// HAProxy hands the hash to the system's crypt(3) and compares the result
// with the hash as written; on Debian that is libxcrypt, which fails ("*0")
// on settings out of its bounds (rounds below 1000, a cost below 04, a salt
// character outside the crypt alphabet, an unknown scheme) and cuts salts at
// 16 characters, and a malformed hash computes to something else than what
// is written. HAProxy 2.6 accepts such a hash silently and its user never
// logs in: sluice does the same (a check that never matches, `unusable` says
// why, for the config's warning). A well-formed hash of a scheme sluice
// cannot compute (MD5-crypt, yescrypt, DES...) would match in HAProxy: that
// one is refused, naming the scheme.
import { bcryptPackage } from "../../runtime/packages.ts";
import { encodeDigest, SHA_CRYPT_HASH_LENGTH, SHA_CRYPT_ROUNDS, SHA_CRYPT_SALT_MAX, type ShaCryptAlgorithm, shaCryptDigest } from "./sha-crypt.ts";

export type PasswordScheme = "bcrypt" | "sha256-crypt" | "sha512-crypt" | "insecure" | "unusable";

/** A user's password, ready to be checked. */
export interface PasswordCheck {
  readonly scheme: PasswordScheme;
  /** Does the password a client sent (its bytes) match? Slow by design for hashes. */
  matches(password: Uint8Array): boolean;
  /** Set when no password can match (scheme "unusable"): why crypt(3) never gives the hash as written. */
  readonly unusable?: string;
}

/** A hash crypt(3) can never reproduce: accepted (as HAProxy), never matched. */
function unusable(reason: string): PasswordCheck {
  return { scheme: "unusable", unusable: reason, matches: () => false };
}

const SUPPORTED = "bcrypt ($2a$, $2b$, $2y$), SHA-256-crypt ($5$) and SHA-512-crypt ($6$)";

/** crypt(3) schemes sluice recognises but does not check: named in the message. */
const OTHER_SCHEMES: readonly [prefix: string, name: string][] = [
  ["$1$", "MD5-crypt"],
  ["$2x$", "bcrypt with the pre-2011 sign bug"],
  ["$y$", "yescrypt"],
  ["$gy$", "gost-yescrypt"],
  ["$7$", "scrypt"],
  ["$sha1$", "SHA-1-crypt"],
  ["$md5", "Sun MD5-crypt"],
  ["$3$", "NT hash"],
];

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const SHA_CRYPT = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)\$([^$]*)$/;
const CRYPT_CHARS = /^[./0-9A-Za-z]*$/;

const encoder = new TextEncoder();
/** Fatal: a password that is not UTF-8 cannot be given to bcrypt.js (it takes strings) without changing it. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The check for a `password` hash (one that never matches when crypt(3)
 * cannot give it back), or why sluice refuses it (a scheme it cannot compute).
 */
export function parsePasswordHash(hash: string): PasswordCheck | string {
  const r = classify(hash);
  return typeof r === "string" ? r : "never" in r ? unusable(r.never) : r;
}

function classify(hash: string): PasswordCheck | string | { never: string } {
  if (hash.startsWith("$2a$") || hash.startsWith("$2b$") || hash.startsWith("$2y$")) return bcrypt(hash);
  if (hash.startsWith("$5$") || hash.startsWith("$6$")) return shaCrypt(hash);
  const other = OTHER_SCHEMES.find(([prefix]) => hash.startsWith(prefix));
  if (other) return `${other[1]} hashes ('${other[0]}') are not supported (supported: ${SUPPORTED})`;
  const dollar = /^\$[^$]*\$/.exec(hash);
  if (dollar) return { never: `unknown password hash scheme '${dollar[0]}' (crypt(3) fails on it)` };
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return `DES-crypt hashes are not supported (supported: ${SUPPORTED})`;
  if (/^_[./0-9A-Za-z]{19}$/.test(hash)) return `BSDi extended DES-crypt hashes ('_') are not supported (supported: ${SUPPORTED})`;
  // crypt(3) reads such a text as a DES salt and gives 13 characters: never the text as written.
  return { never: "not a crypt(3) hash (a clear-text password goes with 'insecure-password')" };
}

/** `insecure-password TEXT`: compared as UTF-8 bytes. */
export function insecurePassword(text: string): PasswordCheck {
  const expected = encoder.encode(text);
  return { scheme: "insecure", matches: (password) => sameBytes(password, expected) };
}

function bcrypt(hash: string): PasswordCheck | { never: string } {
  const m = BCRYPT.exec(hash);
  if (!m) {
    return { never: `malformed bcrypt hash (expected ${hash.slice(0, 4)}NN$ and 53 characters of [./0-9A-Za-z], 60 in all)` };
  }
  const cost = Number(m[1]);
  if (cost < 4 || cost > 31) return { never: `bcrypt cost ${m[1]} is out of range (04-31): crypt(3) refuses it` };
  return {
    scheme: "bcrypt",
    matches(password) {
      let text: string;
      try {
        text = utf8.decode(password);
      } catch {
        return false;
      }
      return bcryptPackage().compareSync(text, hash);
    },
  };
}

function shaCrypt(hash: string): PasswordCheck | { never: string } {
  const m = SHA_CRYPT.exec(hash);
  const algorithm: ShaCryptAlgorithm = hash[1] === "5" ? "sha256" : "sha512";
  const name = algorithm === "sha256" ? "SHA-256-crypt" : "SHA-512-crypt";
  const length = SHA_CRYPT_HASH_LENGTH[algorithm];
  if (!m) return { never: `malformed ${name} hash (expected ${hash.slice(0, 3)}[rounds=N$]SALT$HASH)` };
  const [, , roundsText, salt = "", encoded = ""] = m;
  let rounds: number = SHA_CRYPT_ROUNDS.default;
  if (roundsText !== undefined) {
    rounds = Number(roundsText);
    if (roundsText.startsWith("0") || rounds < SHA_CRYPT_ROUNDS.min || rounds > SHA_CRYPT_ROUNDS.max) {
      return { never: `${name} rounds=${roundsText} is out of range (${SHA_CRYPT_ROUNDS.min}-${SHA_CRYPT_ROUNDS.max}, no leading zero): crypt(3) refuses it` };
    }
  }
  if (salt.length > SHA_CRYPT_SALT_MAX || !CRYPT_CHARS.test(salt)) {
    return { never: `malformed ${name} salt '${salt}' (at most ${SHA_CRYPT_SALT_MAX} characters of [./0-9A-Za-z])` };
  }
  if (encoded.length !== length || !CRYPT_CHARS.test(encoded)) {
    return { never: `malformed ${name} hash (expected ${length} characters of [./0-9A-Za-z] after the salt, got ${encoded.length})` };
  }
  const saltBytes = encoder.encode(salt);
  const expected = encoder.encode(encoded);
  return {
    scheme: algorithm === "sha256" ? "sha256-crypt" : "sha512-crypt",
    matches: (password) =>
      sameBytes(encoder.encode(encodeDigest(algorithm, shaCryptDigest(algorithm, password, saltBytes, rounds))), expected),
  };
}

/** Equal bytes, in a time that depends on the length only. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
