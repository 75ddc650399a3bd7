// Userlists against the reference: HAProxy 2.6 (Debian's, crypt(3) from
// libxcrypt) and sluice accept the same userlist section, and for every
// fixture hash (made by libxcrypt and `openssl passwd`) and a set of
// malformed Authorization values, HAProxy's verdict on `http_auth` and
// `http_auth_group` is sluice's Userlist verdict (check, inGroup). HAProxy's 401 of `http-request auth` is
// the reply sluice builds. The full auth e2e through sluice comes with the
// rules integration.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfigTexts } from "../../src/config/load.ts";
import { unauthorizedReply } from "../../src/rules/auth/reply.ts";
import { Userlist } from "../../src/rules/auth/userlist.ts";
import { AUTH_FIXTURES } from "../support/auth-fixtures.ts";
import { freePort, selectedTargets } from "./harness.ts";
import { haproxy, type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";

const USERLIST = [
  "userlist L",
  "    group fixtures",
  ...AUTH_FIXTURES.map((f) => `    user ${f.user} password ${f.hash} groups fixtures`),
  "    user plain insecure-password elgato",
].join("\n");

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64");

/** Authorization values both must refuse, beside wrong passwords. */
const MALFORMED = [
  "Bearer abc",
  "Basic",
  "Basic !!!!",
  "Basic " + Buffer.from("tigers3cret").toString("base64"),
  "Basic " + Buffer.from(":").toString("base64"),
  "Digest username=tiger",
];

describe("userlists against HAProxy 2.6", () => {
  let port = 0;
  let reference: RunningProxy;

  beforeAll(async () => {
    port = await freePort();
    reference = await haproxy.start(
      [
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 10s",
        "    timeout server 10s",
        USERLIST,
        "frontend f",
        `    bind 127.0.0.1:${port}`,
        "    http-request return status 203 if { http_auth_group(L) fixtures }",
        "    http-request return status 200 if { http_auth(L) }",
        "    http-request auth realm fixtures",
      ].join("\n") + "\n",
      [port],
    );
  });
  afterAll(async () => {
    await reference?.stop();
  });

  /** 203: a user of group `fixtures`; 200: another user; 401: refused. */
  async function haproxyVerdict(authorization: string | undefined): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: authorization === undefined ? {} : { authorization } });
    await res.arrayBuffer();
    return res.status;
  }

  test("haproxy -c and sluice check (each target) accept the same userlist section", () => {
    const config = [
      "defaults",
      "    mode http",
      "    timeout connect 5s",
      "    timeout client 10s",
      "    timeout server 10s",
      USERLIST,
      "frontend f",
      `    bind 127.0.0.1:${port + 1}`,
      "    default_backend app",
      "backend app",
      "    server s 127.0.0.1:9",
    ].join("\n") + "\n";
    expect(haproxy.loads(config)).toBeUndefined();
    for (const target of selectedTargets()) expect(sluiceUnderTest(target).loads(config)).toBeUndefined();
  });

  test("every fixture: both accept its password (and see its group), both refuse a wrong one", async () => {
    const loaded = loadConfigTexts([{ name: "u.cfg", text: USERLIST + "\n" }]);
    if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
    const list = new Userlist(loaded.config.userlists!.L!);
    const sluiceVerdict = (value: string) => {
      const user = list.check(value);
      return user === undefined ? 401 : list.inGroup(user, "fixtures") ? 203 : 200;
    };
    const cases: [string, number][] = [[basic("plain", "elgato"), 200], [basic("plain", "Elgato"), 401]];
    for (const f of AUTH_FIXTURES) {
      cases.push([basic(f.user, f.password), 203], [basic(f.user, "!" + f.password), 401]);
    }
    for (const value of MALFORMED) cases.push([value, 401]);
    for (const [value, expected] of cases) {
      expect({ value, haproxy: await haproxyVerdict(value) }).toEqual({ value, haproxy: expected });
      expect({ value, sluice: sluiceVerdict(value) }).toEqual({ value, sluice: expected });
    }
    expect(await haproxyVerdict(undefined)).toBe(401);
  });

  test("http-request auth: HAProxy's 401 is the reply sluice builds", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const body = new Uint8Array(await res.arrayBuffer());
    const reply = unauthorizedReply("fixtures");
    expect(res.status).toBe(reply.status);
    for (const [name, value] of reply.fields) expect({ name, value: res.headers.get(name) }).toEqual({ name, value });
    expect(new TextDecoder().decode(body)).toBe(new TextDecoder().decode(reply.body));
  });
});
