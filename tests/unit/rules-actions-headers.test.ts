// set-header, add-header, del-header, replace-header, replace-value on
// requests and responses; their argument errors.
import { describe, expect, test } from "bun:test";
import { action, compileError, context, fieldLines, request, response, txn } from "./rules-actions-support.ts";

describe("set-header / add-header", () => {
  test("set replaces every occurrence; the value may read the one it replaces", () => {
    const t = txn(request("/", ["Host: h", "X-Chain: a", "x-chain: b"]));
    action("http-request", "set-header X-Chain %[req.hdr(x-chain)],c")(t);
    expect(fieldLines(t.request)).toEqual(["Host: h", "X-Chain: a,c"]);
  });

  test("add appends, log-format values evaluated per transaction", () => {
    const run = action("http-request", "add-header X-Client %[src]");
    const t = txn(request("/", ["Host: h", "X-Client: old"]));
    run(t);
    expect(fieldLines(t.request)).toEqual(["Host: h", "X-Client: old", "X-Client: 192.0.2.7"]);
    const other = txn();
    other.client = { ...other.client, address: "198.51.100.1" };
    run(other);
    expect(other.request!.get("x-client")).toBe("198.51.100.1");
  });

  test("constant values are not compiled as log-format", () => {
    const ctx = context();
    action("http-request", "set-header X-Plain value", ctx);
    action("http-request", "set-header X-Fmt %[src]", ctx);
    expect(ctx.formats).toEqual(["%[src]"]);
  });

  test("responses: http-response and http-after-response edit the response", () => {
    for (const set of ["http-response", "http-after-response"] as const) {
      const t = txn(request(), response(200, ["Content-Length: 0", "Server: x"]));
      const req = t.request;
      action(set, "set-header Strict-Transport-Security max-age=31536000")(t);
      expect(fieldLines(t.response)).toEqual(["Content-Length: 0", "Server: x", "Strict-Transport-Security: max-age=31536000"]);
      expect(t.request).toBe(req);
    }
  });

  test("argument errors", () => {
    expect(compileError("http-request", "set-header")).toBe("'set-header' expects a header <name>");
    expect(compileError("http-request", "set-header X")).toBe("'set-header' expects <name> and <fmt>");
    expect(compileError("http-request", "add-header Bad:Name v")).toBe("'add-header': 'Bad:Name' is not a valid header name");
    expect(compileError("http-request", "set-header X %[nope]")).toBe("'set-header' <fmt>: unknown fetch 'nope'");
    expect(compileError("http-request", "set-header X a b")).toBe(
      "'set-header': unexpected 'b' after its arguments (expected 'if' or 'unless' and a condition)",
    );
  });
});

describe("del-header", () => {
  test("by name, any case", () => {
    const t = txn(request("/", ["Host: h", "X-Forwarded-For: 1.2.3.4", "x-forwarded-for: 5.6.7.8", "Accept: */*"]));
    action("http-request", "del-header X-FORWARDED-FOR")(t);
    expect(fieldLines(t.request)).toEqual(["Host: h", "Accept: */*"]);
  });

  test("nothing to delete keeps the same head", () => {
    const t = txn();
    const before = t.request;
    action("http-request", "del-header X-Absent")(t);
    expect(t.request).toBe(before);
  });

  const methods: [meth: string, pattern: string, kept: string[]][] = [
    ["str", "x-a", ["Host: h", "X-Ab: 2", "Y-X-A: 3", "X-B: 4"]],
    ["beg", "X-A", ["Host: h", "Y-X-A: 3", "X-B: 4"]],
    ["end", "-a", ["Host: h", "X-Ab: 2", "X-B: 4"]],
    ["sub", "x-a", ["Host: h", "X-B: 4"]],
    ["reg", "^x-(a|b)$", ["Host: h", "X-Ab: 2", "Y-X-A: 3"]],
  ];
  for (const [meth, pattern, kept] of methods) {
    test(`-m ${meth} ${pattern}`, () => {
      const t = txn(request("/", ["Host: h", "X-A: 1", "X-Ab: 2", "Y-X-A: 3", "X-B: 4"]));
      action("http-request", `del-header ${pattern} -m ${meth}`)(t);
      expect(fieldLines(t.request)).toEqual(kept);
    });
  }

  test("argument errors", () => {
    expect(compileError("http-request", "del-header")).toBe("'del-header' expects a header <name>");
    expect(compileError("http-request", "del-header X -m fuzzy")).toBe(
      "'del-header' -m: unknown matching method 'fuzzy' (expected str, beg, end, sub, reg)",
    );
    expect(compileError("http-request", "del-header (x -m reg")).toBe(
      "'del-header' <name>: invalid regex '(x': error parsing regexp: missing closing ): `(x`",
    );
  });
});

describe("replace-header", () => {
  test("HAProxy's Cookie example: the whole value is replaced by the expansion", () => {
    const t = txn(request("/", ["Host: h", "Cookie: foo=foobar; expires=Tue, 14-Jun-2016 01:40:45 GMT;"]));
    action("http-request", ["replace-header", "Cookie", "foo=([^;]*);(.*)", "foo=\\1;ip=%[src];\\2"])(t);
    expect(t.request!.get("cookie")).toBe("foo=foobar;ip=192.0.2.7; expires=Tue, 14-Jun-2016 01:40:45 GMT;");
  });

  test("HAProxy's User-Agent example: an unanchored match replaces the whole value", () => {
    const t = txn(request("/", ["Host: h", "User-Agent: curl/7.47.0"]));
    action("http-request", "replace-header User-Agent curl foo")(t);
    expect(t.request!.get("user-agent")).toBe("foo");
  });

  test("every occurrence is tried; values that do not match stay", () => {
    const t = txn(request("/", ["Host: h", "X: a1", "X: b2", "x: a3"]));
    action("http-request", ["replace-header", "x", "^a(\\d)$", "A\\1"])(t);
    expect(fieldLines(t.request)).toEqual(["Host: h", "X: A1", "X: b2", "x: A3"]);
  });

  test("matching is case-sensitive; no match keeps the same head", () => {
    const t = txn(request("/", ["Host: h", "User-Agent: Curl"]));
    const before = t.request;
    action("http-request", "replace-header User-Agent curl foo")(t);
    expect(t.request).toBe(before);
  });

  test("escapes in the replacement: \\xHH and a literal backslash", () => {
    const t = txn(request("/", ["Host: h", "X: v"]));
    action("http-request", ["replace-header", "X", "(v)", "\\x41\\\\\\1"])(t);
    expect(t.request!.get("x")).toBe("A\\v");
  });

  test("Host replaced on an absolute-form request moves the target's authority", () => {
    const t = txn(request("http://old.example/p", ["Host: old.example"]));
    action("http-request", ["replace-header", "Host", "old", "new"])(t);
    expect(t.request!.target).toBe("http://new/p");
    expect(t.request!.host).toBe("new");
  });

  test("http-after-response example: Set-Cookie rewritten", () => {
    const t = txn(request(), response(200, ["Content-Length: 0", "Set-Cookie: C=1; expires=Tue, 14-Jun-2016 01:40:45 GMT"]));
    action("http-after-response", ["replace-header", "Set-Cookie", "(C=[^;]*);(.*)", "\\1;ip=%[src];\\2"])(t);
    expect(t.response!.get("set-cookie")).toBe("C=1;ip=192.0.2.7; expires=Tue, 14-Jun-2016 01:40:45 GMT");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "replace-header X a")).toBe(
      "'replace-header' expects <name>, <match-regex> and <replace-fmt>",
    );
    expect(compileError("http-request", "replace-header X (?=a) b")).toBe(
      "'replace-header' <match-regex>: invalid regex '(?=a)': error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    );
    expect(compileError("http-request", ["replace-header", "X", "a", "b\\"])).toBe(
      "'replace-header' <replace-fmt>: 'b\\' ends in an incomplete escape (\\ or \\xHH)",
    );
  });
});

describe("replace-value", () => {
  // HAProxy 2.6's output, checked against the Debian build: the documentation shows the blanks kept, the code drops
  // those around a replaced element.
  test("HAProxy's X-Forwarded-For example: each element on its own", () => {
    const t = txn(request("/", ["Host: h", "X-Forwarded-For: 192.168.10.1, 192.168.13.24, 10.0.0.37"]));
    action("http-request", ["replace-value", "X-Forwarded-For", "^192\\.168\\.(.*)$", "172.16.\\1"])(t);
    expect(t.request!.get("x-forwarded-for")).toBe("172.16.10.1,172.16.13.24, 10.0.0.37");
  });

  test("HAProxy's Cache-Control example", () => {
    const t = txn(request(), response(200, ["Content-Length: 0", "Cache-Control: max-age=3600, public"]));
    action("http-after-response", "replace-value Cache-control ^public$ private")(t);
    expect(t.response!.get("cache-control")).toBe("max-age=3600,private");
  });

  test("a replaced element takes the blanks around it (as HAProxy 2.6 does)", () => {
    const t = txn(request("/", ["Host: h", "Accept: a, b, c", "X: b , a"]));
    action("http-request", "replace-value Accept ^b$ X")(t);
    action("http-request", "replace-value X ^b$ X")(t);
    expect(t.request!.get("accept")).toBe("a,X, c");
    expect(t.request!.get("x")).toBe("X, a");
  });

  test("argument errors", () => {
    expect(compileError("http-response", "replace-value")).toBe("'replace-value' expects a header <name>");
  });
});
