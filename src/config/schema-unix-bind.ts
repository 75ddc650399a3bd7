// `unix-bind [prefix P] [mode M] [user U|uid N] [group G|gid N]` (global):
// in HAProxy 2.6, what the UNIX sockets of proxies' `bind` lines start from
// (the prefix in front of their paths, their default mode and owner). It does
// not touch `stats socket` lines (measured: a relative `unix@` stats socket
// stays relative to the working directory, with the umask's mode). sluice
// applies it to proxies' `bind unix@PATH` / `bind /PATH` as HAProxy does
// (config/build.ts; tests/e2e/unix-bind.test.ts and unix-socket-bind.test.ts
// show both side by side).
import * as v from "valibot";
import { ownerId } from "./schema-control.ts";

export interface UnixBind {
  prefix?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** The words of a `unix-bind` line → its settings, or what is wrong. */
export function parseUnixBind(text: string): UnixBind | string {
  const words = text.split(/\s+/).filter(Boolean);
  const out: UnixBind = {};
  for (let i = 0; i < words.length; i += 2) {
    const option = words[i]!;
    const value = words[i + 1];
    if (option === "prefix") {
      if (value === undefined) return "unix-bind: 'prefix' expects a path";
      out.prefix = value;
    } else if (option === "mode") {
      if (value === undefined || !/^[0-7]{1,4}$/.test(value)) return `unix-bind: 'mode' expects an octal permission such as 600 (got ${value === undefined ? "nothing" : `'${value}'`})`;
      out.mode = Number.parseInt(value, 8);
    } else if (option === "user" || option === "uid" || option === "group" || option === "gid") {
      const id = ownerId(option, value, "unix-bind");
      if (typeof id === "string") return id;
      if (option === "user" || option === "uid") out.uid = id;
      else out.gid = id;
    } else {
      return `unix-bind: unknown option '${option}' (supported: prefix, mode, user, uid, group, gid)`;
    }
  }
  return out;
}

export const UnixBindSchema = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const r = parseUnixBind(dataset.value);
    if (typeof r === "string") {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  }),
);
