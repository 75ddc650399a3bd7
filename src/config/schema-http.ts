// Valibot schemas for the keywords of HTTP mode and logging: `option`,
// `log`, `log-format`, `errorfile`. In both syntaxes an `option` or `log`
// entry is the text after the keyword, one string per line ("forwardfor
// except 10.0.0.0/8 if-none", "stdout format json"); the word grammars below
// are the one place that reads them.

import { removedOption } from "./schema-proxymisc.ts";
import * as v from "valibot";
import { ERRORFILE_CODES, isErrorFileCode } from "./errorfile.ts";
import { checkLogFormat } from "./log-format.ts";
import { parseNetwork } from "../rules/network.ts";
import type { SectionName } from "./schema-parts.ts";
import { describe, isMapping } from "./schema-values.ts";
import { type CheckOption, httpchkOption, protocolCheckOption } from "./schema-check.ts";
import { type CorpusOptions, corpusOption, corpusOptionNames } from "./schema-corpus.ts";
import {
  BUILTIN,
  type Forwarded,
  type ForwardFor, type OriginalTo,
  type HttpConnectionMode,
} from "./types.ts";
import { isLogOption, LOG_OPTION_SECTIONS, logOption, type LogOptionsPart } from "./schema-syslog.ts";

// ---------------------------------------------------------------- option

/** Which section may carry which option, after HAProxy's tables. */
const OPTION_SECTIONS = {
  tcplog: ["defaults", "frontend", "listen"],
  httplog: ["defaults", "frontend", "listen"],
  forwardfor: ["defaults", "frontend", "backend", "listen"],
  originalto: ["defaults", "frontend", "backend", "listen"],
  // HAProxy ignores it in a frontend (with a warning): the field is added
  // where the request leaves for a server.
  forwarded: ["defaults", "backend", "listen"],
  "http-keep-alive": ["defaults", "frontend", "backend", "listen"],
  "http-server-close": ["defaults", "frontend", "backend", "listen"],
  httpclose: ["defaults", "frontend", "backend", "listen"],
  redispatch: ["defaults", "backend", "listen"],
  // A soft stop (reload) keeps idle keep-alive connections until their next response (issue 16).
  "idle-close-on-response": ["defaults", "frontend", "listen"],
  allbackups: ["defaults", "backend", "listen"],
  // Health checks (issue 14, checks).
  httpchk: ["defaults", "backend", "listen"],
  "tcp-check": ["defaults", "backend", "listen"],
  "redis-check": ["defaults", "backend", "listen"],
  "mysql-check": ["defaults", "backend", "listen"],
  "pgsql-check": ["defaults", "backend", "listen"],
  "ssl-hello-chk": ["defaults", "backend", "listen"],
  "external-check": ["defaults", "backend", "listen"],
} as const satisfies Record<string, readonly SectionName[]>;
type OptionName = keyof typeof OPTION_SECTIONS;

const HTTP_MODES = {
  "http-keep-alive": "keep-alive",
  "http-server-close": "server-close",
  httpclose: "close",
} as const satisfies Partial<Record<OptionName, HttpConnectionMode>>;

/** What a section's `option` lines set; the last line wins for each field. */
export interface OptionsPart extends LogOptionsPart, CorpusOptions {
  log?: "tcp" | "http" | "clf";
  forwardFor?: ForwardFor;
  originalTo?: OriginalTo;
  forwarded?: Forwarded;
  httpMode?: HttpConnectionMode;
  /** `option redispatch [interval]`: the interval, default -1 (the last retry); 0 turns it off. */
  redispatch?: number;
  allBackups?: true;
  /** `option idle-close-on-response`: see FrontendConfig.idleCloseOnResponse. */
  idleCloseOnResponse?: true;
  /** `option httpchk` / `option tcp-check`: the last one wins (issue 14, checks). */
  healthCheck?: CheckOption;
}

type OptionItem = (part: OptionsPart) => void;

const FORWARDFOR_USAGE = "usage: option forwardfor [except <network>] [header <name>] [if-none]";
const FORWARDED_USAGE = "usage: option forwarded [proto] [host] [by] [for]";
/** RFC 9110 §5.6.2. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseOption(text: string, section: SectionName): OptionItem | string {
  const [first = "", ...rest] = words(text);
  // `no option NAME` (the entry "no NAME"): the logging options here, the others in schema-corpus.ts.
  const on = first !== "no";
  const [name = "", ...args] = on ? [first, ...rest] : rest;
  if (isLogOption(name)) return logOption(name, args, section, on);
  const corpus = corpusOption([first, ...rest], section);
  if (corpus !== undefined) return corpus;
  if (!Object.hasOwn(OPTION_SECTIONS, name)) {
    return removedOption(name) ?? `option '${name}' is not supported yet (supported: ${supportedOptions(section)})`;
  }
  const option = name as OptionName;
  if (!(OPTION_SECTIONS[option] as readonly string[]).includes(section)) {
    return `'option ${option}' is not allowed in a ${section} section`;
  }
  if (option === "forwardfor") return forwardFor(args);
  if (option === "originalto") return originalTo(args);
  if (option === "forwarded") return forwarded(args);
  if (option === "httpchk") {
    const check = httpchkOption(args);
    return typeof check === "string" ? check : (p) => (p.healthCheck = check);
  }
  if (option === "redis-check" || option === "mysql-check" || option === "pgsql-check" || option === "ssl-hello-chk") {
    const check = protocolCheckOption(option, args);
    return typeof check === "string" ? check : (p) => (p.healthCheck = check);
  }
  if (option === "redispatch") return redispatch(args);
  if (option === "httplog" && args.length > 0) {
    // `option httplog clf`: the Common Log Format HAProxy defines, its fields after CLF's own.
    if (args[0] !== "clf" || args.length > 1) return `option httplog: unexpected argument '${args[0] === "clf" ? args[1] : args[0]}' (usage: option httplog [clf])`;
    return (p) => (p.log = "clf");
  }
  if (args.length > 0) {
    return `option ${option}: unexpected argument '${args[0]}' (usage: option ${option})`;
  }
  if (option === "tcplog" || option === "httplog") {
    const log = option === "tcplog" ? "tcp" : "http";
    return (p) => (p.log = log);
  }
  if (option === "allbackups") return (p) => (p.allBackups = true);
  if (option === "idle-close-on-response") return (p) => (p.idleCloseOnResponse = true);
  if (option === "tcp-check") return (p) => (p.healthCheck = { kind: "tcp-check" });
  if (option === "external-check") return (p) => (p.healthCheck = { kind: "external" });
  const mode = HTTP_MODES[option];
  return (p) => (p.httpMode = mode);
}

const REDISPATCH_USAGE = "usage: option redispatch [<interval>], an integer: 1 every retry, P every Pth, -1 the last (default), -N the Nth before the last, 0 never";

/** HAProxy's `option redispatch <interval>`; without one, the last retry. */
function redispatch(args: string[]): OptionItem | string {
  if (args.length > 1) return `option redispatch: unexpected argument '${args[1]}' (${REDISPATCH_USAGE})`;
  const text = args[0];
  if (text !== undefined && !/^-?\d{1,9}$/.test(text)) {
    return `option redispatch: invalid interval '${text}' (${REDISPATCH_USAGE})`;
  }
  const interval = text === undefined ? BUILTIN.redispatchInterval : Number(text);
  return (p) => (p.redispatch = interval);
}

function supportedOptions(section: SectionName): string {
  return Object.entries({ ...OPTION_SECTIONS, ...LOG_OPTION_SECTIONS })
    .filter(([, sections]) => (sections as readonly string[]).includes(section))
    .map(([name]) => name)
    .concat(corpusOptionNames(section))
    .join(", ");
}

/** `option originalto [except NET] [header NAME]` (HAProxy's): X-Original-To, the address the client connected to. */
function originalTo(args: string[]): OptionItem | string {
  const usage = "usage: option originalto [except <network>] [header <name>]";
  const value: OriginalTo = { header: "X-Original-To" };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const next = args[++i];
    if (word === "except") {
      if (next === undefined) return `option originalto: missing network after 'except' (${usage})`;
      const network = parseNetwork(next);
      if (typeof network === "string") return `option originalto: ${network}`;
      value.except = next;
    } else if (word === "header") {
      if (next === undefined) return `option originalto: missing name after 'header' (${usage})`;
      if (!TOKEN.test(next)) return `option originalto: invalid header name '${next}'`;
      value.header = next;
    } else return `option originalto: unknown argument '${word}' (${usage})`;
  }
  return (p) => (p.originalTo = value);
}

function forwardFor(args: string[]): OptionItem | string {
  const value: ForwardFor = { header: BUILTIN.forwardForHeader, ifNone: false };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === "except") {
      const text = args[++i];
      if (text === undefined) {
        return `option forwardfor: missing network after 'except' (${FORWARDFOR_USAGE})`;
      }
      const network = parseNetwork(text);
      if (typeof network === "string") return `option forwardfor: ${network}`;
      value.except = text;
    } else if (word === "header") {
      const header = args[++i];
      if (header === undefined) {
        return `option forwardfor: missing name after 'header' (${FORWARDFOR_USAGE})`;
      }
      if (!TOKEN.test(header)) {
        return `option forwardfor: invalid header name '${header}' (expected a token: letters, digits and !#$%&'*+-.^_\`|~)`;
      }
      value.header = header;
    } else if (word === "if-none") {
      value.ifNone = true;
    } else {
      return `option forwardfor: unknown argument '${word}' (${FORWARDFOR_USAGE})`;
    }
  }
  return (p) => (p.forwardFor = value);
}

const FORWARDED_PARAMS = ["proto", "host", "by", "for"] as const;
/** HAProxy's other `option forwarded` arguments. */
const FORWARDED_NOT_YET = new Set([
  "host-expr",
  "by-expr",
  "by_port",
  "by_port-expr",
  "for-expr",
  "for_port",
  "for_port-expr",
]);

function forwarded(args: string[]): OptionItem | string {
  // Without arguments HAProxy sends proto and for.
  if (args.length === 0) {
    const value: Forwarded = { proto: true, host: false, by: false, for: true };
    return (p) => (p.forwarded = value);
  }
  const value: Forwarded = { proto: false, host: false, by: false, for: false };
  for (const word of args) {
    if ((FORWARDED_PARAMS as readonly string[]).includes(word)) {
      value[word as keyof Forwarded] = true;
    } else if (FORWARDED_NOT_YET.has(word)) {
      return `option forwarded: '${word}' is not supported yet (supported: ${
        FORWARDED_PARAMS.join(", ")
      })`;
    } else {
      return `option forwarded: unknown argument '${word}' (${FORWARDED_USAGE})`;
    }
  }
  return (p) => (p.forwarded = value);
}

function words(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === "" ? [] : trimmed.split(/\s+/);
}

/** One entry, or a list of them; each is one `option` line. */
function listOf<T>(entry: v.GenericSchema<unknown, T>) {
  return v.lazy((x) =>
    Array.isArray(x) ? v.array(entry) : v.pipe(entry, v.transform((one): T[] => [one]))
  );
}

export function optionsSchema(section: SectionName) {
  const entry = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): OptionItem => {
      const x = dataset.value;
      const r = typeof x === "string" && x.trim() !== ""
        ? parseOption(x, section)
        : `invalid option ${
          describe(x)
        } (expected a string such as 'httplog' or 'forwardfor if-none')`;
      if (typeof r === "string") {
        addIssue({ message: r });
        return NEVER;
      }
      return r;
    }),
  );
  return v.pipe(
    listOf(entry),
    v.transform((items) => {
      const part: OptionsPart = {};
      for (const apply of items) apply(part);
      return part;
    }),
  );
}

// ---------------------------------------------------------------- log

// `log` lines, `log-tag`, `log-send-hostname` and the logging options: schema-syslog.ts.
export { GlobalLogsSchema, type LogEntry, logsSchema } from "./schema-syslog.ts";

// ---------------------------------------------------------------- log-format

/** A log-format string (`log-format`, `unique-id-format`): checked by the log-format compiler. */
function logFormatSchema(keyword: string, example: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): string => {
      const x = dataset.value;
      if (typeof x !== "string") {
        addIssue({
          message: `invalid ${keyword} ${describe(x)} (expected a string such as '${example}')`,
        });
        return NEVER;
      }
      const problem = checkLogFormat(x);
      if (problem !== undefined) {
        addIssue({ message: `${keyword}: ${problem}` });
        return NEVER;
      }
      return x;
    }),
  );
}

export const LogFormatSchema = logFormatSchema("log-format", "%ci:%cp %ST %B");
export const UniqueIdFormatSchema = logFormatSchema("unique-id-format", "%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid");

/** `unique-id-header <name>`: the field the request's unique id goes to the server in. */
export const UniqueIdHeaderSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    if (typeof x === "string" && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(x)) return x;
    addIssue({ message: `invalid unique-id-header ${describe(x)} (expected a header name)` });
    return NEVER;
  }),
);

// ---------------------------------------------------------------- errorfile

/** An `errorfile` line before its file is read (sections.ts reads it). */
export interface ErrorFilePart {
  code: number;
  /** As written. */
  file: string;
}

const CODES = ERRORFILE_CODES.join(", ");

/** code → file; in haproxy.cfg a later line for the same code replaces the earlier one. */
export const ErrorFilesSchema = v.pipe(
  v.unknown(),
  v.transform((x) => x ?? {}),
  v.custom<Record<string, unknown>>(
    isMapping,
    (issue) =>
      `invalid errorfile ${describe(issue.input)} (expected a mapping of status codes to files)`,
  ),
  v.rawTransform(({ dataset, addIssue, NEVER }): ErrorFilePart[] => {
    const byCode = dataset.value;
    const out: ErrorFilePart[] = [];
    let failed = false;
    for (const [key, file] of Object.entries(byCode)) {
      const at = {
        path: [{
          type: "object" as const,
          origin: "value" as const,
          input: byCode,
          key,
          value: file,
        }] as [v.ObjectPathItem],
      };
      const code = /^\d+$/.test(key) ? Number(key) : NaN;
      if (!isErrorFileCode(code)) {
        addIssue({
          message: `errorfile: status '${key}' is not supported (expected one of: ${CODES})`,
          ...at,
        });
        failed = true;
      } else if (typeof file !== "string" || file === "") {
        addIssue({
          message: `errorfile ${key}: invalid file ${describe(file)} (expected a file name)`,
          ...at,
        });
        failed = true;
      } else {
        out.push({ code, file });
      }
    }
    return failed ? NEVER : out;
  }),
);
