import { describe, expect, test } from "bun:test";
import { isConnectionAuthChallenge } from "../../../src/http1/conn-auth.ts";
import { H1Parser } from "../../../src/http1/parser.ts";
import type { H1Events, Head } from "../../../src/http1/types.ts";

/** A real response head: the bytes parsed by the project's H1Parser. */
function head(status: string, fields: string[]): Head {
  const heads: Head[] = [];
  const errors: unknown[] = [];
  const events: H1Events = {
    head: (h) => heads.push(h),
    data: () => {},
    trailers: () => {},
    end: () => {},
    error: (e) => errors.push(e),
  };
  const raw = `HTTP/1.1 ${status}\r\n${fields.map((f) => `${f}\r\n`).join("")}Content-Length: 0\r\n\r\n`;
  new H1Parser("response", events).push(new TextEncoder().encode(raw));
  expect(errors).toEqual([]);
  expect(heads.length).toBe(1);
  return heads[0]!;
}

describe("isConnectionAuthChallenge (rule 2)", () => {
  const yes: [string, string, string[]][] = [
    ["401 + WWW-Authenticate: NTLM", "401 Unauthorized", ["WWW-Authenticate: NTLM"]],
    ["401 + WWW-Authenticate: Negotiate", "401 Unauthorized", ["WWW-Authenticate: Negotiate"]],
    ["401 + WWW-Authenticate: negotiate abc (lower case, with token)", "401 Unauthorized", ["WWW-Authenticate: negotiate abc"]],
    ["401 + WWW-Authenticate: Nego2", "401 Unauthorized", ["WWW-Authenticate: Nego2"]],
    ["401 + NTLM with a token", "401 Unauthorized", ["WWW-Authenticate: NTLM TlRMTVNTUAACAAAA"]],
    ["401 + lower-case header name", "401 Unauthorized", ["www-authenticate: ntlm"]],
    ["401 + a Basic line followed by an NTLM line", "401 Unauthorized", ['WWW-Authenticate: Basic realm="x"', "WWW-Authenticate: NTLM"]],
    ["401 + Basic, Negotiate on separate lines with other fields between", "401 Unauthorized", [
      'WWW-Authenticate: Basic realm="x"',
      "Server: test",
      "WWW-Authenticate: Negotiate",
    ]],
    ["407 + Proxy-Authenticate: NTLM", "407 Proxy Authentication Required", ["Proxy-Authenticate: NTLM"]],
    ["407 + Proxy-Authenticate: Negotiate", "407 Proxy Authentication Required", ["Proxy-Authenticate: Negotiate"]],
  ];
  for (const [name, status, fields] of yes) {
    test(`${name} → true`, () => {
      expect(isConnectionAuthChallenge(head(status, fields))).toBe(true);
    });
  }

  const no: [string, string, string[]][] = [
    ["401 + Basic only", "401 Unauthorized", ['WWW-Authenticate: Basic realm="x"']],
    ["401 + Bearer and Digest", "401 Unauthorized", ["WWW-Authenticate: Bearer", 'WWW-Authenticate: Digest realm="x"']],
    ["401 without WWW-Authenticate", "401 Unauthorized", []],
    ["401 with Proxy-Authenticate NTLM (wrong header for 401)", "401 Unauthorized", ["Proxy-Authenticate: NTLM"]],
    ["407 with WWW-Authenticate NTLM (wrong header for 407)", "407 Proxy Authentication Required", ["WWW-Authenticate: NTLM"]],
    ["407 + Proxy-Authenticate Basic", "407 Proxy Authentication Required", ['Proxy-Authenticate: Basic realm="p"']],
    ["200 with WWW-Authenticate NTLM", "200 OK", ["WWW-Authenticate: NTLM"]],
    ["403 with WWW-Authenticate NTLM", "403 Forbidden", ["WWW-Authenticate: NTLM"]],
    ["401 + a header whose value only contains NTLM later", "401 Unauthorized", ['WWW-Authenticate: Basic realm="NTLM"']],
    ["401 + an NTLM value on another field", "401 Unauthorized", ['WWW-Authenticate: Basic realm="x"', "X-Auth: NTLM"]],
  ];
  for (const [name, status, fields] of no) {
    test(`${name} → false`, () => {
      expect(isConnectionAuthChallenge(head(status, fields))).toBe(false);
    });
  }
});
