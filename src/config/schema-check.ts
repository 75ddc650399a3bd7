// Valibot schemas for the health-check keywords (issue 14): the server
// options (`check`, `inter`, `rise`, `observe`...), the `http-check` and
// `tcp-check` rule lines and `option httpchk`'s arguments. A rule line is a
// list of words (haproxy.cfg) or one string split with haproxy.cfg's quoting
// rules (YAML), so both syntaxes read one grammar.

import * as v from "valibot";
import { splitWords } from "./cfg-words.ts";
import { describe, duration, flag, integer } from "./schema-values.ts";
import type { HttpCheckExpect, OnError, ProtocolCheck, TcpCheckStep } from "./types.ts";

// ---------------------------------------------------------------- server options

const OBSERVE = ["layer4", "layer7"] as const;
const ON_ERROR = ["fastinter", "fail-check", "sudden-death", "mark-down"] as const;

function oneOf<const T extends readonly string[]>(name: string, values: T) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): T[number] => {
      const x = dataset.value;
      if (typeof x === "string" && (values as readonly string[]).includes(x)) return x as T[number];
      addIssue({ message: `invalid ${name} ${describe(x)} (expected ${values.join(", ")})` });
      return NEVER;
    }),
  );
}

/** A check interval: a time above 0 (HAProxy refuses 0). */
function interval(name: string) {
  return v.pipe(
    duration(name),
    v.check((ms) => ms > 0, `${name} must be above 0`),
  );
}

/** A host to check instead of the server's (`addr`): no port here (`port` says it). */
const CheckAddr = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    // One colon is HOST:PORT, refused: the port is `port`'s. Two or more: a bare IPv6 address.
    const colons = typeof x === "string" ? x.split(":").length - 1 : 0;
    if (typeof x !== "string" || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.:-]+)$/.test(x) || colons === 1) {
      addIssue({ message: `invalid addr ${describe(x)} (expected a host such as 127.0.0.2, without a port: 'port' sets it)` });
      return NEVER;
    }
    return x.startsWith("[") ? x.slice(1, -1) : x;
  }),
);

/** `track [BACKEND/]SERVER`: the server whose health this one follows (its own backend when none is named). */
export interface TrackRef {
  backend?: string;
  server: string;
}

function TrackSchema() {
  return v.pipe(
    v.string(),
    v.transform((text): TrackRef => {
      const slash = text.indexOf("/");
      return slash < 0 ? { server: text } : { backend: text.slice(0, slash), server: text.slice(slash + 1) };
    }),
  );
}

/** The server options of health checks, spelled as on a haproxy.cfg server line (YAML too). */
export const SERVER_CHECK_FIELDS = {
  check: v.optional(flag("check")),
  inter: v.optional(interval("inter")),
  fastinter: v.optional(interval("fastinter")),
  downinter: v.optional(interval("downinter")),
  rise: v.optional(integer("rise", 1)),
  fall: v.optional(integer("fall", 1)),
  port: v.optional(integer("port", 1, 65535)),
  addr: v.optional(CheckAddr),
  "check-send-proxy": v.optional(flag("check-send-proxy")),
  "check-ssl": v.optional(flag("check-ssl")),
  observe: v.optional(oneOf("observe", OBSERVE)),
  "error-limit": v.optional(integer("error-limit", 1)),
  "on-error": v.optional(oneOf("on-error", ON_ERROR)),
  "on-marked-down": v.optional(oneOf("on-marked-down", ["shutdown-sessions"] as const)),
  "on-marked-up": v.optional(oneOf("on-marked-up", ["shutdown-backup-sessions"] as const)),
  track: v.optional(TrackSchema()),
  "agent-check": v.optional(flag("agent-check")),
  "agent-port": v.optional(integer("agent-port", 1, 65535)),
  "agent-addr": v.optional(CheckAddr),
  "agent-inter": v.optional(interval("agent-inter")),
  "agent-send": v.optional(v.string()),
};

/** What a server line says about checks, before defaults (build.ts fills them). */
export interface ServerCheckPart {
  check: boolean;
  inter?: number;
  fastinter?: number;
  downinter?: number;
  rise?: number;
  fall?: number;
  port?: number;
  addr?: string;
  checkSendProxy: boolean;
  /** `check-ssl`: checks speak TLS with the server's `ssl` options even where they go elsewhere (port, addr). */
  checkSsl: boolean;
  observe?: "layer4" | "layer7";
  errorLimit?: number;
  onError?: OnError;
  onMarkedDown?: "shutdown-sessions";
  onMarkedUp?: "shutdown-backup-sessions";
  track?: TrackRef;
  /** `agent-check` and its options (the port is required with it). */
  agentCheck: boolean;
  agentPort?: number;
  agentAddr?: string;
  agentInter?: number;
  agentSend?: string;
}

type CheckFields = v.InferOutput<v.ObjectSchema<typeof SERVER_CHECK_FIELDS, undefined>>;

export function serverCheckPart(s: CheckFields): ServerCheckPart {
  const part: ServerCheckPart = {
    check: s.check ?? false,
    checkSendProxy: s["check-send-proxy"] ?? false,
    checkSsl: s["check-ssl"] ?? false,
    agentCheck: s["agent-check"] ?? false,
  };
  if (s["agent-port"] !== undefined) part.agentPort = s["agent-port"];
  if (s["agent-addr"] !== undefined) part.agentAddr = s["agent-addr"];
  if (s["agent-inter"] !== undefined) part.agentInter = s["agent-inter"];
  if (s["agent-send"] !== undefined) part.agentSend = s["agent-send"];
  if (s.inter !== undefined) part.inter = s.inter;
  if (s.fastinter !== undefined) part.fastinter = s.fastinter;
  if (s.downinter !== undefined) part.downinter = s.downinter;
  if (s.rise !== undefined) part.rise = s.rise;
  if (s.fall !== undefined) part.fall = s.fall;
  if (s.port !== undefined) part.port = s.port;
  if (s.addr !== undefined) part.addr = s.addr;
  if (s.observe !== undefined) part.observe = s.observe;
  if (s["error-limit"] !== undefined) part.errorLimit = s["error-limit"];
  if (s["on-error"] !== undefined) part.onError = s["on-error"];
  if (s["on-marked-down"] !== undefined) part.onMarkedDown = s["on-marked-down"];
  if (s["on-marked-up"] !== undefined) part.onMarkedUp = s["on-marked-up"];
  if (s.track !== undefined) part.track = s.track;
  return part;
}

// ---------------------------------------------------------------- rule lines

/** `http-check send` (what to change in the request) or `http-check expect`. */
export type HttpCheckRule =
  | { kind: "send"; method?: string; uri?: string; version?: string; headers: [string, string][]; body?: string }
  | { kind: "expect"; expect: HttpCheckExpect }
  /** `http-check comment MSG`: names the next rule (its failure says it). */
  | { kind: "comment"; text: string }
  | { kind: "disable-on-404" }
  | { kind: "send-state" };

const HTTP_USAGE =
  "usage: http-check send [meth <method>] [uri <uri>] [ver <version>] [hdr <name> <value>]... [body <string>], http-check expect [!] status|rstatus|string|rstring <pattern>, http-check disable-on-404, or http-check send-state";
const TCP_USAGE =
  "usage: tcp-check connect [port <port>], tcp-check send <string>, tcp-check send-binary <hex>, or tcp-check expect [!] string|rstring|binary <pattern>";
/** HAProxy's other rule kinds. */
const HTTP_NOT_YET = new Set(["connect", "set-var", "unset-var"]);
const TCP_NOT_YET = new Set(["send-lf", "send-binary-lf", "set-var", "unset-var", "action"]);

/** A rule's words without a trailing `comment MSG` (HAProxy's option on send, expect and connect rules), and the MSG. */
function withoutComment(words: string[]): { words: string[]; comment?: string } {
  const n = words.length;
  if (n >= 2 && words[n - 2] === "comment") return { words: words.slice(0, n - 2), comment: words[n - 1]! };
  return { words };
}

/** `http-check comment MSG` / `tcp-check comment MSG`. */
function commentRule(keyword: string, rest: string[]): { kind: "comment"; text: string } | string {
  return rest.length === 1 ? { kind: "comment", text: rest[0]! } : `${keyword} comment: expected one message (quote it if it has spaces) (usage: ${keyword} comment <msg>)`;
}
/** Hex digits in pairs: bytes as `send-binary` and `expect binary` write them. */
const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** The bytes of a hex string, one latin1 character each (tcp-check's send and match work on such strings). */
export function hexBytes(hex: string): string {
  let out = "";
  for (let i = 0; i < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
}
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `status` patterns: codes and ranges, comma-separated (200,301-399). */
export function statusMatcher(pattern: string): ((status: number) => boolean) | string {
  const ranges: [number, number][] = [];
  for (const item of pattern.split(",")) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
    if (m === null) return `invalid status '${item}' (expected a code like 200 or a range like 200-399)`;
    ranges.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

function checkRegex(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (e) {
    return `invalid regular expression '${pattern}' (${(e as Error).message})`;
  }
}

/** `[!] MATCH PATTERN` after `expect`. */
function expectWords<M extends string>(keyword: string, args: string[], matches: readonly M[], usage: string) {
  let i = 0;
  const negate = args[0] === "!";
  if (negate) i++;
  const match = args[i];
  const pattern = args[i + 1];
  if (match === undefined || pattern === undefined) return `${keyword} expect: missing argument (${usage})`;
  if (!(matches as readonly string[]).includes(match)) {
    return `${keyword} expect: '${match}' is not supported yet (supported: ${matches.join(", ")})`;
  }
  if (args.length > i + 2) return `${keyword} expect: unexpected argument '${args[i + 2]}' (${usage})`;
  if (match === "status") {
    const m = statusMatcher(pattern);
    if (typeof m === "string") return `${keyword} expect: ${m}`;
  }
  if (match.startsWith("r")) {
    const bad = checkRegex(pattern);
    if (bad !== undefined) return `${keyword} expect: ${bad}`;
  }
  return { negate, match: match as M, pattern };
}

function httpRule(args: string[]): HttpCheckRule | string {
  const [kind = "", ...words] = args;
  if (kind === "comment") return commentRule("http-check", words);
  const { words: rest, comment } = withoutComment(words);
  if (kind === "expect") {
    const e = expectWords("http-check", rest, ["status", "rstatus", "string", "rstring"] as const, HTTP_USAGE);
    if (typeof e === "string") return e;
    return { kind: "expect", expect: comment === undefined ? e : { ...e, comment } };
  }
  if (kind === "send") {
    const rule: HttpCheckRule = { kind: "send", headers: [] };
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i]!;
      const value = rest[i + 1];
      if (value === undefined) return `http-check send: missing argument for '${word}' (${HTTP_USAGE})`;
      if (word === "meth") {
        if (!TOKEN.test(value)) return `http-check send: invalid method '${value}'`;
        rule.method = value;
      } else if (word === "uri") rule.uri = value;
      else if (word === "ver") rule.version = value;
      else if (word === "hdr") {
        const hv = rest[i + 2];
        if (hv === undefined) return `http-check send: missing value for header '${value}' (${HTTP_USAGE})`;
        if (!TOKEN.test(value)) return `http-check send: invalid header name '${value}'`;
        if (/[\r\n]/.test(hv)) return `http-check send: header '${value}' has a line break in its value`;
        rule.headers.push([value, hv]);
        i++;
      } else if (word === "body") rule.body = value;
      else if (word === "body-lf" || word === "uri-lf" || word === "hdr-lf") {
        return `http-check send: '${word}' is not supported yet (supported: meth, uri, ver, hdr, body)`;
      } else return `http-check send: unknown argument '${word}' (${HTTP_USAGE})`;
      i++;
    }
    return rule;
  }
  if (kind === "disable-on-404" || kind === "send-state") {
    return rest.length === 0 ? { kind } : `http-check ${kind}: unexpected argument '${rest[0]}' (usage: http-check ${kind})`;
  }
  if (HTTP_NOT_YET.has(kind)) return `'http-check ${kind}' is not supported yet (supported: send, expect, disable-on-404, send-state, comment)`;
  return `unknown http-check rule '${kind}' (${HTTP_USAGE})`;
}

function tcpRule(args: string[]): TcpCheckStep | string {
  const [kind = "", ...words] = args;
  if (kind === "comment") return commentRule("tcp-check", words);
  const { words: rest, comment } = withoutComment(words);
  const step = tcpStep(kind, rest);
  return typeof step === "string" || comment === undefined || step.kind === "comment" ? step : { ...step, comment };
}

function tcpStep(kind: string, rest: string[]): TcpCheckStep | string {
  if (kind === "connect") {
    if (rest.length === 0) return { kind: "connect" };
    if (rest[0] !== "port") return `tcp-check connect: '${rest[0]}' is not supported yet (supported: port)`;
    const port = Number(rest[1]);
    if (!/^\d+$/.test(rest[1] ?? "") || port < 1 || port > 65535) return `tcp-check connect: invalid port ${describe(rest[1])} (expected 1-65535)`;
    if (rest.length > 2) return `tcp-check connect: '${rest[2]}' is not supported yet (supported: port)`;
    return { kind: "connect", port };
  }
  if (kind === "send") {
    if (rest.length !== 1) return `tcp-check send: expected one string (quote it if it has spaces) (${TCP_USAGE})`;
    return { kind: "send", data: rest[0]! };
  }
  if (kind === "send-binary") {
    if (rest.length !== 1) return `tcp-check send-binary: expected one hex string (${TCP_USAGE})`;
    if (!HEX.test(rest[0]!)) return `tcp-check send-binary: '${rest[0]}' is not an even number of hex digits`;
    return { kind: "send", data: hexBytes(rest[0]!) };
  }
  if (kind === "expect") {
    const e = expectWords("tcp-check", rest, ["string", "rstring", "binary"] as const, TCP_USAGE);
    if (typeof e === "string") return e;
    if (e.match === "binary" && !HEX.test(e.pattern)) return `tcp-check expect binary: '${e.pattern}' is not an even number of hex digits`;
    return { kind: "expect", ...e };
  }
  if (TCP_NOT_YET.has(kind)) return `'tcp-check ${kind}' is not supported yet (supported: connect, send, send-binary, expect, comment)`;
  return `unknown tcp-check rule '${kind}' (${TCP_USAGE})`;
}

/** One line: a list of words, or a string split as haproxy.cfg would. */
export function lineWords(x: unknown): string[] | string {
  if (Array.isArray(x) && x.length > 0 && x.every((w) => typeof w === "string")) return x as string[];
  if (typeof x === "string" && x.trim() !== "") {
    const split = splitWords(x);
    return split.ok ? split.words : split.error;
  }
  return `invalid rule ${describe(x)} (expected a string such as 'expect status 200')`;
}

/** A keyword whose lines are parsed one by one (`http-check`, `tcp-check`, `http-error`): a list of lines, or one line alone. */
export function rulesSchema<T>(keyword: string, parse: (args: string[]) => T | string) {
  const entry = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): T => {
      const words = lineWords(dataset.value);
      const r = typeof words === "string" ? `${keyword}: ${words}` : parse(words);
      if (typeof r === "string") {
        addIssue({ message: r });
        return NEVER;
      }
      return r;
    }),
  );
  // A list holds lines (strings or lists of words); a string alone is one line.
  return v.lazy((x) => (Array.isArray(x) ? v.array(entry) : v.pipe(entry, v.transform((one): T[] => [one]))));
}

/** `http-check` lines, in order. */
export const HttpCheckSchema = rulesSchema("http-check", httpRule);
/** `tcp-check` lines, in order. */
export const TcpCheckSchema = rulesSchema("tcp-check", tcpRule);

// ---------------------------------------------------------------- options

/** `option httpchk [METH] [URI] [VER]` or `option tcp-check`: the kind of check a backend runs. */
export type CheckOption =
  /** `headers`, `body`: HAProxy's older form, written after the version (`HTTP/1.1\r\nHost:\ x`). */
  | { kind: "http"; method?: string; uri?: string; version?: string; headers?: [string, string][]; body?: string }
  | { kind: "tcp-check" }
  | { kind: "external" }
  | ProtocolCheck;

/** `option redis-check`, `option mysql-check [user <name> [post-41|pre-41]]`, `option pgsql-check user <name>`, `option ssl-hello-chk`. */
export function protocolCheckOption(option: "redis-check" | "mysql-check" | "pgsql-check" | "ssl-hello-chk", args: string[]): CheckOption | string {
  if (option === "redis-check") return args.length === 0 ? { kind: "redis" } : `option redis-check: unexpected argument '${args[0]}' (usage: option redis-check)`;
  if (option === "ssl-hello-chk") return args.length === 0 ? { kind: "ssl-hello" } : `option ssl-hello-chk: unexpected argument '${args[0]}' (usage: option ssl-hello-chk)`;
  if (option === "pgsql-check") {
    const usage = "usage: option pgsql-check user <username>";
    if (args[0] !== "user" || args[1] === undefined || args[1] === "") return `option pgsql-check: expects 'user <username>' (${usage})`;
    if (args.length > 2) return `option pgsql-check: unexpected argument '${args[2]}' (${usage})`;
    return { kind: "pgsql", user: args[1] };
  }
  const usage = "usage: option mysql-check [user <username> [post-41|pre-41]]";
  if (args.length === 0) return { kind: "mysql", post41: true };
  if (args[0] !== "user") return `option mysql-check: only 'user' may follow (got '${args[0]}') (${usage})`;
  if (args[1] === undefined || args[1] === "") return `option mysql-check user: expects <username> (${usage})`;
  const version = args[2];
  if (version !== undefined && version !== "post-41" && version !== "pre-41") return `option mysql-check: '${version}' is neither post-41 nor pre-41 (${usage})`;
  if (args.length > 3) return `option mysql-check: unexpected argument '${args[3]}' (${usage})`;
  return { kind: "mysql", user: args[1], post41: version !== "pre-41" };
}

export function httpchkOption(args: string[]): CheckOption | string {
  const usage = "usage: option httpchk [<method>] [<uri>] [<version>]";
  if (args.length > 3) return `option httpchk: unexpected argument '${args[3]}' (${usage})`;
  // One argument is the URI (HAProxy: `option httpchk /health`).
  if (args.length === 1) return { kind: "http", uri: args[0]! };
  const [method, uri, version] = args;
  if (method !== undefined && !TOKEN.test(method)) return `option httpchk: invalid method '${method}' (${usage})`;
  const option: CheckOption = { kind: "http" };
  if (method !== undefined) option.method = method;
  if (uri !== undefined) option.uri = uri;
  if (version !== undefined) {
    const older = olderForm(version);
    if (typeof older === "string") return `option httpchk: ${older}`;
    option.version = older.version;
    if (older.headers.length > 0) option.headers = older.headers;
    if (older.body !== undefined) option.body = older.body;
  }
  return option;
}

/**
 * The version word of `option httpchk`, which HAProxy's older form followed
 * with header lines and a body (`HTTP/1.1\r\nHost:\ www\r\n\r\nbody`,
 * escapes as haproxy.cfg writes them): the version, the fields, the body.
 */
function olderForm(word: string): { version: string; headers: [string, string][]; body?: string } | string {
  if (!word.includes("\\")) return { version: word, headers: [] };
  const text = word.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, c: string) =>
    c === "r" ? "\r" : c === "n" ? "\n" : c === "t" ? "\t" : c.length === 3 ? String.fromCharCode(Number.parseInt(c.slice(1), 16)) : c,
  );
  // Lines end with CRLF, as HAProxy reads them; the body is what follows the first empty line, as written.
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split("\r\n");
  const version = lines.shift()!;
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (colon <= 0 || !TOKEN.test(name) || /[\r\n]/.test(value)) return `'${line}' after the version is not a header line (NAME: value)`;
    headers.push([name, value]);
  }
  return end < 0 ? { version, headers } : { version, headers, body: text.slice(end + 4) };
}
