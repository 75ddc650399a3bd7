// The sample fetches of HTTP Basic authentication (HAProxy's http_auth,
// http_auth_group, http_auth_user). They read the request's first
// Authorization field, as HAProxy does; the userlist named in the argument is
// resolved once, at load, through CompileEnv.userlist.
import { Stage, type CompileEnv, type EachFn, type FetchDef, type SampleFn, type Txn } from "../types.ts";
import { parseBasic } from "./basic.ts";
import type { Userlist } from "./userlist.ts";

function authorization(t: Txn): string | undefined {
  return t.request?.get("authorization");
}

function resolve(args: readonly string[], env: CompileEnv): Userlist | string {
  const name = args[0]!;
  const list = env.userlist?.(name);
  return list ?? `unknown userlist '${name}' (no userlist section has that name)`;
}

/**
 * `http_auth(L)`: true when the request's Basic credentials name a user of L
 * with the right password, false when they do not; no sample without an
 * Authorization field. (HAProxy gives no sample for a field it cannot read
 * as Basic credentials either; sluice says false: both fail a condition,
 * and `!` turns both into true.)
 */
const httpAuth: FetchDef = {
  name: "http_auth",
  minArgs: 1,
  maxArgs: 1,
  out: "bool",
  stages: Stage.httpRequest,
  match: "bool",
  compile(args, env) {
    const list = resolve(args, env);
    if (typeof list === "string") return list;
    const one: SampleFn = (t) => {
      const value = authorization(t);
      return value === undefined ? undefined : list.check(value) !== undefined;
    };
    return { one };
  },
};

/**
 * `http_auth_group(L)`: as a sample, the name of the user whose credentials
 * L accepts (HAProxy's value); in an ACL, each group of that user, so that
 * `acl admins http_auth_group(L) ops dev` matches a user in ops or dev
 * (HAProxy's ACL derivative). No sample when the credentials are wrong.
 */
const httpAuthGroup: FetchDef = {
  name: "http_auth_group",
  minArgs: 1,
  maxArgs: 1,
  out: "str",
  stages: Stage.httpRequest,
  match: "str",
  compile(args, env) {
    const list = resolve(args, env);
    if (typeof list === "string") return list;
    const user = (t: Txn): string | undefined => {
      const value = authorization(t);
      return value === undefined ? undefined : list.check(value);
    };
    const each: EachFn = (t, visit) => {
      const name = user(t);
      if (name === undefined) return false;
      for (const group of list.groupsOf(name)) if (visit(group)) return true;
      return false;
    };
    return { one: user, each };
  },
};

/** `http_auth_user`: the user name the Basic credentials carry, unchecked (HAProxy: "no checks are performed"). */
const httpAuthUser: FetchDef = {
  name: "http_auth_user",
  minArgs: 0,
  maxArgs: 0,
  out: "str",
  stages: Stage.httpRequest,
  match: "str",
  compile: () => ({
    one: (t) => {
      const value = authorization(t);
      return value === undefined ? undefined : parseBasic(value)?.user;
    },
  }),
};

/** The fetches of this file, for the registry. */
export const AUTH_FETCHES: readonly FetchDef[] = [httpAuth, httpAuthGroup, httpAuthUser];
