import { describe, expect, test } from "bun:test";
import { compileExpr } from "../../../src/rules/expr.ts";
import { Stage, type Sample } from "../../../src/rules/types.ts";
import { env, request, txn } from "./txn.ts";

const FILES = {
  "hosts.map": "# host to backend\nwww.example.com  be_app\napi.example.com\tbe_api  \n\n static.example.com be_static\n",
  "prefix.map": "/api be_api\n/api/v2 be_v2\n/ be_root\n",
  "domains.map": "example.com be_ex\nexample.org be_org\n",
  "nets.map": "10.0.0.0/8 internal\n10.1.0.0/16 office\n192.0.2.7 me\n",
  "weights.map": "a 10\nb 20\n",
  "badint.map": "a 10\nb twenty\n",
  "ports.map": "80 http\n443:444 https\n",
  "regex.map": "^/img/.*\\.png$ png\n^/img/ img\n",
  "ips.map": "a 10.0.0.1\nb nope\n",
  "nokey.map": "a\n",
};

/** `str(INPUT),CONVERTERS` evaluated, or the load error. */
function run(input: string, converters: string, t = txn({ request: request("GET", "/") })): Sample | undefined | string {
  const c = compileExpr(`str(${input}),${converters}`, Stage.httpRequest, env(FILES));
  if (typeof c === "string") return `error: ${c}`;
  return c.one(t);
}

function expr(text: string, t = txn({ request: request("GET", "/") })): Sample | undefined | string {
  const c = compileExpr(text, Stage.httpRequest, env(FILES));
  if (typeof c === "string") return `error: ${c}`;
  return c.one(t);
}

describe("text converters", () => {
  test.each([
    ["AbC", "lower", "abc"],
    ["AbC", "upper", "ABC"],
    // Octets, as they came (a latin1 char each): ASCII letters only change, as HAProxy's; UTF-8 text stays valid.
    ["\u00c3\u0089COLE", "lower", "\u00c3\u0089cole"],
    ["\u00c3\u00a9cole", "upper", "\u00c3\u00a9COLE"],
    ["\u00b5x", "upper", "\u00b5X"],
    ["plain", "lower", "plain"],
    ["héllo", "length", 5],
    ["f1_f2_f3__f5", "field(5,_)", "f5"],
    ["f1_f2_f3__f5", "field(2,_,0)", "f2_f3__f5"],
    ["f1_f2_f3__f5", "field(2,_,2)", "f2_f3"],
    ["f1_f2_f3__f5", "field(-2,_,3)", "f2_f3_"],
    ["f1_f2_f3__f5", "field(-3,_,0)", "f1_f2_f3"],
    ["f1_f2_f3__f5", "field(4,_)", ""],
    ["f1_f2_f3__f5", "field(9,_)", ""],
    ["a.b-c", "field(2,.-)", "b"],
    ["f1_f2_f3__f5", "word(4,_)", "f5"],
    ["f1_f2_f3__f5", "word(2,_,0)", "f2_f3__f5"],
    ["f1_f2_f3__f5", "word(3,_,2)", "f3__f5"],
    ["f1_f2_f3__f5", "word(-2,_,3)", "f1_f2_f3"],
    ["f1_f2_f3__f5", "word(-3,_,0)", "f1_f2"],
    // HAProxy's: counting forward past the last word runs to the end, trailing delimiters kept.
    ["ab/cd//ef/", "word(1,/,0)", "ab/cd//ef/"],
    ["ab/cd//ef/", "word(2,/,0)", "cd//ef/"],
    ["/x/", "word(1,/,5)", "x/"],
    ["a/b/c/", "word(1,/,2)", "a/b"],
    ["/f1/f2/f3/f4", "word(1,/)", "f1"],
    ["abcdef", "bytes(2)", "cdef"],
    ["abcdef", "bytes(2,3)", "cde"],
    ["abcdef", "bytes(6)", undefined],
    ["caf\u00c3\u00a9", "json(utf8)", "caf\\u00e9"],
    ["caf\u00c3\u00a9", "json", "caf\\u00c3\\u00a9"],
    ["bad\u00c3", "json(utf8)", undefined],
    ["bad\u00c3", "json(utf8s)", "bad"],
    ["/a%20b/%2e%2E/c+d?x=1+2", "url_dec", "/a b/../c+d?x=1 2"],
    ["a+b", "url_dec(1)", "a b"],
    ["caf%C3%A9", "url_dec", "caf\u00c3\u00a9"],
    ["50%", "url_dec", undefined],
    ["%zz", "url_dec", undefined],
  ])("str(%s),%s", (input, conv, expected) => {
    expect(run(input, conv)).toBe(expected);
  });

  test("json escapes quotes, backslashes, slashes and controls", () => {
    expect(expr("req.hdr(x),json", txn({ request: request("GET", "/", [["x", 'say "hi"\t/\\']]) }))).toBe('say \\"hi\\"\\t\\/\\\\');
  });

  test.each([
    ["/////a///b/c/", "regsub('/+','/',g)", "/a/b/c/"],
    ["/////a///b/c/", "regsub('/+','/')", "/a///b/c/"],
    ["FOO42", 'regsub("(foo|bar)([0-9]+)?","\\2\\1",i)', "42FOO"],
    ["foo", 'regsub("(foo|bar)([0-9]+)?","<\\2>")', "<>"],
    ["?;&a=1", "regsub([?;&]*,'')", "a=1"],
    ["nothing", "regsub(x,y)", "nothing"],
  ])("str(%s),%s", (input, conv, expected) => {
    expect(run(input, conv)).toBe(expected);
  });

  test.each([
    ["regsub('(a',b)", "error: regsub: bad regex '(a': error parsing regexp: missing closing ): `(a`"],
    ["regsub(a,b,x)", "error: regsub: unknown flag 'x' (flags are g and i)"],
    ["regsub(a,'\\1')", "error: regsub: '\\1' names a group the regex does not have"],
    ["field(0,_)", "error: field: the index '0' is not a non-zero integer"],
    ["word(1,)", "error: word: no delimiter given"],
    ["json(latin1)", "error: json: unknown input code 'latin1' (ascii, utf8, utf8s, utf8p, utf8ps)"],
  ])("%s is a load error", (conv, message) => {
    expect(run("x", conv)).toBe(message);
  });

  test("a regex on a huge value runs in linear time and yields a value", () => {
    const c = compileExpr("req.hdr(x),regsub('(a|aa)+$',y)", Stage.httpRequest, env());
    if (typeof c === "string") throw new Error(c);
    const huge = "a".repeat(200_000) + "!";
    const started = performance.now();
    expect(c.one(txn({ request: request("GET", "/", [["x", huge]]) }))).toBe(huge);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("encodings", () => {
  test.each([
    ["", "base64", ""],
    ["f", "base64", "Zg=="],
    ["fo", "base64", "Zm8="],
    ["foo", "base64", "Zm9v"],
    ["\u00ff\u0000", "base64", "/wA="],
    ["Zm9vYg==", "b64dec", "foob"],
    ["Zm9v", "b64dec", "foo"],
    ["Zm9", "b64dec", undefined],
    ["Zm9v!A==", "b64dec", undefined],
    ["Hi\n", "hex", "48690A"],
    ["Zm9vYmFy", "b64dec,hex", "666F6F626172"],
  ])("str(%s),%s", (input, conv, expected) => {
    expect(run(input, conv)).toBe(expected);
  });
});

describe("ipmask", () => {
  test.each([
    ["192.0.2.77", "ipmask(24)", "192.0.2.0"],
    ["192.0.2.77", "ipmask(255.255.0.0)", "192.0.0.0"],
    ["192.0.2.77", "ipmask(0)", "0.0.0.0"],
    ["::ffff:192.0.2.77", "ipmask(16)", "192.0.0.0"],
    ["2001:db8:1:2::7", "ipmask(24,64)", "2001:db8:1:2::"],
    ["2001:db8:1:2::7", "ipmask(24,ffff:ffff::)", "2001:db8::"],
    ["2001:db8:1:2::7", "ipmask(24)", undefined],
    ["not-an-ip", "ipmask(24)", undefined],
  ])("str(%s),%s", (input, conv, expected) => {
    expect(run(input, conv)).toBe(expected);
  });
  test("masks are checked at load; a boolean is not an address", () => {
    expect(run("1.2.3.4", "ipmask(33)")).toBe("error: ipmask: '33' is not an IPv4 mask (a prefix length 0-32 or a dotted mask)");
    expect(run("1.2.3.4", "ipmask(255.0.255.0)")).toBe("error: ipmask: '255.0.255.0' is not an IPv4 mask (a prefix length 0-32 or a dotted mask)");
    expect(expr("ssl_fc,ipmask(24)")).toBe("error: converter 'ipmask' takes ip input, but 'ssl_fc' gives bool");
    expect(expr("src,ipmask(24)", txn({ address: "10.20.30.40" }))).toBe("10.20.30.0");
  });
});

describe("maps", () => {
  test.each([
    ["www.example.com", "map(hosts.map)", "be_app"],
    ["api.example.com", "map(hosts.map)", "be_api"],
    ["static.example.com", "map_str(hosts.map)", "be_static"],
    ["WWW.example.com", "map(hosts.map)", undefined],
    ["WWW.example.com", "lower,map(hosts.map)", "be_app"],
    ["other", "map(hosts.map,be_default)", "be_default"],
    ["/api/v2/users", "map_beg(prefix.map)", "be_v2"],
    ["/api/x", "map_beg(prefix.map)", "be_api"],
    ["/x", "map_beg(prefix.map)", "be_root"],
    ["www.example.com", "map_dom(domains.map)", "be_ex"],
    ["example.net", "map_dom(domains.map)", undefined],
    ["/img/a.png", "map_reg(regex.map)", "png"],
    ["/img/a.gif", "map_reg(regex.map)", "img"],
    ["a", "map_str_int(weights.map)", 20 - 10],
    ["b", "map_str_int(weights.map),length", 2],
    ["c", "map_str_int(weights.map,7)", 7],
    ["a", "map_str_ip(ips.map.ok)", "error"],
  ])("str(%s),%s", (input, conv, expected) => {
    const got = run(input, conv);
    if (expected === "error") expect(String(got).startsWith("error: ")).toBe(true);
    else expect(got).toBe(expected);
  });

  test("map_ip and map_int take addresses and numbers", () => {
    expect(expr("src,map_ip(nets.map)", txn({ address: "10.1.2.3" }))).toBe("office");
    expect(expr("src,map_ip(nets.map)", txn({ address: "10.200.0.1" }))).toBe("internal");
    expect(expr("src,map_ip(nets.map)", txn({ address: "192.0.2.7" }))).toBe("me");
    expect(expr("src,map_ip(nets.map,none)", txn({ address: "172.16.0.1" }))).toBe("none");
    expect(expr("dst_port,map_int(ports.map)")).toBe("https");
  });

  test("bad map files and values fail at load, naming the line", () => {
    expect(run("a", "map_str_int(badint.map)")).toBe("error: map_str_int: map file 'badint.map' line 2: value 'twenty' is not an integer");
    expect(run("a", "map_str_ip(ips.map)")).toBe("error: map_str_ip: map file 'ips.map' line 2: value 'nope' is not an IP address");
    expect(run("a", "map(missing.map)")).toBe("error: map: cannot read map file 'missing.map': ENOENT: missing.map");
    expect(run("a", "map_str_int(weights.map,x)")).toBe("error: map_str_int: the default 'x' is not an integer");
    expect(String(run("a", "map(nokey.map)"))).toStartWith("error: map: map file 'nokey.map': line 1:");
  });
});

describe("table converters", () => {
  const t = txn({ address: "10.0.0.9", tables: { st_other: { "10.0.0.9": { http_req_rate: 31 } } } });
  test.each([
    ["src,table_http_req_rate(st_other)", 31],
    ["str(10.0.0.8),table_http_req_rate(st_other)", 0],
    ["src,table_conn_cur(st_other)", undefined],
    ["src,table_http_req_rate(nope)", "error: table_http_req_rate: no stick-table named 'nope'"],
  ])("%s", (text, expected) => {
    expect(expr(text, t)).toBe(expected);
  });
});

describe("casts between types", () => {
  test.each([
    ["status_like", "int(404),lower", "404"],
    ["bool to str", "bool(1),upper", "1"],
    ["int to ip", "int(3232235777),ipmask(16)", "192.168.0.0"],
    ["str to int", "str(12abc),map_int(ports.map,none)", "none"],
    ["str to ip, not an address", "str(x),map_ip(nets.map,none)", undefined],
    // HAProxy's c_int2bin and c_ip2bin: the value's bytes, not its text.
    ["int to bin", "int(255),hex", "00000000000000FF"],
    ["negative int to bin", "int(-5),hex", "FFFFFFFFFFFFFFFB"],
    ["int to bin, base64", "int(7),base64", "AAAAAAAAAAc="],
    ["bool to bin", "bool(1),hex", "0000000000000001"],
    ["ip to bin", "str(127.0.0.1),ipmask(24),hex", "7F000000"],
    ["ipv6 to bin", "str(::1),ipmask(0,128),hex", "00000000000000000000000000000001"],
  ])("%s", (_name, text, expected) => {
    expect(expr(text)).toBe(expected);
  });

  test("a variable keeps the type it was stored with: converters cast it when they run", () => {
    const t = txn({ request: request("GET", "/") });
    t.vars.set("txn", "i", 42);
    t.vars.set("txn", "b", true);
    t.vars.set("txn", "s", "AbC");
    expect(["var(txn.i),lower", "var(txn.i),length", "var(txn.i),regsub(4,X)", "var(txn.b),upper", "var(txn.i),hex", "var(txn.s),lower", "var(txn.i),add(1)"].map((e) => expr(e, t)))
      .toEqual(["42", 2, "X2", "1", "000000000000002A", "abc", 43]);
  });
});

describe("arithmetic, hashes, time and variable converters: the values HAProxy 2.6 gave for the same expressions", () => {
  const t = () => {
    const x = txn({ request: request("GET", "/") });
    x.vars.set("txn", "n", 7);
    x.vars.set("txn", "s", "mid");
    return x;
  };
  test.each([
    ["int(10),add(5)", 15],
    ["int(10),sub(20)", -10],
    ["int(10),mul(3)", 30],
    ["int(10),div(3)", 3],
    ["int(10),div(0),add(0)", 9223372036854775807],
    ["int(10),mod(3)", 1],
    ["int(10),mod(0)", 0],
    ["int(10),neg", -10],
    ["int(12),and(6)", 4],
    ["int(12),or(5)", 13],
    ["int(12),xor(3)", 15],
    ["int(12),cpl", -13],
    ["int(12),bool", true],
    ["int(0),not", true],
    ["int(3),odd", true],
    ["int(-3),odd", true],
    ["int(3),even", false],
    ["int(10),add(txn.n)", 17],
    ["int(10),add(txn.none)", undefined],
    ["str(hello),crc32", 907060870],
    ["str(hello),crc32(1)", 3902247103],
    ["str(hello),djb2", 261238937],
    ["str(hello),djb2(1)", 1119739105],
    ["str(hello),sdbm", 684824882],
    ["str(hello),sdbm(1)", 2061535398],
    ["str(hello),wt6", 3538347703],
    ["str(hello),wt6(1)", 140457739],
    ["str(hello),sha1,hex", "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"],
    ["str(hello),sha2,hex", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"],
    ["str(hello),sha2(224),hex", "EA09AE9CC6768C50FCEE903ED054556E5BFC8347907F12598AA24193"],
    ["str(a),concat(<,txn.s,>)", "a<mid>"],
    ["str(a),concat(<,txn.none,>)", "a<>"],
    ["str(a),concat(x)", "ax"],
    ["str(abc),strcmp(txn.s)", -12],
    ["str(mid),strcmp(txn.s)", 0],
    ["str(z),strcmp(txn.s)", 13],
    ["int(1700000000),utime(%Y-%m-%d %H:%M:%S)", "2023-11-14 22:13:20"],
    ["int(1700000000),utime(%a %b %e %j %y %I %p %T %D %F %s %%)", "Tue Nov 14 318 23 10 PM 22:13:20 11/14/23 2023-11-14 1700000000 %"],
    ["int(1700000000),http_date", "Tue, 14 Nov 2023 22:13:20 GMT"],
    ["int(1700000000),http_date(3600)", "Tue, 14 Nov 2023 23:13:20 GMT"],
    ["int(1700000000005),http_date(0,ms)", "Tue, 14 Nov 2023 22:13:20.5 GMT"],
    ["int(1700000000123456),http_date(0,us)", "Tue, 14 Nov 2023 22:13:20.123456 GMT"],
    ["str(xxhexyy),ltrim(x)", "hexyy"],
    ["str(xxhexyy),rtrim(y)", "xxhex"],
    ["str(ff),hex2i", 255],
    ["str(ffffffffffffffff),hex2i", -1],
    ["str(12zz),hex2i", undefined],
  ])("%s", (text, expected) => {
    expect(expr(text, t())).toBe(expected);
  });

  test("arguments are checked at load", () => {
    expect(expr("int(1),add(x y)")).toStartWith("error: add: 'x y' is neither an integer nor a variable");
    expect(expr("str(a),crc32(2)")).toBe("error: crc32: the avalanche argument must be 0 or 1, not '2'");
    expect(expr("str(a),sha2(100)")).toBe("error: sha2: unsupported number of bits '100' (224, 256, 384 or 512)");
    expect(expr("int(1),http_date(0,h)")).toBe("error: http_date: unknown unit 'h' (s, ms or us)");
  });
});
