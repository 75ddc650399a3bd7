import { describe, expect, test } from "bun:test";
import { compileCondition, parseAcl } from "../../../src/rules/acl.ts";
import { MapRegistry } from "../../../src/rules/match/map-ref.ts";
import { Stage, type StageBit, type Txn } from "../../../src/rules/types.ts";
import { acls, env, request, response, txn } from "./txn.ts";

const FILES = {
  "admins.lst": "# admin networks\n10.0.0.0/8\n  192.168.1.0/24\n\n",
  "agents.lst": "curl\nWget\n",
  "hosts.map": "www.example.com be_app\n",
};


function condition(text: string, lines: readonly string[] = [], stage: StageBit = Stage.httpRequest) {
  const c = compileCondition(text.split(/\s+/), acls(lines), stage, env(FILES));
  if (typeof c === "string") throw new Error(c);
  return c;
}

function error(text: string, lines: readonly string[] = [], stage: StageBit = Stage.httpRequest): string {
  const c = compileCondition(text.split(/\s+/), acls(lines), stage, env(FILES));
  if (typeof c !== "string") throw new Error(`'${text}' compiled`);
  return c;
}

const req = (method: string, target: string, fields: [string, string][] = [], address = "192.0.2.7"): Txn =>
  txn({ request: request(method, target, fields), address });

describe("parseAcl", () => {
  test("flags: -i applies to what follows, -f files, -m, --", () => {
    const a = parseAcl(["hdr(user-agent)", "-f", "agents.lst", "-i", "-f", "more.lst", "test"]);
    if (typeof a === "string") throw new Error(a);
    expect(a.method).toBe("str");
    expect(a.groups).toEqual([
      { ignoreCase: false, file: "agents.lst", mapFile: false },
      { ignoreCase: true, file: "more.lst", mapFile: false },
      { ignoreCase: true, values: ["test"] },
    ]);
    const b = parseAcl(["path", "-m", "beg", "-u", "7", "--", "-i", "/x"]);
    if (typeof b === "string") throw new Error(b);
    expect(b).toMatchObject({ method: "beg", id: "7", groups: [{ ignoreCase: false, values: ["-i", "/x"] }] });
  });

  test.each([
    [[], "an ACL needs a sample expression"],
    [["pth", "/"], "unknown fetch 'pth' (did you mean 'path'?)"],
    [["path", "-x", "/"], "'-x' is not an ACL flag (-i -f -m -n -M -u --); write '--' before a value that begins with '-'"],
    [["path", "-f"], "'-f' needs a file name after it"],
    [["path", "-m"], "'-m' needs a match method after it"],
    [["path", "-m", "begin", "/"], "unknown match method 'begin' (did you mean 'beg'?)"],
    [["path", "-f", "a.lst", "-m", "beg"], "'-m' must come before '-f'"],
    [["path", "-m", "bin", "00"], "'-m bin' is not supported: sluice's samples hold no binary fetches to compare with hex blocks"],
    [["path,b64dec", "x"], "'path,b64dec' gives binary samples: name a match method with -m"],
    [["src", "-m", "bool"], "'-m bool' cannot test the ip samples of 'src'"],
    [["status", "-m", "ip", "10.0.0.1"], "'-m ip' cannot test the int samples of 'status'"],
  ])("%j → %s", (words, message) => {
    expect(parseAcl(words)).toBe(message);
  });
});

describe("match methods through ACLs", () => {
  test.each([
    // acl words, target, expected
    ["path /a/b", "/a/b?x", true],
    ["path /a", "/a/b", false],
    ["path_beg /static /img", "/img/x.png", true],
    ["path_end .png .css", "/img/x.png", true],
    ["path_sub admin", "/x/admin/y", true],
    ["path_dir png", "/images/png/logo", true],
    ["path_dir png", "/images/pngs", false],
    ["path_reg ^/api/v[0-9]+/", "/api/v2/users", true],
    ["path_reg -i ^/API/", "/api/x", true],
    ["path_len gt 5", "/abcdef", true],
    ["path_len lt 5", "/abcdef", false],
    ["path -i /ADMIN", "/admin", true],
    ["path -m beg /a", "/abc", true],
    ["url HTTP_URL_STAR", "*", false],
    ["url *", "*", true],
    ["query -m found", "/?", true],
    ["query -m found", "/", false],
    ["url_param(id) -m int 10:20", "/?id=15", true],
    ["url_param(id) -m int 10:20", "/?id=25", false],
  ])("acl x %s on %s", (words, target, expected) => {
    expect(condition("if x", [`x ${words}`])(req("GET", target))).toBe(expected);
  });

  test.each([
    ["eq 3", true],
    ["eq 4", false],
    ["ge 3", true],
    ["ge 4", false],
    ["gt 2", true],
    ["gt 3", false],
    ["le 3", true],
    ["le 2", false],
    ["lt 4", true],
    ["lt 3", false],
    ["3", true],
    ["1:3", true],
    ["4:", false],
    [":3", true],
  ])("integer operators: hdr_cnt(x) %s with 3 values", (ops, expected) => {
    const t = req("GET", "/", [["x", "a, b"], ["X", "c"]]);
    expect(condition("if x", [`x hdr_cnt(x) ${ops}`])(t)).toBe(expected);
  });

  test("ip networks, from values and files", () => {
    const lines = ["local src 127.0.0.1/8 ::1", "admin src -f admins.lst"];
    expect(condition("if admin", lines)(req("GET", "/", [], "10.9.8.7"))).toBe(true);
    expect(condition("if admin", lines)(req("GET", "/", [], "192.168.1.200"))).toBe(true);
    expect(condition("if admin", lines)(req("GET", "/", [], "192.168.2.1"))).toBe(false);
    expect(condition("if local", lines)(req("GET", "/", [], "::1"))).toBe(true);
    expect(condition("if local", lines)(req("GET", "/", [], "::ffff:127.0.0.2"))).toBe(true);
  });

  test("-f files and -i per group", () => {
    const lines = ["ua hdr(user-agent) -f agents.lst", "uai hdr(user-agent) -i -f agents.lst"];
    const ua = (v: string) => req("GET", "/", [["User-Agent", v]]);
    expect(condition("if ua", lines)(ua("curl"))).toBe(true);
    expect(condition("if ua", lines)(ua("wget"))).toBe(false);
    expect(condition("if uai", lines)(ua("wget"))).toBe(true);
    expect(compileCondition(["if", "x"], acls(["x path -f none.lst"]), Stage.httpRequest, env(FILES))).toBe(
      "acl 'x': cannot read pattern file 'none.lst': ENOENT: none.lst",
    );
  });

  test("-M: a map file's keys as patterns", () => {
    expect(condition("if h", ["h hdr(host) -M -f hosts.map"])(req("GET", "/", [["Host", "www.example.com"]]))).toBe(true);
  });

  test("multi-valued fetches match when any value does; found tests presence", () => {
    const t = req("GET", "/", [["X-Forwarded-For", "10.0.0.1, 172.16.0.1"], ["Cookie", "a=1; SID="]]);
    expect(condition("if x", ["x req.hdr(x-forwarded-for) 172.16.0.1"])(t)).toBe(true);
    expect(condition("if x", ["x hdr(x-forwarded-for) -m ip 172.16.0.0/12"])(t)).toBe(true);
    expect(condition("if x", ["x hdr(x-forwarded-for,1) -m ip 172.16.0.0/12"])(t)).toBe(false);
    expect(condition("if c", ["c req.cook(SID) -m found"])(t)).toBe(true);
    expect(condition("if c", ["c req.cook(OTHER) -m found"])(t)).toBe(false);
    expect(condition("if c", ["c hdr(missing) -m found"])(t)).toBe(false);
    expect(condition("if c", ["c hdr(missing) -m len 0"])(t)).toBe(false);
  });

  test("an ACL with no values never matches; booleans match by value", () => {
    const t = req("GET", "/");
    expect(condition("if x", ["x path"])(t)).toBe(false);
    expect(condition("if tls", ["tls ssl_fc"])(t)).toBe(false);
    expect(condition("if n", ["n int(2) -m bool"])(t)).toBe(true);
  });

  test("method: the eight methods by name as written; other words as text, -i folding, only for other methods (HAProxy's)", () => {
    expect(condition("if m", ["m method GET HEAD"])(req("HEAD", "/"))).toBe(true);
    expect(condition("if m", ["m method get"])(req("GET", "/"))).toBe(false);
    // HAProxy 2.6.12: "get" is another method than GET, -i or not (tests/e2e/method-acl.test.ts).
    expect(condition("if m", ["m method -i get"])(req("GET", "/"))).toBe(false);
    expect(condition("if m", ["m method -i purge"])(req("PURGE", "/"))).toBe(true);
    expect(condition("if m", ["m method purge"])(req("PURGE", "/"))).toBe(false);
  });
});

describe("conditions", () => {
  const lines = ["a path_beg /a", "b hdr(host) -i b.example", "c method POST", "two path /two", "two path /2"];
  const t = (target: string, host = "x", method = "GET") => req(method, target, [["Host", host]]);

  test.each([
    ["if a", "/a", "x", "GET", true],
    ["unless a", "/a", "x", "GET", false],
    ["if !a", "/a", "x", "GET", false],
    ["if ! a", "/z", "x", "GET", true],
    ["if a b", "/a", "B.example", "GET", true],
    ["if a b", "/a", "x", "GET", false],
    ["if a || b", "/z", "b.example", "GET", true],
    ["if a or b", "/z", "x", "GET", false],
    ["if a !b or c", "/a", "b.example", "POST", true],
    ["if a !b or c", "/a", "b.example", "GET", false],
    ["unless a or b", "/z", "x", "GET", true],
    ["if two", "/2", "x", "GET", true],
    ["if two", "/two", "x", "GET", true],
    ["if two", "/three", "x", "GET", false],
    ["if { path_beg /a } b", "/a", "b.example", "GET", true],
    ["if !{ path_beg /a }", "/a", "x", "GET", false],
    ["if ! { path_beg /a } || c", "/a", "x", "POST", true],
    ["if { hdr(host) -i B.EXAMPLE } { method GET }", "/z", "b.example", "GET", true],
  ])("%s (%s, host %s, %s)", (text, target, host, method, expected) => {
    expect(condition(text, lines)(t(target, host, method))).toBe(expected);
  });

  test("evaluation short-circuits", () => {
    let calls = 0;
    const counted = req("GET", "/z");
    counted.world.env = () => {
      calls++;
      return "x";
    };
    condition("if a { env(X) -m found }", lines)(counted);
    expect(calls).toBe(0);
    condition("if { env(X) -m found } or { env(Y) -m found }", lines)(counted);
    expect(calls).toBe(1);
  });

  test.each([
    ["", "a condition begins with 'if' or 'unless', not ''"],
    ["when a", "a condition begins with 'if' or 'unless', not 'when'"],
    ["if", "'if' needs a condition after it"],
    ["if a or", "'or' needs a term after it"],
    ["if || a", "'||' needs a term before it"],
    ["if a !", "'!' needs a term after it"],
    ["if { path_beg /a", "'{' without its '}' (braces are words of their own: '{ src 10.0.0.0/8 }')"],
    ["if a }", "'}' without a '{' before it"],
    ["if { }", "anonymous ACL '{  }': an ACL needs a sample expression"],
    ["if { pth /a }", "anonymous ACL '{ pth /a }': unknown fetch 'pth' (did you mean 'path'?)"],
    ["if aa", "unknown ACL 'aa' (did you mean 'a'?)"],
    ["if METH_GTE", "unknown ACL 'METH_GTE' (did you mean 'METH_GET'?)"],
    ["if { res.hdr(x) -m found }", "anonymous ACL '{ res.hdr(x) -m found }': 'res.hdr' is not available in http-request rules"],
  ])("'%s' → %s", (text, message) => {
    expect(error(text, lines)).toBe(message);
  });

  test("an ACL is compiled for the rule set that uses it", () => {
    const l = ["cached res.hdr(x-cache) HIT", "p path /"];
    expect(error("if cached", l, Stage.httpRequest)).toBe("acl 'cached': 'res.hdr' is not available in http-request rules");
    const t = txn({ request: request("GET", "/"), response: response(200, [["X-Cache", "HIT"]]) });
    expect(condition("if cached p", l, Stage.httpResponse)(t)).toBe(true);
    expect(error("if p", l, Stage.tcpConnection)).toBe("acl 'p': 'path' is not available in tcp-request connection rules");
  });

  test("a user ACL takes a predefined name", () => {
    expect(condition("if TRUE", ["TRUE always_false"])(req("GET", "/"))).toBe(false);
  });
});

describe("predefined ACLs", () => {
  test.each([
    ["TRUE", req("GET", "/"), true],
    ["FALSE", req("GET", "/"), false],
    ["HTTP", req("GET", "/"), true],
    ["HTTP_1.1", req("GET", "/"), true],
    ["HTTP_1.0", req("GET", "/"), false],
    ["HTTP_1.0", txn({ request: request("GET", "/", [], 0) }), true],
    ["HTTP_2.0", req("GET", "/"), false],
    // An HTTP/2 client's request: its head has HTTP/1.1's semantics, the transaction says 2.0 (HAProxy's req.ver).
    ["HTTP_2.0", txn({ request: request("GET", "/"), requestVersion: "2.0" }), true],
    ["HTTP_1.1", txn({ request: request("GET", "/"), requestVersion: "2.0" }), false],
    ["HTTP_CONTENT", req("POST", "/", [["Content-Length", "12"]]), true],
    ["HTTP_CONTENT", req("POST", "/", [["Content-Length", "0"]]), false],
    ["HTTP_CONTENT", req("GET", "/"), false],
    ["HTTP_URL_ABS", req("GET", "http://h/x"), true],
    ["HTTP_URL_ABS", req("GET", "/x"), false],
    ["HTTP_URL_SLASH", req("GET", "/x"), true],
    ["HTTP_URL_STAR", req("OPTIONS", "*"), true],
    ["LOCALHOST", req("GET", "/", [], "127.0.0.1"), true],
    ["LOCALHOST", req("GET", "/", [], "::1"), true],
    ["LOCALHOST", req("GET", "/", [], "10.0.0.1"), false],
    ["METH_CONNECT", req("CONNECT", "h:443"), true],
    ["METH_DELETE", req("DELETE", "/"), true],
    ["METH_GET", req("HEAD", "/"), true],
    ["METH_GET", req("POST", "/"), false],
    ["METH_HEAD", req("HEAD", "/"), true],
    ["METH_OPTIONS", req("OPTIONS", "/"), true],
    ["METH_POST", req("POST", "/"), true],
    ["METH_PUT", req("PUT", "/"), true],
    ["METH_TRACE", req("TRACE", "/"), true],
  ])("%s", (name, t, expected) => {
    expect(condition(`if ${name}`)(t)).toBe(expected);
  });

  test("REQ_CONTENT in tcp-request content", () => {
    expect(condition("if REQ_CONTENT", [], Stage.tcpContent)(txn({ payload: new Uint8Array(3) }))).toBe(true);
    expect(condition("if REQ_CONTENT", [], Stage.tcpContent)(txn({ payload: new Uint8Array(0) }))).toBe(false);
  });

  test("those sluice cannot offer say why", () => {
    expect(error("if WAIT_END")).toBe("WAIT_END needs wait_end, which sluice lacks: tcp-request inspect-delay ends content inspection by itself");
    expect(error("if RDP_COOKIE")).toBe("RDP_COOKIE needs req.rdp_cookie_cnt, which sluice lacks (it does not parse RDP cookies)");
    expect(error("if METH_GET", [], Stage.tcpConnection)).toBe("acl 'METH_GET': 'method' is not available in tcp-request connection rules");
  });
});

describe("an ACL whose patterns change at run time", () => {
  const FILE = "block.lst";
  function live(registry: MapRegistry) {
    const e = env({}, {
      mapRef: (file, parse, kind) => registry.ref(file, `/etc/${file}`, "acl 'src'", () => parse("10.0.0.1\n"), kind),
      inlineRef: (description, values) => registry.inline(description, values),
    });
    const c = compileCondition(["if", "blocked"], acls([`blocked src -f ${FILE}`]), Stage.httpRequest, e);
    if (typeof c === "string") throw new Error(c);
    return { c, ref: registry.find(FILE)! };
  }
  const from = (address: string) => txn({ request: request("GET", "/"), address });

  test("appended patterns match at once, beside the index; removals and clears are seen; the result is always the whole list's", () => {
    const registry = new MapRegistry();
    const { c, ref } = live(registry);
    expect(c(from("10.0.0.1"))).toBe(true);
    expect(c(from("10.0.0.2"))).toBe(false);
    // A few hundred appends, one at a time as add-acl does: each is matched on the next evaluation,
    // past the point where the appended part outgrows the index and it is rebuilt.
    for (let i = 2; i < 300; i++) {
      expect(ref.add([{ key: `10.0.${i >> 8}.${i & 255}`, value: "" }])).toBeUndefined();
      expect(c(from(`10.0.${i >> 8}.${i & 255}`))).toBe(true);
      expect(c(from(`10.1.0.${i & 255}`))).toBe(false);
    }
    expect(c(from("10.0.0.1"))).toBe(true);
    expect(c(from("10.0.0.77"))).toBe(true);
    // A removal rebuilds: the entry no longer matches; the rest still do.
    expect(ref.delete("10.0.0.77", true)).toBe(1);
    expect(c(from("10.0.0.77"))).toBe(false);
    expect(c(from("10.0.0.78"))).toBe(true);
    expect(ref.add([{ key: "10.9.9.9", value: "" }])).toBeUndefined();
    expect(c(from("10.9.9.9"))).toBe(true);
    expect(c(from("10.0.0.77"))).toBe(false);
    ref.clear();
    expect(c(from("10.0.0.1"))).toBe(false);
    expect(c(from("10.9.9.9"))).toBe(false);
    expect(ref.add([{ key: "10.0.0.0/8", value: "" }])).toBeUndefined();
    expect(c(from("10.200.1.1"))).toBe(true);
  });

  test("has() answers from a count per key that follows adds, deletes, clears and commits", () => {
    const registry = new MapRegistry();
    const { ref } = live(registry);
    expect(ref.has("10.0.0.1")).toBe(true);
    ref.add([{ key: "10.0.0.2", value: "" }, { key: "10.0.0.2", value: "" }]);
    expect(ref.has("10.0.0.2")).toBe(true);
    expect(ref.delete("10.0.0.2", true)).toBe(2);
    expect(ref.has("10.0.0.2")).toBe(false);
    const v = ref.prepare();
    ref.addAt(v, [{ key: "10.0.0.3", value: "" }]);
    expect(ref.has("10.0.0.3")).toBe(false);
    expect(ref.commit(v)).toBeUndefined();
    expect(ref.has("10.0.0.3")).toBe(true);
    expect(ref.has("10.0.0.1")).toBe(false);
    ref.clear();
    expect(ref.has("10.0.0.3")).toBe(false);
  });
});
