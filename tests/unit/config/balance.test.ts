import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

// Balancing: `balance` with its arguments, `hash-type`, `option allbackups`
// (defaults, backend, listen) and the server options `maxqueue`,
// `slowstart`, `init-addr` (with `weight`, `backup`, `disabled`, `maxconn`).

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

const CFG = cfg(
  "defaults",
  "    mode http",
  "    hash-type consistent",
  "backend api",
  "    balance uri whole len 12 depth 3",
  "    option allbackups",
  "    server a1 app1.internal:9001 weight 3 maxconn 10 maxqueue 20 slowstart 30s init-addr last,libc,none",
  "    server a2 127.0.0.1:9002 init-addr 10.0.0.9",
  "    server b1 127.0.0.1:9003 backup disabled",
  "backend rr",
  "    balance random(3)",
  "    server r1 127.0.0.1:9004",
  "backend hp",
  "    balance hdr(X-Tenant)",
  "    hash-type map-based",
  "    server h1 127.0.0.1:9005",
  "backend up",
  "    balance url_param user",
  "    server u1 127.0.0.1:9006",
);
const YAML = yaml(
  "defaults:",
  "  mode: http",
  "  hash-type: consistent",
  "backends:",
  "  api:",
  "    balance: uri whole len 12 depth 3",
  "    option: allbackups",
  "    servers:",
  "      a1: { address: 'app1.internal:9001', weight: 3, maxconn: 10, maxqueue: 20, slowstart: 30s, init-addr: [last, libc, none] }",
  "      a2: { address: '127.0.0.1:9002', init-addr: 10.0.0.9 }",
  "      b1: { address: '127.0.0.1:9003', backup: true, disabled: true }",
  "  rr: { balance: random(3), servers: { r1: '127.0.0.1:9004' } }",
  "  hp: { balance: hdr(X-Tenant), hash-type: map-based, servers: { h1: '127.0.0.1:9005' } }",
  "  up: { balance: url_param user, servers: { u1: '127.0.0.1:9006' } }",
);

describe("balance, hash-type and the server options, in both syntaxes", () => {
  test.each([["haproxy.cfg", CFG], ["YAML", YAML]])("%s", (_, source) => {
    const c = loadOk(source);
    const [api, rr, hp, up] = c.backends;
    expect(api!.balance).toEqual({ algorithm: "uri", whole: true, len: 12, depth: 3 });
    expect(api!.hashType).toBe("consistent");
    expect(api!.allBackups).toBe(true);
    const [a1, a2, b1] = api!.servers;
    expect([a1!.host, a1!.weight, a1!.maxconn, a1!.maxqueue, a1!.slowstart]).toEqual(["app1.internal", 3, 10, 20, 30000]);
    expect(a1!.initAddr).toEqual(["last", "libc", "none"]);
    expect(a2!.initAddr).toEqual([{ ip: "10.0.0.9" }]);
    expect([b1!.backup, b1!.disabled, b1!.maxqueue, b1!.slowstart, b1!.initAddr]).toEqual([true, true, undefined, undefined, undefined]);
    expect(rr!.balance).toEqual({ algorithm: "random", draws: 3 });
    expect(hp!.balance).toEqual({ algorithm: "hdr", name: "X-Tenant" });
    expect(hp!.hashType).toBe("map-based");
    expect(up!.balance).toEqual({ algorithm: "url_param", name: "user" });
  });
  test("the twins give the same Config", () => {
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === "origin" ? undefined : v)));
    expect(strip(loadOk(YAML))).toEqual(strip(loadOk(CFG)));
  });
  test("defaults: roundrobin, no hash-type, random draws 2, every algorithm accepted", () => {
    const c = loadOk(cfg("backend a", "    server s 127.0.0.1:1", "backend b", "    balance random", "    server s 127.0.0.1:1"));
    expect(c.backends[0]!.balance).toEqual({ algorithm: "roundrobin" });
    expect(c.backends[0]!.hashType).toBeUndefined();
    expect(c.backends[1]!.balance).toEqual({ algorithm: "random", draws: 2 });
    for (const a of ["roundrobin", "static-rr", "leastconn", "first", "random", "source"]) {
      expect(loadOk(cfg("backend b", `    balance ${a}`, "    server s 127.0.0.1:1")).backends[0]!.balance.algorithm as string).toBe(a);
    }
  });
});

describe("errors", () => {
  test.each([
    [
      "weight 300",
      cfg("backend api", "    server a1 127.0.0.1:1 weight 300"),
      "sluice.cfg:2: backend 'api': server 'a1': weight 300 is out of range (0-256)",
    ],
    [
      "hash-type with an algorithm that does not hash",
      cfg("backend api", "    balance leastconn", "    hash-type consistent", "    server a1 127.0.0.1:1"),
      "sluice.cfg:3: backend 'api': hash-type needs a hashing balance algorithm (source, uri, url_param, hdr, hash); this backend balances by leastconn",
    ],
    [
      "an algorithm that reads HTTP in mode tcp",
      cfg("backend api", "    mode tcp", "    balance uri", "    server a1 127.0.0.1:1"),
      "sluice.cfg:3: backend 'api': balance uri needs mode http (this backend is in tcp mode; in tcp mode use roundrobin, static-rr, leastconn, first, random or source)",
    ],
    [
      "hdr in a tcp listen",
      cfg("listen db :5432", "    balance hdr(Host)", "    server a1 127.0.0.1:1"),
      "sluice.cfg:2: listen 'db': balance hdr needs mode http (this listen is in tcp mode; in tcp mode use roundrobin, static-rr, leastconn, first, random or source)",
    ],
    [
      "an unknown algorithm",
      cfg("backend api", "    balance fastest"),
      "sluice.cfg:2: backend 'api': unknown balance algorithm 'fastest' (usage: balance roundrobin|static-rr|leastconn|first|random[(<draws>)]|source|uri [whole] [len <n>] [depth <n>]|url_param <name>|hdr(<name>)|hash <expr>)",
    ],
    ["random with a bad count", cfg("backend api", "    balance random(0)"), "sluice.cfg:2: backend 'api': balance random: invalid draw count '0' (expected an integer, 1-100)"],
    ["hdr without a name", cfg("backend api", "    balance hdr"), "sluice.cfg:2: backend 'api': balance hdr needs a header name: hdr(<name>) (got 'hdr')"],
    ["hash without an expression", cfg("backend api", "    balance hash"), "sluice.cfg:2: backend 'api': balance hash expects one sample expression (usage: balance hash <expr>, e.g. balance hash req.cook(sessionid))"],
    ["hash of a fetch that does not exist", cfg("backend api", "    balance hash req.cookie(sid)", "    server s1 127.0.0.1:8080"), "sluice.cfg:1: backend 'api': balance: hash 'req.cookie(sid)': unknown fetch 'req.cookie' (did you mean 'req.cook'?)"],
    ["url_param without a name", cfg("backend api", "    balance url_param"), "sluice.cfg:2: backend 'api': balance url_param needs a parameter name (usage: balance url_param <name>)"],
    ["uri len without a number", cfg("backend api", "    balance uri len x"), "sluice.cfg:2: backend 'api': balance uri: 'len' needs a positive integer (got 'x')"],
    ["an unknown hash-type", cfg("backend api", "    hash-type ring"), "sluice.cfg:2: backend 'api': invalid hash-type 'ring' (expected map-based or consistent)"],
    [
      "a hash function",
      cfg("backend api", "    hash-type consistent sdbm"),
      "sluice.cfg:2: backend 'api': hash-type: function or modifier 'sdbm' is not supported yet (usage: hash-type map-based|consistent)",
    ],
    ["hash-type in a frontend", cfg("frontend web", "    hash-type consistent"), "sluice.cfg:2: frontend 'web': 'hash-type' is not allowed in a frontend section"],
    ["option allbackups in a frontend", cfg("frontend web", "    option allbackups"), "sluice.cfg:2: frontend 'web': 'option allbackups' is not allowed in a frontend section"],
    [
      "an init-addr method",
      cfg("backend api", "    server a1 x.example:1 init-addr last,dns"),
      "sluice.cfg:2: backend 'api': server 'a1': invalid init-addr method 'dns' (expected last, libc, none or an IP address)",
    ],
    ["maxqueue negative", cfg("backend api", "    server a1 127.0.0.1:1 maxqueue -1"), "sluice.cfg:2: backend 'api': server 'a1': maxqueue -1 is out of range (at least 0)"],
    [
      "slowstart not a time",
      cfg("backend api", "    server a1 127.0.0.1:1 slowstart soon"),
      "sluice.cfg:2: backend 'api': server 'a1': slowstart: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
    ],
  ])("%s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
  test("hash-type from defaults does not make a roundrobin backend an error", () => {
    const c = loadOk(cfg("defaults", "    hash-type consistent", "backend api", "    server a1 127.0.0.1:1"));
    expect(c.backends[0]!.balance).toEqual({ algorithm: "roundrobin" });
  });
});

describe("hash-balance-factor", () => {
  test("a backend's own, or its defaults'; 0 is none; YAML the same", () => {
    const c = loadOk(
      cfg(
        "defaults",
        "    mode http",
        "    hash-type consistent",
        "    hash-balance-factor 150",
        "backend a",
        "    balance uri",
        "    server s 127.0.0.1:1",
        "backend b",
        "    balance uri",
        "    hash-balance-factor 0",
        "    server s 127.0.0.1:1",
        "backend c",
        "    balance uri",
        "    hash-balance-factor 125",
        "    server s 127.0.0.1:1",
      ),
    );
    expect(c.backends.map((b) => b.hashBalanceFactor)).toEqual([150, undefined, 125]);
    const y = loadOk(yaml("backends:", "  a:", "    mode: http", "    balance: uri", "    hash-type: consistent", "    hash-balance-factor: 200", "    servers: [{ name: s, address: 127.0.0.1:1 }]"));
    expect(y.backends[0]!.hashBalanceFactor).toBe(200);
  });

  test("HAProxy's bounds: 0 or above 100, an integer", () => {
    for (const [value, message] of [
      ["50", "sluice.cfg:4: backend 'b': 'hash-balance-factor' must be 0 or greater than 100"],
      ["100", "sluice.cfg:4: backend 'b': 'hash-balance-factor' must be 0 or greater than 100"],
      ["x", "sluice.cfg:4: backend 'b': invalid hash-balance-factor 'x' (expected an integer, at least 0)"],
    ]) {
      expect(errorsOf(cfg("defaults", "    mode http", "backend b", `    hash-balance-factor ${value}`, "    server s 127.0.0.1:1"))).toEqual([message!]);
    }
  });
});
