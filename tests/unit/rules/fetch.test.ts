import { describe, expect, test } from "bun:test";
import { compileExpr } from "../../../src/rules/expr.ts";
import { strl2ic } from "../../../src/rules/sample.ts";
import { Stage, type Sample, type StageBit, type Txn } from "../../../src/rules/types.ts";
import { entry, env, h2Request, request, response, txn } from "./txn.ts";

function compiled(text: string, stage: StageBit = Stage.httpRequest) {
  const c = compileExpr(text, stage, env());
  if (typeof c === "string") throw new Error(c);
  return c;
}

function one(text: string, t: Txn, stage: StageBit = Stage.httpRequest): Sample | undefined {
  return compiled(text, stage).one(t);
}

function all(text: string, t: Txn, stage: StageBit = Stage.httpRequest): Sample[] {
  const c = compiled(text, stage);
  const out: Sample[] = [];
  c.each!(t, (s) => {
    out.push(s);
    return false;
  });
  return out;
}

const get = (target: string, fields: [string, string][] = []) => txn({ request: request("GET", target, fields) });

describe("connection fetches", () => {
  const t = txn({ address: "10.1.2.3", port: 4242, backend: "be_app" });
  test.each([
    ["src", "10.1.2.3"],
    ["src_port", 4242],
    ["dst", "198.51.100.1"],
    ["dst_port", 443],
    ["fe_name", "fe_main"],
    ["be_name", "be_app"],
  ])("%s", (name, expected) => {
    expect(one(name, t, Stage.tcpConnection)).toBe(expected);
  });
  test("a UNIX socket's client (address 'unix'): src and src_port give no sample, as HAProxy", () => {
    const u = txn({ address: "unix", port: 1 });
    expect(one("src", u, Stage.tcpConnection)).toBeUndefined();
    expect(one("src_port", u, Stage.tcpConnection)).toBeUndefined();
  });
  test("be_name before a backend is chosen: no sample", () => {
    expect(one("be_name", txn())).toBeUndefined();
  });
  test("types and default matches", () => {
    expect(compiled("src")).toMatchObject({ type: "ip", match: "ip" });
    expect(compiled("dst_port")).toMatchObject({ type: "int", match: "int" });
  });
});

describe("TLS fetches", () => {
  const tls = { alpn: "h2", sni: "www.example.com", version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", handshakeMs: 3 };
  test.each([
    ["ssl_fc", true],
    ["ssl_fc_sni", "www.example.com"],
    ["ssl_fc_protocol", "TLSv1.3"],
    ["ssl_fc_cipher", "TLS_AES_128_GCM_SHA256"],
    ["ssl_fc_alpn", "h2"],
  ])("%s on TLS", (name, expected) => {
    expect(one(name, txn({ tls }))).toBe(expected);
  });
  test("plain connection: ssl_fc false, the others no sample", () => {
    expect(one("ssl_fc", txn())).toBe(false);
    expect(one("ssl_fc_sni", txn())).toBeUndefined();
    expect(one("ssl_fc_alpn", txn({ tls: { ...tls, alpn: "" } }))).toBeUndefined();
  });
  test("not before the handshake", () => {
    expect(compileExpr("ssl_fc_sni", Stage.tcpConnection, env())).toBe("'ssl_fc_sni' is not available in tcp-request connection rules");
  });
});

describe("request line fetches", () => {
  test.each([
    // target, path, query, url
    ["/a/b.php?x=1&y=2", "/a/b.php", "x=1&y=2"],
    ["/a/b", "/a/b", undefined],
    ["/?", "/", ""],
    ["http://www.example.com:8080/p/q?z", "/p/q", "z"],
    ["https://h.example", "", undefined],
    ["http://h.example?q=1", "", "q=1"],
    ["*", undefined, undefined],
    ["h.example:443", undefined, undefined],
  ])("%s", (target, path, query) => {
    const t = get(target);
    expect(one("path", t)).toBe(path);
    expect(one("query", t)).toBe(query);
    expect(one("url", t)).toBe(target);
  });

  test("url_ip and url_port: an absolute URI's IP address and port (80 without one), never a name", () => {
    expect([one("url_ip", get("http://10.1.2.3:8080/p?q")), one("url_port", get("http://10.1.2.3:8080/p?q"))]).toEqual(["10.1.2.3", 8080]);
    expect([one("url_ip", get("HTTP://192.0.2.1/")), one("url_port", get("HTTP://192.0.2.1/"))]).toEqual(["192.0.2.1", 80]);
    expect([one("url_ip", get("http://user@[2001:db8::1]:81")), one("url_port", get("http://[2001:db8::1]:81"))]).toEqual(["2001:db8::1", 81]);
    for (const target of ["/p", "http://example.com/", "http://300.1.1.1/", "https://10.0.0.1/", "http://10.0.0.1:99999/", "*"]) {
      expect([target, one("url_ip", get(target)), one("url_port", get(target))]).toEqual([target, undefined, undefined]);
    }
    // The ACL's default match is ip: networks.
    const acl = compiled("url_ip");
    expect(typeof acl).not.toBe("string");
  });

  test("pathq and base, baseq", () => {
    const t = get("http://proxy.example/p?q=1", [["Host", "www.example.com"]]);
    expect(one("pathq", t)).toBe("/p?q=1");
    expect(one("base", t)).toBe("www.example.com/p");
    expect(one("baseq", t)).toBe("www.example.com/p?q=1");
    expect(one("base", get("/x"))).toBe("/x");
  });

  test("the split is kept on the txn and follows a rewritten head", () => {
    const t = get("/old?a=1");
    expect(one("path", t)).toBe("/old");
    const memo = t.targetMemo!;
    expect(one("path", t)).toBe("/old");
    expect(t.targetMemo).toBe(memo);
    t.request = request("GET", "/new/path");
    expect(one("path", t)).toBe("/new/path");
    expect(one("query", t)).toBeUndefined();
  });

  test.each([
    ["url_param(a)", "/p?a=1&b=2&a=3", "1"],
    ["url_param(b)", "/p?a=1&b=2&a=3", "2"],
    ["url_param(c)", "/p?a=1&b=2", undefined],
    ["url_param(a)", "/p?ab=1", undefined],
    ["url_param", "/p?first=x&b=2", "x"],
    ["url_param(a)", "/p?x=1;a=2", "2"],
    ["url_param(JSESSIONID,;)", "/foo;JSESSIONID=abc", "abc"],
    ["url_param(a)", "/p", undefined],
    ["url_param(a)", "/p?a=", ""],
    ["urlp(a)", "/p?a=%41", "%41"],
  ])("%s of %s", (expr, target, expected) => {
    expect(one(expr, get(target))).toBe(expected);
  });

  test("url_param in an ACL gives every occurrence", () => {
    expect(all("url_param(a)", get("/p?a=1&b=2&a=3"))).toEqual(["1", "3"]);
  });

  test("method and version", () => {
    expect(one("method", txn({ request: request("PURGE", "/") }))).toBe("PURGE");
    expect(compiled("method").type).toBe("meth");
    expect(one("req.ver", txn({ request: request("GET", "/", [], 0) }))).toBe("1.0");
    expect(one("req.ver", get("/"))).toBe("1.1");
    expect(one("req.ver", txn({ request: request("GET", "/"), requestVersion: "2.0" }))).toBe("2.0");
  });

  test("an HTTP/2 request with an :authority: url is absolute (its :scheme, Host's authority), as HAProxy reads it", () => {
    const t = txn({ request: h2Request("GET", "https", "a.test:8443", "/p/q?x=1"), requestVersion: "2.0" });
    expect(one("url", t)).toBe("https://a.test:8443/p/q?x=1");
    expect(one("path", t)).toBe("/p/q");
    expect(one("query", t)).toBe("x=1");
    expect(one("pathq", t)).toBe("/p/q?x=1");
    expect(one("base", t)).toBe("a.test:8443/p/q");
    expect(one("url_param(x)", t)).toBe("1");
    expect(one("url_beg", t)).toBe("https://a.test:8443/p/q?x=1");
    const ip = txn({ request: h2Request("GET", "http", "192.0.2.9:81", "/"), requestVersion: "2.0" });
    expect(one("url_ip", ip)).toBe("192.0.2.9");
    expect(one("url_port", ip)).toBe(81);
  });

  test("derived fetches carry their match methods", () => {
    for (const [name, match] of [["path_beg", "beg"], ["path_end", "end"], ["path_sub", "sub"], ["path_reg", "reg"], ["path_dir", "dir"], ["path_dom", "dom"], ["path_len", "len"], ["path", "str"], ["hdr_dom(host)", "dom"], ["url_beg", "beg"]]) {
      expect(compiled(name!).match).toBe(match as never);
    }
    expect(one("path_beg", get("/x?y"))).toBe("/x");
  });

  test("with a converter the match follows the output type", () => {
    expect(compiled("path_beg,lower").match).toBe("str");
    expect(compiled("path,length").match).toBe("int");
  });
});

describe("header fetches", () => {
  const fields: [string, string][] = [
    ["Host", "www.example.com"],
    ["X-Forwarded-For", "10.0.0.1, 10.0.0.2"],
    ["Accept", 'text/html, "a,b", */*'],
    ["x-forwarded-for", "10.0.0.3"],
    ["User-Agent", "curl/8.0, like nothing"],
    ["Empty", ""],
  ];
  const t = get("/", fields);

  test.each([
    ["hdr(host)", "www.example.com"],
    ["hdr(HOST)", "www.example.com"],
    ["req.hdr(x-forwarded-for)", "10.0.0.3"],
    ["req.hdr(x-forwarded-for,1)", "10.0.0.1"],
    ["req.hdr(x-forwarded-for,2)", "10.0.0.2"],
    ["req.hdr(x-forwarded-for,-1)", "10.0.0.3"],
    ["req.hdr(x-forwarded-for,-3)", "10.0.0.1"],
    ["req.hdr(x-forwarded-for,4)", undefined],
    ["req.hdr(x-forwarded-for,-4)", undefined],
    ["req.hdr(accept,2)", '"a,b"'],
    ["req.fhdr(user-agent)", "curl/8.0, like nothing"],
    ["req.hdr(user-agent)", "like nothing"],
    ["req.fhdr(x-forwarded-for,1)", "10.0.0.1, 10.0.0.2"],
    ["hdr(missing)", undefined],
    ["hdr(empty)", ""],
    ["hdr_cnt(x-forwarded-for)", 3],
    ["req.fhdr_cnt(x-forwarded-for)", 2],
    ["hdr_cnt(missing)", 0],
    ["req.hdr_cnt", 10],
    ["hdr_len(host)", "www.example.com"],
  ])("%s", (expr, expected) => {
    expect(one(expr, t)).toBe(expected);
  });

  test("an ACL sees every value; with an occurrence only that one", () => {
    expect(all("hdr(x-forwarded-for)", t)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    expect(all("req.fhdr(x-forwarded-for)", t)).toEqual(["10.0.0.1, 10.0.0.2", "10.0.0.3"]);
    expect(all("hdr(x-forwarded-for,2)", t)).toEqual(["10.0.0.2"]);
    expect(all("hdr_beg(host)", t)).toEqual(["www.example.com"]);
    expect(all("hdr(x-forwarded-for),lower", t)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  test("hdr_val reads an integer", () => {
    const c = get("/", [["Content-Length", "42"]]);
    expect(one("req.hdr_val(content-length)", c)).toBe(42);
  });

  test("hdr_ip reads addresses, dropping an IPv4 port", () => {
    const x = get("/", [["X-Forwarded-For", "10.0.0.1:5555, junk, 2001:db8::1, 10.0.0.2:x"]]);
    expect(all("hdr_ip(x-forwarded-for)", x)).toEqual(["10.0.0.1", "2001:db8::1"]);
    expect(one("req.hdr_ip(x-forwarded-for,1)", x)).toBe("10.0.0.1");
    expect(one("req.hdr_ip(x-forwarded-for)", x)).toBeUndefined();
    expect(compiled("hdr_ip(x)").match).toBe("ip");
  });

  test("an occurrence that is not a number is a load error", () => {
    expect(compileExpr("hdr(x,last)", Stage.httpRequest, env())).toBe("the occurrence 'last' of 'hdr' is not an integer");
  });

  test("hdr follows the rule set; res.hdr only in response rules", () => {
    const r = txn({ request: request("GET", "/", [["X", "req"]]), response: response(200, [["X", "res"], ["Set-Cookie", "a=1"]]) });
    expect(one("hdr(x)", r, Stage.httpRequest)).toBe("req");
    expect(one("hdr(x)", r, Stage.httpResponse)).toBe("res");
    expect(one("hdr_beg(x)", r, Stage.httpResponse)).toBe("req");
    expect(one("res.hdr(x)", r, Stage.httpResponse)).toBe("res");
    expect(one("res.hdr(x)", r, Stage.httpAfterResponse)).toBe("res");
    expect(one("res.hdr_cnt(x)", r, Stage.httpResponse)).toBe(1);
    expect(one("req.hdr(x)", r, Stage.httpResponse)).toBe("req");
    expect(compileExpr("res.hdr(x)", Stage.httpRequest, env())).toBe("'res.hdr' is not available in http-request rules");
    expect(compileExpr("status", Stage.httpRequest, env())).toBe("'status' is not available in http-request rules");
  });

  test("status", () => {
    expect(one("status", txn({ request: request("GET", "/"), response: response(503) }), Stage.httpResponse)).toBe(503);
  });
});

describe("cookies", () => {
  const t = get("/", [
    ["Cookie", "SID=abc; theme=dark ;  lang = en"],
    ["Cookie", "SID=def; empty="],
  ]);
  test.each([
    ["req.cook(SID)", "def"],
    ["cook(theme)", "dark"],
    ["req.cook(lang)", "en"],
    ["req.cook(empty)", ""],
    ["req.cook(sid)", undefined],
    ["req.cook", "abc"],
    ["req.cook_cnt(SID)", 2],
    ["req.cook_cnt", 5],
    ["cook_cnt(none)", 0],
  ])("%s", (expr, expected) => {
    expect(one(expr, t)).toBe(expected);
  });
  test("an ACL sees every occurrence", () => {
    expect(all("req.cook(SID)", t)).toEqual(["abc", "def"]);
  });
  test("res.cook reads Set-Cookie names, not attributes", () => {
    const r = txn({ request: request("GET", "/"), response: response(200, [["Set-Cookie", "SRV=s1; Path=/; HttpOnly"], ["Set-Cookie", "SID=9; Secure"]]) });
    expect(one("res.cook(SRV)", r, Stage.httpResponse)).toBe("s1");
    expect(one("res.cook(Path)", r, Stage.httpResponse)).toBeUndefined();
    expect(one("res.cook_cnt", r, Stage.httpResponse)).toBe(2);
  });
});

describe("process and constant fetches", () => {
  const t = txn({ env: { REGION: "eu" }, servers: { be_app: { s1: true, s2: false, s3: true } }, backend: "be_app" });
  test.each([
    ["env(REGION)", "eu"],
    ["env(NONE)", undefined],
    ["nbsrv(be_app)", 2],
    ["nbsrv", 2],
    ["srv_is_up(be_app/s1)", true],
    ["srv_is_up(be_app/s2)", false],
    ["srv_is_up(s3)", true],
    ["srv_is_up(be_app/none)", undefined],
    ["always_true", true],
    ["always_false", false],
    ["int(-12)", -12],
    ["str(hello)", "hello"],
    ["bool(3)", true],
    ["bool(0)", false],
  ])("%s", (expr, expected) => {
    expect(one(expr, t)).toBe(expected);
  });
  test("var reads the scope's store, with a default", () => {
    t.vars.set("txn", "user", "alice");
    expect(one("var(txn.user)", t)).toBe("alice");
    expect(one("var(req.none)", t)).toBeUndefined();
    expect(one("var(req.none,anon)", t)).toBe("anon");
  });
  test.each([
    ["var(user)", "var: variable 'user' needs a scope: proc., sess., txn., req. or res. before its name"],
    ["nbsrv(be_nope)", "nbsrv: no backend named 'be_nope'"],
    ["srv_is_up(be_nope/s1)", "srv_is_up: no backend named 'be_nope' in 'be_nope/s1'"],
    ["int(x)", "int(x): not an integer"],
  ])("%s is a load error", (expr, message) => {
    expect(compileExpr(expr, Stage.httpRequest, env())).toBe(message);
  });
});

describe("stick counters", () => {
  const t = txn({
    tracked: [entry("st_src", { http_req_rate: 12, conn_cur: 2, gpc0: 1 }, "192.0.2.7"), undefined, entry("st_other", { http_err_rate: 4 })],
    tables: { st_other: { "192.0.2.7": { http_req_rate: 99 } }, st_src: { "192.0.2.7": { conn_rate: 5 } } },
  });
  test.each([
    ["sc_http_req_rate(0)", 12],
    ["sc0_http_req_rate", 12],
    ["sc_conn_cur(0)", 2],
    ["sc_get_gpc0(0)", 1],
    ["sc0_get_gpc0", 1],
    ["sc_http_req_rate(1)", undefined],
    ["sc2_http_err_rate", 4],
    ["sc_conn_rate(0)", undefined],
    ["sc_http_req_rate(0,st_other)", 99],
    ["sc2_http_req_rate(st_src)", undefined],
    ["sc_tracked(1)", false],
    ["sc0_tracked", true],
    ["src_conn_rate", 5],
    ["src_conn_rate(st_other)", undefined],
    ["src_http_req_rate(st_other)", 99],
  ])("%s", (expr, expected) => {
    expect(one(expr, t)).toBe(expected);
  });
  test("an address the table has not seen counts 0", () => {
    expect(one("src_http_req_rate(st_other)", txn({ address: "10.9.9.9", tables: { st_other: {} } }))).toBe(0);
  });
  test.each([
    ["sc_http_req_rate(3)", "sc_http_req_rate: the stick counter '3' is not 0, 1 or 2"],
    ["sc_http_req_rate(0,nope)", "sc_http_req_rate: no stick-table named 'nope'"],
    ["sc1_conn_cur(nope)", "sc1_conn_cur: no stick-table named 'nope'"],
  ])("%s is a load error", (expr, message) => {
    expect(compileExpr(expr, Stage.httpRequest, env())).toBe(message);
  });
  test("src_* without a table in a proxy that declares none", () => {
    expect(compileExpr("src_conn_cur", Stage.httpRequest, env({}, { ownTable: undefined }))).toBe(
      "src_conn_cur needs a table: name one, or declare a stick-table in this proxy",
    );
  });
});

describe("payload fetches", () => {
  test("req.len counts the bytes received, in tcp-request content only", () => {
    expect(one("req.len", txn({ payload: new Uint8Array(17) }), Stage.tcpContent)).toBe(17);
    expect(one("req.len", txn(), Stage.tcpContent)).toBeUndefined();
    expect(compileExpr("req.ssl_sni", Stage.httpRequest, env())).toBe("'req.ssl_sni' is not available in http-request rules");
  });
});

describe("capture.req.hdr / capture.res.hdr (the frontend's capture slots)", () => {
  const t: Txn = { ...get("/"), captures: ["example.test", "curl/"], responseCaptures: ["max-age"] };
  test("a slot's value; a slot beyond them or empty: no sample", () => {
    expect(one("capture.req.hdr(0)", t)).toBe("example.test");
    expect(one("capture.req.hdr(1)", t, Stage.httpAfterResponse)).toBe("curl/");
    expect(one("capture.req.hdr(2)", t)).toBeUndefined();
    expect(one("capture.res.hdr(0)", t, Stage.httpResponse)).toBe("max-age");
    expect(one("capture.res.hdr(1)", t, Stage.httpAfterResponse)).toBeUndefined();
    expect(one("capture.req.hdr(0)", get("/"))).toBeUndefined();
  });
  test("refused: a negative or missing index, capture.res.hdr before a response, either outside HTTP", () => {
    expect(compileExpr("capture.req.hdr(-1)", Stage.httpRequest, env())).toBe("capture.req.hdr: expects a capture slot index (0 or more), got '-1'");
    expect(compileExpr("capture.req.hdr", Stage.httpRequest, env())).toBeTypeOf("string");
    expect(compileExpr("capture.res.hdr(0)", Stage.httpRequest, env())).toBeTypeOf("string");
    expect(compileExpr("capture.req.hdr(0)", Stage.tcpContent, env())).toBeTypeOf("string");
  });
});

describe("generated fetches: date from the runtime's clock, rand, uuid; srv_name in response rules", () => {
  test("date in seconds, ms or us, with an offset; rand within its range; uuid version 4", () => {
    const t = txn({ request: request("GET", "/") });
    expect([one("date", t), one("date(3600)", t), one("date(0,ms)", t), one("date(5,us)", t)]).toEqual([1_700_000_000, 1_700_003_600, 1_700_000_000_000, 1_700_000_000_000_005]);
    for (let i = 0; i < 50; i++) expect(one("rand(10)", t) as number).toBeWithin(0, 10);
    expect(one("uuid", t)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(one("uuid(4)", t)).not.toBe(one("uuid(4)", t));
  });
  test("srv_name: the server that answered, in response rules", () => {
    const t = txn({ request: request("GET", "/") });
    t.server = "s2";
    expect(one("srv_name", t, Stage.httpResponse)).toBe("s2");
    expect(compileExpr("srv_name", Stage.httpRequest, env())).toBe("'srv_name' is not available in http-request rules");
  });
});

describe("more of HAProxy's fetches: the values HAProxy 2.6 gave for the same request", () => {
  // curl -H 'Cookie: n=42; s=abc' -H 'X-A: 1' 'http://127.0.0.1:24701/p/q?x=17&y=2', from 127.0.0.1.
  const t = txn({
    request: request("GET", "/p/q?x=17&y=2", [["host", "127.0.0.1:24701"], ["user-agent", "curl/7.88.1"], ["accept", "*/*"], ["cookie", "n=42; s=abc"], ["x-a", "1"]]),
  });
  test.each([
    ["req.cook_val(n)", 42],
    ["cook_val(s)", 0],
    ["urlp_val(x)", 17],
    ["req.hdr_names", "host,user-agent,accept,cookie,x-a"],
    ["req.hdr_names(;)", "host;user-agent;accept;cookie;x-a"],
    ["base32", 1478995041],
    ["bin(48656c6c6f)", "Hello"],
    ["ipv4(10.0.0.1)", "10.0.0.1"],
    ["ipv6(::1)", "::1"],
    ["meth(PUT)", "PUT"],
    ["bool(true)", true],
    ["bool(false)", false],
    ["req.hdrs", "host: 127.0.0.1:24701\r\nuser-agent: curl/7.88.1\r\naccept: */*\r\ncookie: n=42; s=abc\r\nx-a: 1\r\n\r\n"],
  ])("%s", (text, expected) => {
    expect(one(text, t)).toBe(expected);
  });
  test("base32+src: the hash's 4 bytes then the address's", () => {
    const c = compileExpr("base32+src,hex", Stage.httpRequest, env());
    expect(typeof c === "string" ? c : c.one(t)).toMatch(/^5827AC61[0-9A-F]{8}$/);
  });
});

describe("strl2ic, the _val fetches' reading (values measured with HAProxy 2.6.12)", () => {
  test.each([
    ["3000000000", -1294967296],
    ["2147483648", -2147483648],
    ["4294967296", 0],
    ["-5", -5],
    ["12abc", 12],
    ["99999999999999", 276447231],
    ["-2147483649", 2147483647],
    ["+8", -42],
    ["- 3", 157],
    ["-x", 0],
    ["%2B8", -108],
    ["", 0],
    ["1\xC3", -99],
  ])("%p is %p", (text, value) => {
    expect(strl2ic(text)).toBe(value);
  });
});
