// The `log-format` compiler: HAProxy's custom log format (configuration manual,
// 8.2.4) parsed once into literal strings and field getters, so that building a
// line is a loop of concatenations.
//
// Syntax, as HAProxy's parser:
//   %name          a variable; the name is the longest run of [A-Za-z0-9]
//   %{flags}name   flags separated by commas, each +F or -F: Q (quote strings),
//                  X (hexadecimal IPs, ports, %Ts %rt %pid %lc %ms), E (escape '"', '\' and ']'),
//                  M (print "-" for an empty string; on by default). Unknown flags are ignored.
//   %{flags}o      sets the default flags of every later variable
//   %%             a literal '%'
//   ' '            a separator: runs of separators print one space, and none at all
//                  at the start or right after a variable that printed nothing
//                  (%hr/%hs without captures), which is how HAProxy's httplog
//                  drops the capture fields.
//   %[expr]        a sample expression (fetch and converters), evaluated when the
//                  line is written by a getter the caller compiles (`sample`: the
//                  rules layer's fetches over the stream's transaction); a missing
//                  sample prints "-" (or "" when quoted), as HAProxy.
// Rejected (LogFormatError): unknown variables, '%' followed by anything else
// (HAProxy rejects a digit or blank and silently drops the rest), a truncated
// "%" or "%{", an unterminated "%[".
//
// Quoting follows HAProxy's types: Q applies to strings (names, addresses, the
// request and its parts); numbers, ports, dates and termination states are
// never quoted. An empty string prints "-" (or "" when quoted).
import { hostname as osHostname } from "node:os";
import process from "node:process";
import { captureField, frontendTransportOf, type HttpLogRecord, ms, requestDateOf, terminationOf } from "./http-log.ts";
import {
  encodeRequestText,
  escapeRfc5424,
  formatGmtDate,
  formatLocalDate,
  formatLogDate,
  hexPad,
  ipToHex,
  millisOf,
} from "./text.ts";

export type LogFormatter = (r: HttpLogRecord) => string;

export type LogFormatErrorCode = "unknown-variable" | "syntax" | "unsupported";

/** A log-format string that cannot be compiled. `variable` names the culprit when there is one. */
export class LogFormatError extends Error {
  constructor(
    readonly code: LogFormatErrorCode,
    /** 0-based offset in the format string. */
    readonly position: number,
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = "LogFormatError";
  }
}

export interface LogFormatFlags {
  /** Q: wrap strings in double quotes. */
  quote: boolean;
  /** X: hexadecimal where HAProxy supports it. */
  hex: boolean;
  /** E: backslash-escape '"', '\' and ']'. */
  escape: boolean;
  /** M: "-" for an empty unquoted string (default on). */
  mandatory: boolean;
}

export type LogFormatPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "separator" }
  | { readonly type: "sample"; readonly expr: string; readonly flags: LogFormatFlags; readonly position: number }
  | {
    readonly type: "variable";
    readonly name: string;
    readonly flags: LogFormatFlags;
    readonly position: number;
  };

export interface CompileOptions {
  /** %H; default: the machine's host name. */
  hostname?: string;
  /** The frontend declares request / response capture slots: %hr / %hs print them (else nothing, as HAProxy). */
  captures?: { request: boolean; response: boolean };
  /** %pid; default: this process's id. */
  pid?: number;
  /** Compiles a `%[expr]` into what it prints for a record (undefined: no sample). Without it, %[...] is refused. */
  sample?: (expr: string) => (r: HttpLogRecord) => string | undefined;
}

type Getter = (r: HttpLogRecord) => string;

interface Ctx {
  readonly hostname: () => string;
  readonly pid: number;
  /** %lc: lines already formatted for each frontend by this compiled format. */
  readonly logCounts: Map<string, number>;
  readonly captures: { request: boolean; response: boolean };
}

/** How a variable prints; null = prints nothing (captures, which sluice does not have yet). */
type Builder = (f: LogFormatFlags, ctx: Ctx) => Getter | null;

const EMPTY = (f: LogFormatFlags): string => (f.quote ? '""' : f.mandatory ? "-" : "");

/** lf_text: a string field. */
function str(get: (r: HttpLogRecord) => string): Builder {
  return (f) => {
    const empty = EMPTY(f);
    if (f.escape) {
      const q = f.quote ? '"' : "";
      return (r) => {
        const s = get(r);
        return s === "" ? empty : q + escapeRfc5424(s) + q;
      };
    }
    if (f.quote) return (r) => '"' + get(r) + '"';
    if (f.mandatory) {
      return (r) => {
        const s = get(r);
        return s === "" ? "-" : s;
      };
    }
    return get;
  };
}

/** lf_text of a text that may not exist: none is "-" (`""` quoted), an empty one prints empty (%CC, %CS). */
function taken(get: (r: HttpLogRecord) => string | undefined): Builder {
  return (f) => {
    const none = f.quote ? '""' : "-";
    const q = f.quote ? '"' : "";
    return (r) => {
      const s = get(r);
      return s === undefined ? none : q + (f.escape ? escapeRfc5424(s) : s) + q;
    };
  };
}

/** lf_ip: an address, a string unless +X. */
function ip(get: (r: HttpLogRecord) => string): Builder {
  return (f, ctx) => {
    if (!f.hex) return str(get)(f, ctx);
    const empty = EMPTY(f);
    return (r) => {
      const h = ipToHex(get(r));
      return h === "" ? empty : h;
    };
  };
}

/** lf_port: a number (never quoted), or an empty string when unknown. */
function portOf(get: (r: HttpLogRecord) => number): Builder {
  return (f) => {
    const empty = EMPTY(f);
    if (f.hex) {
      return (r) => {
        const p = get(r);
        return p < 0 ? empty : hexPad(p, 4);
      };
    }
    return (r) => {
      const p = get(r);
      return p < 0 ? empty : "" + p;
    };
  };
}

/** A plain number; `hexWidth` when HAProxy honours +X for it. */
function num(get: (r: HttpLogRecord) => number, hexWidth = 0): Builder {
  return (f) => (f.hex && hexWidth > 0 ? (r) => hexPad(get(r), hexWidth) : (r) => "" + get(r));
}

/** A timer in ms, rounded. */
function timer(get: (r: HttpLogRecord) => number): Builder {
  return () => (r) => ms(get(r));
}

/** Printed as is: dates, termination states. */
function raw(get: Getter): Builder {
  return () => get;
}

/** lf_encode_chunk: the request or a part of it, '#'-encoded, quoted with Q, never "-". */
function req(get: (r: HttpLogRecord) => string): Builder {
  return (f) => {
    const esc = f.escape;
    if (f.quote) return (r) => '"' + encodeRequestText(get(r), esc) + '"';
    return (r) => encodeRequestText(get(r), esc);
  };
}


/** %hr / %hs: the capture slots; nothing at all for a line without a request (HAProxy's session-level lines: a probe, a bad request). */
function captures(get: (r: HttpLogRecord) => readonly string[] | undefined, sep: string, braces: boolean): Builder {
  return (f, ctx) => {
    const field = str((r) => captureField(get(r) ?? [], sep, braces))(f, ctx);
    if (field === null) return null;
    return (r) => (get(r) === undefined ? "" : field(r));
  };
}

const BADREQ = "<BADREQ>";
const orBad = (s: string): string => (s === "" ? BADREQ : s);

function queryOf(r: HttpLogRecord): string {
  if (r.uri === "") return BADREQ;
  const q = r.uri.indexOf("?");
  return q < 0 ? "" : r.uri.slice(q);
}

function pathOnlyOf(r: HttpLogRecord): string {
  const u = r.uri;
  if (u === "") return BADREQ;
  let start = 0;
  if (u.charCodeAt(0) !== 47 /* / */) {
    const scheme = u.indexOf("://");
    if (scheme >= 0) {
      const slash = u.indexOf("/", scheme + 3);
      if (slash < 0) return "";
      start = slash;
    }
  }
  const q = u.indexOf("?", start);
  return q < 0 ? (start === 0 ? u : u.slice(start)) : u.slice(start, q);
}

const pos = (n: number): number => (n > 0 ? n : 0);

/** The variables that print nothing for a line without a request (its captures). */
const CAPTURE_VARIABLES = new Set(["hr", "hrl", "hs", "hsl"]);

/** Every variable sluice knows, with HAProxy's meaning. */
const VARIABLES: Record<string, Builder> = {
  // bytes, status
  // `option logasap`: bytes and the active and total times so far, marked '+' (HAProxy's LW_BYTES).
  B: () => (r) => (r.asap ? "+" : "") + r.bytesOut,
  U: num((r) => r.bytesIn),
  ST: num((r) => r.status),
  // captures: the cookies `capture cookie` took
  CC: taken((r) => r.clientCookie),
  CS: taken((r) => r.serverCookie),
  hr: (f, ctx) => (ctx.captures.request ? captures((r) => r.requestCaptures, "|", true)(f, ctx) : null),
  hrl: (f, ctx) => (ctx.captures.request ? captures((r) => r.requestCaptures, " ", false)(f, ctx) : null),
  hs: (f, ctx) => (ctx.captures.response ? captures((r) => r.responseCaptures, "|", true)(f, ctx) : null),
  hsl: (f, ctx) => (ctx.captures.response ? captures((r) => r.responseCaptures, " ", false)(f, ctx) : null),
  // process
  H: (f, ctx) => str(ctx.hostname)(f, ctx),
  pid: (f, ctx) => num(() => ctx.pid, 4)(f, ctx),
  // request parts
  r: req((r) => orBad(r.requestLine)),
  HM: req((r) => orBad(r.method)),
  HU: req((r) => orBad(r.uri)),
  HP: req((r) => orBad(r.path)),
  HPO: req(pathOnlyOf),
  HQ: req(queryOf),
  HV: req((r) => orBad(r.httpVersion)),
  ID: str((r) => r.uniqueId),
  // dates
  t: raw((r) => formatLogDate(r.acceptTime)),
  T: raw((r) => formatGmtDate(r.acceptTime)),
  Tl: raw((r) => formatLocalDate(r.acceptTime)),
  tr: raw((r) => formatLogDate(requestDateOf(r))),
  trg: raw((r) => formatGmtDate(requestDateOf(r))),
  trl: raw((r) => formatLocalDate(requestDateOf(r))),
  Ts: num((r) => Math.floor(r.acceptTime / 1000), 4),
  ms: (
    f,
  ) => (f.hex ? (r) => hexPad(Math.floor(r.acceptTime) % 1000, 2) : (r) => millisOf(r.acceptTime)),
  // timers
  Th: timer((r) => r.Th),
  Ti: timer((r) => r.Ti),
  TR: timer((r) => r.TR),
  Tw: timer((r) => r.Tw),
  Tc: timer((r) => r.Tc),
  Tr: timer((r) => r.Tr),
  Ta: () => (r) => (r.asap ? "+" : "") + ms(r.Ta),
  Tt: () => (r) => (r.asap ? "+" : "") + ms(r.Tt),
  /** Tq = Th + Ti + TR, -1 when TR is. */
  Tq: timer((r) => (r.TR < 0 ? -1 : pos(r.Th) + pos(r.Ti) + r.TR)),
  /**
   * Td = Tt - (Th + Ti + TR + Tw + Tc + Tr): data transfer, -1 without response headers. Never
   * below 0 once they came: each timer is rounded on its own, and their sum may pass Tt by a
   * millisecond, where HAProxy's, differences of one millisecond clock, never do.
   */
  Td: timer((r) => (r.Tr < 0 ? -1 : Math.max(0, r.Tt - (pos(r.Th) + pos(r.Ti) + pos(r.TR) + pos(r.Tw) + pos(r.Tc) + r.Tr)))),
  /** Tu = Tt - Ti: total time as seen by the user. */
  Tu: timer((r) => r.Tt - pos(r.Ti)),
  // names and addresses
  ci: ip((r) => r.clientAddress),
  cp: portOf((r) => r.clientPort),
  f: str((r) => r.frontend),
  ft: str(frontendTransportOf),
  fi: ip((r) => r.frontendAddress),
  fp: portOf((r) => r.frontendPort),
  b: str((r) => r.backend),
  bi: ip((r) => r.backendSourceAddress),
  bp: portOf((r) => r.backendSourcePort),
  s: str((r) => r.server),
  si: ip((r) => r.serverAddress),
  sp: portOf((r) => r.serverPort),
  sslc: str((r) => r.sslCipher),
  sslv: str((r) => r.sslVersion),
  // state and load
  ts: raw((r) => terminationOf(r).slice(0, 2)),
  tsc: raw(terminationOf),
  ac: num((r) => r.actconn),
  fc: num((r) => r.feconn),
  bc: num((r) => r.beconn),
  sc: num((r) => r.srvConn),
  rc: num((r) => r.retries),
  sq: num((r) => r.srvQueue),
  bq: num((r) => r.backendQueue),
  rt: num((r) => r.streamId, 4),
  lc: (f, ctx) => num((r) => ctx.logCounts.get(r.frontend) ?? 0, 4)(f, ctx),
};

/** Every variable name compileLogFormat accepts ("o" included). */
export const LOG_FORMAT_VARIABLE_NAMES: readonly string[] = Object.freeze(
  ["o", ...Object.keys(VARIABLES)].sort(),
);

/**
 * The variables HAProxy 2.6 refuses in the log-format of a mode tcp proxy
 * ("format variable 'r' is reserved for HTTP mode"): the request, its date
 * and the HTTP timers and cookies. %ST, %hr, %hs, %Th, %Td, %Tu are accepted
 * there (0, nothing, 0 and times of the connection).
 */
const HTTP_ONLY_VARIABLES: ReadonlySet<string> = new Set([
  "r", "HM", "HU", "HP", "HPO", "HQ", "HV", "Ti", "TR", "Tr", "Ta", "Tq", "CC", "CS", "tr", "trg", "trl",
]);

/** The first variable of `format` that only HTTP mode has, or undefined (also for a malformed format). */
export function httpOnlyVariable(format: string): string | undefined {
  try {
    for (const part of parseLogFormat(format)) {
      if (part.type === "variable" && HTTP_ONLY_VARIABLES.has(part.name)) return part.name;
    }
  } catch (e) {
    if (!(e instanceof LogFormatError)) throw e;
  }
  return undefined;
}

const DEFAULT_FLAGS: LogFormatFlags = Object.freeze({
  quote: false,
  hex: false,
  escape: false,
  mandatory: true,
});

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return isAlpha(c) || (c >= 48 && c <= 57);
}

function applyFlags(base: LogFormatFlags, args: string): LogFormatFlags {
  const f = { ...base };
  for (const item of args.split(",")) {
    const sign = item[0];
    if (sign !== "+" && sign !== "-") continue;
    const on = sign === "+";
    switch (item.slice(1)) {
      case "Q":
        f.quote = on;
        break;
      case "X":
        f.hex = on;
        break;
      case "E":
        f.escape = on;
        break;
      case "M":
        f.mandatory = on;
        break;
    }
  }
  return f;
}

/**
 * The ']' that ends a sample expression starting at `from`: outside
 * parentheses and quotes (a converter's argument may hold ']'), or -1.
 */
function closingBracket(format: string, from: number): number {
  let depth = 0;
  let quote = 0;
  for (let i = from; i < format.length; i++) {
    const c = format.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92 /* \ */) i++;
      else if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 93 && depth <= 0) return i;
  }
  return -1;
}

/**
 * Parses a log-format string into its parts. "%o" is applied (it changes the
 * flags of later variables) and does not appear. Throws LogFormatError.
 */
export function parseLogFormat(format: string): LogFormatPart[] {
  const parts: LogFormatPart[] = [];
  let defaults = DEFAULT_FLAGS;
  let text = "";
  const pushText = (): void => {
    if (text !== "") parts.push({ type: "text", text });
    text = "";
  };
  let i = 0;
  while (i < format.length) {
    const c = format.charCodeAt(i);
    if (c === 32 /* space */) {
      pushText();
      parts.push({ type: "separator" });
      i++;
      continue;
    }
    if (c !== 37 /* % */) {
      text += format[i];
      i++;
      continue;
    }
    const start = i;
    i++;
    if (i >= format.length) {
      throw new LogFormatError(
        "syntax",
        start,
        `truncated log-format after '%' at position ${start}`,
      );
    }
    let args = "";
    if (format.charCodeAt(i) === 37) {
      text += "%";
      i++;
      continue;
    }
    if (format.charCodeAt(i) === 123 /* { */) {
      const close = format.indexOf("}", i + 1);
      if (close < 0) {
        throw new LogFormatError("syntax", start, `unterminated '%{' at position ${start}`);
      }
      args = format.slice(i + 1, close);
      i = close + 1;
      if (i >= format.length || !(isAlnum(format.charCodeAt(i)) || format.charCodeAt(i) === 91)) {
        throw new LogFormatError(
          "syntax",
          start,
          `flags without a variable name near '%{${args}}' at position ${start}`,
        );
      }
    }
    if (format.charCodeAt(i) === 91 /* [ */) {
      const close = closingBracket(format, i + 1);
      if (close < 0) throw new LogFormatError("syntax", start, `missing ']' after '%[' at position ${start}`);
      pushText();
      parts.push({ type: "sample", expr: format.slice(i + 1, close), flags: args === "" ? defaults : applyFlags(defaults, args), position: start });
      i = close + 1;
      continue;
    }
    if (args === "" && !isAlpha(format.charCodeAt(i))) {
      throw new LogFormatError(
        "syntax",
        start,
        `unexpected character '${
          format[i]
        }' after '%' at position ${start}; write '%%' for a literal '%'`,
      );
    }
    const nameStart = i;
    while (i < format.length && isAlnum(format.charCodeAt(i))) i++;
    const name = format.slice(nameStart, i);
    if (name !== "o" && !Object.hasOwn(VARIABLES, name)) {
      throw new LogFormatError(
        "unknown-variable",
        start,
        `unknown log-format variable '%${name}' at position ${start}; write '%%' for a literal '%'`,
        name,
      );
    }
    const flags = args === "" ? defaults : applyFlags(defaults, args);
    if (name === "o") {
      defaults = flags;
      continue;
    }
    pushText();
    parts.push({ type: "variable", name, flags, position: start });
  }
  pushText();
  return parts;
}

/**
 * Compiles a log-format string into a formatter. Throws LogFormatError (an
 * unknown variable's error has code "unknown-variable" and `variable` set).
 * The formatter keeps no reference to the records it formats.
 */
export function compileLogFormat(format: string, options: CompileOptions = {}): LogFormatter {
  let host: string | undefined = options.hostname;
  const ctx: Ctx = {
    hostname: () => (host ??= safeHostname()),
    pid: options.pid ?? process.pid,
    logCounts: new Map(),
    captures: options.captures ?? { request: false, response: false },
  };
  // HAProxy merges separators at run time; every variable sluice knows prints
  // something or (captures) never anything, so the merge is done here, once,
  // except for the captures of a line without a request (<BADREQ>), which
  // print nothing: their separator is merged as the line is built.
  const literals: string[] = [];
  const getters: Getter[] = [];
  const mayBeEmpty: boolean[] = [];
  let current = "";
  let lastIsSpace = true;
  let countsLines = false;
  for (const part of parseLogFormat(format)) {
    if (part.type === "separator") {
      if (!lastIsSpace) current += " ";
      lastIsSpace = true;
    } else if (part.type === "text") {
      current += part.text;
      lastIsSpace = false;
    } else if (part.type === "sample") {
      if (options.sample === undefined) {
        throw new LogFormatError("unsupported", part.position, `sample expressions ('%[${part.expr}]') need the rules' fetches to compile them`);
      }
      const value = options.sample(part.expr);
      const getter = str((r) => value(r) ?? "")(part.flags, ctx);
      if (getter === null) continue;
      literals.push(current);
      getters.push(getter);
      mayBeEmpty.push(false);
      current = "";
      lastIsSpace = false;
    } else {
      const getter = VARIABLES[part.name]!(part.flags, ctx);
      if (getter === null) continue;
      if (part.name === "lc") countsLines = true;
      literals.push(current);
      getters.push(getter);
      mayBeEmpty.push(CAPTURE_VARIABLES.has(part.name));
      current = "";
      lastIsSpace = false;
    }
  }
  literals.push(current);
  const n = getters.length;
  const first = literals[0]!;
  if (n === 0) return () => first;
  const merges = mayBeEmpty.some(Boolean);
  const build = (r: HttpLogRecord): string => {
    let s = first;
    for (let i = 0; i < n; i++) {
      const value = getters[i]!(r);
      const next = literals[i + 1]!;
      // An empty capture between two separators: one space, as HAProxy's run-time merge gives.
      if (merges && value === "" && mayBeEmpty[i] && next.charCodeAt(0) === 0x20 && (s.length === 0 || s.charCodeAt(s.length - 1) === 0x20)) {
        s += next.slice(1);
      } else s += value + next;
    }
    return s;
  };
  if (!countsLines) return build;
  return (r) => {
    const line = build(r);
    ctx.logCounts.set(r.frontend, (ctx.logCounts.get(r.frontend) ?? 0) + 1);
    return line;
  };
}

function safeHostname(): string {
  try {
    return osHostname();
  } catch {
    return "";
  }
}
