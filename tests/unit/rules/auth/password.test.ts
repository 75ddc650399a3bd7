import { describe, expect, test } from "bun:test";
import { insecurePassword, type PasswordCheck, parsePasswordHash } from "../../../../src/rules/auth/password.ts";
import { shaCrypt } from "../../../../src/rules/auth/sha-crypt.ts";
import { AUTH_FIXTURES } from "../../../support/auth-fixtures.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function check(hash: string): PasswordCheck {
  const c = parsePasswordHash(hash);
  if (typeof c === "string") throw new Error(c);
  return c;
}

describe("password hashes", () => {
  test.each(AUTH_FIXTURES.map((f) => [f.label, f] as const))("%s: the right password matches, others do not", (_, f) => {
    const c = check(f.hash);
    expect(c.matches(bytes(f.password))).toBe(true);
    expect(c.matches(bytes("y" + f.password))).toBe(false);
    expect(c.matches(bytes("wrong"))).toBe(false);
  });

  test("schemes by prefix: $2a$/$2b$/$2y$ bcrypt, $5$ and $6$ (with rounds=) SHA-crypt", () => {
    const scheme = (label: string) => check(AUTH_FIXTURES.find((f) => f.label === label)!.hash).scheme;
    expect(["bcrypt-2a", "bcrypt-2b", "bcrypt-2y"].map(scheme)).toEqual(["bcrypt", "bcrypt", "bcrypt"]);
    expect(["sha256-openssl", "sha256-rounds", "sha512-openssl", "sha512-rounds"].map(scheme)).toEqual([
      "sha256-crypt",
      "sha256-crypt",
      "sha512-crypt",
      "sha512-crypt",
    ]);
  });

  test("bcrypt reads 72 bytes of the password, as crypt(3) does", () => {
    const c = check(AUTH_FIXTURES.find((f) => f.label === "bcrypt-long")!.hash);
    expect(c.matches(bytes("x".repeat(72)))).toBe(true);
    expect(c.matches(bytes("x".repeat(71)))).toBe(false);
  });

  test("a password that is not UTF-8 never matches a bcrypt hash (no lossy decoding)", () => {
    const c = check(AUTH_FIXTURES.find((f) => f.label === "bcrypt-utf8")!.hash);
    expect(c.matches(bytes("pässwörd"))).toBe(true);
    // "pässwörd" in Latin-1.
    expect(c.matches(new Uint8Array([0x70, 0xe4, 0x73, 0x73, 0x77, 0xf6, 0x72, 0x64]))).toBe(false);
  });

  test("SHA-crypt checks bytes: Latin-1 and UTF-8 spellings differ", () => {
    const c = check(shaCrypt("pässwörd", "$6$rounds=1000$abc"));
    expect(c.matches(bytes("pässwörd"))).toBe(true);
    expect(c.matches(new Uint8Array([0x70, 0xe4, 0x73, 0x73, 0x77, 0xf6, 0x72, 0x64]))).toBe(false);
  });

  test("insecure-password compares the UTF-8 bytes", () => {
    const c = insecurePassword("élan");
    expect(c.scheme).toBe("insecure");
    expect(c.matches(bytes("élan"))).toBe(true);
    expect(c.matches(bytes("elan"))).toBe(false);
    expect(c.matches(bytes("élan "))).toBe(false);
    expect(insecurePassword("").matches(bytes(""))).toBe(true);
  });

  test.each([
    ["$1$abc$0123456789abcdefghijkl", "MD5-crypt hashes ('$1$') are not supported"],
    ["$y$j9T$salt$hash", "yescrypt hashes ('$y$') are not supported"],
    ["$2x$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK", "bcrypt with the pre-2011 sign bug hashes ('$2x$') are not supported"],
    ["abJnggxhB/yWI", "DES-crypt hashes are not supported"],
    ["_J9..abcdoj0PMidvoVc", "BSDi extended DES-crypt hashes ('_') are not supported"],
  ])("%s would match under crypt(3) but sluice cannot compute it, so it is refused: %s", (hash, message) => {
    const r = parsePasswordHash(hash);
    expect(typeof r).toBe("string");
    expect(r as string).toContain(message);
    expect(r as string).toContain("supported: bcrypt ($2a$, $2b$, $2y$), SHA-256-crypt ($5$) and SHA-512-crypt ($6$)");
  });

  test.each([
    ["$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXl", "malformed bcrypt hash"],
    ["$2b$5$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK", "malformed bcrypt hash"],
    ["$2b$03$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK", "bcrypt cost 03 is out of range (04-31)"],
    ["$2b$32$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK", "bcrypt cost 32 is out of range"],
    ["$5$salt$tooshort", "malformed SHA-256-crypt hash (expected 43 characters of [./0-9A-Za-z] after the salt, got 8)"],
    ["$6$salt", "malformed SHA-512-crypt hash (expected $6$[rounds=N$]SALT$HASH)"],
    ["$6$rounds=999$salt$" + "x".repeat(86), "SHA-512-crypt rounds=999 is out of range (1000-999999999, no leading zero)"],
    ["$6$rounds=01000$salt$" + "x".repeat(86), "rounds=01000 is out of range"],
    ["$6$rounds=1000000000$salt$" + "x".repeat(86), "rounds=1000000000 is out of range"],
    ["$5$abcdefghijklmnopq$" + "x".repeat(43), "malformed SHA-256-crypt salt 'abcdefghijklmnopq' (at most 16 characters"],
    ["$5$sa!t$" + "x".repeat(43), "malformed SHA-256-crypt salt 'sa!t'"],
    ["$5$salt$" + "x".repeat(42) + "!", "malformed SHA-256-crypt hash (expected 43 characters"],
    ["$9$abc$def", "unknown password hash scheme '$9$' (crypt(3) fails on it)"],
    ["hunter2!", "not a crypt(3) hash"],
    ["$6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91", "malformed SHA-512-crypt hash (expected 86 characters of [./0-9A-Za-z] after the salt, got 33)"],
  ])("%s never matches under crypt(3): accepted as HAProxy does, and no password matches it: %s", (hash, message) => {
    const r = parsePasswordHash(hash);
    if (typeof r === "string") throw new Error(`refused: ${r}`);
    expect(r.scheme).toBe("unusable");
    expect(r.unusable).toContain(message);
    for (const password of ["", "tiger", hash, "x".repeat(100)]) expect(r.matches(bytes(password))).toBe(false);
  });
});
