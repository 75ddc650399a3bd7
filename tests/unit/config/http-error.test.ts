// `http-error` lines: parsed as HAProxy 2.6 takes them; pages built at load.
import { expect, test } from "bun:test";
import { httpErrorPage, parseHttpError } from "../../../src/config/schema-http-error.ts";

test("the forms HAProxy takes, log-format ones too; what it refuses", () => {
  expect(parseHttpError(["status", "503", "content-type", "text/plain", "string", "down", "hdr", "x-a", "1"])).toEqual({
    code: 503,
    contentType: "text/plain",
    payload: { kind: "string", text: "down" },
    hdrs: [["x-a", "1"]],
  });
  expect(parseHttpError(["status", "429", "default-errorfiles"])).toEqual({ code: 429, payload: { kind: "default-errorfiles" }, hdrs: [] });
  expect(parseHttpError(["status", "404", "errorfile", "e.http"])).toEqual({ code: 404, payload: { kind: "errorfile", path: "e.http" }, hdrs: [] });
  expect(parseHttpError(["status", "404", "errorfiles", "site"])).toEqual({ code: 404, payload: { kind: "errorfiles", section: "site" }, hdrs: [] });
  expect(parseHttpError(["status", "503", "content-type", "text/plain", "lf-string", "%[src]", "hdr", "x", "%[path]"])).toEqual({
    code: 503,
    contentType: "text/plain",
    payload: { kind: "lf-string", text: "%[src]" },
    hdrs: [["x", "%[path]"]],
  });
  const usage =
    "usage: http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file> | string <text> | lf-string <fmt>] [hdr <name> <fmt>]...";
  expect([
    parseHttpError(["status", "302"]),
    parseHttpError(["code", "503"]),
    parseHttpError(["status", "503", "string", "x"]),
    parseHttpError(["status", "503", "lf-file", "x.lf"]),
    parseHttpError(["status", "503", "errorfiles", "site", "errorfile", "e.http"]),
    parseHttpError(["status", "503", "bogus"]),
  ]).toEqual([
    "http-error: status '302' has no error message to replace (expected one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)",
    `http-error: expects 'status <code>' first (${usage})`,
    "http-error: a content-type is required with a payload (add 'content-type <type>')",
    "http-error: a content-type is required with a payload (add 'content-type <type>')",
    "http-error: unexpected 'errorfile' argument, 'errorfiles' already defined",
    `http-error: 'bogus' expects an argument (${usage})`,
  ]);
});

test("what HAProxy 2.6.12 drops with a warning: a content-type or hdr with an errorfile, a content-type without payload", () => {
  expect(parseHttpError(["status", "503", "content-type", "text/plain", "errorfile", "e.http", "hdr", "x", "1"])).toEqual({
    code: 503,
    payload: { kind: "errorfile", path: "e.http" },
    hdrs: [],
    ignored: ["content-type 'text/plain' is ignored with an errorfile", "'hdr' arguments are ignored with an errorfile"],
  });
  expect(parseHttpError(["status", "502", "content-type", "text/plain"])).toEqual({
    code: 502,
    payload: { kind: "none" },
    hdrs: [],
    ignored: ["content-type 'text/plain' is ignored without a payload"],
  });
});

test("a page with log-format parts is left to be built per transaction; one without is built now", () => {
  const dynamic = parseHttpError(["status", "503", "content-type", "text/plain", "lf-string", "down for %[path] (100%%)", "hdr", "x-a", "1"]);
  if (typeof dynamic === "string") throw new Error(dynamic);
  expect(httpErrorPage(dynamic, (p) => p, 16384)).toEqual({
    ok: true,
    format: { code: 503, contentType: "text/plain", body: "down for %[path] (100%%)", hdrs: [["x-a", "1"]] },
  });
  // A constant body with a log-format hdr: its `%` stays a `%` once built.
  const hdrOnly = parseHttpError(["status", "503", "content-type", "text/plain", "string", "50% off", "hdr", "x-p", "%[path]"]);
  if (typeof hdrOnly === "string") throw new Error(hdrOnly);
  expect(httpErrorPage(hdrOnly, (p) => p, 16384)).toEqual({
    ok: true,
    format: { code: 503, contentType: "text/plain", body: "50%% off", hdrs: [["x-p", "%[path]"]] },
  });
  const constant = parseHttpError(["status", "503", "content-type", "text/plain", "lf-string", "plain"]);
  if (typeof constant === "string") throw new Error(constant);
  const page = httpErrorPage(constant, (p) => p, 16384);
  expect(page !== undefined && "response" in page && new TextDecoder().decode(page.response)).toBe(
    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nplain",
  );
});

test("a page as HAProxy writes it: status line with its reason, hdr fields, length, content-type", () => {
  const part = parseHttpError(["status", "502", "content-type", "text/plain", "string", "bad", "hdr", "x-b", "2"]);
  if (typeof part === "string") throw new Error(part);
  const page = httpErrorPage(part, (p) => p, 16384);
  expect(page !== undefined && "response" in page && new TextDecoder().decode(page.response)).toBe("HTTP/1.1 502 Bad Gateway or Proxy Error\r\nx-b: 2\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nbad");
  expect(httpErrorPage({ code: 503, payload: { kind: "default-errorfiles" }, hdrs: [] }, (p) => p, 16384)).toBeUndefined();
});
