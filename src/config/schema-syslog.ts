// Valibot schemas for the logging keywords (issue 19, syslog): `log` (global
// and per proxy), `log-tag`, `log-send-hostname`, and the logging options
// (`option dontlognull`, `dontlog-normal`, `log-separate-errors`, `logasap`,
// `log-health-checks`). A `log` entry is the text after the keyword, one
// string per line in both syntaxes ("127.0.0.1:514 len 2048 local0 info").
//
//   log ADDR [len N] [format F] FACILITY [LEVEL [MINLEVEL]]   HAProxy's form
//   log stdout|stderr|PATH [format raw|json]                  sluice's short form
// ADDR: IPv4[:port], [IPv6][:port], IPv6: (HAProxy's last colon), udp@ /
// udp4@ / udp6@ ADDR, a unix datagram socket's path, stdout, stderr, fd@N.
// A path without a facility is sluice's log file (lines appended).
import * as v from "valibot";
import { isIP } from "node:net";
import type { SectionName } from "./schema-parts.ts";
import { describe } from "./schema-values.ts";
import {
  FACILITY_NAMES,
  LEVEL_NAMES,
  type LogFormatName,
  type LogTarget,
  type ProxyLogging,
  SYSLOG_FORMATS,
} from "../log/target.ts";

/**
 * A `log` line: a target, `global` (the global section's targets), or `none`
 * (haproxy.cfg's `no log`: this proxy logs nothing, whatever came before).
 */
export type LogEntry = LogTarget | "global" | "none";

const LOG_USAGE =
  "usage: log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], log stdout|stderr|<file> [format raw|json], or log global";
const FORMATS = [...SYSLOG_FORMATS, "json"] as const;
const DEFAULT_SYSLOG_PORT = 514;
const LABEL = "[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?";
const HOSTNAME = new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`);

type Failed = { error: string };

/** A syslog server's address: host[:port], [v6][:port], or v6 with HAProxy's last-colon port. */
function udpAddress(text: string, family: 4 | 6 | undefined): LogTarget | Failed {
  let host: string;
  let port = "";
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { error: `log: missing ']' in '${text}'` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return { error: `log: unexpected '${rest}' after ']' in '${text}'` };
    port = rest.slice(1);
  } else {
    const colon = text.lastIndexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) port = text.slice(colon + 1);
  }
  const ip = isIP(host);
  if (ip === 0 && (!HOSTNAME.test(host) || /^[\d.]+$/.test(host))) {
    return { error: `log: invalid syslog address '${text}' (expected an IPv4 or IPv6 address, a host name, a socket path, stdout, stderr or fd@<n>)` };
  }
  if (family !== undefined && ip !== 0 && ip !== family) {
    return { error: `log: '${host}' is not an IPv${family} address (udp${family}@)` };
  }
  let number = DEFAULT_SYSLOG_PORT;
  if (port !== "") {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      return { error: `log: invalid port '${port}' in '${text}' (expected 1-65535)` };
    }
    number = Number(port);
  }
  return { kind: "udp", host, port: number, format: "local" };
}

/** The destination word of a `log` line. */
function destination(word: string): LogTarget | Failed {
  if (word === "stdout" || word === "stderr") return { kind: word, format: "raw" };
  const at = word.indexOf("@");
  if (at > 0) {
    const prefix = word.slice(0, at);
    const rest = word.slice(at + 1);
    if (prefix === "fd") {
      if (!/^\d{1,9}$/.test(rest)) return { error: `log: invalid file descriptor '${word}' (expected fd@<number>)` };
      return { kind: "fd", fd: Number(rest), format: "raw" };
    }
    if (prefix === "udp" || prefix === "udp4" || prefix === "udp6") {
      return udpAddress(rest, prefix === "udp4" ? 4 : prefix === "udp6" ? 6 : undefined);
    }
    if (prefix === "unix") return { kind: "unix", path: rest, format: "local" };
    if (prefix === "ring") {
      return {
        error: `log: '${word}': ring buffers are not supported (sluice has no 'ring' sections nor 'show events'); log to a syslog address, a unix socket, stdout or stderr`,
      };
    }
    return { error: `log: address family '${prefix}@' is not supported for logs (supported: udp@, udp4@, udp6@, unix@, fd@)` };
  }
  if (word.includes("/")) return { kind: "file", path: word, format: "raw" };
  return udpAddress(word, undefined);
}

export function parseLog(text: string, section: SectionName): LogEntry | Failed {
  const [target = "", ...args] = text.trim().split(/\s+/);
  if (target === "none") {
    if (section === "global") return { error: "'no log' is not allowed in a global section" };
    if (args.length > 0) return { error: `no log: unexpected argument '${args[0]}'` };
    return "none";
  }
  if (target === "global") {
    if (section === "global") return { error: "'log global' is not allowed in a global section" };
    if (args.length > 0) return { error: `log global: unexpected argument '${args[0]}' (usage: log global)` };
    return "global";
  }
  const entry = destination(target);
  if ("error" in entry) return entry;
  let format: LogFormatName | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i]!;
    if (word === "format") {
      const name = args[++i];
      if (name === undefined) return { error: `log: missing argument for 'format' (${LOG_USAGE})` };
      if (!(FORMATS as readonly string[]).includes(name)) {
        return { error: `log: unknown format '${name}' (expected one of: ${FORMATS.join(", ")})` };
      }
      format = name as LogFormatName;
    } else if (word === "len") {
      const n = args[++i];
      if (n === undefined || !/^\d{1,5}$/.test(n) || Number(n) < 80 || Number(n) > 65535) {
        return { error: `log: invalid length '${n ?? ""}' after 'len' (expected 80 to 65535)` };
      }
      entry.maxLen = Number(n);
    } else if (word === "sample") {
      return { error: `log: 'sample' (sending a share of the lines) is not supported yet (${LOG_USAGE})` };
    } else break;
  }
  const facility = args[i];
  if (facility !== undefined) {
    const number = (FACILITY_NAMES as readonly string[]).indexOf(facility);
    if (number < 0) {
      return { error: `log: unknown facility '${facility}' (expected one of: ${FACILITY_NAMES.join(" ")})` };
    }
    entry.facility = number;
    const levels = args.slice(i + 1);
    if (levels.length > 2) return { error: `log: unexpected argument '${levels[2]}' after the levels (${LOG_USAGE})` };
    for (const [k, name] of levels.entries()) {
      const level = (LEVEL_NAMES as readonly string[]).indexOf(name);
      if (level < 0) return { error: `log: unknown level '${name}' (expected one of: ${LEVEL_NAMES.join(" ")})` };
      if (k === 0) entry.level = level;
      else entry.minLevel = level;
    }
  } else if (entry.kind === "udp" || entry.kind === "unix" || entry.kind === "fd") {
    return { error: `log: missing facility after '${target}' (${LOG_USAGE})` };
  }
  // A path with a facility is HAProxy's unix datagram socket; without, sluice's log file.
  if (entry.kind === "file" && entry.facility !== undefined) entry.kind = "unix";
  if (format !== undefined) entry.format = format;
  else if (entry.facility !== undefined) {
    entry.format = "local";
    entry.formatDefaulted = true;
  }
  return entry;
}

/** One entry, or a list of them; each is one line. */
function listOf<T>(entry: v.GenericSchema<unknown, T>) {
  return v.lazy((x) => Array.isArray(x) ? v.array(entry) : v.pipe(entry, v.transform((one): T[] => [one])));
}

/** Every `log` line of a section, in order. */
export function logsSchema(section: SectionName) {
  const entry = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): LogEntry => {
      const x = dataset.value;
      const r = typeof x === "string" && x.trim() !== ""
        ? parseLog(x, section)
        : { error: `invalid log ${describe(x)} (expected a string such as '127.0.0.1 local0' or 'global')` };
      if (typeof r === "object" && "error" in r) {
        addIssue({ message: r.error });
        return NEVER;
      }
      return r;
    }),
  );
  return listOf(entry);
}

/** The global section has no `log global`: its entries are targets. */
export const GlobalLogsSchema = v.pipe(
  logsSchema("global"),
  v.transform((entries) => entries.filter((e): e is LogTarget => e !== "global" && e !== "none")),
);

/** `log-tag <string>`: the TAG of syslog headers (global, or a proxy's own). */
export const LogTagSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    if (typeof x !== "string" || x === "" || /\s/.test(x)) {
      addIssue({ message: `invalid log-tag ${describe(x)} (expected one word such as 'haproxy')` });
      return NEVER;
    }
    return x;
  }),
);

/**
 * `log-send-hostname [<string>]`: the HOST of syslog headers; without a
 * string (YAML: true), the system's host name, read when the proxy starts.
 */
export const LogSendHostnameSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string | true => {
    const x = dataset.value;
    if (x === true || x === "") return true;
    if (typeof x !== "string" || /\s/.test(x)) {
      addIssue({ message: `invalid log-send-hostname ${describe(x)} (expected nothing, true, or one word)` });
      return NEVER;
    }
    return x;
  }),
);

// ---------------------------------------------------------------- options

/** The logging options, each set or unset (`no option ...`) by the last line that names it. */
export interface LogOptionsPart {
  dontLogNull?: boolean;
  dontLogNormal?: boolean;
  separateErrors?: boolean;
  logAsap?: boolean;
  logHealthChecks?: boolean;
  ignoreProbes?: boolean;
}

/** Which section may carry which option, after HAProxy's tables. */
export const LOG_OPTION_SECTIONS = {
  dontlognull: ["defaults", "frontend", "listen"],
  "dontlog-normal": ["defaults", "frontend", "listen"],
  "log-separate-errors": ["defaults", "frontend", "listen"],
  logasap: ["defaults", "frontend", "listen"],
  "log-health-checks": ["defaults", "backend", "listen"],
  // Not a log option in HAProxy's manual, but what it changes is a log line (and its 400/408).
  "http-ignore-probes": ["defaults", "frontend", "listen"],
} as const satisfies Record<string, readonly SectionName[]>;

const LOG_OPTION_FIELDS: Record<keyof typeof LOG_OPTION_SECTIONS, keyof LogOptionsPart> = {
  dontlognull: "dontLogNull",
  "dontlog-normal": "dontLogNormal",
  "log-separate-errors": "separateErrors",
  logasap: "logAsap",
  "log-health-checks": "logHealthChecks",
  "http-ignore-probes": "ignoreProbes",
};

export function isLogOption(name: string): name is keyof typeof LOG_OPTION_SECTIONS {
  return Object.hasOwn(LOG_OPTION_SECTIONS, name);
}

/** `option NAME` (on) or `no option NAME` (off) for one of the logging options; a string is the error. */
export function logOption(
  name: keyof typeof LOG_OPTION_SECTIONS,
  args: readonly string[],
  section: SectionName,
  on: boolean,
): ((part: LogOptionsPart) => void) | string {
  if (!(LOG_OPTION_SECTIONS[name] as readonly string[]).includes(section)) {
    return `'option ${name}' is not allowed in a ${section} section`;
  }
  if (args.length > 0) return `option ${name}: unexpected argument '${args[0]}' (usage: [no] option ${name})`;
  const field = LOG_OPTION_FIELDS[name];
  return (part) => (part[field] = on);
}

/** The logging options an `option` list set, if any. */
export function logOptionsOf(options: LogOptionsPart): LogOptionsPart | undefined {
  const part: LogOptionsPart = {};
  for (const field of Object.values(LOG_OPTION_FIELDS)) if (options[field] !== undefined) part[field] = options[field];
  return Object.keys(part).length === 0 ? undefined : part;
}

/** What a proxy's logging settings come to (src/log/target.ts ProxyLogging); absent when none is set. */
export function proxyLogging(
  part: { logTag?: string; logOptions?: LogOptionsPart },
  defaults: { logTag?: string; logOptions?: LogOptionsPart },
  side: "frontend" | "backend",
): { logging?: ProxyLogging } {
  const o = { ...defaults.logOptions, ...part.logOptions };
  const logging: ProxyLogging = {};
  const tag = part.logTag ?? defaults.logTag;
  if (tag !== undefined) logging.tag = tag;
  if (side === "frontend") {
    if (o.dontLogNull === true) logging.dontLogNull = true;
    if (o.dontLogNormal === true) logging.dontLogNormal = true;
    if (o.separateErrors === true) logging.separateErrors = true;
    if (o.logAsap === true) logging.asap = true;
    if (o.ignoreProbes === true) logging.ignoreProbes = true;
  } else if (o.logHealthChecks === true) logging.healthChecks = true;
  return Object.keys(logging).length === 0 ? {} : { logging };
}
