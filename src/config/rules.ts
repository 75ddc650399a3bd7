// Rule lines → compiled rules (issue 15), once the whole configuration is
// read: ACLs gathered per proxy (a condition may name one written further
// down), then every rule compiled for its stage. Every problem is reported,
// each with its file:line, the proxy and the keyword; a proxy with errors
// gets no rules (the load fails anyway).
import { declaredCaptures } from "./capture-declare.ts";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { aclRefs, compileCondition, methodPatternSurprise, type ParsedAcl, parseAcl } from "../rules/acl.ts";
import { compileBalanceHash } from "./balance-hash.ts";
import { compileHttpAction } from "../rules/actions/index.ts";
import type { ActionContext } from "../rules/actions/types.ts";
import { compileExpr } from "../rules/expr.ts";
import { compileFormatString } from "../rules/log-format.ts";
import type { BackendSwitch, CookieCapture, HeaderCapture, Monitor, ProxyRules, ServerSwitch, StatsRules, StickRule } from "../rules/rule-set.ts";
import { errorReply } from "../rules/actions/replies.ts";
import { freezeReply } from "../rules/actions/common.ts";
import { RULE_KEYWORDS } from "./schema-rules.ts";
import { type Action, type CompileEnv, type Condition, type SampleFn, Stage, type StageBit, type Txn } from "../rules/types.ts";
import { LOG_STAGE, logFormatSamples } from "./log-format.ts";
import { ConfigError } from "./errors.ts";
import { parseDuration } from "./duration.ts";
import { compileTcpAction } from "../rules/tcp-actions.ts";
import { EXPECT_PROXY_BEFORE_TLS } from "./schema-proxy-protocol.ts";
import type { Draft, DraftBackend } from "./build.ts";
import { compileServerSni } from "./server-sni.ts";
import type { Origin, RuleLine, RuleLines, StatsListenerConfig, UserlistConfig } from "./types.ts";
import { STATS_DEFAULTS } from "./schema-stats.ts";
import { Userlist } from "../rules/auth/userlist.ts";
import type { HttpErrorsPages } from "./schema-http-errors.ts";
import { compileErrorPage } from "./error-page-format.ts";
import { readErrorFile } from "./errorfile.ts";
import { DEFAULT_BUFSIZE, tooLargeProblem } from "./errorfile-size.ts";
import { HttpCache } from "../rules/cache/store.ts";
import type { CacheConfig } from "./types-filters.ts";
import { MapRegistry } from "../rules/match/map-ref.ts";
import type { StickTableSpec } from "../stick/types.ts";
import { compileStickLines } from "./stick-rules.ts";

/** `capture cookie … len N` keeps at most this many characters (HAProxy truncates to 63, with a warning). */
const MAX_COOKIE_CAPTURE = 63;

type HttpSet = "http-request" | "http-response" | "http-after-response";
const BYTE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** HAProxy's size format (parse_size_err): an integer, then k, m or g as powers of 1024. */
function parseByteSize(text: string): number | string {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (m === null) return `invalid size '${text}' (expected an integer, optionally followed by k, m or g)`;
  const n = Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!;
  return n > 2 ** 32 - 1 ? `size '${text}' is too large (at most 4294967295)` : n;
}

const STAGE_OF: Record<HttpSet, StageBit> = {
  "http-request": Stage.httpRequest,
  "http-response": Stage.httpResponse,
  "http-after-response": Stage.httpAfterResponse,
};

interface ProxyFacts {
  kind: string;
  name: string;
  mode: "tcp" | "http";
  origin: Origin;
  lines: RuleLines;
  /** Frontends and listens in mode http: their `monitor-uri`. */
  monitorUri?: string;
  /** Backends: their servers' names (use-server). */
  servers?: readonly string[];
  /** Frontends with an `ssl` bind: `expect-proxy` cannot come before their handshake (schema-proxy-protocol.ts). */
  sslBinds?: true;
  /** HTTP frontends: the `%[expr]` of their log-format, compiled for the log line (logSamples). */
  logSamples?: readonly string[];
  /** The page HAProxy's stats applet serves in this proxy (issue 19): its uri and `stats http-request` lines. */
  statsPage?: StatsListenerConfig;
  errorFile(status: number): Uint8Array | undefined;
  errorFormat(status: number): ((t: Txn) => Uint8Array) | undefined;
}

/** Compiles every proxy's rule lines into its config (`rules`); problems go to `errors`. */
/** `maps` collects the map files the rules read (one MapRef per file, shared: the runtime API changes them). */
/** `peerTables`: the tables of peers sections, named "<section>/<table>" (track-sc's `table` may name them); `cacheConfigs`: the cache sections by name; `httpErrorsSections`: the http-errors sections' pages by name; `warnings`: what HAProxy accepts with a warning. */
export function compileAllRules(draft: Draft, errors: ConfigError[], userlistConfigs?: Record<string, UserlistConfig>, maps = new MapRegistry(), peerTables: StickTableSpec[] = [], cacheConfigs?: Record<string, CacheConfig>, httpErrorsSections: Readonly<Record<string, HttpErrorsPages>> = {}, warnings: ConfigError[] = []): void {
  // The backends by name, with their modes (an http frontend cannot switch to a tcp one).
  const backends: ReadonlyMap<string, string> = new Map(draft.backends.map((b) => [b.config.name, b.config.mode]));
  // Stick tables by proxy name (HAProxy: `table NAME` names the proxy that declares it).
  const specs = new Map<string, { spec: StickTableSpec; set(spec: StickTableSpec): void }>();
  for (const f of draft.frontends) {
    const c = f.config;
    if (c.stickTable !== undefined) specs.set(c.name, { spec: c.stickTable, set: (s) => (c.stickTable = s) });
  }
  for (const b of draft.backends) {
    const c = b.config;
    if (c.stickTable !== undefined) specs.set(c.name, { spec: c.stickTable, set: (s) => (c.stickTable = s) });
  }
  peerTables.forEach((spec, i) => specs.set(spec.name, { spec, set: (s) => (peerTables[i] = s) }));
  const tables = { has: (name: string) => specs.has(name), written: new Set<string>() };
  // One Userlist per section, shared by every proxy (its cache of verified credentials too).
  const userlists = new Map<string, Userlist>();
  const userlist = (name: string): Userlist | undefined => {
    let list = userlists.get(name);
    const config = userlistConfigs?.[name];
    if (list === undefined && config !== undefined) userlists.set(name, (list = new Userlist(config)));
    return list;
  };
  // One store per cache section, shared by every proxy that names it.
  const caches = new Map<string, HttpCache>();
  const cache = (name: string): HttpCache | undefined => {
    const config = cacheConfigs?.[name];
    if (!caches.has(name) && config !== undefined) caches.set(name, new HttpCache(config));
    return caches.get(name);
  };
  const httpErrors = (name: string) => (Object.hasOwn(httpErrorsSections, name) ? httpErrorsSections[name] : undefined);
  const bufsize = draft.global.bufsize;
  const shared = { userlist, cache, httpErrors, bufsize };
  compileErrorPages(draft, errors, (p) => proxyEnv({ name: p.name, origin: p.origin }, backends, shared, tables, maps));
  // What a backend needs from the stream's transaction: a page built per transaction (its errors'
  // formats), a server's `sni <expression>` and `balance hash <expr>` (read when it connects), a stats page.
  const needsTxn = (b: (typeof draft.backends)[number], mode: string): boolean =>
    b.config.errorFormats !== undefined ||
    b.config.balance.algorithm === "hash" ||
    b.config.servers.some((server) => server.ssl?.sniExpr !== undefined) ||
    (mode === "http" && b.config.statsPage !== undefined);
  for (const b of draft.backends) {
    const env = () => proxyEnv({ name: b.config.name, origin: b.config.origin }, backends, shared, tables, maps);
    if (b.config.servers.some((server) => server.ssl?.sniExpr !== undefined)) compileServerSnis(b, env(), errors);
    const balance = b.config.balance;
    if (balance.algorithm === "hash") {
      const stage = b.config.mode === "tcp" ? Stage.tcpContent : Stage.httpRequest;
      const keyOf = compileBalanceHash(balance.expression, stage, env());
      if (typeof keyOf === "string") errors.push(new ConfigError(b.config.origin, [`${b.named.kind} '${b.config.name}'`, "balance"], `hash '${balance.expression}': ${keyOf}`));
      else b.config.balance = { ...balance, keyOf: keyOf as (txn: unknown) => string | undefined };
    }
  }
  for (const f of draft.frontends) {
    // HAProxy ignores monitor-uri outside mode http (validate.ts warns).
    const monitorUri = f.config.mode === "http" ? f.config.monitorUri : undefined;
    // %[expr] in a log line reads the stream's transaction: such a frontend builds one, rules or not (mode tcp too).
    const logSamples = f.config.logFormat !== undefined ? logFormatSamples(f.config.logFormat) : [];
    const statsPage = f.config.statsPage;
    // A backend's stats page is reached through the request stage of rules, as a monitor-uri or a frontend's own page is;
    // a backend that reads the transaction needs one too. Without rules, a frontend reaches its default backend only
    // (a listen, itself): frontends that cannot reach such a backend build no transaction for it.
    const reached = draft.backends.filter((b) => b.named === f.named || b.config.name === f.config.defaultBackend);
    const needsStage = monitorUri !== undefined || logSamples.length > 0 || statsPage !== undefined || reached.some((b) => needsTxn(b, f.config.mode)) || f.config.errorFormats !== undefined;
    const lines = f.config.ruleLines ?? (needsStage ? noRuleLines() : undefined);
    if (lines === undefined) continue;
    const files = f.config.errorFiles;
    const formats = f.config.errorFormats;
    // A listen is one proxy: its backend half runs the same rules (use-server, stick), never twice.
    const own = f.named.kind === "listen" ? draft.backends.find((b) => b.named === f.named) : undefined;
    const servers = own?.config.servers.map((s) => s.name);
    const rules = compileProxy(
      {
        kind: f.named.kind,
        name: f.config.name,
        mode: f.config.mode,
        origin: f.config.origin,
        lines,
        errorFile: (s) => files[s],
        errorFormat: (s) => formats?.[s]?.build,
        ...(servers === undefined ? {} : { servers }),
        ...(monitorUri === undefined ? {} : { monitorUri }),
        ...(statsPage === undefined ? {} : { statsPage }),
        ...(f.config.binds.some((b) => b.ssl !== undefined) ? { sslBinds: true as const } : {}),
        ...(logSamples.length === 0 ? {} : { logSamples }),
      },
      backends,
      errors,
      shared,
      tables,
      maps,
      warnings,
    );
    if (rules === undefined) continue;
    f.config.rules = rules.rules;
    if (rules.logSamples !== undefined) f.config.logSamples = rules.logSamples;
    if (own !== undefined) {
      own.config.rules = rules.rules;
      if (rules.stick.length > 0) own.config.stickRules = rules.stick;
    }
  }
  for (const b of draft.backends) {
    const statsPage = b.config.statsPage;
    // `balance hash` reads the stream's transaction: a backend reached by a mode tcp frontend's upgrade builds its own.
    const needsStage = statsPage !== undefined || b.config.balance.algorithm === "hash";
    const lines = b.config.ruleLines ?? (needsStage ? noRuleLines() : undefined);
    if (lines === undefined) continue;
    const files = b.config.errorFiles;
    const formats = b.config.errorFormats;
    const rules = compileProxy(
      {
        kind: b.named.kind,
        name: b.config.name,
        mode: b.config.mode,
        origin: b.config.origin,
        lines,
        servers: b.config.servers.map((s) => s.name),
        errorFile: (s) => files[s],
        errorFormat: (s) => formats?.[s]?.build,
        ...(statsPage === undefined ? {} : { statsPage }),
      },
      backends,
      errors,
      shared,
      tables,
      maps,
      warnings,
    );
    if (rules === undefined) continue;
    b.config.rules = rules.rules;
    if (rules.stick.length > 0) b.config.stickRules = rules.stick;
  }
  maps.number();
  // A table that stick rules write stores server_id, as HAProxy adds it.
  for (const name of tables.written) {
    const t = specs.get(name);
    if (t !== undefined && !t.spec.store.some((c) => c.counter === "server_id")) {
      t.set({ ...t.spec, store: [...t.spec.store, { counter: "server_id" }] });
    }
  }
}

interface TableNames {
  has(name: string): boolean;
  /** Tables `stick` lines read and write. */
  readonly written: Set<string>;
}

/** What a proxy's expressions are compiled with: its files (relative to its config file), tables, backends and maps. */
function proxyEnv(
  p: Pick<ProxyFacts, "name" | "origin">,
  backends: ReadonlyMap<string, string>,
  shared: Pick<CompileEnv, "userlist" | "cache" | "httpErrors" | "bufsize">,
  tables: TableNames,
  maps: MapRegistry,
  at: { line?: number } = {},
): CompileEnv {
  const base = p.origin.file === undefined ? "." : dirname(p.origin.file);
  const resolve = (path: string) => (isAbsolute(path) ? path : join(base, path));
  const where = () => `file '${p.origin.file ?? ""}'${at.line === undefined ? "" : ` line ${at.line}`}`;
  // The position of what is compiled in the configuration: files in the order first seen, then lines.
  const position = () => maps.fileRank(p.origin.file ?? "") * 10_000_000 + (at.line ?? p.origin.line ?? 0);
  return {
    readFile: (path) => readFileSync(resolve(path), "utf8"),
    readBytes: (path) => new Uint8Array(readFileSync(resolve(path))),
    errorFilePage: (path, status) => {
      const r = readErrorFile(status, resolve(path));
      if (!r.ok) return `'${path}': ${r.error}`;
      return tooLargeProblem(r.response, shared.bufsize ?? DEFAULT_BUFSIZE)?.replace(/^/, `'${path}': `) ?? r.response;
    },
    ...shared,
    hasTable: (name) => tables.has(name),
    ownTable: tables.has(p.name) ? p.name : undefined,
    hasBackend: (name) => backends.has(name),
    mapRef: (file, parse, kind = "map", label = kind) =>
      maps.ref(file, resolve(file), label === "" ? "" : `${label} at ${where()}`, () => {
        let text: string;
        try {
          text = readFileSync(resolve(file), "utf8");
        } catch (e) {
          return `cannot read ${kind === "map" ? "map" : "pattern"} file '${file}': ${(e as Error).message}`;
        }
        return parse(text);
      }, kind, position()),
    inlineRef: (what, values) => maps.inline(`${what} ${where()}`, values, position()),
    where,
    position,
  };
}

/** The `http-error` pages built per transaction (error-page-format.ts); a page shared through defaults is compiled once. */
function compileErrorPages(draft: Draft, errors: ConfigError[], envOf: (p: { name: string; origin: Origin }) => CompileEnv): void {
  for (const { config, named } of [...draft.frontends, ...draft.backends]) {
    for (const format of Object.values(config.errorFormats ?? {})) {
      if (format.build !== undefined) continue;
      const build = compileErrorPage(format, envOf(config));
      if (typeof build === "string") errors.push(new ConfigError(format.origin, [`${named.kind} '${config.name}'`], `http-error status ${format.code}: ${build}`));
      else format.build = build;
    }
  }
}

/** `server ... sni <expression>`: compiled into each server's `sniOf`, at the stage its backend's streams connect from. */
function compileServerSnis(b: DraftBackend, env: CompileEnv, errors: ConfigError[]): void {
  const stage = b.config.mode === "tcp" ? Stage.tcpContent : Stage.httpRequest;
  for (const server of b.config.servers) {
    const text = server.ssl?.sniExpr;
    if (text === undefined) continue;
    const sni = compileServerSni(text, stage, env);
    if (typeof sni === "string") errors.push(new ConfigError(server.origin, [`${b.named.kind} '${b.config.name}'`, `server '${server.name}'`], `sni '${text}': ${sni}`));
    else server.sniOf = sni;
  }
}

function compileProxy(
  p: ProxyFacts,
  backends: ReadonlyMap<string, string>,
  errors: ConfigError[],
  shared: Pick<CompileEnv, "userlist" | "cache" | "httpErrors" | "bufsize">,
  tables: TableNames,
  maps: MapRegistry,
  warnings: ConfigError[],
): { rules: ProxyRules; stick: StickRule[]; logSamples?: ReadonlyMap<string, SampleFn> } | undefined {
  const before = errors.length;
  const where = `${p.kind} '${p.name}'`;
  const fail = (line: RuleLine, keyword: string, detail: string) => errors.push(new ConfigError(line.origin, [where, keyword], detail));
  // The line being compiled, for the descriptions of the pattern references it makes (`show acl`).
  const at: { line?: number } = {};
  const env = proxyEnv(p, backends, shared, tables, maps, at);

  const acls = new Map<string, ParsedAcl[]>();
  for (const line of p.lines.acl) {
    const [name, ...rest] = line.words;
    if (name === undefined || rest.length === 0) {
      fail(line, "acl", "expected a name and a fetch (usage: acl <name> <fetch>[,<converter>...] [flags] [<operator>] [<value>...])");
      continue;
    }
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
      fail(line, "acl", `invalid ACL name '${name}' (letters, digits, '-', '_', '.' and ':' only)`);
      continue;
    }
    const parsed = parseAcl(rest);
    if (typeof parsed === "string") fail(line, `acl ${name}`, parsed);
    else {
      const list = acls.get(name);
      if (list === undefined) acls.set(name, [parsed]);
      else list.push(parsed);
      // Its references now, in the configuration's order (HAProxy's ids); a file that cannot be read fails its use.
      at.line = line.origin.line;
      aclRefs(parsed, env);
      const surprise = methodPatternSurprise(parsed);
      if (surprise !== undefined) warnings.push(new ConfigError(line.origin, [where, `acl ${name}`], surprise));
    }
  }
  at.line = undefined;

  // `capture request|response header` lines take the first slots, in order, before any `http-request capture ... len`.
  const requestHeaderCaptures: HeaderCapture[] = [];
  const responseHeaderCaptures: HeaderCapture[] = [];
  let cookieCapture: CookieCapture | undefined;
  for (const line of p.lines.capture) {
    if (line.words[0] === "cookie") {
      // `capture cookie NAME len N`: the log's %CC / %CS; a later line replaces it, as HAProxy's does.
      const [, name, len, length, ...extra] = line.words;
      if (name === undefined || len !== "len" || length === undefined || extra.length > 0) {
        fail(line, "capture", "expected 'capture cookie <name> len <length>'");
      } else if (!/^\d+$/.test(length)) {
        fail(line, "capture", `invalid length '${length}' (expected a number of characters)`);
      } else {
        const n = Number(length);
        if (n > MAX_COOKIE_CAPTURE) warnings.push(new ConfigError(line.origin, [where, "capture"], `truncating capture length to ${MAX_COOKIE_CAPTURE} bytes for ${p.kind} '${p.name}'.`));
        cookieCapture = { name, length: Math.min(n, MAX_COOKIE_CAPTURE) };
      }
      continue;
    }
    const [direction, header, name, len, length, ...extra] = line.words;
    const n = Number(length);
    if ((direction !== "request" && direction !== "response") || header !== "header" || name === undefined || len !== "len" || extra.length > 0) {
      fail(line, "capture", "expected 'capture request|response header <name> len <length>' or 'capture cookie <name> len <length>'");
    } else if (!/^\d+$/.test(length ?? "") || n < 1 || n > 65535) {
      fail(line, "capture", `invalid length '${length ?? ""}' (expected 1-65535)`);
    } else {
      (direction === "request" ? requestHeaderCaptures : responseHeaderCaptures).push({ name: name.toLowerCase(), length: n });
    }
  }
  // `declare capture` slots come next (capture-declare.ts), then `http-request capture ... len` ones.
  const declared = declaredCaptures(p.lines, fail);
  const captureLengths: number[] = [...requestHeaderCaptures.map((c) => c.length), ...declared.request];
  const responseLengths: number[] = [...responseHeaderCaptures.map((c) => c.length), ...declared.response];

  const contextFor = (stage: StageBit): ActionContext => ({
    condition: (words) => compileCondition(words, acls, stage, env),
    format: (text) => compileFormatString(text, stage, env),
    expr: (text) => {
      const e = compileExpr(text, stage, env);
      return typeof e === "string" ? e : e.one;
    },
    env,
    errorFile: p.errorFile,
    errorFormat: p.errorFormat,
    // The entry is found (or made) per request by the transaction, which owns its reference.
    track: (slot, key, table) => (t) => {
      const k = key(t);
      if (k !== undefined) t.track?.(slot, table, k);
    },
    proxy: p.name,
    backendCapable: p.kind !== "frontend",
    // `http-request capture ... len N` declares request slots after the header captures; `capture ... id N` names a declared one.
    declareCapture: (length) => captureLengths.push(length) - 1,
    captureLength: (direction, id) => (direction === "request" ? captureLengths[id] : responseLengths[id]),
    duration: (text) => {
      const d = parseDuration(text);
      return d.ok ? d.ms : d.error;
    },
    size: parseByteSize,
  });

  const sets: Record<HttpSet, Action[]> = { "http-request": [], "http-response": [], "http-after-response": [] };
  for (const set of ["http-request", "http-response", "http-after-response"] as const) {
    const ctx = contextFor(STAGE_OF[set]);
    for (const line of p.lines[set]) {
      at.line = line.origin.line;
      // What HAProxy accepts with a warning (a reply's content-type or hdr it ignores), at the line.
      const warn = (message: string) => warnings.push(new ConfigError(line.origin, [where, set], message));
      const action = compileHttpAction(set, line.words, { ...ctx, warn });
      if (typeof action === "string") fail(line, set, action);
      else sets[set].push(action);
    }
  }
  at.line = undefined;
  // `redirect` lines run after the http-request rules, as in HAProxy (see runRequestRules).
  const requestCtx = contextFor(Stage.httpRequest);
  const redirects: Action[] = [];
  for (const line of p.lines.redirect) {
    const action = compileHttpAction("http-request", ["redirect", ...line.words], requestCtx);
    if (typeof action === "string") fail(line, "redirect", action);
    else redirects.push(action);
  }

  // In mode tcp a frontend switches once per connection, on its first bytes (req.ssl_sni...).
  const switchStage = p.mode === "tcp" ? Stage.tcpContent : Stage.httpRequest;
  const useBackend: BackendSwitch[] = [];
  for (const line of p.lines.use_backend) {
    at.line = line.origin.line;
    const [target = "", ...rest] = line.words;
    const when = conditionOf(rest, (words) => compileCondition(words, acls, switchStage, env));
    if (typeof when === "string") {
      fail(line, "use_backend", when);
      continue;
    }
    if (target.includes("%[")) {
      const dynamic = compileFormatString(target, switchStage, env);
      if (typeof dynamic === "string") fail(line, "use_backend", dynamic);
      else useBackend.push({ name: undefined, dynamic, when });
    } else if (!backends.has(target)) {
      fail(line, "use_backend", `backend '${target}' is not defined (no backend or listen has that name)`);
    } else if (p.mode === "http" && backends.get(target) === "tcp") {
      // HAProxy refuses it too ("tries to use incompatible tcp backend"); a tcp frontend may use an http backend.
      fail(line, "use_backend", `backend '${target}' is in tcp mode but this ${p.kind} is in http mode (an http frontend cannot use a tcp backend; a tcp frontend may use an http one)`);
    } else {
      useBackend.push({ name: target, dynamic: undefined, when });
    }
  }

  at.line = undefined;

  const useServer: ServerSwitch[] = [];
  for (const line of p.lines["use-server"]) {
    const [server = "", ...rest] = line.words;
    const when = conditionOf(rest, (words) => compileCondition(words, acls, Stage.httpRequest, env));
    if (typeof when === "string") fail(line, "use-server", when);
    else if (p.servers !== undefined && !p.servers.includes(server)) fail(line, "use-server", `no server '${server}' in this backend`);
    else useServer.push({ server, when });
  }

  const tcp = compileTcpLines(p, contextFor, fail);
  const persist = { forcePersist: [] as Condition[], ignorePersist: [] as Condition[] };
  for (const keyword of ["force-persist", "ignore-persist"] as const) {
    for (const line of p.lines[keyword]) {
      const c = line.words[0] === "if" || line.words[0] === "unless"
        ? compileCondition(line.words, acls, Stage.httpRequest, env)
        : `expected 'if' or 'unless' and a condition (usage: ${keyword} if|unless <condition>)`;
      if (typeof c === "string") fail(line, keyword, c);
      else persist[keyword === "force-persist" ? "forcePersist" : "ignorePersist"].push(c);
    }
  }
  const monitor = compileMonitor(p, requestCtx, fail);
  const stats = compileStatsRules(p, requestCtx, fail);
  const stickCondition = (words: readonly string[]) => compileCondition(words, acls, Stage.httpRequest, env);
  const stick = compileStickLines(p.lines.stick, env, stickCondition, (line, detail) => fail(line, "stick", detail), tables.written);
  // Each %[expr] of the log-format (its names were checked where it was written: config/log-format.ts).
  let logSamples: Map<string, SampleFn> | undefined;
  for (const expr of p.logSamples ?? []) {
    const compiled = compileExpr(expr, LOG_STAGE, env);
    if (typeof compiled === "string") errors.push(new ConfigError(p.origin, [where, "log-format"], `%[${expr}]: ${compiled}`));
    else (logSamples ??= new Map()).set(expr, compiled.one);
  }

  if (errors.length !== before) return undefined;
  const rules: ProxyRules = {
    httpRequest: sets["http-request"],
    redirects,
    httpResponse: sets["http-response"],
    httpAfterResponse: sets["http-after-response"],
    useBackend,
    useServer,
    captures: [],
    ...tcp,
    ...persist,
    requestHeaderCaptures,
    responseHeaderCaptures,
    ...(cookieCapture === undefined ? {} : { cookieCapture }),
    requestCaptureSlots: captureLengths.length,
    responseCaptureSlots: responseLengths.length,
    ...(p.lines["http-request"].some((line) => line.words[0] === "wait-for-body") ? { waitsForBody: true } : {}),
    ...(monitor === undefined ? {} : { monitor }),
    ...(stats === undefined ? {} : { stats }),
  };
  return { rules, stick, ...(logSamples === undefined ? {} : { logSamples }) };
}

/**
 * The stats page's uri and its `stats http-request` rules (allow, deny, auth:
 * HAProxy's), compiled as http-request rules of the proxy (its ACLs and
 * userlists). `auth` without a realm asks for HAProxy's stats realm, as
 * HAProxy does on its stats applet.
 */
function compileStatsRules(p: ProxyFacts, ctx: ActionContext, fail: (line: RuleLine, keyword: string, detail: string) => void): StatsRules | undefined {
  const page = p.statsPage;
  if (page === undefined) return undefined;
  const request: Action[] = [];
  for (const line of page.requestRules ?? []) {
    const words = line.words[0] === "auth" && line.words[1] !== "realm" ? ["auth", "realm", STATS_DEFAULTS.realm, ...line.words.slice(1)] : line.words;
    const action = compileHttpAction("http-request", words, ctx);
    if (typeof action === "string") fail(line, "stats http-request", action);
    else request.push(action);
  }
  return { uri: page.uri ?? STATS_DEFAULTS.uri, request };
}

/** `tcp-request connection|session|content ACTION...` and `tcp-request inspect-delay TIME` lines. */
function compileTcpLines(
  p: ProxyFacts,
  contextFor: (stage: StageBit) => ActionContext,
  fail: (line: RuleLine, keyword: string, detail: string) => void,
): { tcpConnection: Action[]; tcpSession: Action[]; tcpContent: Action[]; inspectDelay: number } {
  const out = { tcpConnection: [] as Action[], tcpSession: [] as Action[], tcpContent: [] as Action[], inspectDelay: 0 };
  for (const line of p.lines["tcp-request"]) {
    const [kind = "", ...rest] = line.words;
    if (kind === "inspect-delay") {
      if (rest.length !== 1) {
        fail(line, "tcp-request", "inspect-delay expects one time (usage: tcp-request inspect-delay <time>)");
        continue;
      }
      const d = parseDuration(rest[0]!);
      if (!d.ok) fail(line, "tcp-request inspect-delay", d.error);
      else out.inspectDelay = d.ms;
    } else if (kind === "connection") {
      // HAProxy: before any session exists, so a backend never has them.
      if (p.kind === "backend") {
        fail(line, "tcp-request", "'tcp-request connection' is not allowed in a backend section (frontend and listen only)");
        continue;
      }
      if (rest[0] === "expect-proxy" && p.sslBinds === true) {
        fail(line, "tcp-request connection", `expect-proxy in a section with an 'ssl' bind is not supported: ${EXPECT_PROXY_BEFORE_TLS}`);
        continue;
      }
      const action = compileTcpAction("connection", rest, contextFor(Stage.tcpConnection));
      if (typeof action === "string") fail(line, "tcp-request connection", action);
      else out.tcpConnection.push(action);
    } else if (kind === "content") {
      // In a backend they run when a stream enters it, after the frontend's rules and use_backend (HAProxy's AN_REQ_INSPECT_BE).
      const action = compileTcpAction("content", rest, contextFor(Stage.tcpContent));
      if (typeof action === "string") fail(line, "tcp-request content", action);
      else out.tcpContent.push(action);
    } else if (kind === "session") {
      // HAProxy: once the session exists, before any stream: a frontend's, not a backend's.
      if (p.kind === "backend") {
        fail(line, "tcp-request", "'tcp-request session' is not allowed in a backend section (frontend and listen only)");
        continue;
      }
      const action = compileTcpAction("session", rest, contextFor(Stage.tcpSession));
      if (typeof action === "string") fail(line, "tcp-request session", action);
      else out.tcpSession.push(action);
    } else {
      fail(line, "tcp-request", `unknown rule set '${kind}' (expected connection, session, content or inspect-delay)`);
    }
  }
  return out;
}

/** The words after a target: nothing, or `if|unless <condition>`. */
function conditionOf<C>(rest: readonly string[], compile: (words: readonly string[]) => C | string): C | undefined | string {
  if (rest.length === 0) return undefined;
  if (rest[0] !== "if" && rest[0] !== "unless") return `unexpected '${rest[0]}' (expected 'if' or 'unless' and a condition)`;
  return compile(rest);
}

/** A proxy without rule lines (one with a monitor-uri only still gets its compiled rules). */
function noRuleLines(): RuleLines {
  return Object.fromEntries(RULE_KEYWORDS.map((k) => [k, []])) as unknown as RuleLines;
}

/** `monitor-uri` and its `monitor fail if|unless COND` lines (without a monitor-uri they do nothing, as in HAProxy). */
function compileMonitor(p: ProxyFacts, ctx: ActionContext, fail: (line: RuleLine, keyword: string, detail: string) => void): Monitor | undefined {
  const conditions: Condition[] = [];
  for (const line of p.lines.monitor) {
    const [verb, ...rest] = line.words;
    const c = verb === "fail" && (rest[0] === "if" || rest[0] === "unless")
      ? ctx.condition(rest)
      : "expected 'monitor fail if|unless <condition>'";
    if (typeof c === "string") fail(line, "monitor", c);
    else conditions.push(c);
  }
  if (p.monitorUri === undefined) return undefined;
  const ready = errorReply(ctx, 200);
  const failed = errorReply(ctx, 503);
  if (typeof ready === "string" || typeof failed === "string") {
    fail({ words: [], origin: p.origin }, "monitor-uri", typeof ready === "string" ? ready : failed as string);
    return undefined;
  }
  return { uri: p.monitorUri, fail: conditions, ready: freezeReply({ ...ready, local: true }), failed: freezeReply({ ...failed, local: true }) };
}
