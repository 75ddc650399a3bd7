// haproxy.cfg syntax → raw segments. Only syntax lives here: which keywords
// exist and how many words they take. Whether a keyword is allowed in a
// section and whether its values make sense is model.ts's business, so both
// syntaxes get the same checks and the same messages.

import { ConfigError, type SourcePos } from "./errors.ts";
import { splitWords } from "./cfg-words.ts";
import { readUserlistLine } from "./cfg-userlist.ts";
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

/** Other HAProxy sections: recognised so that one error covers the whole section. */
const OTHER_SECTIONS = new Set([
  "peers",
  "resolvers",
  "cache",
  "program",
  "http-errors",
  "ring",
  "mailers",
  "crt-store",
  "traces",
  "log-forward",
  "fcgi-app",
]);

const SINGLE_ARG: Record<string, string> = {
  mode: "mode tcp|http",
  maxconn: "maxconn <number>",
  retries: "retries <number>",
  default_backend: "default_backend <backend>",
  "hard-stop-after": "hard-stop-after <time>",
  "tune.bufsize": "tune.bufsize <number>",
  "tune.http.maxhdr": "tune.http.maxhdr <number>",
  "tune.h2.be.max-concurrent-streams": "tune.h2.be.max-concurrent-streams <number>",
  "tune.h2.fe.max-concurrent-streams": "tune.h2.fe.max-concurrent-streams <number>",
  "tune.h2.header-table-size": "tune.h2.header-table-size <number>",
  "tune.h2.initial-window-size": "tune.h2.initial-window-size <number>",
  "tune.h2.fe.glitches-threshold": "tune.h2.fe.glitches-threshold <number>",
  "tune.h2.fe.max-control-frames-per-sec": "tune.h2.fe.max-control-frames-per-sec <number>",
  "log-format": 'log-format "<format>"',
  "http-reuse": "http-reuse never|safe|aggressive|always",
  "max-session-srv-conns": "max-session-srv-conns <number>",
  "ssl-default-bind-ciphers": "ssl-default-bind-ciphers <ciphers>",
  "ssl-default-bind-ciphersuites": "ssl-default-bind-ciphersuites <ciphersuites>",
  "tune.ssl.cachesize": "tune.ssl.cachesize <number>",
  "tune.max-checks-per-thread": "tune.max-checks-per-thread <number>",
  // Master and workers (issue 16).
  workers: "workers <number>|auto",
  nbthread: "nbthread <number>",
  // Process keywords (issue 19): schema-process.ts reads them.
  pidfile: "pidfile <path>",
  user: "user <user name>",
  uid: "uid <number>",
  group: "group <group name>",
  gid: "gid <number>",
  chroot: "chroot <jail dir>",
  "ulimit-n": "ulimit-n <number>",
};
/** Bare global keywords: the keyword alone means true (`no strict-limits`: false). */
const FLAGS = new Set(["master-worker", "daemon", "strict-limits"]);
const USAGE: Record<string, string> = {
  ...SINGLE_ARG,
  balance: "balance <algorithm> [<arguments>]",
  "master-worker": "master-worker",
  daemon: "daemon",
  "strict-limits": "[no] strict-limits",
  "hash-type": "hash-type map-based|consistent",
  "retry-on": "retry-on none | <condition> [<condition>...]",
  option: "option <name>",
  bind: "bind <address>[,<address>...] [proto h2] [ssl crt <file|dir>... [crt-list <file>] [alpn <list>] ...]",
  "ssl-default-bind-options": "ssl-default-bind-options <option>...",
  server:
    "server <name> <address> [weight <n>] [backup] [disabled] [maxconn <n>] [pool-max-conn <n>] [pool-purge-delay <time>] [pool-low-conn <n>] [send-proxy] [proto h1|h2] [max-reuse <n>] [maxqueue <n>] [slowstart <time>] [init-addr <methods>] [check] [inter <time>] [fastinter <time>] [downinter <time>] [rise <n>] [fall <n>] [port <port>] [addr <address>] [check-send-proxy] [check-ssl] [observe layer4|layer7] [error-limit <n>] [on-error <action>] [ssl [verify none|required] [ca-file <file>] [sni <name>] [alpn <list>] [crt <file>]] [cookie <value>]",
  timeout: "timeout <name> <time>",
  errorfile: "errorfile <code> <file>",
  log: "log stdout|stderr|<file> [format raw|json] [facility], or log global",
  // Health checks (issue 14, checks).
  "http-check": "http-check send [meth <method>] [uri <uri>] [ver <version>] [hdr <name> <value>]..., or http-check expect [!] status|rstatus|string|rstring <pattern>",
  "tcp-check": "tcp-check connect [port <port>], tcp-check send <string>, or tcp-check expect [!] string|rstring <pattern>",
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
  // Persistence (issue 15, cookie).
  // The stats listener and the runtime API (issue 16): schema-stats.ts and schema-control.ts read the words.
  stats:
    "stats enable|uri <prefix>|refresh <time>|auth <user>:<password>|realm <realm>|show-legends|hide-version|admin if|unless <cond> in a proxy; stats socket <path>|ipv4@<address>:<port> [level user|operator|admin] [mode <octal>], stats timeout <time> or stats maxconn <number> in global",
  cookie:
    "cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly] [secure] [domain <domain>]... [maxidle <time>] [maxlife <time>] [attr <value>]...",
};
/** Health-check rule lines (issue 14, checks): one list of words per line, read by schema-check.ts. */
const CHECK_RULES = new Set(["http-check", "tcp-check"]);
/** Rule lines (issue 15): one list of words per line, compiled by config/rules.ts once the whole file is read. */
const RULE_LINES = new Set(["acl", "use_backend", "use-server", "stick", "http-request", "http-response", "http-after-response", "redirect", "tcp-request", "capture", "force-persist", "ignore-persist"]);
const SERVER_FLAGS = new Set(["backup", "disabled", "send-proxy", "ssl", /* health checks */ "check", "check-send-proxy", "check-ssl"]);
/** Server options that take a value → what the value is, for the usage message. */
const SERVER_VALUES: Record<string, string> = {
  weight: "<number>",
  maxconn: "<number>",
  "pool-max-conn": "<number>",
  "pool-purge-delay": "<time>",
  "pool-low-conn": "<number>",
  proto: "h1|h2",
  "max-reuse": "<number>",
  verify: "none|required",
  "ca-file": "<file>",
  sni: "<name>",
  alpn: "<protocol>[,<protocol>...]",
  crt: "<file>",
  // balancing and queues (issue 14, balance)
  maxqueue: "<number>",
  slowstart: "<time>",
  "init-addr": "last,libc,none,<ip>",
  // Health checks (issue 14, checks).
  inter: "<time>",
  fastinter: "<time>",
  downinter: "<time>",
  rise: "<number>",
  fall: "<number>",
  port: "<port>",
  addr: "<address>",
  observe: "layer4|layer7",
  "error-limit": "<number>",
  "on-error": "fastinter|fail-check|sudden-death|mark-down",
  // Persistence (issue 15, cookie).
  cookie: "<value>",
};
const SERVER_OPTIONS = [
  "weight",
  "backup",
  "disabled",
  "maxconn",
  "pool-max-conn",
  "pool-purge-delay",
  "pool-low-conn",
  "send-proxy",
  "proto",
  "max-reuse",
  "ssl",
  "verify",
  "ca-file",
  "sni",
  "alpn",
  "crt",
  // balancing and queues (issue 14, balance)
  "maxqueue",
  "slowstart",
  "init-addr",
  // Health checks (issue 14, checks).
  "check",
  "inter",
  "fastinter",
  "downinter",
  "rise",
  "fall",
  "port",
  "addr",
  "check-send-proxy",
  "check-ssl",
  "observe",
  "error-limit",
  "on-error",
  // Persistence (issue 15, cookie).
  "cookie",
];
/** Bind options without a value. */
const BIND_FLAGS = new Set(["ssl", "strict-sni", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-tls-tickets"]);
/** Bind options that take a value → what the value is. */
const BIND_VALUES: Record<string, string> = {
  proto: "h2",
  crt: "<file|dir>",
  "crt-list": "<file>",
  "default-crt": "<file>",
  alpn: "<protocol>[,<protocol>...]",
  "ssl-min-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  "ssl-max-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  ciphers: "<ciphers>",
  ciphersuites: "<ciphersuites>",
  curves: "<curves>",
};
/** Bind options that may be given several times (a list). */
const BIND_REPEATED = new Set(["crt", "crt-list"]);

interface Section {
  /** Where this section's keywords go in the raw document; null: skip its lines. */
  base: PathSeg[] | null;
  context: string[];
}

export function parseCfg(file: string, text: string): SyntaxResult {
  return new CfgParser(file).parse(text);
}

class CfgParser {
  private segments: RawSegment[] = [];
  private seg: RawSegment;
  private errors: ConfigError[] = [];
  private section: Section | undefined;
  private at: SourcePos;

  constructor(private file: string) {
    this.seg = newSegment(file);
    this.segments.push(this.seg);
    this.at = { file };
  }

  parse(text: string): SyntaxResult {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      this.at = { file: this.file, line: i + 1 };
      const split = splitWords(lines[i]!.replace(/\r$/, ""));
      if (!split.ok) {
        this.error(split.error, this.section?.context ?? []);
        continue;
      }
      if (split.words.length === 0) continue;
      const [keyword, ...args] = split.words as [string, ...string[]];
      if (this.header(keyword, args)) continue;
      if (!this.section) {
        this.error(
          `'${keyword}' appears before any section (expected a section header: global, defaults, frontend, backend or listen)`,
        );
        continue;
      }
      if (this.section.base?.[0] === "userlists") this.userlistLine(this.section.base, keyword, args);
      else if (this.section.base) this.keyword(this.section.base, keyword, args);
    }
    return { segments: this.segments, errors: this.errors };
  }

  private error(detail: string, context: string[] = this.section?.context ?? []): void {
    this.errors.push(new ConfigError(this.at, context, detail));
  }

  private mark(path: PathSeg[]): void {
    this.seg.keys.set(pathKey(path), this.at);
    this.seg.values.set(pathKey(path), this.at);
  }

  /** Returns false when `keyword` does not open a section. */
  private header(keyword: string, args: string[]): boolean {
    if (keyword === "global") {
      this.section = { base: null, context: ["global"] };
      if (args.length > 0) return this.headerError(`'global' takes no arguments, got '${args[0]}'`);
      this.section.base = ["global"];
      this.seg.doc.global ??= {};
      this.mark(["global"]);
      return true;
    }
    if (keyword === "defaults") {
      this.section = { base: null, context: ["defaults"] };
      if (args.length > 1) {
        return this.headerError(
          `too many arguments for 'defaults': '${args[1]}' (usage: defaults [<name>])`,
        );
      }
      this.seg = newSegment(this.file);
      this.segments.push(this.seg);
      this.seg.doc.defaults = {};
      this.section.base = ["defaults"];
      this.mark(["defaults"]);
      return true;
    }
    const category = PROXY_HEADERS[keyword];
    if (category) {
      const [name, ...rest] = args;
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
    if (keyword === "userlist") return this.userlistHeader(args);
    if (OTHER_SECTIONS.has(keyword)) {
      this.section = { base: null, context: [] };
      return this.headerError(`section '${keyword}' is not supported yet`);
    }
    return false;
  }

  /** `userlist <name>`: users and groups for http-request auth (cfg-userlist.ts reads its lines). */
  private userlistHeader(args: string[]): true {
    const [name, ...rest] = args;
    this.section = { base: null, context: name === undefined ? [] : [`userlist '${name}'`] };
    if (name === undefined) return this.headerError("missing name for 'userlist' (usage: userlist <name>)");
    if (isReservedName(name)) return this.headerError(`'${name}' cannot be used as a name`);
    if (rest.length > 0) return this.headerError(`too many arguments for 'userlist': '${rest[0]}' (usage: userlist <name>)`);
    // A second userlist of that name goes in a segment of its own, so that it reaches the duplicate check.
    if (name in ((this.seg.doc.userlists ?? {}) as Record<string, unknown>)) {
      this.seg = newSegment(this.file);
      this.segments.push(this.seg);
    }
    ((this.seg.doc.userlists ??= {}) as Record<string, unknown>)[name] = {};
    const base = ["userlists", name];
    this.mark(base);
    this.section.base = base;
    return true;
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

  private headerError(detail: string): true {
    this.error(detail);
    return true;
  }

  private keyword(base: PathSeg[], keyword: string, args: string[]): void {
    // `no log` (HAProxy: this proxy logs nothing) is the log line "none".
    if (keyword === "no" && args.length === 1 && args[0] === "log") return this.keyword(base, "log", ["none"]);
    if (keyword === "no" && args.length === 1 && args[0] === "strict-limits") {
      this.node(base)["strict-limits"] = false;
      return this.mark([...base, "strict-limits"]);
    }
    const raw = this.node(base);
    if (keyword in SINGLE_ARG) {
      if (!this.arity(keyword, args, 1, 1)) return;
      raw[keyword] = args[0];
      this.mark([...base, keyword]);
    } else if (FLAGS.has(keyword)) {
      if (!this.arity(keyword, args, 0, 0)) return;
      raw[keyword] = true;
      this.mark([...base, keyword]);
    } else if (keyword === "balance" || keyword === "hash-type") {
      // Algorithms take arguments (uri whole len 8); one string in both
      // syntaxes, read by config/balance.ts, so the message names what was asked for.
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "retry-on") {
      // A list of conditions on one line; a later line replaces it (schema-retry.ts reads the words).
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw["retry-on"] = args.join(" ");
      this.mark([...base, "retry-on"]);
    } else if (keyword === "option" || keyword === "log") {
      // One string per line, its words as written: schema-http.ts reads them.
      if (!this.arity(keyword, args, 1, Infinity)) return;
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
    } else if (CHECK_RULES.has(keyword) || keyword === "stats") {
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
    } else if (keyword === "errorfile") {
      if (!this.arity(keyword, args, 2, 2)) return;
      const [code, file] = args as [string, string];
      if (isReservedName(code)) return this.error(`invalid errorfile status '${code}'`);
      // A later line for the same code replaces the earlier one, as in HAProxy.
      const files = (raw.errorfile ??= {}) as Record<string, string>;
      files[code] = file;
      this.mark([...base, "errorfile"]);
      this.mark([...base, "errorfile", code]);
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
    } else if (keyword === "ssl-default-bind-options") {
      if (!this.arity(keyword, args, 1, Infinity)) return;
      raw[keyword] = args.join(" ");
      this.mark([...base, keyword]);
    } else if (keyword === "bind") {
      if (!this.arity(keyword, args, 1, Infinity)) return;
      this.bind(base, args);
    } else if (keyword === "server") {
      if (!this.arity(keyword, args, 2, Infinity)) return;
      this.server(base, args);
    } else {
      this.error(`keyword '${keyword}' is not supported yet`);
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
    // With options, the entry is a mapping, as YAML writes it: { address, ssl, crt, ... }.
    let entry: string | Record<string, unknown> = list;
    if (i < args.length) {
      const options = this.bindOptions(list, args.slice(i));
      // A bad option is reported; the address still counts (no second "no bind" error).
      if (options !== undefined) entry = options;
    }
    const raw = this.node(base);
    const binds = (raw.bind ??= []) as unknown[];
    this.mark([...base, "bind"]);
    this.mark([...base, "bind", binds.length]);
    binds.push(entry);
  }

  /** `ssl crt a.pem alpn h2 ...` → { address, ssl: true, crt: ["a.pem"], alpn: "h2" }, or undefined after an error. */
  private bindOptions(address: string, args: string[]): Record<string, unknown> | undefined {
    const options: Record<string, unknown> = { address };
    for (let i = 0; i < args.length; i++) {
      const option = args[i]!;
      if (BIND_FLAGS.has(option)) {
        options[option] = true;
      } else if (Object.hasOwn(BIND_VALUES, option)) {
        const value = args[++i];
        if (value === undefined) {
          this.error(`missing argument for bind option '${option}' (usage: ${option} ${BIND_VALUES[option]})`);
          return undefined;
        }
        if (BIND_REPEATED.has(option)) ((options[option] ??= []) as string[]).push(value);
        else options[option] = value;
      } else {
        this.error(
          `bind option '${option}' is not supported yet (supported: ${[...BIND_FLAGS, ...Object.keys(BIND_VALUES)].join(", ")})`,
        );
        return undefined;
      }
    }
    return options;
  }

  private server(base: PathSeg[], args: string[]): void {
    const [name, address, ...options] = args as [string, string, ...string[]];
    const context = [...(this.section?.context ?? []), `server '${name}'`];
    if (isReservedName(name)) return this.error(`'${name}' cannot be used as a name`, context);
    const entry: Record<string, unknown> = { name, address };
    for (let i = 0; i < options.length; i++) {
      const option = options[i]!;
      if (SERVER_FLAGS.has(option)) {
        entry[option] = true;
      } else if (Object.hasOwn(SERVER_VALUES, option)) {
        const value = options[++i];
        if (value === undefined) {
          return this.error(
            `missing argument for '${option}' (usage: ${option} ${SERVER_VALUES[option]})`,
            context,
          );
        }
        entry[option] = value;
      } else {
        return this.error(
          `option '${option}' is not supported yet (supported: ${SERVER_OPTIONS.join(", ")})`,
          context,
        );
      }
    }
    const raw = this.node(base);
    const servers = (raw.servers ??= []) as unknown[];
    const path = [...base, "servers", servers.length];
    this.mark([...base, "servers"]);
    this.mark(path);
    for (const key of Object.keys(entry)) this.mark([...path, key]);
    servers.push(entry);
  }
}
