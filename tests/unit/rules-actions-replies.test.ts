// deny, tarpit, return, auth and redirect: the replies they build (status,
// fields, body; shared when constant), HAProxy's Location rules, argument
// errors.
import { describe, expect, test } from "bun:test";
import { defaultErrorPage } from "../../src/http/error-pages.ts";
import { parseRawResponse } from "../../src/http/raw-response.ts";
import { Verdict } from "../../src/rules/types.ts";
import { action, bytes, compileError, context, fieldsRequest, request, response, text, txn } from "./rules-actions-support.ts";

/** The body of sluice's own page for `status`. */
function pageBody(status: number): string {
  const page = parseRawResponse(defaultErrorPage(status));
  if (typeof page === "string") throw new Error(page);
  return text(page.body);
}

describe("deny / tarpit", () => {
  test("deny: 403 with sluice's page, fields without framing or Connection", () => {
    const t = txn();
    expect(action("http-request", "deny")(t)).toBe(Verdict.reply);
    expect(t.reply!.status).toBe(403);
    expect(text(t.reply!.body)).toBe(pageBody(403));
    expect(t.reply!.fields).toEqual([["cache-control", "no-cache"], ["content-type", "text/html"]]);
    expect(t.reply!.close).toBeUndefined();
  });

  test("deny deny_status N: the page for N; the proxy's errorfile wins", () => {
    const t = txn();
    action("http-request", "deny deny_status 429")(t);
    expect(t.reply!.status).toBe(429);
    expect(text(t.reply!.body)).toContain("429 Too Many Requests");
    const ctx = context({ errorFiles: { 429: bytes("HTTP/1.1 429 Slow\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nwait") } });
    const u = txn();
    action("http-request", "deny deny_status 429 if yes", ctx)(u);
    // The errorfile's own status line goes out as it is (HAProxy sends the file unchanged).
    expect(u.reply).toEqual({ status: 429, reason: "Slow", fields: [["Content-Type", "text/plain"]], body: bytes("wait") });
  });

  test("errorfiles NAME: the status's page of that http-errors section as it is; an empty reply when it has none (HAProxy 2.6.12)", () => {
    const page = bytes("HTTP/1.1 403 Go away\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nno\n");
    const base = context();
    const ctx = context({ env: { ...base.env, httpErrors: (name: string) => (name === "site" ? { 403: page } : undefined) } });
    const t = txn();
    action("http-request", "deny errorfiles site", ctx)(t);
    expect(t.reply).toEqual({ status: 403, reason: "Go away", fields: [["content-type", "text/plain"]], body: bytes("no\n") });
    const u = txn();
    action("http-request", "return status 503 content-type text/plain errorfiles site hdr x-a b", ctx)(u);
    expect(u.reply).toEqual({ status: 503, reason: "Service Unavailable", fields: [], body: new Uint8Array(0), local: true });
    expect(ctx.warnings).toContain("'return': status '503' is not declared in http-errors section 'site'");
  });

  test("http-response deny: 502 by default", () => {
    const t = txn(request(), response());
    expect(action("http-response", "deny")(t)).toBe(Verdict.reply);
    expect(t.reply!.status).toBe(502);
  });

  test("deny status N with nothing else: an empty reply (HAProxy's http reply without payload)", () => {
    const t = txn();
    action("http-request", "deny status 429")(t);
    expect(t.reply).toEqual({ status: 429, reason: "Too Many Requests", fields: [], body: new Uint8Array(0) });
  });

  test("deny with content-type and string, and hdr", () => {
    const t = txn();
    action("http-request", ["deny", "deny_status", "451", "content-type", "text/plain", "string", "blocked", "hdr", "X-Why", "%[src]"])(t);
    expect(t.reply).toEqual({
      status: 451,
      reason: "Unavailable For Legal Reasons",
      fields: [["content-type", "text/plain"], ["X-Why", "192.0.2.7"]],
      body: bytes("blocked"),
    });
  });

  test("deny errorfile FILE: the file's own response", () => {
    const ctx = context({ files: { "e.http": "HTTP/1.1 403 Go Away\nX-E: 1\n\nnope\n" } });
    const t = txn();
    action("http-request", "deny errorfile e.http", ctx)(t);
    expect(t.reply).toEqual({ status: 403, reason: "Go Away", fields: [["X-E", "1"]], body: bytes("nope\n") });
  });

  test("tarpit: 500 by default, the connection kept (HAProxy 2.6's page says no connection: close)", () => {
    const t = txn();
    expect(action("http-request", "tarpit")(t)).toBe(Verdict.tarpit);
    expect(t.reply!.status).toBe(500);
    expect(t.reply!.close).toBeUndefined();
  });

  test("deny_status 400 or 408: HAProxy's page says connection: close, and the connection closes; 403 keeps it", () => {
    for (const [status, close] of [[400, true], [408, true], [403, undefined], [500, undefined]] as const) {
      const t = txn();
      action("http-request", `deny deny_status ${status}`)(t);
      expect(t.reply!.close).toBe(close);
    }
  });

  test("a constant reply is built once, shared and frozen", () => {
    const run = action("http-request", "deny");
    const a = txn();
    const b = txn();
    run(a);
    run(b);
    expect(a.reply).toBe(b.reply!);
    expect(Object.isFrozen(a.reply)).toBe(true);
    expect(Object.isFrozen(a.reply!.fields)).toBe(true);
    expect(() => a.reply!.fields.push(["x", "y"])).toThrow();
  });

  test("argument errors", () => {
    expect(compileError("http-request", "deny deny_status")).toBe("'deny' 'deny_status' expects <status_code>");
    expect(compileError("http-request", "deny deny_status 99")).toBe(
      "'deny' 'deny_status': unexpected status code '99' (expected 200 to 599)",
    );
    expect(compileError("http-request", "deny deny_status 418")).toBe(
      "'deny': status code '418' has no default error page (expected one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)",
    );
    expect(compileError("http-request", "deny string x")).toBe("'deny': a content-type is required with a payload (add 'content-type <type>')");
    expect(compileError("http-request", "deny errorfile missing.http")).toBe(
      "'deny' 'errorfile': cannot read 'missing.http': cannot open missing.http",
    );
    const ctx = context({ files: { "bad.http": "hello" } });
    expect(compileError("http-request", "deny errorfile bad.http", ctx)).toBe(
      `'deny' 'errorfile': 'bad.http' is not an HTTP response (it must start with a status line such as "HTTP/1.1 403 Forbidden")`,
    );
    expect(compileError("http-request", "deny content-type text/plain string a string b")).toBe(
      "'deny': unexpected 'string' argument, 'string' already defined",
    );
    expect(compileError("http-request", "deny errorfiles myerrors")).toBe(
      "'deny': unknown http-errors section 'myerrors' referenced by 'errorfiles'",
    );
    expect(compileError("http-request", "return status 414 errorfiles myerrors")).toBe(
      "'return': status code '414' not handled by default with 'errorfiles' argument (expected one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)",
    );
    expect(compileError("http-request", "return status 503 errorfiles")).toBe("'return' 'errorfiles' expects <name>");
    expect(compileError("http-request", "deny hdr X")).toBe("'deny' 'hdr' expects <name> and <fmt>");
    expect(compileError("http-request", "deny bogus")).toBe(
      "'deny': unexpected 'bogus' after its arguments (expected 'if' or 'unless' and a condition)",
    );
  });
});

describe("return", () => {
  test("the status line's reason is HAProxy's (its names where they differ from RFC 9110's, else the class's)", () => {
    for (const [status, reason] of [[502, "Bad Gateway or Proxy Error"], [504, "Gateway Time-out"], [408, "Request Time-out"], [413, "Request Entity Too Large"], [299, "Success"], [599, "Server Error"], [404, "Not Found"], [302, "Moved Temporarily"], [422, "Unprocessable Content"], [418, "I'm a teapot"]] as const) {
      const t = txn();
      action("http-request", `return status ${status}`)(t);
      expect(t.reply!.reason).toBe(reason);
    }
  });

  test("default: an empty 200", () => {
    const t = txn();
    expect(action("http-request", "return")(t)).toBe(Verdict.reply);
    expect(t.reply).toEqual({ status: 200, reason: "OK", fields: [], body: new Uint8Array(0), local: true });
  });

  test("HAProxy's example: lf-string evaluated per transaction", () => {
    const run = action("http-request", [
      "return", "status", "403", "content-type", "text/plain", "lf-string", "Access denied. IP %[src] is blacklisted.",
    ]);
    const t = txn();
    run(t);
    expect(t.reply!.status).toBe(403);
    expect(t.reply!.fields).toEqual([["content-type", "text/plain"]]);
    expect(text(t.reply!.body)).toBe("Access denied. IP 192.0.2.7 is blacklisted.");
  });

  test("file: its bytes as they are (binary safe)", () => {
    const icon = new Uint8Array([0, 1, 2, 255, 254]);
    const ctx = context({ files: { "favicon.ico": icon } });
    const t = txn();
    action("http-request", "return content-type image/x-icon file favicon.ico", ctx)(t);
    expect(t.reply).toEqual({ status: 200, reason: "OK", fields: [["content-type", "image/x-icon"]], body: icon, local: true });
  });

  test("lf-file: a log-format file", () => {
    const ctx = context({ files: { "tpl.txt": "you are %[src]" } });
    const t = txn();
    action("http-request", "return content-type text/plain lf-file tpl.txt", ctx)(t);
    expect(text(t.reply!.body)).toBe("you are 192.0.2.7");
  });

  test("hdr names the reply computes are ignored with a warning", () => {
    const ctx = context();
    const t = txn();
    action("http-request", "return hdr Content-Length 5 hdr X-Ok 1", ctx)(t);
    expect(t.reply!.fields).toEqual([["X-Ok", "1"]]);
    expect(ctx.warnings).toEqual(["'return': header 'Content-Length' is always ignored by the reply"]);
  });

  test("content-type without a payload is ignored with a warning", () => {
    const ctx = context();
    const t = txn();
    action("http-request", "return status 204 content-type text/plain", ctx)(t);
    expect(t.reply).toEqual({ status: 204, reason: "No Content", fields: [], body: new Uint8Array(0), local: true });
    expect(ctx.warnings).toEqual(["'return': content-type 'text/plain' is ignored without a payload"]);
  });

  test("argument errors", () => {
    expect(compileError("http-request", "return status 600")).toBe("'return' 'status': unexpected status code '600' (expected 200 to 599)");
    expect(compileError("http-request", "return deny_status 403")).toBe(
      "'return': unexpected 'deny_status' after its arguments (expected 'if' or 'unless' and a condition)",
    );
    expect(compileError("http-request", "return status 204 content-type text/plain string x")).toBe(
      "'return': no body is allowed in a 204 response",
    );
    expect(compileError("http-request", "return lf-string %[src]")).toBe("'return': a content-type is required with a payload (add 'content-type <type>')");
    expect(compileError("http-request", "return content-type text/plain lf-string %[nope]")).toBe("'return' 'lf-string': unknown fetch 'nope'");
    expect(compileError("http-request", "return hdr Bad:Name v")).toBe("'return' 'hdr': 'Bad:Name' is not a valid header name");
  });
});

describe("auth", () => {
  test("401 with sluice's page and a Basic challenge; realm defaults to the proxy's name", () => {
    const t = txn();
    expect(action("http-request", "auth")(t)).toBe(Verdict.reply);
    expect(t.reply!.status).toBe(401);
    expect(t.reply!.fields).toContainEqual(["www-authenticate", 'Basic realm="fe"']);
    expect(text(t.reply!.body)).toBe(pageBody(401));
  });

  test("realm R; the proxy's 401 errorfile with its own challenge replaced", () => {
    const ctx = context({
      errorFiles: { 401: bytes('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="old"\r\nX-Page: 1\r\n\r\nlogin') },
    });
    const t = txn();
    action("http-request", ["auth", "realm", "My Realm", "if", "yes"], ctx)(t);
    expect(t.reply).toEqual({
      status: 401,
      fields: [["X-Page", "1"], ["www-authenticate", 'Basic realm="My Realm"']],
      body: bytes("login"),
      local: true,
    });
  });

  test("argument errors", () => {
    expect(compileError("http-request", "auth realm")).toBe("'auth' 'realm' expects <realm>");
    expect(compileError("http-request", ["auth", "realm", 'a"b'])).toBe(`'auth' 'realm': 'a"b' cannot be written in a challenge`);
  });
});

describe("redirect: HAProxy's Location rules", () => {
  const rows: [rule: string, target: string, host: string | undefined, status: number, location: string][] = [
    ["location /denied.html", "/a?b=1", "h", 302, "/denied.html"],
    ["location http://www.%[req.hdr(host)]%[url] code 301", "/a?b=1", "h", 301, "http://www.h/a?b=1"],
    ["prefix https://mysite.com", "/login?x=1", "h", 302, "https://mysite.com/login?x=1"],
    ["prefix http://mysite.com drop-query", "/login?x=1", "h", 302, "http://mysite.com/login"],
    ["prefix / drop-query append-slash code 301", "/article/abc?x=1", "h", 301, "/article/abc/"],
    ["prefix / append-slash", "/article/", "h", 302, "/article/"],
    ["prefix / append-slash", "/article?x=1", "h", 302, "/article?x=1/"],
    ["prefix /", "/same?x", "h", 302, "/same?x"],
    ["prefix %[req.hdr(x-none)]/", "/same", "h", 302, "//same"],
    ["prefix https://a.example", "http://h.example/p?q", "h.example", 302, "https://a.example/p?q"],
    ["scheme https", "/p?q=1", "example.com:8080", 302, "https://example.com:8080/p?q=1"],
    ["scheme https drop-query", "/p?q=1", "example.com", 302, "https://example.com/p"],
    ["scheme https", "/p", undefined, 302, "https:///p"],
    ["scheme https code 308", "/", "example.com", 308, "https://example.com/"],
    ["scheme https append-slash", "/dir", "example.com", 302, "https://example.com/dir/"],
    ["location /x code 303", "/", "h", 303, "/x"],
    ["location /x code 307", "/", "h", 307, "/x"],
    // append-slash is prefix's and scheme's: a location goes as written (HAProxy 2.6).
    ["location /dir append-slash", "/dir", "h", 302, "/dir"],
  ];
  for (const [rule, target, host, status, location] of rows) {
    test(`${rule} on ${target} → ${status} ${location}`, () => {
      // No Host: an HTTP/2-style head (HTTP/1.1 requires one).
      const t = txn(host === undefined ? fieldsRequest(target, []) : request(target, [`Host: ${host}`]));
      expect(action("http-request", `redirect ${rule}`)(t)).toBe(Verdict.reply);
      expect(t.reply!.status).toBe(status);
      expect(t.reply!.fields[0]).toEqual(["location", location]);
      expect(t.reply!.body.length).toBe(0);
    });
  }

  test("302, 303 and 307 say Cache-Control: no-cache; 301 and 308 do not", () => {
    for (const code of [301, 302, 303, 307, 308]) {
      const t = txn();
      action("http-request", `redirect location /x code ${code}`)(t);
      const cached = t.reply!.fields.some(([n, v]) => n === "cache-control" && v === "no-cache");
      expect([code, cached]).toEqual([code, code === 302 || code === 303 || code === 307]);
    }
  });

  test("set-cookie and clear-cookie", () => {
    const t = txn();
    action("http-request", "redirect prefix https://mysite.com set-cookie SEEN=1")(t);
    expect(t.reply!.fields).toContainEqual(["set-cookie", "SEEN=1; path=/;"]);
    const u = txn();
    action("http-request", "redirect location / clear-cookie USERID=")(u);
    expect(u.reply!.fields).toContainEqual(["set-cookie", "USERID=; path=/; Max-Age=0;"]);
  });

  test("ignore-empty skips the rule when the location is empty", () => {
    const t = txn();
    expect(action("http-request", "redirect location %[req.hdr(x-none)] ignore-empty")(t)).toBe(Verdict.continue);
    expect(t.reply).toBeUndefined();
    expect(action("http-request", "redirect location %[req.hdr(x-none)]")(t)).toBe(Verdict.reply);
  });

  test("a constant location is one shared reply", () => {
    const run = action("http-request", "redirect location /x");
    const a = txn();
    const b = txn();
    run(a);
    run(b);
    expect(a.reply).toBe(b.reply!);
    expect(Object.isFrozen(a.reply)).toBe(true);
  });

  test("http-response redirect: location only", () => {
    const t = txn(request(), response());
    expect(action("http-response", "redirect location /moved code 301")(t)).toBe(Verdict.reply);
    expect(t.reply!.fields[0]).toEqual(["location", "/moved"]);
    expect(compileError("http-response", "redirect prefix /x")).toBe("'redirect': http-response only supports redirect type 'location'");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "redirect")).toBe("'redirect': redirection type expected ('prefix', 'location', or 'scheme')");
    expect(compileError("http-request", "redirect location")).toBe("'redirect': missing argument for 'location'");
    expect(compileError("http-request", "redirect location /x code 304")).toBe(
      "'redirect' 'code': unsupported HTTP code '304' (must be one of 301, 302, 303, 307 or 308)",
    );
    expect(compileError("http-request", "redirect location /x keep-query")).toBe(
      "'redirect' expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was 'keep-query')",
    );
  });
});
