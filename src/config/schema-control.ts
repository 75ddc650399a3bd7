// The runtime API's keywords (issue 16), in `global` as HAProxy writes them:
//   stats socket <path> [level user|operator|admin] [mode <octal>]
//   stats socket ipv4@<addr>:<port> [level ...]     (also unix@<path>)
//   stats timeout <time>      (an idle CLI connection is closed after it; 10s)
//   stats maxconn <n>         (CLI connections at once per socket; 10)
// Several `stats socket` lines make several sockets. In YAML, `stats:` takes
// the same lines, each a string or a list of words:
//   global: { stats: ["socket /run/sluice.sock level admin", "timeout 30s"] }
// `expose-fd listeners` is accepted with a notice (cfg-notes.ts): HAProxy hands
// its listening sockets to a new process started with -x; sluice's reload
// opens them anew with SO_REUSEPORT and never needs them. A unix socket's
// owner: `user NAME` / `uid N`, `group NAME` / `gid N` (names from /etc/passwd
// and /etc/group when the configuration is read, as HAProxy's getpwnam); the
// file is chowned once bound (control/sockets.ts), and a chown the process may
// not do stops the start. Other bind options sluice does not implement
// (process, ...) are errors naming the option, never ignored.
import * as v from "valibot";
import { parseAddress } from "./address.ts";
import { parseDuration } from "./duration.ts";
import { lineWords } from "./schema-check.ts";
import { idInFile } from "./schema-process.ts";
import { readFileSync } from "node:fs";
import type { ControlLevel, ControlSocket } from "./types.ts";

export interface ControlPart {
  statsSockets?: ControlSocket[];
  statsTimeout?: number;
  statsMaxconn?: number;
}

type Line = { socket: ControlSocket } | { timeout: number } | { maxconn: number };

const LEVELS: readonly ControlLevel[] = ["user", "operator", "admin"];
const OPTIONS = "level, mode, user, uid, group, gid, expose-fd listeners";

/** The id of `name` in /etc/passwd or /etc/group, or undefined. */
function accountId(file: string, name: string): number | undefined {
  try {
    return idInFile(readFileSync(file, "utf8"), name);
  } catch {
    return undefined;
  }
}

/** `user NAME`, `uid N`, `group NAME`, `gid N` of a unix socket → the id, or what is wrong (`label`: the keyword, for messages). */
export function ownerId(option: "user" | "uid" | "group" | "gid", value: string | undefined, label = "stats socket"): number | string {
  if (value === undefined) return `${label}: '${option}' expects a ${option === "uid" || option === "gid" ? "number" : "name"}`;
  if (option === "uid" || option === "gid") {
    return /^\d{1,10}$/.test(value) && Number(value) < 2 ** 32 - 1 ? Number(value) : `${label}: invalid ${option} '${value}' (expected a number)`;
  }
  const file = option === "user" ? "/etc/passwd" : "/etc/group";
  return accountId(file, value) ?? `${label}: cannot find ${option} id for '${value}' (not in ${file})`;
}
/** HAProxy's `stats` words that sluice knows of but does not implement (`stats bind-process` is gone since 2.5). */
const UNSUPPORTED_STATS = new Set(["bind-process", "show-node", "show-desc"]);

/** The words of one `stats` line of `global` → what it sets, or what is wrong. */
export function parseStatsLine(words: readonly string[]): Line | string {
  const [what, ...rest] = words;
  if (what === "socket") return socketLine(rest);
  if (what === "timeout") {
    if (rest.length !== 1) return "stats timeout: expected one <time> (usage: stats timeout <time>)";
    const d = parseDuration(rest[0]!);
    if (!d.ok) return `stats timeout: ${d.error}`;
    if (d.ms < 1) return "stats timeout: the time must be at least 1ms";
    return { timeout: d.ms };
  }
  if (what === "maxconn") {
    if (rest.length !== 1 || !/^\d+$/.test(rest[0]!) || Number(rest[0]) < 1) return "stats maxconn: expected a positive integer (usage: stats maxconn <number>)";
    return { maxconn: Number(rest[0]) };
  }
  if (what !== undefined && UNSUPPORTED_STATS.has(what)) return `stats ${what}: not supported yet`;
  return `unknown 'stats ${what ?? ""}' in global (expected stats socket, stats timeout or stats maxconn)`;
}

function socketLine(words: readonly string[]): Line | string {
  const [address, ...options] = words;
  if (address === undefined) return "stats socket: missing address (usage: stats socket <path>|ipv4@<address>:<port> [level user|operator|admin] [mode <octal>])";
  const where = socketAddress(address);
  if (typeof where === "string") return `stats socket: ${where}`;
  let level: ControlLevel = "operator";
  let mode: number | undefined;
  const owner: { uid?: number; gid?: number } = {};
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const value = options[i + 1];
    if (option === "level") {
      if (value === undefined || !LEVELS.includes(value as ControlLevel)) return `stats socket: 'level' expects user, operator or admin (got ${value === undefined ? "nothing" : `'${value}'`})`;
      level = value as ControlLevel;
      i++;
    } else if (option === "mode") {
      if (value === undefined || !/^[0-7]{1,4}$/.test(value)) return `stats socket: 'mode' expects an octal permission such as 600 (got ${value === undefined ? "nothing" : `'${value}'`})`;
      if (where.kind !== "unix") return "stats socket: 'mode' applies to a unix socket only";
      mode = Number.parseInt(value, 8);
      i++;
    } else if (option === "user" || option === "uid" || option === "group" || option === "gid") {
      const id = ownerId(option, value);
      if (typeof id === "string") return id;
      if (where.kind !== "unix") return `stats socket: '${option}' applies to a unix socket only`;
      const key = option === "user" || option === "uid" ? "uid" : "gid";
      if (owner[key] !== undefined && owner[key] !== id) return `stats socket: '${option} ${value}' disagrees with the ${key} given before (${owner[key]})`;
      owner[key] = id;
      i++;
    } else if (option === "expose-fd") {
      if (value !== "listeners") return `stats socket: 'expose-fd' expects 'listeners' (got ${value === undefined ? "nothing" : `'${value}'`})`;
      i++;
    } else {
      return `stats socket: option '${option}' is not supported yet (supported: ${OPTIONS})`;
    }
  }
  const socket: ControlSocket = where.kind === "unix"
    ? { kind: "unix", path: where.path, level, ...(mode === undefined ? {} : { mode }), ...owner }
    : { kind: "tcp", host: where.host, port: where.port, level };
  return { socket };
}

/** `/path`, `unix@/path`, `ipv4@host:port` (also a bare `host:port`, as HAProxy reads it). */
function socketAddress(text: string): { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number } | string {
  const at = text.indexOf("@");
  const family = at < 0 ? undefined : text.slice(0, at);
  const rest = at < 0 ? text : text.slice(at + 1);
  if (family === "unix" || (family === undefined && rest.startsWith("/"))) {
    if (rest === "") return "missing path after 'unix@'";
    return { kind: "unix", path: rest };
  }
  if (family === "ipv4" || (family === undefined && rest.includes(":"))) {
    const a = parseAddress(rest, "server");
    if (!a.ok) return a.error;
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(a.host)) return `'${rest}' is not an IPv4 address and port`;
    return { kind: "tcp", host: a.host, port: a.port };
  }
  if (family !== undefined) return `address family '${family}@' is not supported yet (supported: unix@, ipv4@)`;
  return `invalid address '${text}' (expected a path, unix@<path> or ipv4@<address>:<port>)`;
}

const entry = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): Line => {
    const words = lineWords(dataset.value);
    const r = typeof words === "string" ? `stats: ${words}` : parseStatsLine(words);
    if (typeof r === "string") {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  }),
);

/** `global`'s `stats` lines (a list; a string alone is one line). */
export const GlobalStatsSchema = v.pipe(
  // A list holds lines (strings or lists of words); a string alone is one line (as http-check's).
  v.lazy((x) => (Array.isArray(x) ? v.array(entry) : v.pipe(entry, v.transform((one): Line[] => [one])))),
  v.transform((lines): ControlPart => {
    const part: ControlPart = {};
    for (const line of lines) {
      if ("socket" in line) (part.statsSockets ??= []).push(line.socket);
      else if ("timeout" in line) part.statsTimeout = line.timeout;
      else part.statsMaxconn = line.maxconn;
    }
    return part;
  }),
);
