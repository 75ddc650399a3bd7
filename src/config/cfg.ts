// haproxy.cfg syntax → raw segments. Only syntax lives here: which keywords
// exist and how many words they take. Whether a keyword is allowed in a
// section and whether its values make sense is model.ts's business, so both
// syntaxes get the same checks and the same messages.

import process from "node:process";
import { ConfigError, ConfigNotice, type SourcePos } from "./errors.ts";
import { splitWords } from "./cfg-words.ts";
import { readUserlistLine } from "./cfg-userlist.ts";
import { addPeersLine, readPeersLine } from "./cfg-peers.ts";
import { readServerOptions } from "./cfg-server.ts";
import { Conditions } from "./cfg-conditions.ts";
import { type Env, expandAddress } from "./cfg-env.ts";
import { caseAdjustLine, ENV_KEYWORDS, envChanges, escapeWord, templateRange } from "./cfg-global-lines.ts";
import { DefaultsKeeper, type DefaultsRecord, type DefaultServer, segmentWithDefaults, splitFrom } from "./cfg-defaults.ts";
import { keywordRefusal, OTHER_SECTIONS, sectionRefusal } from "./cfg-sections.ts";
import { lineNote } from "./cfg-notes.ts";
import { readBindOptions } from "./cfg-bind.ts";
import { FILTER_LINES, FILTER_USAGE } from "./schema-filters.ts";
import { externalCheckLine } from "./schema-extcheck.ts";
import { resolversLine } from "./schema-resolvers.ts";
import {
  isReservedName,
  newSegment,
  pathKey,
  type PathSeg,
  type ProxyCategory,
  type RawSegment,
  type SyntaxResult,
} from "./raw.ts";

const PROXY_HEADERS: Record<string, ProxyCategory> = {
  frontend: "frontends",
  backend: "backends",
  listen: "listen",
};

const SINGLE_ARG: Record<string, string> = {
  mode: "mode tcp|http",
  maxconn: "maxconn <number>",
  retries: "retries <number>",
  default_backend: "default_backend <backend>",
  "monitor-uri": "monitor-uri <uri>",
  node: "node <name>",
  "server-state-file": "server-state-file <file>",
  "server-state-base": "server-state-base <directory>",
  "load-server-state-from-file": "load-server-state-from-file global|local|none",
  "ca-base": "ca-base <dir>",
  fullconn: "fullconn <number>",
  "crt-base": "crt-base <dir>",
  "hard-stop-after": "hard-stop-after <time>",
  "tune.bufsize": "tune.bufsize <number>",
  "tune.http.maxhdr": "tune.http.maxhdr <number>",
  "tune.maxrewrite": "tune.maxrewrite <number>",
  "max-spread-checks": "max-spread-checks <time>",
  "spread-checks": "spread-checks <0..50, in percent>",
  "tune.h2.be.max-concurrent-streams": "tune.h2.be.max-concurrent-streams <number>",
  "tune.h2.fe.max-concurrent-streams": "tune.h2.fe.max-concurrent-streams <number>",
  "tune.h2.header-table-size": "tune.h2.header-table-size <number>",
  "tune.h2.initial-window-size": "tune.h2.initial-window-size <number>",
  "tune.h2.fe.glitches-threshold": "tune.h2.fe.glitches-threshold <number>",
  "tune.h2.fe.max-control-frames-per-sec": "tune.h2.fe.max-control-frames-per-sec <number>",
  "log-format": 'log-format "<format>"',
  "unique-id-format": 'unique-id-format "<format>"',
  "unique-id-header": "unique-id-header <name>",
  "log-tag": "log-tag <string>",
  "http-reuse": "http-reuse never|safe|aggressive|always",
  "max-session-srv-conns": "max-session-srv-conns <number>",
  "ssl-default-bind-ciphers": "ssl-default-bind-ciphers <ciphers>",
  "ssl-default-bind-ciphersuites": "ssl-default-bind-ciphersuites <ciphersuites>",
  "ssl-default-server-ciphers": "ssl-default-server-ciphers <ciphers>",
  "ssl-default-server-ciphersuites": "ssl-default-server-ciphersuites <ciphersuites>",
  "ssl-server-verify": "ssl-server-verify none|required",
  "tune.ssl.cachesize": "tune.ssl.cachesize <number>",
  "tune.ssl.lifetime": "tune.ssl.lifetime <timeout>",
  "tune.comp.maxlevel": "tune.comp.maxlevel <number>",
  "tune.ssl.default-dh-param": "tune.ssl.default-dh-param <number>",
  "tune.max-checks-per-thread": "tune.max-checks-per-thread <number>",
  // Master and workers (issue 16).
  workers: "workers <number>|auto",
  nbthread: "nbthread <number>",
  maxconnrate: "maxconnrate <number>",
  maxsessrate: "maxsessrate <number>",
  "hash-balance-factor": "hash-balance-factor <factor>",
  // Process keywords (issue 19): schema-process.ts reads them.
  pidfile: "pidfile <path>",
  user: "user <user name>",
  uid: "uid <number>",
  group: "group <group name>",
  gid: "gid <number>",
  chroot: "chroot <jail dir>",
  "ulimit-n": "ulimit-n <number>",
  localpeer: "localpeer <name>",
};
/** Bare global keywords: the keyword alone means true (`no strict-limits`: false). */
const FLAGS = new Set(["master-worker", "daemon", "strict-limits", "zero-warning", "insecure-fork-wanted"]);
const USAGE: Record<string, string> = {
  ...SINGLE_ARG,
  ...FILTER_USAGE,
  balance: "balance <algorithm> [<arguments>]",
  "master-worker": "master-worker",
  daemon: "daemon",
  "strict-limits": "[no] strict-limits",
  "zero-warning": "zero-warning",
  "insecure-fork-wanted": "insecure-fork-wanted",
  "cpu-map": "cpu-map [auto:]<process-set>[/<thread-set>] <cpu-set>...",
  "hash-type": "hash-type map-based|consistent",
  "rate-limit": "rate-limit sessions <rate>",
  source: "source <addr>[:<port>]",
  "retry-on": "retry-on none | <condition> [<condition>...]",
  option: "option <name>",
  bind: "bind <address>[,<address>...] [proto h2] [ssl crt <file|dir>... [crt-list <file>] [alpn <list>] ...]",
  "ssl-default-bind-options": "ssl-default-bind-options <option>...",
  "ssl-default-server-options": "ssl-default-server-options <option>...",
  "unix-bind": "unix-bind [prefix <path>] [mode <octal>] [user <name>|uid <n>] [group <name>|gid <n>]",
  server:
    "server <name> <address> [weight <n>] [backup] [disabled] [maxconn <n>] [minconn <n>] [pool-max-conn <n>] [pool-purge-delay <time>] [pool-low-conn <n>] [send-proxy] [proto h1|h2] [max-reuse <n>] [maxqueue <n>] [slowstart <time>] [init-addr <methods>] [check] [inter <time>] [fastinter <time>] [downinter <time>] [rise <n>] [fall <n>] [port <port>] [addr <address>] [check-send-proxy] [check-ssl] [observe layer4|layer7] [error-limit <n>] [on-error <action>] [ssl [verify none|required] [verifyhost <name>] [ca-file <file>] [sni <expression>] [alpn <list>] [crt <file>] [ssl-min-ver <version>] [ssl-max-ver <version>] [ciphers <list>] [ciphersuites <list>] [no-ssl-reuse] [no-tls-tickets]] [cookie <value>]",
  "server-template": "server-template <prefix> <num>|<first>-<last> <address> [server options]",
  timeout: "timeout <name> <time>",
  errorfile: "errorfile <code> <file>",
  errorloc: "errorloc <code> <url>",
  errorfiles: "errorfiles <name> [<code> ...]",
  "http-error": "http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file> | string <text> | lf-string <fmt>] [hdr <name> <fmt>]...",
  errorloc302: "errorloc302 <code> <url>",
  errorloc303: "errorloc303 <code> <url>",
  "default-server": "default-server [<server option>...]",
  log: "log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], or log global",
  "log-send-hostname": "log-send-hostname [<string>]",
  description: "description <text>",
  "default-path": "default-path current|config|parent|origin <path>",
  // Health checks (issue 14, checks).
  "http-check": "http-check send [meth <method>] [uri <uri>] [ver <version>] [hdr <name> <value>]... [body <string>], or http-check expect [!] status|rstatus|string|rstring <pattern>",
  "tcp-check": "tcp-check connect [port <port>], tcp-check send <string>, tcp-check send-binary <hex>, or tcp-check expect [!] string|rstring|binary <pattern>",
  // Rules (issue 15).
  acl: "acl <name> <fetch>[,<converter>...] [flags] [<operator>] [<value>...]",
  use_backend: "use_backend <backend> [if|unless <condition>]",
  "use-server": "use-server <server> [if|unless <condition>]",
  stick: "stick on|match|store-request <pattern> [table <table>] [if|unless <condition>]",
  "stick-table":
    "stick-table type ip|ipv6|integer|string [len <n>]|binary [len <n>] size <size>[k|m|g] [expire <time>] [nopurge] [store <data type>[,<data type>...]]",
  "http-request": "http-request <action> [<arguments>...] [if|unless <condition>]",
  "http-response": "http-response <action> [<arguments>...] [if|unless <condition>]",
  "http-after-response": "http-after-response <action> [<arguments>...] [if|unless <condition>]",
  redirect: "redirect location|prefix|scheme <target> [code <n>] [<option>...] [if|unless <condition>]",
  "tcp-request": "tcp-request connection|content <action> [if|unless <condition>], or tcp-request inspect-delay <time>",
  capture: "capture request|response header <name> len <length>",
  "force-persist": "force-persist if|unless <condition>",
  "ignore-persist": "ignore-persist if|unless <condition>",
  monitor: "monitor fail if|unless <condition>",
  // Persistence (issue 15, cookie).
  // The stats listener and the runtime API (issue 16): schema-stats.ts and schema-control.ts read the words.
  stats:
    "stats enable|uri <prefix>|refresh <time>|auth <user>:<password>|realm <realm>|show-legends|hide-version|show-node [<name>]|show-desc [<text>]|show-modules|scope <name>|http-request allow|deny|auth ...|admin if|unless <cond> in a proxy; stats socket <path>|ipv4@<address>:<port> [level user|operator|admin] [mode <octal>], stats timeout <time> or stats maxconn <number> in global",
  cookie:
    "cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly] [secure] [domain <domain>]... [maxidle <time>] [maxlife <time>] [attr <value>]...",
};
/** Health-check rule lines (issue 14, checks): one list of words per line, read by schema-check.ts. */
const CHECK_RULES = new Set(["http-check", "tcp-check", "http-error"]);
/** Rule lines (issue 15): one list of words per line, compiled by config/rules.ts once the whole file is read. */
const RULE_LINES = new Set(["acl", "use_backend", "use-server", "stick", "http-request", "http-response", "http-after-response", "redirect", "tcp-request", "capture", "declare", "force-persist", "ignore-persist", "monitor"]);

interface Section {
  /** Where this section's keywords go in the raw document; null: skip its lines. */
  base: PathSeg[] | null;
  context: string[];
}

/** `errorloc` is `errorloc302`; with `errorfile`, one answer per status, the last line's. */
const ERROR_ANSWERS = ["errorfile", "errorloc", "errorloc302", "errorloc303"];

/** `env`: the variables `"${NAME}"` and addresses read (the process's environment by default). */
export function parseCfg(file: string, text: string, env: Env = process.env): SyntaxResult {
  return new CfgParser(file, env).parse(text);
}

class CfgParser {
  private segments: RawSegment[] = [];
  private seg: RawSegment;
  private errors: ConfigError[] = [];
  private warnings: ConfigError[] = [];
  private section: Section | undefined;
  private at: SourcePos;
  private conditions = new Conditions();
  /** Where each open `.if` is. */
  private openIfs: SourcePos[] = [];
  private keeper = new DefaultsKeeper();
  /** The defaults the current segment carries. */
  private segDefaults: DefaultsRecord | undefined;
  /** The current section's `default-server` options (defaults, backend, listen). */
  private defaultServer: DefaultServer | undefined;

  constructor(
    private file: string,
    private env: Env,
  ) {
    this.seg = newSegment(file);
    this.segments.push(this.seg);
    this.at = { file };
  }

  parse(text: string): SyntaxResult {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      this.at = { file: this.file, line: i + 1 };
      const split = splitWords(lines[i]!.replace(/\r$/, ""), this.env);
      if (!split.ok) {
        if (this.conditions.active) this.error(split.error, this.section?.context ?? []);
        continue;
      }
      if (split.words.length === 0) continue;
      const [keyword, ...args] = split.words as [string, ...string[]];
      if (keyword.startsWith(".")) {
        this.directive(keyword, args);
        continue;
      }
      if (!this.conditions.active) continue;
      if (this.header(keyword, args)) continue;
      if (!this.section) {
        this.error(
          `'${keyword}' appears before any section (expected a section header: global, defaults, frontend, backend or listen)`,
        );
        continue;
      }
      if (this.section.base?.[0] === "userlists") this.userlistLine(this.section.base, keyword, args);
      else if (this.section.base?.[0] === "peers") this.peersLine(this.section.base, keyword, args);
      else if (this.section.base?.[0] === "caches") this.valueLine(this.section.base, keyword, args);
      else if (this.section.base?.[0] === "resolvers") this.resolversLine(this.section.base, keyword, args);
      else if (this.section.base?.[0] === "http-errors") this.httpErrorsLine(this.section.base, keyword, args);
      else if (this.section.base) this.keyword(this.section.base, keyword, args);
    }
    const unclosed = this.openIfs[this.openIfs.length - 1];
    if (unclosed !== undefined) {
      this.at = unclosed;
      this.error("missing '.endif' at the end of the file (this '.if' block is still open)", []);
    }
    return { segments: this.segments, errors: this.errors, warnings: this.warnings };
  }

  /** `.if`/`.elif`/`.else`/`.endif` and the messages (cfg-conditions.ts). */
  private directive(keyword: string, args: string[]): void {
    const r = this.conditions.directive(keyword, args, this.env);
    if (keyword === ".if") this.openIfs.push(this.at);
    else if (keyword === ".endif") this.openIfs.pop();
    if (r.kind === "error") this.error(r.message, []);
    // HAProxy counts .warning for zero-warning; .notice and .diag are not warnings there.
    else if (r.kind === "warning") this.warnings.push(new (keyword === ".warning" ? ConfigError : ConfigNotice)(this.at, [], r.message));
  }

  private error(detail: string, context: string[] = this.section?.context ?? []): void {
    this.errors.push(new ConfigError(this.at, context, detail));
  }

  private mark(path: PathSeg[], at: SourcePos = this.at): void {
    this.seg.keys.set(pathKey(path), at);
    this.seg.values.set(pathKey(path), at);
  }

  /** Returns false when `keyword` does not open a section. */
  private header(keyword: string, args: string[]): boolean {
    if (keyword === "global") {
      this.defaultServer = undefined;
      this.section = { base: null, context: ["global"] };
      if (args.length > 0) return this.headerError(`'global' takes no arguments, got '${args[0]}'`);
      this.section.base = ["global"];
      this.seg.doc.global ??= {};
      this.mark(["global"]);
      return true;
    }
    if (keyword === "defaults") return this.defaultsHeader(args);
    const category = PROXY_HEADERS[keyword];
    if (category) {
      const [name, ...rest0] = args;
      const { args: rest, from } = splitFrom(rest0);
      this.defaultServer = undefined;
      this.section = { base: null, context: name === undefined ? [] : [`${keyword} '${name}'`] };
      if (name === undefined) {
        return this.headerError(`missing name for '${keyword}' (usage: ${keyword} <name>)`);
      }
      if (isReservedName(name)) return this.headerError(`'${name}' cannot be used as a name`);
      if (rest.length > 0 && category !== "listen") {
        return this.headerError(
          `too many arguments for '${keyword}': '${rest[0]}' (usage: ${keyword} <name>)`,
        );
      }
      const wanted = from === undefined ? this.keeper.last : this.keeper.byName(from);
      if (wanted === undefined && from !== undefined) return this.headerError(`defaults '${from}' not found (a defaults section named by 'from' must come before)`);
      if (wanted !== this.segDefaults) {
        // Other defaults than the segment's (`from`, or back to the last after one): a segment of its own.
        this.seg = segmentWithDefaults(this.file, wanted);
        this.segments.push(this.seg);
        this.segDefaults = wanted;
      }
      if (category !== "frontends") this.defaultServer = new Map(wanted?.defaultServer ?? []);
      const byName = (this.seg.doc[category] ??= {}) as Record<string, unknown>;
      if (name in byName) {
        // A second section of that name: put it in a segment of its own (same
        // defaults) so that it reaches the duplicate check like any other.
        this.seg = newSegment(this.file);
        this.segments.push(this.seg);
      }
      const bucket = (this.seg.doc[category] ??= {}) as Record<string, unknown>;
      bucket[name] = {};
      const base = [category, name];
      this.mark(base);
      this.section.base = base;
      if (rest.length > 0) this.bind(base, rest);
      return true;
    }
    if (keyword === "userlist" || keyword === "cache" || keyword === "resolvers") {
      this.defaultServer = undefined;
      return this.namedHeader(keyword, keyword === "cache" ? "caches" : keyword === "resolvers" ? "resolvers" : "userlists", args);
    }
    if (keyword === "peers" || keyword === "http-errors") {
      this.defaultServer = undefined;
      return this.namedHeader(keyword, keyword, args);
    }
    if (OTHER_SECTIONS.has(keyword)) {
      this.defaultServer = undefined;
      this.section = { base: null, context: [] };
      return this.headerError(sectionRefusal(keyword));
    }
    return false;
  }

  /** `defaults [<name>] [from <defaults>]`: a new segment, a copy of the named defaults' keywords with `from`. */
  private defaultsHeader(args: string[]): true {
    const { args: named, from } = splitFrom(args);
    this.defaultServer = undefined;
    this.section = { base: null, context: ["defaults"] };
    if (named.length > 1) {
      return this.headerError(`too many arguments for 'defaults': '${named[1]}' (usage: defaults [<name>] [from <defaults>])`);
    }
    const source = from === undefined ? undefined : this.keeper.byName(from);
    if (from !== undefined && source === undefined) return this.headerError(`defaults '${from}' not found (a defaults section named by 'from' must come before)`);
    this.seg = segmentWithDefaults(this.file, source);
    this.segments.push(this.seg);
    this.seg.doc.defaults ??= {};
    const record: DefaultsRecord = { seg: this.seg, defaultServer: new Map(source?.defaultServer ?? []) };
    const taken = this.keeper.add(record, named[0]);
    if (taken !== undefined) this.error(taken);
    this.segDefaults = record;
    this.defaultServer = record.defaultServer;
    this.section.base = ["defaults"];
    this.mark(["defaults"]);
    return true;
  }

  /** `userlist <name>` (cfg-userlist.ts reads its lines), `cache <name>` (schema-cache.ts), `resolvers <name>` (schema-resolvers.ts), `peers <name>` (cfg-peers.ts), `http-errors <name>` (schema-http-errors.ts): a mapping by name under `category`. */
  private namedHeader(keyword: string, category: "userlists" | "caches" | "resolvers" | "peers" | "http-errors", args: string[]): true {
    const [name, ...rest] = args;
    this.section = { base: null, context: name === undefined ? [] : [`${keyword} '${name}'`] };
    if (name === undefined) return this.headerError(`missing name for '${keyword}' (usage: ${keyword} <name>)`);
    if (isReservedName(name)) return this.headerError(`'${name}' cannot be used as a name`);
    if (rest.length > 0) return this.headerError(`too many arguments for '${keyword}': '${rest[0]}' (usage: ${keyword} <name>)`);
    // A second section of that name goes in a segment of its own, so that it reaches the duplicate check.
    if (name in ((this.seg.doc[category] ?? {}) as Record<string, unknown>)) {
      this.seg = newSegment(this.file);
      this.segments.push(this.seg);
    }
    ((this.seg.doc[category] ??= {}) as Record<string, unknown>)[name] = {};
    const base = [category, name];
    this.mark(base);
    this.section.base = base;
    return true;
  }

  private peersLine(base: PathSeg[], keyword: string, args: string[]): void {
    const line = readPeersLine(keyword, args);
    if ("error" in line) return this.error(line.error);
    for (const rel of addPeersLine(this.node(base), line)) this.mark([...base, ...rel]);
  }

  private userlistLine(base: PathSeg[], keyword: string, args: string[]): void {
    const line = readUserlistLine(keyword, args);
    if ("error" in line) return this.error(line.error, [...(this.section?.context ?? []), ...line.context]);
    const list = (this.node(base)[line.list] ??= []) as unknown[];
    const path = [...base, line.list, list.length];
    this.mark([...base, line.list]);
    this.mark(path);
    for (const key of Object.keys(line.entry)) this.mark([...path, key]);
    list.push(line.entry);
  }

  /** A line of a `cache` section: its words as one value, read by schema-cache.ts. */
  private valueLine(base: PathSeg[], keyword: string, args: string[]): void {
    this.node(base)[keyword] = args.join(" ");
    this.mark([...base, keyword]);
  }

  private resolversLine(base: PathSeg[], keyword: string, args: string[]): void {
    const error = resolversLine(keyword, args, this.node(base));
    return error !== undefined ? this.error(error) : this.mark([...base, keyword === "nameserver" ? "nameservers" : keyword]);
  }

  /** A line of an `http-errors` section: only `errorfile <code> <file>`, kept as a proxy's (a later line for a code replaces it). */
  private httpErrorsLine(base: PathSeg[], keyword: string, args: string[]): void {
    if (keyword !== "errorfile") return this.error(`unknown keyword '${keyword}' in an 'http-errors' section (expected errorfile)`);
    if (!this.arity(keyword, args, 2, 2)) return;
    const [code, file] = args as [string, string];
    if (isReservedName(code)) return this.error(`invalid errorfile status '${code}'`);
    ((this.node(base).errorfile ??= {}) as Record<string, string>)[code] = file;
    this.mark([...base, "errorfile"]);
    this.mark([...base, "errorfile", code]);
  }

  private headerError(detail: string): true {
    this.error(detail);
    return true;
  }

  private keyword(base: PathSeg[], keyword: string, args: string[]): void {
    const note = lineNote(String(base[0]), keyword, args);
    if (note !== undefined) this.warnings.push(new ConfigNotice(this.at, this.section?.context ?? [], note));
    // setenv, presetenv, unsetenv, resetenv (global): the environment the lines after them expand "${NAME}"
    // from, and the one the proxy runs with (env() in rules), as HAProxy changes its own when it reads them.
    // `h1-case-adjust FROM TO` (global, repeated): one more name in the map the bogus-client/-server options use.
    if (ENV_KEYWORDS.has(keyword) || keyword === "h1-case-adjust" || keyword === "h1-case-adjust-file") {
      if (String(base[0]) !== "global") return void this.error(`'${keyword}' is only allowed in a global section`);
      if (ENV_KEYWORDS.has(keyword)) return this.environment(base, keyword, args);
      const problem = caseAdjustLine(keyword, args, this.node(base));
      return problem === undefined ? this.mark([...base, keyword]) : this.error(problem);
    }
    // HAProxy 2.6's `tune.h2.max-concurrent-streams` is the limit of both sides (0: none); later versions split it.
    if (keyword === "tune.h2.max-concurrent-streams" && String(base[0]) === "global") {
      if (args.length !== 1 || !/^\d+$/.test(args[0]!)) return void this.error("'tune.h2.max-concurrent-streams' expects one number (0: no limit)");
      const n = args[0] === "0" ? String(2 ** 31 - 1) : args[0]!;
      this.keyword(base, "tune.h2.fe.max-concurrent-streams", [n]);
      return this.keyword(base, "tune.h2.be.max-concurrent-streams", [n]);
    }
    // `no log` (HAProxy: this proxy logs nothing) is the log line "none".
    if (keyword === "no" && args.length === 1 && args[0] === "log") return this.keyword(base, "log", ["none"]);
    // `no option NAME` is the option entry "no NAME" (schema-http.ts reads it).
    if (keyword === "no" && args[0] === "option" && args.length > 1) return this.keyword(base, "option", ["no", ...args.slice(1)]);
    if (keyword === "no" && args.length === 1 && args[0] === "strict-limits") {
      this.node(base)["strict-limits"] = false;
      return this.mark([...base, "strict-limits"]);
    }
    const raw = this.node(base);
    if (keyword in SINGLE_ARG) {
      if (!this.arity(keyword, args, 1, 1)) return;
      raw[keyword] = args[0];
      this.mark([...base, keyword]);
    } else if (keyword === "description" || keyword === "default-path") {
      // Free text: HAProxy joins the words with single spaces (default-path: schema-paths.ts reads them).
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "log-send-hostname") {
      if (!this.arity(keyword, args, 0, 1)) return;
      raw[keyword] = args[0] ?? true;
      this.mark([...base, keyword]);
    } else if (FLAGS.has(keyword)) {
      if (!this.arity(keyword, args, 0, 0)) return;
      raw[keyword] = true;
      this.mark([...base, keyword]);
    } else if (keyword === "balance" || keyword === "hash-type" || keyword === "source") {
      // Algorithms take arguments (uri whole len 8); one string in both
      // syntaxes, read by config/balance.ts, so the message names what was asked for.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "rate-limit") {
      // `rate-limit sessions N`: the words as one string (schema-values.ts reads them).
      if (!this.arity(keyword, args, 1, 2)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "retry-on") {
      // A list of conditions on one line; a later line replaces it (schema-retry.ts reads the words).
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw["retry-on"] = args.join(" ");
      this.mark([...base, "retry-on"]);
    } else if (keyword === "option" || keyword === "log" || keyword === "cpu-map") {
      // One string per line, its words as written: schema-http.ts reads them.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      if (keyword === "option" && args[0] === "httpchk" && args.length === 4 && args[3]!.includes("\r\n")) {
        // HAProxy's older form: headers (and a body) after the version, `HTTP/1.1\r\nHost:\ x`. Kept as
        // written, escapes and all, for schema-check.ts to read; deprecated there too.
        this.warnings.push(new ConfigError(this.at, this.section?.context ?? [], "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead."));
        args = [...args.slice(0, 3), escapeWord(args[3]!)];
      }
      const spaced = args.find((a) => /\s/.test(a));
      if (spaced !== undefined) {
        return this.error(`'${keyword}' arguments cannot contain spaces (got '${spaced}')`);
      }
      const list = (raw[keyword] ??= []) as string[];
      this.mark([...base, keyword]);
      this.mark([...base, keyword, list.length]);
      list.push(args.join(" "));
    } else if (RULE_LINES.has(keyword)) {
      // Words kept as written: a rule's condition may name ACLs defined further down.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      const list = (raw[keyword] ??= []) as string[][];
      this.mark([...base, keyword]);
      this.mark([...base, keyword, list.length]);
      list.push(args);
    } else if (CHECK_RULES.has(keyword) || keyword === "stats" || keyword === "errorfiles" || FILTER_LINES.has(keyword)) {
      // Health-check rules (issue 14, checks) and `stats` lines (issue 16: the stats listener in a
      // proxy, the runtime API in global): words kept as written (a `tcp-check send` string may hold spaces).
      if (!this.arity(keyword, args, 1, Infinity)) return;
      const list = (raw[keyword] ??= []) as string[][];
      this.mark([...base, keyword]);
      this.mark([...base, keyword, list.length]);
      list.push(args);
    } else if (keyword === "stick-table") {
      // One table per proxy (HAProxy names it after the proxy); schema-stick.ts reads the words.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      if (raw["stick-table"] !== undefined) return this.error("only one 'stick-table' per proxy (a table is named after its proxy)");
      raw["stick-table"] = args;
      this.mark([...base, "stick-table"]);
    } else if (keyword === "cookie") {
      // Persistence (issue 15, cookie): words kept as written (an `attr` value may hold spaces); schema-cookie.ts reads them.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw.cookie = args;
      this.mark([...base, "cookie"]);
    } else if (ERROR_ANSWERS.includes(keyword)) {
      if (!this.arity(keyword, args, 2, 2)) return;
      const [code, target] = args as [string, string];
      if (isReservedName(code)) return this.error(`invalid ${keyword} status '${code}'`);
      // A later errorfile or errorloc line for the same code replaces the earlier one, as in HAProxy.
      for (const other of ERROR_ANSWERS) delete (raw[other] as Record<string, string> | undefined)?.[code];
      const answers = (raw[keyword] ??= {}) as Record<string, string>;
      answers[code] = target;
      this.mark([...base, keyword]);
      this.mark([...base, keyword, code]);
    } else if (keyword === "external-check") {
      // Bare in global, `command`/`path` in a proxy (schema-extcheck.ts).
      const error = externalCheckLine(base[0] === "global", args, raw);
      if (error !== undefined) return this.error(error);
      this.mark([...base, keyword]);
    } else if (keyword === "default-server") {
      this.defaultServerLine(base, args);
    } else if (keyword === "no" && args[0] === "option" && args.length === 2) {
      // `no option <name>`: the option's negation, read by schema-http.ts as "no <name>".
      const list = (raw.option ??= []) as string[];
      this.mark([...base, "option"]);
      this.mark([...base, "option", list.length]);
      list.push(`no ${args[1]}`);
    } else if (keyword === "no" && args.length > 0) {
      this.error(`'no ${args.join(" ")}' is not supported yet`);
    } else if (keyword === "timeout") {
      if (!this.arity(keyword, args, 2, 2)) return;
      const [name, time] = args as [string, string];
      if (isReservedName(name)) return this.error(`'timeout ${name}' is not supported yet`);
      const timeouts = (raw.timeout ??= {}) as Record<string, string>;
      timeouts[name] = time;
      this.mark([...base, "timeout"]);
      this.mark([...base, "timeout", name]);
    } else if (keyword === "ssl-default-bind-options" || keyword === "ssl-default-server-options" || keyword === "unix-bind") {
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "bind") {
      if (!this.arity(keyword, args, 1, Infinity)) return;
      this.bind(base, args);
    } else if (keyword === "server") {
      if (!this.arity(keyword, args, 2, Infinity)) return;
      this.server(base, args);
    } else if (keyword === "server-template") {
      // HAProxy's `server-template PREFIX NUM|FIRST-LAST ADDRESS [options]`: servers PREFIX1..PREFIXN, each as a
      // server line of its own.
      if (!this.arity(keyword, args, 3, Infinity)) return;
      const [prefix, count, address, ...options] = args as [string, string, string, ...string[]];
      const range = templateRange(count);
      if (typeof range === "string") return this.error(range);
      for (let i = range.first; i <= range.last; i++) this.server(base, [`${prefix}${i}`, address, ...options]);
    } else {
      this.error(keywordRefusal(keyword) ?? `keyword '${keyword}' is not supported yet`);
    }
  }

  private node(path: PathSeg[]): Record<string, unknown> {
    let node: Record<string, unknown> = this.seg.doc;
    for (const p of path) node = node[p] as Record<string, unknown>;
    return node;
  }

  private arity(keyword: string, args: string[], min: number, max: number): boolean {
    if (args.length < min) {
      this.error(`missing argument for '${keyword}' (usage: ${USAGE[keyword]})`);
      return false;
    }
    if (args.length > max) {
      this.error(`too many arguments for '${keyword}': '${args[max]}' (usage: ${USAGE[keyword]})`);
      return false;
    }
    return true;
  }

  /** `bind a:1,b:2` and `bind a:1, b:2` both list two addresses; anything after is a bind option. */
  private bind(base: PathSeg[], args: string[]): void {
    let list = args[0]!;
    let i = 1;
    while (i < args.length && (list.endsWith(",") || args[i]!.startsWith(","))) list += args[i++];
    const expanded = expandAddress(list, this.env);
    if (typeof expanded !== "string") return this.error(`bind: ${expanded.error}`);
    list = expanded;
    // With options, the entry is a mapping, as YAML writes it: { address, ssl, crt, ... }.
    let entry: string | Record<string, unknown> = list;
    if (i < args.length) {
      const options = readBindOptions(list, args.slice(i));
      // A bad option is reported; the address still counts (no second "no bind" error).
      if ("error" in options) this.error(options.error);
      else entry = options.options;
    }
    const raw = this.node(base);
    const binds = (raw.bind ??= []) as unknown[];
    this.mark([...base, "bind"]);
    this.mark([...base, "bind", binds.length]);
    binds.push(entry);
  }

  /** `default-server <options>`: what the servers below it in the section start from. */
  private defaultServerLine(base: PathSeg[], args: string[]): void {
    if (this.defaultServer === undefined) return this.error(`'default-server' is not allowed in a ${base[0] === "global" ? "global" : "frontend"} section`);
    const r = readServerOptions(args);
    if ("error" in r) return this.error(`default-server: ${r.error}`);
    if ("cookie" in r.entry) return this.error("default-server: 'cookie' is not allowed here (each server's cookie value is its own)");
    for (const [key, value] of Object.entries(r.entry)) this.defaultServer.set(key, { value, at: this.at });
  }

  /** The changes the environment keywords made so far: a value set, or null for a name unset. */
  private envChanges: Record<string, string | null> | undefined;

  private environment(base: PathSeg[], keyword: string, args: string[]): void {
    const found = envChanges(keyword, args, this.env);
    if (typeof found === "string") return this.error(found);
    const changes: Record<string, string | null> = (this.envChanges ??= {});
    const env: Record<string, string | undefined> = { ...this.env };
    for (const [name, value] of found) {
      changes[name] = value;
      env[name] = value ?? undefined;
    }
    this.env = env;
    const raw = this.node(base);
    raw.environment = { ...changes };
    this.mark([...base, "environment"]);
  }

  private server(base: PathSeg[], args: string[]): void {
    const [name, written, ...options] = args as [string, string, ...string[]];
    const context = [...(this.section?.context ?? []), `server '${name}'`];
    if (isReservedName(name)) return this.error(`'${name}' cannot be used as a name`, context);
    const address = expandAddress(written, this.env);
    if (typeof address !== "string") return this.error(address.error, context);
    const own = readServerOptions(options);
    if ("error" in own) return this.error(own.error, context);
    const raw = this.node(base);
    const servers = (raw.servers ??= []) as unknown[];
    const path = [...base, "servers", servers.length];
    this.mark([...base, "servers"]);
    this.mark(path);
    const entry: Record<string, unknown> = { name, address };
    this.mark([...path, "name"]);
    this.mark([...path, "address"]);
    // What `default-server` lines above set, unless the line itself says otherwise.
    for (const [key, { value, at }] of this.defaultServer ?? []) {
      if (key in own.entry) continue;
      entry[key] = value;
      this.mark([...path, key], at);
    }
    for (const [key, value] of Object.entries(own.entry)) {
      entry[key] = value;
      this.mark([...path, key]);
    }
    servers.push(entry);
  }

}
