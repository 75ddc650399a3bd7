// The persistence cookie's logic (issue 15, cookie) against tables of cases:
// request cookies → the server and what the server sees; responses → the
// Set-Cookie lines, for insert, rewrite, prefix and passive modes with their
// options, as HAProxy 2.6 behaves.
import { describe, expect, test } from "bun:test";
import {
  cacheableCookie,
  cacheFlags,
  cacheable,
  ClientCookie,
  type CookieServer,
  decodeDate30,
  encodeDate30,
  readRequestCookie,
  ServerCookie,
  setCookieValue,
  writeResponseCookie,
} from "../../src/backend/persist-cookie.ts";
import type { CookiePersistence } from "../../src/config/types.ts";
import { FieldsHead } from "../../src/http/fields-head.ts";
import { BodyKind, type Head } from "../../src/http/message.ts";

function cookie(over: Partial<CookiePersistence> = {}): CookiePersistence {
  return {
    name: "SRV",
    mode: "insert",
    indirect: false,
    nocache: false,
    postonly: false,
    preserve: false,
    httponly: false,
    secure: false,
    domains: [],
    maxidle: 0,
    maxlife: 0,
    attrs: [],
    ...over,
  };
}

const request = (fields: [string, string][], method = "GET"): Head =>
  new FieldsHead(fields, { isRequest: true, method, target: "/", bodyKind: BodyKind.None, host: "h" });
const response = (fields: [string, string][]): Head => new FieldsHead(fields, { isRequest: false, status: 200, bodyKind: BodyKind.Length, contentLength: 0 });
const fieldsOf = (h: Head): [string, string][] => Array.from({ length: h.fieldCount }, (_, i) => [h.originalName(i), h.value(i)]);

const s1: CookieServer = { cookie: "s1", running: true };
const s2: CookieServer = { cookie: "s2", running: true };
const down: CookieServer = { cookie: "dn", running: false };
const bare: CookieServer = { cookie: undefined, running: true };
const SERVERS = [s1, s2, down, bare];

/** Now: a date on a 4-second step, as cookies carry them. */
const NOW = 1_800_000_000;
const stamp = (sec: number) => encodeDate30(((sec + 3) >>> 2) & 0x3fffffff);

describe("dates: HAProxy's 30 bits in 5 base64 characters", () => {
  test("known values, and back", () => {
    expect(encodeDate30(0)).toBe("AAAAA");
    expect(encodeDate30(1)).toBe("AAAAB");
    expect(encodeDate30(64)).toBe("AAABA");
    expect(encodeDate30(2 ** 30 - 1)).toBe("/////");
    for (const n of [1, 63, 4096, 450_000_000, 2 ** 30 - 1]) expect(decodeDate30(encodeDate30(n), 0)).toBe(n);
    expect(decodeDate30("xAAAAB", 1)).toBe(1);
  });

  test("fewer than 5 characters, or one outside the alphabet: none", () => {
    expect(decodeDate30("AAAA", 0)).toBe(-1);
    expect(decodeDate30("AA=AA", 0)).toBe(-1);
    expect(decodeDate30("AA-AA", 0)).toBe(-1);
  });
});

describe("request: the Cookie fields → the server, and what the server sees", () => {
  type Row = [what: string, c: CookiePersistence, cookies: string[], server: CookieServer | undefined, flag: string, sent: string[]];
  const rows: Row[] = [
    ["no cookie", cookie(), [], undefined, ClientCookie.none, []],
    ["another cookie only", cookie(), ["a=1"], undefined, ClientCookie.none, ["a=1"]],
    ["names are case-sensitive", cookie(), ["srv=s1"], undefined, ClientCookie.none, ["srv=s1"]],
    ["a usable server's value", cookie(), ["SRV=s1"], s1, ClientCookie.valid, ["SRV=s1"]],
    ["among others, blanks around '='", cookie(), ["a=1; SRV = s2 ;b=2"], s2, ClientCookie.valid, ["a=1; SRV = s2 ;b=2"]],
    ["a DOWN server's value: balanced as usual", cookie(), ["SRV=dn"], undefined, ClientCookie.down, ["SRV=dn"]],
    ["a value no server has", cookie(), ["SRV=zz"], undefined, ClientCookie.invalid, ["SRV=zz"]],
    ["an empty value never matches (a server without cookie)", cookie(), ["SRV="], undefined, ClientCookie.invalid, ["SRV="]],
    ["a quoted value may hold ';'", cookie(), ['a="x;y"; SRV=s1'], s1, ClientCookie.valid, ['a="x;y"; SRV=s1']],
    ["',' separates cookies too", cookie(), ["a=1, SRV=s2"], s2, ClientCookie.valid, ["a=1, SRV=s2"]],
    ["in the second Cookie field", cookie(), ["a=1", "SRV=s2"], s2, ClientCookie.valid, ["a=1", "SRV=s2"]],
    ["twice: the first one chooses, the second is unused", cookie(), ["SRV=s1; SRV=s2"], s1, ClientCookie.unused, ["SRV=s1; SRV=s2"]],
    // insert + indirect: the server never sees the cookie.
    ["indirect: the field goes when it held only ours", cookie({ indirect: true }), ["SRV=s1"], s1, ClientCookie.valid, []],
    ["indirect: at the start", cookie({ indirect: true }), ["SRV=s1; a=1"], s1, ClientCookie.valid, ["a=1"]],
    ["indirect: in the middle", cookie({ indirect: true }), ["a=1; SRV=s1; b=2"], s1, ClientCookie.valid, ["a=1; b=2"]],
    ["indirect: at the end", cookie({ indirect: true }), ["a=1; SRV=s1"], s1, ClientCookie.valid, ["a=1"]],
    ["indirect: a $attribute goes with it", cookie({ indirect: true }), ["$Version=1; SRV=s1; $Path=/; a=1"], s1, ClientCookie.valid, ["$Version=1; a=1"]],
    ["indirect: even an invalid one", cookie({ indirect: true }), ["SRV=zz", "a=1"], undefined, ClientCookie.invalid, ["a=1"]],
    ["indirect in rewrite's place (passive): nothing removed", cookie({ mode: "passive", indirect: true }), ["SRV=s1"], s1, ClientCookie.valid, ["SRV=s1"]],
    // prefix: the server's own cookie comes back without the prefix.
    ["prefix: VALUE~ stripped", cookie({ mode: "prefix" }), ["SRV=s1~abc; x=1"], s1, ClientCookie.valid, ["SRV=abc; x=1"]],
    ["prefix: stripped even for a DOWN server", cookie({ mode: "prefix" }), ["SRV=dn~abc"], undefined, ClientCookie.down, ["SRV=abc"]],
    ["prefix: without '~' the whole value is the server's", cookie({ mode: "prefix" }), ["SRV=s2"], s2, ClientCookie.valid, ["SRV=s2"]],
    ["prefix: '|' is not a date there", cookie({ mode: "prefix" }), ["SRV=s1|AAAAA~v"], undefined, ClientCookie.invalid, ["SRV=v"]],
    // dates
    ["insert: the dates do not belong to the server's value", cookie(), [`SRV=s1|${stamp(NOW - 100)}`], s1, ClientCookie.valid, [`SRV=s1|${stamp(NOW - 100)}`]],
    ["maxidle: idle too long → expired, balanced as usual", cookie({ maxidle: 60 }), [`SRV=s1|${stamp(NOW - 100)}`], undefined, ClientCookie.expired, [`SRV=s1|${stamp(NOW - 100)}`]],
    ["maxidle: within it", cookie({ maxidle: 600 }), [`SRV=s1|${stamp(NOW - 100)}`], s1, ClientCookie.valid, [`SRV=s1|${stamp(NOW - 100)}`]],
    ["maxidle: no date is accepted", cookie({ maxidle: 60 }), ["SRV=s1"], s1, ClientCookie.valid, ["SRV=s1"]],
    ["maxidle: more than a day ahead → expired", cookie({ maxidle: 60 }), [`SRV=s1|${stamp(NOW + 90_000)}`], undefined, ClientCookie.expired, [`SRV=s1|${stamp(NOW + 90_000)}`]],
    ["maxidle: a bad date is no date", cookie({ maxidle: 60 }), ["SRV=s1|A-AAA"], s1, ClientCookie.valid, ["SRV=s1|A-AAA"]],
    ["maxlife: first seen too long ago → old", cookie({ maxlife: 3600 }), [`SRV=s1|${stamp(NOW)}|${stamp(NOW - 4000)}`], undefined, ClientCookie.old, [`SRV=s1|${stamp(NOW)}|${stamp(NOW - 4000)}`]],
    ["maxlife: within it", cookie({ maxlife: 3600 }), [`SRV=s1|${stamp(NOW)}|${stamp(NOW - 3000)}`], s1, ClientCookie.valid, [`SRV=s1|${stamp(NOW)}|${stamp(NOW - 3000)}`]],
    ["indirect + maxidle: an expired one is removed too", cookie({ indirect: true, maxidle: 60 }), [`SRV=s1|${stamp(NOW - 100)}; a=1`], undefined, ClientCookie.expired, ["a=1"]],
  ];
  for (const [what, c, cookies, server, flag, sent] of rows) {
    test(what, () => {
      const head = request([["Host", "h"], ...cookies.map((v): [string, string] => ["Cookie", v]), ["Accept", "*/*"]]);
      const r = readRequestCookie(c, head, SERVERS, NOW, false);
      expect(r.server).toBe(server);
      expect(r.flag as string).toBe(flag);
      expect(fieldsOf(r.head)).toEqual([["Host", "h"], ...sent.map((v): [string, string] => ["Cookie", v]), ["Accept", "*/*"]]);
      // Nothing to change: the head itself (no copy).
      if (sent.join() === cookies.join()) expect(r.head).toBe(head);
      // The edited head keeps the request's facts.
      expect([r.head.method, r.head.target, r.head.host, r.head.bodyKind]).toEqual(["GET", "/", "h", BodyKind.None]);
    });
  }

  test("another rule chose the server: the cookie is unused but still taken off (indirect)", () => {
    const r = readRequestCookie(cookie({ indirect: true }), request([["Cookie", "SRV=s1; a=1"]]), SERVERS, NOW, true);
    expect([r.server, r.flag]).toEqual([undefined, ClientCookie.unused]);
    expect(fieldsOf(r.head)).toEqual([["Cookie", "a=1"]]);
  });

  test("the dates read are carried to the response (seconds, 4-second steps)", () => {
    const r = readRequestCookie(cookie({ maxidle: 600, maxlife: 3600 }), request([["Cookie", `SRV=s1|${stamp(NOW - 10)}|${stamp(NOW - 1000)}`]]), SERVERS, NOW, false);
    expect(r.lastDate).toBe(((NOW - 10 + 3) >>> 2) * 4);
    expect(r.firstDate).toBe(((NOW - 1000 + 3) >>> 2) * 4);
  });
});

describe("response: the Set-Cookie lines", () => {
  type Exchange = { server?: CookieServer; direct?: boolean; method?: string; lastDate?: number; firstDate?: number };
  type Row = [what: string, c: CookiePersistence, x: Exchange, fields: [string, string][], flag: string, out: [string, string][]];
  const plain: [string, string][] = [["Content-Type", "text/plain"]];
  const cacheableResponse: [string, string][] = [["Cache-Control", "max-age=60"]];
  const rows: Row[] = [
    ["insert: a new client gets the server's cookie", cookie(), {}, plain, ServerCookie.inserted, [...plain, ["Set-Cookie", "SRV=s1; path=/"]]],
    ["insert: a client that came with it gets nothing", cookie(), { direct: true }, plain, ServerCookie.none, plain],
    ["insert: the server's own cookie of that name is replaced", cookie(), {}, [["Set-Cookie", "SRV=app; Path=/x"], ["Set-Cookie", "a=1"]], ServerCookie.inserted, [["Set-Cookie", "a=1"], ["Set-Cookie", "SRV=s1; path=/"]]],
    ["insert: ... and deleted when the client came with ours", cookie(), { direct: true }, [["Set-Cookie", "SRV=app"]], ServerCookie.deleted, []],
    ["insert + preserve: the server's own stays, nothing inserted", cookie({ preserve: true }), {}, [["Set-Cookie", "SRV=; Max-Age=0"]], ServerCookie.provided, [["Set-Cookie", "SRV=; Max-Age=0"]]],
    ["insert + preserve without one: inserted", cookie({ preserve: true }), {}, plain, ServerCookie.inserted, [...plain, ["Set-Cookie", "SRV=s1; path=/"]]],
    ["insert: a server without cookie makes the client forget it", cookie(), { server: bare }, [], ServerCookie.inserted, [["Set-Cookie", "SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"]]],
    ["attributes in HAProxy's order", cookie({ domains: [".a.example", "b.example"], httponly: true, secure: true, attrs: ["SameSite=Lax", "Priority=High"] }), {}, [], ServerCookie.inserted, [["Set-Cookie", "SRV=s1; path=/; domain=.a.example; domain=b.example; HttpOnly; Secure; SameSite=Lax; Priority=High"]]],
    ["nocache: a response a cache could keep gets Cache-control: private", cookie({ nocache: true }), {}, cacheableResponse, ServerCookie.inserted, [...cacheableResponse, ["Set-Cookie", "SRV=s1; path=/"], ["Cache-control", "private"]]],
    ["nocache: not when it could not be cached anyway", cookie({ nocache: true }), {}, plain, ServerCookie.inserted, [...plain, ["Set-Cookie", "SRV=s1; path=/"]]],
    ["nocache: not when nothing is inserted", cookie({ nocache: true }), { direct: true }, cacheableResponse, ServerCookie.none, cacheableResponse],
    ["postonly: not for a GET", cookie({ postonly: true }), {}, plain, ServerCookie.none, plain],
    ["postonly: for a POST", cookie({ postonly: true }), { method: "POST" }, plain, ServerCookie.inserted, [...plain, ["Set-Cookie", "SRV=s1; path=/"]]],
    ["maxidle: the date goes with the value", cookie({ maxidle: 600 }), {}, [], ServerCookie.inserted, [["Set-Cookie", `SRV=s1|${stamp(NOW)}; path=/`]]],
    ["maxidle: a client that came with an older date: refreshed", cookie({ maxidle: 600 }), { direct: true, lastDate: NOW - 40 }, [], ServerCookie.updated, [["Set-Cookie", `SRV=s1|${stamp(NOW)}; path=/`]]],
    ["maxidle: a date not older than now: left alone", cookie({ maxidle: 600 }), { direct: true, lastDate: NOW }, [], ServerCookie.none, []],
    ["maxidle: a client without a date gets one", cookie({ maxidle: 600 }), { direct: true }, [], ServerCookie.updated, [["Set-Cookie", `SRV=s1|${stamp(NOW)}; path=/`]]],
    ["maxlife: the first date is kept from the request", cookie({ maxlife: 3600 }), { direct: true, lastDate: NOW - 40, firstDate: NOW - 1000 }, [], ServerCookie.updated, [["Set-Cookie", `SRV=s1|${stamp(NOW)}|${encodeDate30((NOW - 1000) >>> 2)}; path=/`]]],
    ["maxlife: a new client: both dates now", cookie({ maxlife: 3600 }), {}, [], ServerCookie.inserted, [["Set-Cookie", `SRV=s1|${stamp(NOW)}|${stamp(NOW)}; path=/`]]],
    ["no maxlife any more: a first date is taken away", cookie(), { direct: true, lastDate: NOW + 4, firstDate: NOW - 1000 }, [], ServerCookie.updated, [["Set-Cookie", "SRV=s1; path=/"]]],
    ["rewrite: the server's value becomes the server's cookie", cookie({ mode: "rewrite" }), {}, [["Set-Cookie", "SRV=app; Path=/; HttpOnly"]], ServerCookie.rewritten, [["Set-Cookie", "SRV=s1; Path=/; HttpOnly"]]],
    ["rewrite: nothing inserted when the server sets none", cookie({ mode: "rewrite" }), {}, plain, ServerCookie.none, plain],
    ["rewrite: a server without cookie: left as it is", cookie({ mode: "rewrite" }), { server: bare }, [["Set-Cookie", "SRV=app"]], ServerCookie.provided, [["Set-Cookie", "SRV=app"]]],
    ["prefix: the server's value is prefixed", cookie({ mode: "prefix" }), { direct: true }, [["Set-Cookie", "SRV=app; Path=/"], ["Set-Cookie", "other=1"]], ServerCookie.rewritten, [["Set-Cookie", "SRV=s1~app; Path=/"], ["Set-Cookie", "other=1"]]],
    ["passive: the server's cookie passes", cookie({ mode: "passive" }), {}, [["Set-Cookie", "SRV=s1"]], ServerCookie.provided, [["Set-Cookie", "SRV=s1"]]],
    ["passive + indirect: deleted for a client that has it", cookie({ mode: "passive", indirect: true }), { direct: true }, [["Set-Cookie", "SRV=s1"]], ServerCookie.deleted, []],
    ["passive + indirect: kept for a new client", cookie({ mode: "passive", indirect: true }), {}, [["Set-Cookie", "SRV=s1"]], ServerCookie.provided, [["Set-Cookie", "SRV=s1"]]],
  ];
  for (const [what, c, x, fields, flag, out] of rows) {
    test(what, () => {
      const head = response(fields);
      const exchange = { server: x.server ?? s1, direct: x.direct ?? false, method: x.method ?? "GET", lastDate: x.lastDate ?? 0, firstDate: x.firstDate ?? 0 };
      const r = writeResponseCookie(c, head, exchange, NOW);
      expect(r.flag as string).toBe(flag);
      expect(fieldsOf(r.head)).toEqual(out);
      if (JSON.stringify(out) === JSON.stringify(fields)) expect(r.head).toBe(head);
      expect([r.head.status, r.head.bodyKind, r.head.contentLength]).toEqual([200, BodyKind.Length, 0]);
    });
  }

  test("setCookieValue: what the insert writes", () => {
    expect(setCookieValue(cookie({ httponly: true }), "web1", NOW, 0)).toBe("SRV=web1; path=/; HttpOnly");
    expect(setCookieValue(cookie({ maxidle: 1, maxlife: 1 }), "a", NOW, 0)).toBe(`SRV=a|${stamp(NOW)}|${stamp(NOW)}; path=/`);
    expect(setCookieValue(cookie({ secure: true }), undefined, NOW, 0)).toBe("SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; Secure");
  });
});

describe("cacheable: could a shared cache keep the response (nocache's test)", () => {
  const rows: [fields: [string, string][], method: string, expected: boolean][] = [
    [[], "GET", false],
    [[["Cache-Control", "max-age=60"]], "GET", true],
    [[["Cache-Control", "max-age=60"]], "HEAD", true],
    [[["Cache-Control", "max-age=60"]], "POST", false],
    [[["Cache-Control", "public"]], "POST", false],
    [[["Cache-Control", "public, max-age=10"]], "POST", true],
    [[["Expires", "Thu, 01 Jan 2037 00:00:00 GMT"]], "GET", true],
    [[["ETag", '"x"']], "GET", true],
    [[["Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT"]], "GET", true],
    [[["Cache-Control", "max-age=60, private"]], "GET", false],
    [[["Cache-Control", "no-store"], ["ETag", '"x"']], "GET", false],
    [[["Cache-Control", "max-age=0"]], "GET", false],
    // HAProxy 2.6: max-age=0 says no even with an s-maxage (later versions let the s-maxage win).
    [[["Cache-Control", "max-age=0, s-maxage=30"]], "GET", false],
    [[["Cache-Control", "s-maxage=30"]], "GET", true],
    [[["Pragma", "no-cache"], ["Cache-Control", "max-age=60"]], "GET", false],
  ];
  for (const [fields, method, expected] of rows) {
    test(`${method} ${JSON.stringify(fields)} → ${expected}`, () => {
      expect(cacheable(response(fields), method)).toBe(expected);
    });
  }
});

describe("the status and the cookies (HAProxy 2.6's TX_CACHEABLE and TX_CACHE_COOK)", () => {
  const withStatus = (status: number, fields: [string, string][]): Head =>
    new FieldsHead(fields, { isRequest: false, status, bodyKind: BodyKind.Length, contentLength: 0 });
  test("only the statuses a cache may keep by default", () => {
    const kept = [200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501];
    for (const status of [...kept, 201, 302, 304, 307, 400, 403, 500, 502, 503]) {
      expect(cacheFlags(withStatus(status, [["Cache-Control", "max-age=60"]]), "GET").cacheable).toBe(kept.includes(status));
    }
  });

  test('no-cache="set-cookie" keeps it cacheable without its cookies', () => {
    expect(cacheFlags(withStatus(200, [["Cache-Control", 'no-cache="set-cookie", max-age=60']]), "GET")).toEqual({ cacheable: true, cookie: false });
    expect(cacheFlags(withStatus(200, [["Cache-Control", 'no-cache="set-cookie"'], ["Cache-Control", "public, max-age=60"]]), "GET")).toEqual({ cacheable: true, cookie: true });
  });

  test("checkcache refuses a cacheable response with a Set-Cookie, and nothing else", () => {
    const sc: [string, string] = ["Set-Cookie", "a=1"];
    expect(cacheableCookie(withStatus(200, [sc, ["Cache-Control", "max-age=60"]]), "GET")).toBe(true);
    expect(cacheableCookie(withStatus(200, [["Cache-Control", "max-age=60"]]), "GET")).toBe(false);
    expect(cacheableCookie(withStatus(200, [sc]), "GET")).toBe(false);
    expect(cacheableCookie(withStatus(302, [sc, ["Cache-Control", "max-age=60"]]), "GET")).toBe(false);
    expect(cacheableCookie(withStatus(200, [sc, ["Cache-Control", 'no-cache="set-cookie", max-age=60']]), "GET")).toBe(false);
    expect(cacheableCookie(withStatus(200, [sc, ["Cache-Control", "max-age=60"]]), "POST")).toBe(false);
    expect(cacheableCookie(withStatus(200, [sc, ["Cache-Control", "public, max-age=60"]]), "POST")).toBe(true);
  });
});
