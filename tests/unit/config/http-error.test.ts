// `http-error` lines: parsed as HAProxy 2.6 takes them; pages built at load.
import { expect, test } from "bun:test";
import { httpErrorPage, parseHttpError } from "../../../src/config/schema-http-error.ts";

test("the forms HAProxy takes; what sluice does not take yet is named", () => {
  expect(parseHttpError(["status", "503", "content-type", "text/plain", "string", "down", "hdr", "x-a", "1"])).toEqual({
    code: 503,
    contentType: "text/plain",
    payload: { kind: "string", text: "down" },
    hdrs: [["x-a", "1"]],
  });
  expect(parseHttpError(["status", "429", "default-errorfiles"])).toEqual({ code: 429, payload: { kind: "default-errorfiles" }, hdrs: [] });
  expect(parseHttpError(["status", "404", "errorfile", "e.http"])).toEqual({ code: 404, payload: { kind: "errorfile", path: "e.http" }, hdrs: [] });
  expect([
    parseHttpError(["status", "302"]),
    parseHttpError(["code", "503"]),
    parseHttpError(["status", "503", "string", "x"]),
    parseHttpError(["status", "503", "content-type", "text/plain", "lf-string", "%[src]"]),
    parseHttpError(["status", "503", "errorfile", "e.http", "hdr", "x", "1"]),
    parseHttpError(["status", "503", "content-type", "text/plain", "string", "x", "hdr", "x", "%[src]"]),
    parseHttpError(["status", "503", "bogus"]),
  ]).toEqual([
    "http-error: status '302' has no error message to replace (expected one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)",
    "http-error: expects 'status <code>' first (usage: http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | string <text>] [hdr <name> <value>]...)",
    "http-error: a content-type is required with a payload (add 'content-type <type>')",
    "http-error: 'lf-string' is not supported yet (supported: default-errorfiles, errorfile, errorfiles, file, string)",
    "http-error: 'content-type' and 'hdr' cannot go with 'errorfile' (the page has its own head)",
    "http-error: 'hdr x': log-format values are not supported yet (a constant is)",
    "http-error: 'bogus' expects an argument (usage: http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | string <text>] [hdr <name> <value>]...)",
  ]);
});

test("a page as HAProxy writes it: status line with its reason, hdr fields, length, content-type", () => {
  const part = parseHttpError(["status", "502", "content-type", "text/plain", "string", "bad", "hdr", "x-b", "2"]);
  if (typeof part === "string") throw new Error(part);
  const page = httpErrorPage(part, (p) => p);
  expect(page?.ok && new TextDecoder().decode(page.response)).toBe("HTTP/1.1 502 Bad Gateway or Proxy Error\r\nx-b: 2\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nbad");
  expect(httpErrorPage({ code: 503, payload: { kind: "default-errorfiles" }, hdrs: [] }, (p) => p)).toBeUndefined();
});
