import { describe, expect, test } from "bun:test";
import { parseExprText } from "../../../src/rules/expr-parse.ts";
import { compileExpr, resolveExpr } from "../../../src/rules/expr.ts";
import { Stage } from "../../../src/rules/types.ts";
import { env, request, txn } from "./txn.ts";

describe("parseExprText", () => {
  test.each([
    ["src", [["src", []]]],
    ["hdr(host)", [["hdr", ["host"]]]],
    ["req.hdr(x,-1),lower", [["req.hdr", ["x", "-1"]], ["lower", []]]],
    ["url_param(a)", [["url_param", ["a"]]]],
    ["str()", [["str", [""]]]],
    ["field(2,)", [["field", ["2", ""]]]],
    ["regsub((foo,bar)", [["regsub", ["(foo", "bar"]]]],
    [`regsub("(foo|bar)",blah,g)`, [["regsub", ["(foo|bar)", "blah", "g"]]]],
    [`regsub('^/(here)(/|$)','my/\\1',g)`, [["regsub", ["^/(here)(/|$)", "my/\\1", "g"]]]],
    [`regsub("a\\"b",'c,d')`, [["regsub", ['a"b', "c,d"]]]],
    [`str(a\\,b)`, [["str", ["a,b"]]]],
    [`str(\\(x\\))`, [["str", ["(x)"]]]],
    [`regsub(\\.,_)`, [["regsub", ["\\.", "_"]]]],
    [`str(a\\ b\\tc\\n)`, [["str", ["a b\tc\n"]]]],
    [`str(\\x41\\d)`, [["str", ["\\x41\\d"]]]],
    ["base32+src", [["base32+src", []]]],
    ["path,lower,map_beg(f.map,def)", [["path", []], ["lower", []], ["map_beg", ["f.map", "def"]]]],
  ])("%s", (text, terms) => {
    const parsed = parseExprText(text);
    if (typeof parsed === "string") throw new Error(parsed);
    expect(parsed.terms.map((t) => [t.name, t.args])).toEqual(terms as never);
    expect(parsed.end).toBe(text.length);
  });

  test("stops at a stop character outside parentheses", () => {
    const text = "%[hdr(a]b),lower] tail";
    const parsed = parseExprText(text, 2, 93);
    if (typeof parsed === "string") throw new Error(parsed);
    expect(parsed.terms.map((t) => [t.name, t.args])).toEqual([["hdr", ["a]b"]], ["lower", []]]);
    expect(text.slice(parsed.end)).toBe("] tail");
  });

  test.each([
    ["", "empty sample expression"],
    ["hdr(host", "missing ')' after the arguments of 'hdr'"],
    ["regsub('a,b)", "unterminated quote in the arguments of 'regsub'"],
    ["regsub((foo|bar),blah,g)", `unexpected ')' after 'g' in 'regsub((foo|bar),blah,g)' (a ')' inside arguments needs quotes: regsub("(a|b)",x))`],
    ["hdr(host)x", "unexpected 'x' after 'hdr(host)' in 'hdr(host)x' (converters follow a comma)"],
    ["path,", "empty converter name after ',' in 'path,'"],
    ["path,,lower", "empty converter name after ',' in 'path,,lower'"],
    ["(x)", "unexpected '(' at the start of sample expression '(x)'"],
    ["path lower", "unexpected ' ' after 'path' in 'path lower' (converters follow a comma)"],
  ])("%s → %s", (text, message) => {
    expect(parseExprText(text)).toBe(message);
  });
});

describe("resolving names, counts and types", () => {
  test.each([
    ["pth", "unknown fetch 'pth' (did you mean 'path'?)"],
    ["req.hrd(host)", "unknown fetch 'req.hrd' (did you mean 'req.hdr'?)"],
    ["nothing_like_it", "unknown fetch 'nothing_like_it'"],
    ["lower", "unknown fetch 'lower' ('lower' is a converter: it follows a fetch and a comma)"],
    ["path,lowr", "unknown converter 'lowr' (did you mean 'lower'?)"],
    ["path,src", "unknown converter 'src' ('src' is a fetch: an expression has one, first)"],
    ["hdr(a,1,2)", "fetch 'hdr' takes at most 2 arguments, got 3"],
    ["url_param(a,b,c)", "fetch 'url_param' takes at most 2 arguments, got 3"],
    ["req.fhdr", "fetch 'req.fhdr' takes at least 1 argument, got 0"],
    ["env", "fetch 'env' takes 1 argument, got 0"],
    ["src(x)", "fetch 'src' takes no arguments, got 1"],
    ["path,lower(x)", "converter 'lower' takes no arguments, got 1"],
    ["path,field(1)", "converter 'field' takes at least 2 arguments, got 1"],
    ["path,regsub(a)", "converter 'regsub' takes at least 2 arguments, got 1"],
    ["path,map", "converter 'map' takes at least 1 argument, got 0"],
    ["ssl_fc,ipmask(24)", "converter 'ipmask' takes ip input, but 'ssl_fc' gives bool"],
    ["path,b64dec,map_int(f.map)", "converter 'map_int' takes int input, but 'b64dec' gives bin"],
  ])("%s", (text, message) => {
    expect(resolveExpr(text)).toBe(message);
  });

  test("a keyword without arguments takes () as none", () => {
    expect(resolveExpr("src()")).toMatchObject({ fetchArgs: [] });
    expect(resolveExpr("path,lower()")).toMatchObject({ type: "str" });
  });

  test("output type and default match", () => {
    expect(resolveExpr("hdr(host),lower,length")).toMatchObject({ type: "int", match: "int" });
    expect(resolveExpr("src,ipmask(24)")).toMatchObject({ type: "ip", match: "ip" });
    expect(resolveExpr("path_end")).toMatchObject({ type: "str", match: "end" });
  });
});

describe("compiling for a rule set", () => {
  test.each([
    ["res.hdr(x)", Stage.httpRequest, "'res.hdr' is not available in http-request rules"],
    ["path", Stage.tcpConnection, "'path' is not available in tcp-request connection rules"],
    ["req.ssl_sni", Stage.httpResponse, "'req.ssl_sni' is not available in http-response rules"],
    ["res.cook(a)", Stage.tcpContent, "'res.cook' is not available in tcp-request content rules"],
    ["hdr(x),map(none.map)", Stage.httpRequest, "map: cannot read map file 'none.map': ENOENT: none.map"],
  ])("%s", (text, stage, message) => {
    expect(compileExpr(text, stage, env())).toBe(message);
  });

  test("fetches usable in every rule set compile in each", () => {
    for (const stage of Object.values(Stage)) expect(typeof compileExpr("src,ipmask(16)", stage, env())).toBe("object");
  });

  test("nothing a request carries makes a compiled expression throw", () => {
    const throwing = txn({ request: request("GET", "/") });
    Object.defineProperty(throwing.request!, "target", { get: () => { throw new Error("boom"); } });
    const c = compileExpr("path,lower", Stage.httpRequest, env());
    if (typeof c === "string") throw new Error(c);
    expect(c.one(throwing)).toBeUndefined();
    const h = compileExpr("req.hdr(x),lower", Stage.httpRequest, env());
    if (typeof h === "string") throw new Error(h);
    const broken = txn({ request: request("GET", "/", [["x", "1"]]) });
    Object.defineProperty(broken.request!, "fieldCount", { get: () => { throw new Error("boom"); } });
    expect(h.one(broken)).toBeUndefined();
    expect(h.each!(broken, () => true)).toBe(false);
  });
});
