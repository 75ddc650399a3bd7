// The global section's process keywords (issue 19), as HAProxy reads them:
// `daemon`, `pidfile <path>`, `user <name>` / `uid <n>`, `group <name>` /
// `gid <n>`, `chroot <dir>`, `ulimit-n <n>` and `strict-limits` (HAProxy 2.6
// default: on; `no strict-limits` turns it off). YAML writes the same names:
// `daemon: true`, `pidfile: /run/sluice.pid`, `user: haproxy`, `uid: 99`,
// `chroot: /var/empty`, `ulimit-n: 20000`, `strict-limits: false`.
//
// Names resolve when the configuration is read, as HAProxy's getpwnam() and
// getgrnam() do: an unknown user is an error `sluice check` reports. sluice
// reads /etc/passwd and /etc/group (what a scratch image or a chroot carries;
// NSS sources such as LDAP are not consulted).
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { describe, integer } from "./schema-values.ts";

/** The largest id Linux takes (uid_t is 32 bits; -1 means "unchanged"). */
const MAX_ID = 2 ** 32 - 2;

/** A bare haproxy.cfg keyword arrives as true; YAML writes a boolean. */
function flag(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): boolean => {
      if (typeof dataset.value === "boolean") return dataset.value;
      addIssue({ message: `invalid ${name} ${describe(dataset.value)} (expected true or false; haproxy.cfg: the bare keyword)` });
      return NEVER;
    }),
  );
}

function path(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): string => {
      const x = dataset.value;
      if (typeof x === "string" && x !== "") return x;
      addIssue({ message: `invalid ${name} ${describe(x)} (expected a path)` });
      return NEVER;
    }),
  );
}

/** The id of `name` in an /etc/passwd- or /etc/group-shaped file (name:x:id:...), or undefined. */
export function idInFile(text: string, name: string): number | undefined {
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2]!)) return Number(fields[2]);
  }
  return undefined;
}

function readAccounts(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** `user NAME` / `group NAME`: the id from /etc/passwd or /etc/group, as HAProxy looks it up at parse time. */
function accountName(keyword: "user" | "group", file: string) {
  const what = keyword === "user" ? "user id" : "group id";
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): number => {
      const x = dataset.value;
      if (typeof x !== "string" || x === "") {
        addIssue({ message: `invalid ${keyword} ${describe(x)} (expected a name from ${file})` });
        return NEVER;
      }
      const id = idInFile(readAccounts(file), x);
      if (id !== undefined) return id;
      addIssue({ message: `cannot find ${what} for '${x}' (not in ${file})` });
      return NEVER;
    }),
  );
}

export const PROCESS_GLOBAL = {
  daemon: v.optional(flag("daemon")),
  pidfile: v.optional(path("pidfile")),
  user: v.optional(accountName("user", "/etc/passwd")),
  uid: v.optional(integer("uid", 0, MAX_ID)),
  group: v.optional(accountName("group", "/etc/group")),
  gid: v.optional(integer("gid", 0, MAX_ID)),
  chroot: v.optional(path("chroot")),
  "ulimit-n": v.optional(integer("ulimit-n", 1, 2 ** 31 - 1)),
  "strict-limits": v.optional(flag("strict-limits")),
};

type ProcessEntries = {
  daemon?: boolean;
  pidfile?: string;
  user?: number;
  uid?: number;
  group?: number;
  gid?: number;
  chroot?: string;
  "ulimit-n"?: number;
  "strict-limits"?: boolean;
};

/** What these keywords set (GlobalConfig's process fields). */
export interface ProcessPart {
  daemon?: boolean;
  pidfile?: string;
  uid?: number;
  gid?: number;
  chroot?: string;
  ulimitN?: number;
  strictLimits?: boolean;
}

/** `user` and `uid` (or `group` and `gid`) naming different ids: the message, else undefined. */
export function processConflict(g: ProcessEntries): string | undefined {
  if (g.user !== undefined && g.uid !== undefined && g.user !== g.uid) {
    return `'user' (uid ${g.user}) and 'uid ${g.uid}' disagree (keep one)`;
  }
  if (g.group !== undefined && g.gid !== undefined && g.group !== g.gid) {
    return `'group' (gid ${g.group}) and 'gid ${g.gid}' disagree (keep one)`;
  }
  return undefined;
}

export function processPart(g: ProcessEntries): ProcessPart {
  const part: ProcessPart = {};
  if (g.daemon !== undefined) part.daemon = g.daemon;
  if (g.pidfile !== undefined) part.pidfile = g.pidfile;
  const uid = g.uid ?? g.user;
  if (uid !== undefined) part.uid = uid;
  const gid = g.gid ?? g.group;
  if (gid !== undefined) part.gid = gid;
  if (g.chroot !== undefined) part.chroot = g.chroot;
  if (g["ulimit-n"] !== undefined) part.ulimitN = g["ulimit-n"];
  if (g["strict-limits"] !== undefined) part.strictLimits = g["strict-limits"];
  return part;
}
