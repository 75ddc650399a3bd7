// The `userlist` section (HAProxy's users and groups for http-request auth),
// in both syntaxes: haproxy.cfg's `user` and `group` lines become the list
// forms below (cfg-userlist.ts), YAML may also write them as mappings by name.
//
//   userlists:
//     admins:
//       users:
//         tiger: { password: "$6$k6y3o.eP$JlKBx...", groups: [ops] }   # or groups: "ops,dev"
//         scott: { insecure-password: elgato }
//       groups:
//         ops: { users: [scott] }                # or users: "scott,xdb"; or ops: [scott]
//         dev:                                   # a group without users of its own
//       # or, as haproxy.cfg gives them: users: [{ name: tiger, password: ... }], groups: [{ name: ops, users: scott }]
//
// Hashes are checked here with rules/auth's parser (an unknown scheme or a
// hash crypt(3) would refuse is an error at its line); names across the
// section (duplicates, a group naming an unknown user, a user naming an
// unknown group) in userlistConfig.

import * as v from "valibot";
import { parsePasswordHash } from "../rules/auth/password.ts";
import { contextOf } from "./context.ts";
import { ConfigError, ConfigNotice, formatPos } from "./errors.ts";
import { locate } from "./issues.ts";
import type { PathSeg, RawSegment } from "./raw.ts";
import { keywords } from "./schema-keywords.ts";
import { describe, isMapping } from "./schema-values.ts";
import type { UserConfig, UserlistConfig } from "./types.ts";

export interface UserPart {
  name: string;
  /** Where it is, relative to the userlist: ["users", index] or ["users", name]. */
  path: PathSeg[];
  password: { hash: string } | { insecure: string };
  groups: string[];
}

export interface GroupPart {
  name: string;
  path: PathSeg[];
  users: string[];
}

export interface UserlistPart {
  users: UserPart[];
  groups: GroupPart[];
}

/** What user and group names may not hold: lists are comma-separated, Basic credentials end the user at a colon. */
function nameProblem(kind: "user" | "group", name: string): string | undefined {
  if (name === "") return `empty ${kind} name`;
  if (/[\s,\x00-\x1f\x7f]/.test(name)) return `invalid ${kind} name '${name}' (no spaces, commas or control characters)`;
  if (kind === "user" && name.includes(":")) return `invalid user name '${name}' (a colon ends the user name in Basic credentials: nobody could log in as it)`;
  return undefined;
}

function memberName(kind: "user" | "group") {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const problem = typeof x === "string" ? nameProblem(kind, x) : `invalid ${kind} name ${describe(x)} (expected a string)`;
      if (problem === undefined) return x as string;
      addIssue({ message: problem });
      return NEVER;
    }),
  );
}

/** `G1,G2` or a YAML list of names. */
function names(keyword: string, kind: "user" | "group") {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const list: unknown[] | undefined = typeof x === "string" ? x.split(",") : Array.isArray(x) ? x : undefined;
      if (list === undefined) {
        addIssue({ message: `invalid ${keyword} ${describe(x)} (expected ${kind} names separated by commas, or a list)` });
        return NEVER;
      }
      for (const n of list) {
        const problem = typeof n === "string" ? nameProblem(kind, n) : `invalid ${kind} name ${describe(n)}`;
        if (problem !== undefined) {
          addIssue({ message: `${keyword}: ${problem}` });
          return NEVER;
        }
      }
      return [...new Set(list as string[])];
    }),
  );
}

const Hash = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const x = dataset.value;
    if (typeof x !== "string") {
      addIssue({ message: `invalid password ${describe(x)} (expected a crypt(3) hash)` });
      return NEVER;
    }
    // A hash crypt(3) cannot give back is kept (its user never logs in, as in HAProxy): unusablePasswords says so.
    const check = parsePasswordHash(x);
    if (typeof check !== "string") return x;
    addIssue({ message: `password: ${check}` });
    return NEVER;
  }),
);

/** A string only: YAML would read 0123 as the number 123 and lose the password's zero. */
const InsecurePassword = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const x = dataset.value;
    if (typeof x === "string") return x;
    addIssue({ message: `invalid insecure-password ${describe(x)} (expected a string: quote a password that YAML would read as something else)` });
    return NEVER;
  }),
);

const USER_FIELDS = {
  password: v.optional(Hash),
  "insecure-password": v.optional(InsecurePassword),
  groups: v.optional(names("groups", "group")),
};
const GROUP_FIELDS = { users: v.optional(names("users", "user")) };

type UserFields = v.InferOutput<v.ObjectSchema<typeof USER_FIELDS, undefined>>;

function userEntry<const F extends v.ObjectEntries>(expected: string, fields: F) {
  return v.pipe(
    keywords(fields, {
      expected,
      unknown: (key) => `unknown keyword '${key}' (expected one of: ${Object.keys(fields).join(", ")})`,
    }),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const u = dataset.value as unknown as UserFields;
      if (u.password !== undefined && u["insecure-password"] !== undefined) {
        addIssue({ message: "password and insecure-password together (give one)" });
      } else if (u.password === undefined && u["insecure-password"] === undefined) {
        addIssue({ message: "no password (give password HASH or insecure-password TEXT)" });
      }
    }),
  );
}

const UserInMap = userEntry("a mapping with password or insecure-password", USER_FIELDS);
const UserInList = userEntry("a mapping with a name and password or insecure-password", { name: memberName("user"), ...USER_FIELDS });
const GroupInMap = v.pipe(
  v.unknown(),
  // Short forms: `ops:` (no users of its own), `ops: [scott, xdb]`, `ops: "scott,xdb"`.
  v.transform((x) => (x === null || x === undefined ? {} : typeof x === "string" || Array.isArray(x) ? { users: x } : x)),
  keywords(GROUP_FIELDS, { expected: "users, or a mapping with users", unknown: (key) => `unknown keyword '${key}' (expected: users)` }),
);
const GroupInList = keywords({ name: memberName("group"), ...GROUP_FIELDS }, {
  expected: "a mapping with a name and users",
  unknown: (key) => `unknown keyword '${key}' (expected one of: name, users)`,
});

function userPart(name: string, path: PathSeg[], u: UserFields): UserPart {
  const password = u.password !== undefined ? { hash: u.password } : { insecure: u["insecure-password"]! };
  return { name, path, password, groups: u.groups ?? [] };
}

/** Entries by name (a mapping), or a list of entries with a `name`. */
function byNameOrList<E, L extends { name: string }, P>(
  key: "users" | "groups",
  kind: "user" | "group",
  inMap: v.GenericSchema<unknown, E>,
  inList: v.GenericSchema<unknown, L>,
  part: (name: string, path: PathSeg[], entry: E | L) => P,
) {
  return v.lazy((x) =>
    Array.isArray(x)
      ? v.pipe(v.array(inList), v.transform((list) => list.map((e, i) => part(e.name, [key, i], e))))
      : v.pipe(
        v.unknown(),
        v.transform((y) => y ?? {}),
        v.custom<Record<string, unknown>>(isMapping, (issue) => `invalid ${key} ${describe(issue.input)} (expected a mapping of ${kind} names, or a list)`),
        v.record(memberName(kind) as v.GenericSchema<string, string>, inMap),
        v.transform((byName) => Object.entries(byName).map(([name, e]) => part(name, [key, name], e))),
      )
  );
}

export const UserlistSchema = v.pipe(
  keywords(
    {
      users: v.optional(byNameOrList("users", "user", UserInMap, UserInList, (name, path, u) => userPart(name, path, u as UserFields))),
      groups: v.optional(
        byNameOrList("groups", "group", GroupInMap, GroupInList, (name, path, g): GroupPart => ({ name, path, users: g.users ?? [] })),
      ),
    },
    {
      expected: "a mapping of userlist keywords",
      unknown: (key) => `unknown keyword '${key}' in a userlist section (expected: users, groups)`,
    },
  ),
  v.transform((o): UserlistPart => ({ users: o.users ?? [], groups: o.groups ?? [] })),
);

/**
 * The userlist as the proxy uses it, after the checks across its lines:
 * duplicate users and groups, a group naming an unknown user, a user naming
 * an unknown group (each an error at its line). Undefined when any failed.
 */
export function userlistConfig(name: string, part: UserlistPart, seg: RawSegment, base: PathSeg[], errors: ConfigError[]): UserlistConfig | undefined {
  const before = errors.length;
  const at = (path: PathSeg[]) => locate(seg, [...base, ...path]);
  const context = contextOf(base, seg.doc);
  const fail = (path: PathSeg[], kind: string, detail: string) => errors.push(new ConfigError(at(path), [...context, kind], detail));

  const users = firstOfEach(part.users, (dup, first) =>
    fail(dup.path, `user '${dup.name}'`, `duplicate name (user '${dup.name}' is already defined at ${formatPos(at(first.path))})`)
  );
  const groups = firstOfEach(part.groups, (dup, first) =>
    fail(dup.path, `group '${dup.name}'`, `duplicate name (group '${dup.name}' is already defined at ${formatPos(at(first.path))})`)
  );
  for (const g of part.groups) {
    for (const u of g.users) {
      if (!users.has(u)) fail([...g.path, "users"], `group '${g.name}'`, `unknown user '${u}' (no user of userlist '${name}' has that name)`);
    }
  }
  for (const u of part.users) {
    for (const g of u.groups) {
      if (!groups.has(g)) {
        fail([...u.path, "groups"], `user '${u.name}'`, `unknown group '${g}' (no group of userlist '${name}' has that name: declare it with 'group ${g}')`);
      }
    }
  }
  if (errors.length > before) return undefined;

  const config: UserConfig[] = [...users.values()].map((u) => ({
    name: u.name,
    password: u.password,
    // Declaration order of the groups, whichever side names the membership.
    groups: [...groups.values()].filter((g) => u.groups.includes(g.name) || g.users.includes(u.name)).map((g) => g.name),
    origin: at(u.path),
  }));
  return { name, users: config, groups: [...groups.keys()], origin: locate(seg, base, true) };
}

function firstOfEach<T extends { name: string }>(list: readonly T[], duplicate: (dup: T, first: T) => void): Map<string, T> {
  const seen = new Map<string, T>();
  for (const item of list) {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, item);
    else duplicate(item, first);
  }
  return seen;
}

/**
 * A notice for each user whose hash no password can match (HAProxy 2.6 takes
 * it silently and its user never logs in; sluice does the same, and says so).
 */
export function unusablePasswords(userlists: Readonly<Record<string, UserlistConfig>> | undefined): ConfigError[] {
  const out: ConfigError[] = [];
  for (const list of Object.values(userlists ?? {})) {
    for (const u of list.users) {
      if (!("hash" in u.password)) continue;
      const check = parsePasswordHash(u.password.hash);
      if (typeof check === "string" || check.unusable === undefined) continue;
      out.push(
        new ConfigNotice(u.origin, [`userlist '${list.name}'`, `user '${u.name}'`], `password: ${check.unusable}: no password matches it, so this user never logs in (HAProxy accepts it the same way)`),
      );
    }
  }
  return out;
}
