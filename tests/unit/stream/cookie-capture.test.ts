// `capture cookie`: what HAProxy 2.6 takes of the request's Cookie fields and
// the response's Set-Cookie fields (the same cases, on real sockets beside
// HAProxy: tests/e2e/capture-cookie.test.ts), and the configuration line.
import { describe, expect, test } from "bun:test";
import { FieldsHead } from "../../../src/http/fields-head.ts";
import { BodyKind } from "../../../src/http/message.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { captureRequestCookie, captureResponseCookie } from "../../../src/stream/cookie-capture.ts";

const request = (...cookies: string[]) =>
  new FieldsHead(cookies.map((c): [string, string] => ["Cookie", c]), { isRequest: true, method: "GET", target: "/", bodyKind: BodyKind.None, host: "h" });
const response = (...cookies: string[]) =>
  new FieldsHead(cookies.map((c): [string, string] => ["Set-Cookie", c]), { isRequest: false, status: 200, bodyKind: BodyKind.None });

describe("the request's cookie", () => {
  const ab = { name: "AB", length: 6 };
  test("the first whose name=value begins with the name, cut to the length", () => {
    expect(captureRequestCookie(request("x=1; ABC=hello; AB=22"), ab)).toBe("ABC=he");
    expect(captureRequestCookie(request("A=1", "ABq=2"), ab)).toBe("ABq=2");
    expect(captureRequestCookie(request("x=1; AB=22"), { name: "AB=", length: 63 })).toBe("AB=22");
    expect(captureRequestCookie(request("ABC=1; AB=22"), { name: "AB=", length: 63 })).toBe("AB=22");
  });

  test("blanks around '=' dropped, quoted values kept whole, ',' a separator too", () => {
    expect(captureRequestCookie(request("x=1, AB = spaced value ; y=2"), ab)).toBe("AB=spa");
    expect(captureRequestCookie(request('AB="q;uo"'), { name: "AB", length: 63 })).toBe('AB="q;uo"');
  });

  test("none: no '=', no such name, no Cookie field", () => {
    expect(captureRequestCookie(request("AB"), ab)).toBeUndefined();
    expect(captureRequestCookie(request("x=1; A=2"), ab)).toBeUndefined();
    expect(captureRequestCookie(request(), ab)).toBeUndefined();
  });

  test("len 0 takes an empty text (the log prints it empty, not '-')", () => {
    expect(captureRequestCookie(request("Z=1"), { name: "Z", length: 0 })).toBe("");
  });
});

describe("the response's cookie", () => {
  test("each Set-Cookie's cookie without its attributes, the first that matches", () => {
    const cap = { name: "AB", length: 63 };
    expect(captureResponseCookie(response("ABX=world; Path=/", "AB=zz"), cap)).toBe("ABX=world");
    expect(captureResponseCookie(response("x=1; AB=no", "AB = yes ; HttpOnly"), cap)).toBe("AB=yes");
    expect(captureResponseCookie(response("AB"), cap)).toBeUndefined();
  });
});

describe("the line", () => {
  const load = (lines: string) =>
    loadConfigTexts([{ name: "c.cfg", text: `defaults\n  mode http\nfrontend f\n  bind :8080\n${lines}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n` }]);

  test("the last line wins; more than 63 characters is 63, with HAProxy's warning", () => {
    const loaded = load("  capture cookie SID len 10\n  capture cookie AB len 99");
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.frontends[0]!.rules?.cookieCapture).toEqual({ name: "AB", length: 63 });
    expect(loaded.warnings.map((w) => w.message)).toContain("c.cfg:6: frontend 'f': capture: truncating capture length to 63 bytes for frontend 'f'.");
  });

  test("errors name the line", () => {
    for (const [line, message] of [
      ["  capture cookie SID", "c.cfg:5: frontend 'f': capture: expected 'capture cookie <name> len <length>'"],
      ["  capture cookie SID len x", "c.cfg:5: frontend 'f': capture: invalid length 'x' (expected a number of characters)"],
      ["  capture cookie SID len 4 extra", "c.cfg:5: frontend 'f': capture: expected 'capture cookie <name> len <length>'"],
    ]) {
      const loaded = load(line!);
      expect(loaded.ok).toBe(false);
      if (!loaded.ok) expect(loaded.errors.map((e) => e.message)).toEqual([message]);
    }
  });
});
