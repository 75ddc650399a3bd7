import { describe, expect, test } from "bun:test";
import { Userlist } from "../../../src/rules/auth/userlist.ts";
import { AUTH_FIXTURES } from "../../support/auth-fixtures.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const hash = (label: string) => AUTH_FIXTURES.find((f) => f.label === label)!.hash;
const SHA512 = hash("sha512-rounds");
const SHA256 = hash("sha256-openssl");
const BCRYPT = hash("bcrypt-2y");

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

// HAProxy's two functionally identical userlists (configuration manual, 3.4), with real hashes.
const CFG = lines(
  "userlist L1",
  "    group G1 users tiger,scott",
  "    group G2 users xdb,scott",
  "",
  `    user tiger password ${SHA512}`,
  "    user scott insecure-password elgato",
  `    user xdb password ${BCRYPT}`,
  "",
  "userlist L2",
  "    group G1",
  "    group G2",
  "",
  `    user tiger password ${SHA512} groups G1`,
  "    user scott insecure-password elgato groups G1,G2",
  `    user xdb groups G2 password ${BCRYPT}`,
  "",
  "userlist empty",
  "",
  "frontend web",
  "    bind 127.0.0.1:8080",
  "    default_backend app",
  "backend app",
  "    server s 127.0.0.1:9000",
);

const YAML = lines(
  "userlists:",
  "  L1:",
  "    groups:",
  "      G1: { users: [tiger, scott] }",
  '      G2: "xdb,scott"',
  "    users:",
  `      tiger: { password: "${SHA512}" }`,
  "      scott: { insecure-password: elgato }",
  `      xdb: { password: "${BCRYPT}" }`,
  "  L2:",
  "    groups: [{ name: G1 }, { name: G2 }]",
  "    users:",
  `      - { name: tiger, password: "${SHA512}", groups: G1 }`,
  "      - { name: scott, insecure-password: elgato, groups: [G1, G2] }",
  `      - { name: xdb, password: "${BCRYPT}", groups: [G2] }`,
  "  empty:",
  "frontends:",
  "  web: { bind: 127.0.0.1:8080, default_backend: app }",
  "backends:",
  "  app: { servers: { s: 127.0.0.1:9000 } }",
);

describe("userlist sections", () => {
  test("haproxy.cfg: users, groups from either side, origins at their lines", () => {
    const c = loadOk({ name: "u.cfg", text: CFG });
    expect(Object.keys(c.userlists!)).toEqual(["L1", "L2", "empty"]);
    const expected = {
      users: [
        { name: "tiger", password: { hash: SHA512 }, groups: ["G1"] },
        { name: "scott", password: { insecure: "elgato" }, groups: ["G1", "G2"] },
        { name: "xdb", password: { hash: BCRYPT }, groups: ["G2"] },
      ],
      groups: ["G1", "G2"],
    };
    expect(withoutOrigins(c.userlists!.L1)).toEqual({ name: "L1", ...expected });
    // HAProxy: "both lists are functionally identical".
    expect(withoutOrigins(c.userlists!.L2)).toEqual({ name: "L2", ...expected });
    expect(withoutOrigins(c.userlists!.empty)).toEqual({ name: "empty", users: [], groups: [] });
    expect(c.userlists!.L1!.origin).toEqual({ file: "u.cfg", line: 1 });
    expect(c.userlists!.L2!.users.map((u) => u.origin.line)).toEqual([13, 14, 15]);
  });

  test("YAML is the twin of haproxy.cfg (mappings by name and lists both)", () => {
    const cfg = loadOk({ name: "u.cfg", text: CFG });
    const yaml = loadOk({ name: "u.yaml", text: YAML });
    expect(withoutOrigins(yaml.userlists)).toEqual(withoutOrigins(cfg.userlists));
    expect(yaml.userlists!.L2!.users[1]!.origin).toEqual({ file: "u.yaml", line: 14, col: 9 });
  });

  test("a configuration without userlists has no userlists field", () => {
    const c = loadOk({ name: "x.cfg", text: lines("backend app", "    server s 127.0.0.1:9000") });
    expect(c.userlists).toBeUndefined();
  });

  test("rules/auth's Userlist is built from the config's userlist and checks each scheme", () => {
    const c = loadOk({
      name: "u.cfg",
      text: lines(
        "userlist L",
        `    user five password ${SHA256}`,
        `    user six password ${SHA512} groups ops`,
        `    user blow password ${BCRYPT}`,
        "    user plain insecure-password tiger",
        "    group ops",
      ),
    });
    const list = new Userlist(c.userlists!.L!);
    expect(list.check(basic("five", "pass5"))).toBe("five");
    expect(list.check(basic("six", "rounds six"))).toBe("six");
    expect(list.check(basic("blow", "hello world"))).toBe("blow");
    expect(list.check(basic("plain", "tiger"))).toBe("plain");
    expect(list.check(basic("plain", "lion"))).toBeUndefined();
    expect(list.inGroup("six", "ops")).toBe(true);
    expect(list.inGroup("five", "ops")).toBe(false);
  });

  test.each([
    [["    frob x"], "u.cfg:2: userlist 'L': unknown keyword 'frob' in a userlist section (expected user or group)"],
    [["    users tiger"], "u.cfg:2: userlist 'L': unknown keyword 'users' in a userlist section (expected user or group)"],
    [["    user"], "u.cfg:2: userlist 'L': missing name for 'user' (usage: user <name> password <hash> | insecure-password <password> [groups <group>,...])"],
    [["    user tiger secret x"], "u.cfg:2: userlist 'L': user 'tiger': unknown option 'secret' (usage: user <name> password <hash> | insecure-password <password> [groups <group>,...])"],
    [["    user tiger password"], "u.cfg:2: userlist 'L': user 'tiger': missing value for 'password'"],
    [["    user tiger insecure-password a insecure-password b"], "u.cfg:2: userlist 'L': user 'tiger': 'insecure-password' given twice"],
    [["    group G users"], "u.cfg:2: userlist 'L': group 'G': missing value for 'users' (usage: group <name> [users <user>,...])"],
    [["    user tiger password $1$abc$0123456789abcdefghijkl"], "u.cfg:2: userlist 'L': user 'tiger': password: MD5-crypt hashes ('$1$') are not supported (supported: bcrypt ($2a$, $2b$, $2y$), SHA-256-crypt ($5$) and SHA-512-crypt ($6$))"],
    [["    user tiger password $y$j9T$abc$def"], "u.cfg:2: userlist 'L': user 'tiger': password: yescrypt hashes ('$y$') are not supported"],
    [["    user tiger"], "u.cfg:2: userlist 'L': user 'tiger': no password (give password HASH or insecure-password TEXT)"],
    [[`    user tiger insecure-password x password ${SHA256}`], "u.cfg:2: userlist 'L': user 'tiger': password and insecure-password together (give one)"],
    [["    user ti:ger insecure-password x"], "u.cfg:2: userlist 'L': user 'ti:ger': invalid user name 'ti:ger' (a colon ends the user name in Basic credentials"],
    [["    user tiger insecure-password x groups G,,H"], "u.cfg:2: userlist 'L': user 'tiger': groups: empty group name"],
    [["    user tiger insecure-password x", "    user tiger insecure-password y"], "u.cfg:3: userlist 'L': user 'tiger': duplicate name (user 'tiger' is already defined at u.cfg:2)"],
    [["    group G", "    group G"], "u.cfg:3: userlist 'L': group 'G': duplicate name (group 'G' is already defined at u.cfg:2)"],
    [["    group G users tiger,ghost", "    user tiger insecure-password x"], "u.cfg:2: userlist 'L': group 'G': unknown user 'ghost' (no user of userlist 'L' has that name)"],
    [["    user tiger insecure-password x groups G,H", "    group G"], "u.cfg:2: userlist 'L': user 'tiger': unknown group 'H' (no group of userlist 'L' has that name: declare it with 'group H')"],
  ].map(([body, message]) => [message, body] as const))("haproxy.cfg: %s", (message, body) => {
    const errors = errorsOf({ name: "u.cfg", text: lines("userlist L", ...(body as string[])) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith(message as string);
  });

  test("hashes crypt(3) never gives back are kept, as HAProxy keeps them: a notice each, and their user never logs in", () => {
    const text = { name: "u.cfg", text: lines(
      "userlist L",
      "    user a password $9$abc$def",
      "    user b password hunter2",
      "    user c password $6$rounds=500$abc$" + "x".repeat(86),
      "    user d insecure-password hunter2",
    ) };
    const c = loadOk(text);
    expect(warningsOf(text).map((w) => w.slice(0, w.indexOf(": no password")))).toEqual([
      "u.cfg:2: userlist 'L': user 'a': password: unknown password hash scheme '$9$' (crypt(3) fails on it)",
      "u.cfg:3: userlist 'L': user 'b': password: not a crypt(3) hash (a clear-text password goes with 'insecure-password')",
      "u.cfg:4: userlist 'L': user 'c': password: SHA-512-crypt rounds=500 is out of range (1000-999999999, no leading zero): crypt(3) refuses it",
    ]);
    const list = new Userlist(c.userlists!.L!);
    for (const [user, password] of [["a", "$9$abc$def"], ["b", "hunter2"], ["b", ""], ["c", "x"]] as const) {
      expect(list.check(basic(user, password))).toBeUndefined();
    }
    expect(list.check(basic("d", "hunter2"))).toBe("d");
  });

  test("section header errors and duplicate userlists (in one file and across files)", () => {
    expect(errorsOf({ name: "u.cfg", text: lines("userlist") })).toEqual([
      "u.cfg:1: missing name for 'userlist' (usage: userlist <name>)",
    ]);
    expect(errorsOf({ name: "u.cfg", text: lines("userlist a b") })).toEqual([
      "u.cfg:1: userlist 'a': too many arguments for 'userlist': 'b' (usage: userlist <name>)",
    ]);
    expect(errorsOf({ name: "u.cfg", text: lines("userlist bad/name") })).toEqual([
      "u.cfg:1: invalid userlist name 'bad/name' (allowed: letters, digits, '-', '_', '.', ':')",
    ]);
    expect(errorsOf({ name: "u.cfg", text: lines("userlist L", "userlist M", "userlist L") })).toEqual([
      "u.cfg:3: userlist 'L': duplicate name (userlist 'L' is already defined at u.cfg:1)",
    ]);
    expect(
      errorsOf({ name: "a.cfg", text: lines("userlist L") }, { name: "b.yaml", text: lines("userlists:", "  L:") }),
    ).toEqual(["b.yaml:2:3: userlist 'L': duplicate name (userlist 'L' is already defined at a.cfg:1)"]);
  });

  test.each([
    [["    users: { tiger: { password: 123 } }"], "u.yaml:3:33: userlist 'L': user 'tiger': invalid password 123 (expected a crypt(3) hash)"],
    [["    users: { tiger: { password: $1$abc$def } }"], "u.yaml:3:33: userlist 'L': user 'tiger': password: MD5-crypt hashes ('$1$') are not supported"],
    [["    users: { tiger: { insecure-password: 0123 } }"], "u.yaml:3:42: userlist 'L': user 'tiger': invalid insecure-password 123 (expected a string"],
    [["    users: { tiger: { insecure-password: x, frob: 1 } }"], "u.yaml:3:45: userlist 'L': user 'tiger': unknown keyword 'frob' (expected one of: password, insecure-password, groups)"],
    [["    users: { tiger: {} }"], "u.yaml:3:21: userlist 'L': user 'tiger': no password"],
    [["    frob: 1"], "u.yaml:3:5: userlist 'L': unknown keyword 'frob' in a userlist section (expected: users, groups)"],
    [["    users: { tiger: { insecure-password: x }, tiger: { insecure-password: y } }"], "u.yaml:3:47: userlist 'L': duplicate key 'tiger' (first defined at u.yaml:3:14)"],
    [["    users: [{ name: tiger, insecure-password: x }, { name: tiger, insecure-password: y }]"], "u.yaml:3:52: userlist 'L': user 'tiger': duplicate name (user 'tiger' is already defined at u.yaml:3:13)"],
    [["    users: { tiger: { insecure-password: x } }", "    groups: { G: [tiger, ghost] }"], "u.yaml:4:18: userlist 'L': group 'G': unknown user 'ghost'"],
    [["    users: { tiger: { insecure-password: x, groups: [H] } }"], "u.yaml:3:53: userlist 'L': user 'tiger': unknown group 'H'"],
  ].map(([body, message]) => [message, body] as const))("YAML: %s", (message, body) => {
    const errors = errorsOf({ name: "u.yaml", text: lines("userlists:", "  L:", ...(body as string[])) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith(message as string);
  });
});
