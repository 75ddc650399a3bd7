import { describe, expect, test } from "bun:test";
import { parseBasic } from "../../../../src/rules/auth/basic.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("latin1"));

describe("Basic credentials", () => {
  test.each([
    [`Basic ${b64("alice:secret")}`, "alice", "secret"],
    [`basic ${b64("alice:secret")}`, "alice", "secret"],
    [`BASIC   ${b64("alice:secret")}`, "alice", "secret"],
    [`Basic ${b64("alice:se:cr:et")}`, "alice", "se:cr:et"],
    [`Basic ${b64("alice:")}`, "alice", ""],
    [`Basic ${b64(":secret")}`, "", "secret"],
    [`Basic ${b64("zoë:pässwörd")}`, "zoë", Buffer.from("pässwörd", "utf8").toString("latin1")],
    // Padding of each length.
    [`Basic ${b64("a:b")}`, "a", "b"],
    [`Basic ${b64("a:bc")}`, "a", "bc"],
    [`Basic ${b64("a:bcd")}`, "a", "bcd"],
  ])("%s → user %j", (value, user, password) => {
    const c = parseBasic(value);
    expect(c?.user).toBe(user);
    expect(text(c?.password)).toBe(password);
  });

  test("a password is kept as the bytes sent, even when they are not UTF-8", () => {
    const c = parseBasic("Basic " + Buffer.from([0x61, 0x3a, 0xe9, 0xff]).toString("base64"));
    expect(c?.user).toBe("a");
    expect([...c!.password]).toEqual([0xe9, 0xff]);
  });

  test.each([
    ["", "empty"],
    ["Basic", "no credentials"],
    ["Basic ", "empty credentials"],
    ["Basic    ", "only spaces"],
    [`Bearer ${b64("alice:secret")}`, "another scheme"],
    [`Digest ${b64("alice:secret")}`, "another scheme"],
    [`Basically ${b64("alice:secret")}`, "a longer scheme word"],
    [`Bas ${b64("alice:secret")}`, "a shorter scheme word (HAProxy's prefix compare would take it)"],
    [`Basic${b64("alice:secret")}`, "no space after the scheme"],
    [`Basic ${b64("alicesecret")}`, "no colon"],
    ["Basic YWxpY2U6c2VjcmV0!", "a character outside base64"],
    ["Basic YWxpY2U6c2VjcmU", "missing padding (YWxpY2U6c2VjcmU= is alice:secre)"],
    ["Basic YWxpY2U6c2Vj=mV0", "padding in the middle"],
    ["Basic YWxpY2U6c2VjcmV0===", "too much padding"],
    ["Basic YWxp Y2U6c2VjcmV0", "a space inside"],
    ["Basic YWxpY2U6c2VjcmV0-_==", "base64url characters"],
    ["Basic YWxpY2U6c2VjcmV0é=", "a non-ASCII character"],
    ["Basic " + Buffer.from("alice:se\0cret").toString("base64"), "a NUL in the password"],
    ["Basic " + Buffer.from("al\0ice:secret").toString("base64"), "a NUL in the user"],
    ["Basic " + Buffer.from([0xe9, 0x3a, 0x61]).toString("base64"), "a user name that is not UTF-8"],
  ])("%j gives no credentials (%s)", (value) => {
    expect(parseBasic(value)).toBeUndefined();
  });
});
