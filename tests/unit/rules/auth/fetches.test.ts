import { describe, expect, test } from "bun:test";
import { BodyKind } from "../../../../src/http/message.ts";
import { FieldsHead } from "../../../../src/http/fields-head.ts";
import { AUTH_FETCHES } from "../../../../src/rules/auth/fetches.ts";
import { unauthorizedReply } from "../../../../src/rules/auth/reply.ts";
import { Userlist } from "../../../../src/rules/auth/userlist.ts";
import { type CompileEnv, type FetchDef, type Sample, Stage, type Txn } from "../../../../src/rules/types.ts";

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64");

const list = new Userlist({
  name: "L",
  users: [
    { name: "tiger", password: { insecure: "s3cret" }, groups: ["ops", "dev"] },
    { name: "scott", password: { insecure: "elgato" }, groups: [] },
  ],
});

const env: CompileEnv = {
  readFile: () => "",
  hasTable: () => false,
  ownTable: undefined,
  hasBackend: () => false,
  userlist: (name) => (name === "L" ? list : undefined),
};

function txn(...fields: [string, string][]): Txn {
  const request = new FieldsHead(fields, { isRequest: true, method: "GET", target: "/", bodyKind: BodyKind.None });
  return { request } as unknown as Txn;
}

const fetch = (name: string): FetchDef => AUTH_FETCHES.find((f) => f.name === name)!;

function compile(name: string, args: string[], e: CompileEnv = env) {
  const r = fetch(name).compile(args, e);
  if (typeof r === "string") throw new Error(r);
  return r;
}

function each(name: string, t: Txn): Sample[] {
  const out: Sample[] = [];
  compile(name, ["L"]).each!(t, (s) => {
    out.push(s);
    return false;
  });
  return out;
}

describe("auth fetches", () => {
  test("definitions: arguments, types, request stage only, default match", () => {
    expect(AUTH_FETCHES.map((f) => [f.name, f.minArgs, f.maxArgs, f.out, f.stages, f.match])).toEqual([
      ["http_auth", 1, 1, "bool", Stage.httpRequest, "bool"],
      ["http_auth_group", 1, 1, "str", Stage.httpRequest, "str"],
      ["http_auth_user", 0, 0, "str", Stage.httpRequest, "str"],
    ]);
  });

  test("an unknown userlist is a load error; so is a configuration without userlists", () => {
    expect(fetch("http_auth").compile(["nope"], env)).toBe("unknown userlist 'nope' (no userlist section has that name)");
    const { userlist: _, ...none } = env;
    expect(fetch("http_auth_group").compile(["L"], none)).toBe("unknown userlist 'L' (no userlist section has that name)");
  });

  test("http_auth(L): true for good credentials, false for bad ones, no sample without the field", () => {
    const { one } = compile("http_auth", ["L"]);
    expect(one(txn(["Authorization", basic("tiger", "s3cret")]))).toBe(true);
    expect(one(txn(["authorization", basic("scott", "elgato")]))).toBe(true);
    expect(one(txn(["Authorization", basic("tiger", "elgato")]))).toBe(false);
    expect(one(txn(["Authorization", "Bearer xyz"]))).toBe(false);
    expect(one(txn(["Host", "example.com"]))).toBeUndefined();
    // The first Authorization field counts, as in HAProxy.
    expect(one(txn(["Authorization", basic("tiger", "bad")], ["Authorization", basic("tiger", "s3cret")]))).toBe(false);
  });

  test("http_auth_group(L): the user as a sample, each of the user's groups for an ACL", () => {
    const { one } = compile("http_auth_group", ["L"]);
    const good = txn(["Authorization", basic("tiger", "s3cret")]);
    expect(one(good)).toBe("tiger");
    expect(each("http_auth_group", good)).toEqual(["ops", "dev"]);
    expect(each("http_auth_group", txn(["Authorization", basic("scott", "elgato")]))).toEqual([]);
    const bad = txn(["Authorization", basic("tiger", "wrong")]);
    expect(one(bad)).toBeUndefined();
    expect(each("http_auth_group", bad)).toEqual([]);
    expect(each("http_auth_group", txn())).toEqual([]);
  });

  test("http_auth_group's each stops when the visitor says so", () => {
    const seen: Sample[] = [];
    const stopped = compile("http_auth_group", ["L"]).each!(txn(["Authorization", basic("tiger", "s3cret")]), (s) => {
      seen.push(s);
      return s === "ops";
    });
    expect(stopped).toBe(true);
    expect(seen).toEqual(["ops"]);
  });

  test("http_auth_user: the claimed user, unchecked; no sample without Basic credentials", () => {
    const { one } = compile("http_auth_user", []);
    expect(one(txn(["Authorization", basic("tiger", "wrong")]))).toBe("tiger");
    expect(one(txn(["Authorization", basic("zoë", "")]))).toBe("zoë");
    expect(one(txn(["Authorization", "Basic !!!!"]))).toBeUndefined();
    expect(one(txn())).toBeUndefined();
    expect(one({ request: undefined } as unknown as Txn)).toBeUndefined();
  });
});

describe("the 401 reply of http-request auth", () => {
  test("HAProxy's page and a Basic challenge with the realm quoted", () => {
    const r = unauthorizedReply('Admin "zone" \\ 1');
    expect(r.status).toBe(401);
    expect(r.fields).toEqual([
      ["content-type", "text/html"],
      ["cache-control", "no-cache"],
      ["www-authenticate", 'Basic realm="Admin \\"zone\\" \\\\ 1"'],
    ]);
    expect(new TextDecoder().decode(r.body)).toBe(
      "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
    );
    expect(unauthorizedReply("x")).not.toBe(unauthorizedReply("x"));
  });
});
