// What the hash algorithms take from a request, as HAProxy takes it.
import { describe, expect, test } from "bun:test";
import { queryParam, uriKey } from "../../../src/balance/key.ts";

const o = (whole = false, len = 0, depth = 0) => ({ whole, len, depth });

describe("uri", () => {
  test("the path without the query, unless whole", () => {
    expect(uriKey("/a/b?x=1", o())).toBe("/a/b");
    expect(uriKey("/a/b?x=1", o(true))).toBe("/a/b?x=1");
  });
  test("len cuts to that many characters; depth to that many directories", () => {
    expect(uriKey("/abcdef/g", o(false, 4))).toBe("/abc");
    expect(uriKey("/a/b/c/d", o(false, 0, 2))).toBe("/a/b");
    expect(uriKey("/a/b/c/d", o(false, 0, 1))).toBe("/a");
    expect(uriKey("/a", o(false, 0, 3))).toBe("/a");
  });
  test("an absolute-form target hashes from its path", () => {
    expect(uriKey("http://example.com/a/b?q", o())).toBe("/a/b");
    expect(uriKey("http://example.com", o())).toBe("");
  });
});

describe("url_param", () => {
  test("the value of the named parameter, whole names only", () => {
    expect(queryParam("/p?user=ann&x=1", "user")).toBe("ann");
    expect(queryParam("/p?x=1&user=bob", "user")).toBe("bob");
    expect(queryParam("/p?username=carl&user=dan", "user")).toBe("dan");
    expect(queryParam("/p?x=1", "user")).toBeUndefined();
    expect(queryParam("/p", "user")).toBeUndefined();
    expect(queryParam("/p?user=", "user")).toBe("");
  });
});
