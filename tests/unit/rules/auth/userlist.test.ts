import { describe, expect, test } from "bun:test";
import { AUTH_CACHE_MAX_KEY, Userlist } from "../../../../src/rules/auth/userlist.ts";
import { AUTH_FIXTURES } from "../../../support/auth-fixtures.ts";

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64");

/** Counts how often each user's password is actually checked. */
function counted(list: Userlist): Map<string, number> {
  const counts = new Map<string, number>();
  const users = (list as unknown as { users: Map<string, { password: { matches(p: Uint8Array): boolean } }> }).users;
  for (const [name, user] of users) {
    const matches = user.password.matches.bind(user.password);
    user.password.matches = (p: Uint8Array) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return matches(p);
    };
  }
  return counts;
}

const L = () =>
  new Userlist({
    name: "L",
    users: [
      { name: "tiger", password: { hash: AUTH_FIXTURES[0]!.hash }, groups: ["G1", "G2"] },
      { name: "scott", password: { insecure: "elgato" }, groups: ["G1"] },
      { name: "xdb", password: { insecure: "hello" }, groups: [] },
    ],
  });

describe("Userlist", () => {
  test("every fixture user logs in with its password, and not with another", () => {
    const list = new Userlist({
      name: "all",
      users: AUTH_FIXTURES.map((f) => ({ name: f.user, password: { hash: f.hash }, groups: [] })),
    });
    for (const f of AUTH_FIXTURES) {
      expect(list.check(basic(f.user, f.password))).toBe(f.user);
      expect(list.check(basic(f.user, "!" + f.password))).toBeUndefined();
    }
  });

  test("check: the user, or undefined for a wrong password, an unknown user, or no Basic credentials", () => {
    const list = L();
    expect(list.name).toBe("L");
    expect(list.check(basic("tiger", "s3cret"))).toBe("tiger");
    expect(list.check(basic("scott", "elgato"))).toBe("scott");
    expect(list.check(basic("scott", "Elgato"))).toBeUndefined();
    expect(list.check(basic("Scott", "elgato"))).toBeUndefined();
    expect(list.check(basic("nobody", "elgato"))).toBeUndefined();
    expect(list.check("Bearer abc")).toBeUndefined();
    expect(list.check("Basic !!!!")).toBeUndefined();
    expect(list.check("Basic " + Buffer.from("scottelgato").toString("base64"))).toBeUndefined();
    expect(list.check("")).toBeUndefined();
  });

  test("inGroup and groupsOf", () => {
    const list = L();
    expect(list.inGroup("tiger", "G2")).toBe(true);
    expect(list.inGroup("scott", "G2")).toBe(false);
    expect(list.inGroup("xdb", "G1")).toBe(false);
    expect(list.inGroup("nobody", "G1")).toBe(false);
    expect(list.groupsOf("tiger")).toEqual(["G1", "G2"]);
    expect(list.groupsOf("nobody")).toEqual([]);
  });

  test("a keep-alive client's repeated Authorization value is checked once; failures are checked every time", () => {
    const list = L();
    const counts = counted(list);
    for (let i = 0; i < 5; i++) expect(list.check(basic("tiger", "s3cret"))).toBe("tiger");
    expect(counts.get("tiger")).toBe(1);
    for (let i = 0; i < 5; i++) expect(list.check(basic("tiger", "wrong"))).toBeUndefined();
    expect(counts.get("tiger")).toBe(6);
    expect(list.cachedEntries).toBe(1);
  });

  test("the cache keeps at most cacheEntries successes, dropping the least recently used", () => {
    const users = Array.from({ length: 10 }, (_, i) => ({ name: `u${i}`, password: { insecure: `p${i}` }, groups: [] }));
    const list = new Userlist({ name: "many", users }, { cacheEntries: 3 });
    const counts = counted(list);
    for (let i = 0; i < 10; i++) list.check(basic(`u${i}`, `p${i}`));
    expect(list.cachedEntries).toBe(3);
    // u7, u8, u9 are held; u0 was dropped.
    list.check(basic("u7", "p7"));
    list.check(basic("u0", "p0"));
    expect(counts.get("u7")).toBe(1);
    expect(counts.get("u0")).toBe(2);
    // u7 was used recently, so u8 went to make room for u0.
    list.check(basic("u7", "p7"));
    list.check(basic("u8", "p8"));
    expect(counts.get("u7")).toBe(1);
    expect(counts.get("u8")).toBe(2);
    expect(list.cachedEntries).toBe(3);
  });

  test("wrong guesses never grow the cache; nor do over-long values; cacheEntries 0 turns it off", () => {
    const list = L();
    for (let i = 0; i < 2000; i++) list.check(basic("scott", `guess${i}`));
    expect(list.cachedEntries).toBe(0);
    const long = new Userlist({ name: "long", users: [{ name: "u", password: { insecure: "p".repeat(AUTH_CACHE_MAX_KEY) }, groups: [] }] });
    expect(long.check(basic("u", "p".repeat(AUTH_CACHE_MAX_KEY)))).toBe("u");
    expect(long.cachedEntries).toBe(0);
    const off = new Userlist({ name: "off", users: [{ name: "u", password: { insecure: "p" }, groups: [] }] }, { cacheEntries: 0 });
    expect(off.check(basic("u", "p"))).toBe("u");
    expect(off.cachedEntries).toBe(0);
  });

  test("a hash the config layer would refuse throws, naming the userlist and the user", () => {
    expect(() => new Userlist({ name: "bad", users: [{ name: "u", password: { hash: "$1$abc$def" }, groups: [] }] })).toThrow(
      "userlist 'bad': user 'u': MD5-crypt hashes ('$1$') are not supported",
    );
  });
});
