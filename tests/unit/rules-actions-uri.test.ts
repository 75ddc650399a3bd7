// Request line rewrites (set-method, set-path, set-pathq, set-query,
// set-uri, replace-path, replace-pathq, replace-uri) and normalize-uri with
// the examples of HAProxy's documentation.
import { describe, expect, test } from "bun:test";
import {
  decodeUnreserved,
  encodeFragment,
  mergeSlashes,
  percentToUppercase,
  sortQuery,
  stripDot,
  stripDotDot,
  stripFragment,
} from "../../src/rules/actions/normalize-uri.ts";
import { Verdict } from "../../src/rules/types.ts";
import { action, compileError, fieldLines, fieldsRequest, request, text, txn } from "./rules-actions-support.ts";

/** The target after running `line` on a request for `target`. */
function rewrite(line: string | string[], target: string, headers = ["Host: example.com"]): string {
  const t = txn(request(target, headers));
  action("http-request", line)(t);
  return t.request!.target;
}

describe("set-path / set-pathq / set-query / set-uri", () => {
  const rows: [line: string, target: string, out: string][] = [
    ["set-path /new", "/old?q=1", "/new?q=1"],
    ["set-path /%[req.hdr(host)]%[path]", "/a?b", "/example.com/a?b"],
    ["set-path /new", "http://example.com/old?q", "http://example.com/new?q"],
    ["set-pathq /new", "/old?q=1", "/new"],
    ["set-pathq /new?x=2", "http://example.com/old?q", "http://example.com/new?x=2"],
    ["set-query x=2", "/p?q=1", "/p?x=2"],
    ["set-query x=2", "/p", "/p?x=2"],
    ["set-query %[req.hdr(x-none)]", "/p?q=1", "/p?"],
    ["set-query %[req.hdr(x-none)]", "/p", "/p"],
    ["set-uri /u?v", "/p?q", "/u?v"],
  ];
  for (const [line, target, out] of rows) {
    test(`${line} on ${target} → ${out}`, () => {
      expect(rewrite(line, target)).toBe(out);
    });
  }

  test("set-uri with an absolute URI rewrites Host", () => {
    const t = txn(request("/p", ["Host: example.com"]));
    action("http-request", "set-uri http://other.example/x")(t);
    expect(t.request!.target).toBe("http://other.example/x");
    expect(fieldLines(t.request)).toEqual(["Host: other.example"]);
  });

  test("set-method", () => {
    const t = txn(request("/p", ["Host: h"], "POST"));
    action("http-request", "set-method GET")(t);
    expect(t.request!.method).toBe("GET");
    const bad = txn();
    const before = bad.request;
    action("http-request", ["set-method", "NOT A TOKEN"])(bad);
    expect(bad.request).toBe(before);
  });

  test("a target that cannot be written is refused", () => {
    expect(rewrite(["set-path", "/with space"], "/p")).toBe("/p");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "set-path")).toBe("'set-path' expects <fmt>");
    expect(compileError("http-request", "set-query if yes")).toBe("'set-query' expects <fmt>");
    expect(compileError("http-request", "set-uri %[bad]")).toBe("'set-uri' <fmt>: unknown fetch 'bad'");
  });
});

describe("replace-path / replace-pathq / replace-uri", () => {
  const rows: [line: string[], target: string, out: string][] = [
    [["replace-path", "(.*)", "/foo\\1"], "/bar?q=1", "/foo/bar?q=1"],
    [["replace-path", "/foo/(.*)", "/\\1"], "/foo/bar?q=1", "/bar?q=1"],
    [["replace-path", "/foo/(.*)", "/\\1"], "/other?q=1", "/other?q=1"],
    [["replace-path", "^/api", "/v2"], "http://example.com/api/x?q", "http://example.com/v2?q"],
    [["replace-pathq", "([^?]*)(\\?(.*))?", "\\1/foo\\2"], "/bar?q=1", "/bar/foo?q=1"],
    [["replace-uri", "^http://(.*)", "https://\\1"], "http://example.com/p", "https://example.com/p"],
    [["replace-uri", "([^/:]*://[^/]*)?(.*)", "\\1/foo\\2"], "/bar?q=1", "/foo/bar?q=1"],
  ];
  for (const [line, target, out] of rows) {
    test(`${line.join(" ")} on ${target} → ${out}`, () => {
      expect(rewrite(line, target)).toBe(out);
    });
  }

  test("the replacement is evaluated only for a match", () => {
    const t = txn(request("/nomatch"));
    t.vars.set("txn", "x", "1");
    // A throwing fetch in the replacement is never reached when the regex does not match.
    expect(action("http-request", ["replace-path", "^/foo", "%[throws]"])(t)).toBe(Verdict.continue);
    expect(t.request!.target).toBe("/nomatch");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "replace-path a")).toBe("'replace-path' expects <match-regex> and <replace-fmt>");
    expect(compileError("http-request", "replace-uri [ b")).toBe(
      "'replace-uri' <match-regex>: invalid regex '[': error parsing regexp: missing closing ]: `[`",
    );
  });
});

describe("normalize-uri: HAProxy's examples", () => {
  const table: [normalizer: string, input: string, output: string | 400][] = [
    ["fragment-encode", "/#foo", "/%23foo"],
    ["fragment-strip", "/#foo", "/"],
    ["path-strip-dot", "/.", "/"],
    ["path-strip-dot", "/./bar/", "/bar/"],
    ["path-strip-dot", "/a/./a", "/a/a"],
    ["path-strip-dot", "/.well-known/", "/.well-known/"],
    ["path-strip-dotdot", "/foo/../", "/"],
    ["path-strip-dotdot", "/foo/../bar/", "/bar/"],
    ["path-strip-dotdot", "/foo/bar/../", "/foo/"],
    ["path-strip-dotdot", "/../bar/", "/../bar/"],
    ["path-strip-dotdot", "/bar/../../", "/../"],
    ["path-strip-dotdot", "/foo//../", "/foo/"],
    ["path-strip-dotdot", "/foo/%2E%2E/", "/foo/%2E%2E/"],
    ["path-strip-dotdot full", "/../bar/", "/bar/"],
    ["path-strip-dotdot full", "/bar/../../", "/"],
    ["path-merge-slashes", "//", "/"],
    ["path-merge-slashes", "/foo//bar", "/foo/bar"],
    ["percent-decode-unreserved", "/%61dmin", "/admin"],
    ["percent-decode-unreserved", "/foo%3Fbar=baz", "/foo%3Fbar=baz"],
    ["percent-decode-unreserved", "/%%36%36", "/%66"],
    ["percent-decode-unreserved", "/%ZZ", "/%ZZ"],
    ["percent-decode-unreserved strict", "/%%36%36", 400],
    ["percent-decode-unreserved strict", "/%ZZ", 400],
    ["percent-to-uppercase", "/%6f", "/%6F"],
    ["percent-to-uppercase", "/%zz", "/%zz"],
    ["percent-to-uppercase strict", "/%zz", 400],
    ["query-sort-by-name", "/?c=3&a=1&b=2", "/?a=1&b=2&c=3"],
    ["query-sort-by-name", "/?aaa=3&a=1&aa=2", "/?a=1&aa=2&aaa=3"],
    ["query-sort-by-name", "/?a=3&b=4&a=1&b=5&a=2", "/?a=3&a=1&a=2&b=4&b=5"],
  ];
  for (const [normalizer, input, output] of table) {
    test(`${normalizer}: ${input} → ${output}`, () => {
      // HTTP/1.1 requests cannot carry a "#"; HTTP/2 ones can.
      const t = txn(input.includes("#") ? fieldsRequest(input) : request(input));
      const verdict = action("http-request", `normalize-uri ${normalizer}`)(t);
      if (output === 400) {
        expect(verdict).toBe(Verdict.reply);
        expect(t.reply!.status).toBe(400);
        expect(text(t.reply!.body)).toContain("400 Bad request");
        expect(t.request!.target).toBe(input);
      } else {
        expect(verdict).toBe(Verdict.continue);
        expect(t.request!.target).toBe(output);
      }
    });
  }

  test("path normalizers leave the query alone; others see it", () => {
    expect(rewrite("normalize-uri path-merge-slashes", "//a//b?x=//y")).toBe("/a/b?x=//y");
    expect(rewrite("normalize-uri path-strip-dotdot", "/a/../b?x=/../")).toBe("/b?x=/../");
    expect(rewrite("normalize-uri percent-decode-unreserved", "/%7e?q=%41")).toBe("/~?q=A");
    expect(rewrite("normalize-uri path-merge-slashes", "http://example.com//a")).toBe("http://example.com/a");
    const star = txn(request("*", ["Host: h"], "OPTIONS"));
    action("http-request", "normalize-uri path-merge-slashes")(star);
    expect(star.request!.target).toBe("*");
  });

  test("unchanged targets keep the same head", () => {
    const t = txn(request("/clean"));
    const before = t.request;
    action("http-request", "normalize-uri path-strip-dotdot")(t);
    expect(t.request).toBe(before);
  });

  test("the pure functions on edge cases", () => {
    expect(stripDotDot("/a/..", false)).toBe("/");
    expect(stripDotDot("/..", false)).toBe("/../");
    expect(stripDotDot("/..", true)).toBe("/");
    expect(stripDotDot("/a/../../b", false)).toBe("/../b");
    expect(stripDotDot("/a/b/..", false)).toBe("/a/");
    expect(stripDot("/a/.")).toBe("/a/");
    expect(mergeSlashes("/a///b//")).toBe("/a/b/");
    expect(decodeUnreserved("/%4a%2F", false)).toBe("/J%2F");
    expect(decodeUnreserved("/%4", true)).toBeUndefined();
    expect(percentToUppercase("/%", false)).toBe("/%");
    expect(sortQuery("/p")).toBe("/p");
    expect(sortQuery("/p?b&&a")).toBe("/p?&a&b");
    expect(stripFragment("/a?b#c")).toBe("/a?b");
    expect(encodeFragment("/a#b#c")).toBe("/a%23b%23c");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "normalize-uri")).toBe("'normalize-uri' expects <normalizer>");
    expect(compileError("http-request", "normalize-uri path-squash")).toBe(
      "'normalize-uri': unknown normalizer 'path-squash' (expected fragment-encode, fragment-strip, path-merge-slashes, path-strip-dot, path-strip-dotdot, percent-decode-unreserved, percent-to-uppercase, query-sort-by-name)",
    );
    expect(compileError("http-request", "normalize-uri path-strip-dotdot strict")).toBe(
      "'normalize-uri': unknown argument 'strict' for 'path-strip-dotdot' normalizer (expected 'full')",
    );
    expect(compileError("http-request", "normalize-uri path-merge-slashes full")).toBe(
      "'normalize-uri': unexpected 'full' after its arguments (expected 'if' or 'unless' and a condition)",
    );
  });
});
