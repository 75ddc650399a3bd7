// Config → the proxy graph: backends with their servers and pools,
// frontends with what their sessions share, the one clock and the ownership
// API. A build and nothing else: no listener opens, no timer starts, no byte
// moves here (Proxy.start does that), so a reload can build the next graph
// beside the running one.
import { headRoom } from "../config/schema-tune.ts";
import { hostname } from "node:os";
import { rulesWorld } from "./rules-world.ts";
import { StickTables } from "./stick-tables.ts";
import { Backend } from "../backend/backend.ts";
import { ServerOps } from "../check/server-ops.ts";
import { HealthChecks } from "../check/checks.ts";
import { ServerResolutions } from "../check/resolution.ts";
import { proxyIds } from "../config/proxy-ids.ts";
import { type BackendConfig, BUILTIN, type Config, type FrontendConfig } from "../config/types.ts";
import { compileLogFormat, type LogFormatter } from "../log/format.ts";
import { TCPLOG_FORMAT } from "../log/tcp-log.ts";
import { CLF_HTTPLOG_FORMAT } from "../log/http-log.ts";
import { TcpLogWriter } from "../session/tcp-log-writer.ts";
import type { HttpLogRecord } from "../log/http-log.ts";
import { toStr } from "../rules/sample.ts";
import type { SampleFn, Txn } from "../rules/types.ts";
import { createLogger, type Logger, type SinkPool } from "../log/sink.ts";
import { Ownership } from "../pool/ownership.ts";
import type { PoolTimers } from "../pool/server-pool.ts";
import { Clock } from "../runtime/clock.ts";
import type { Runtime } from "../runtime/types.ts";
import type { HttpLogSink } from "../session/http-host.ts";
import type { Services } from "../stream/types.ts";
import { type ConnectionCounts, HttpLogWriter } from "../session/http-log-writer.ts";
import { type AcceptGate, Frontend } from "./frontend.ts";
import { Cause } from "../stream/termination.ts";
import { env as processEnv } from "node:process";
import { withChanges } from "../config/schema-env.ts";

export interface ProxyGraph {
  /** One clock for every session: a queue slot freed by one session is granted to another in the same event. */
  readonly clock: Clock;
  /** Moves backend connections between sessions and pools, and checks every attach. */
  readonly ownership: Ownership;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly frontends: readonly Frontend[];
  /** Every server's active and passive checks (started with the proxy). */
  readonly checks: HealthChecks;
  /** Servers whose names the `resolvers` sections resolve again at run time (started with the proxy). */
  readonly resolutions: ServerResolutions;
  /** The proxies' stick tables and their purge timer (started with the proxy); undefined: none declared. */
  readonly stickTables: StickTables | undefined;
}

export interface GraphContext {
  readonly runtime: Runtime;
  /** Where every frontend's log lines go. */
  readonly pool: SinkPool;
  /** The process-wide limit (global maxconn) and connection count the frontends share. */
  readonly gate: AcceptGate & ConnectionCounts;
  /** An ownership violation throws (tests) instead of being logged, counted and its connection closed. */
  readonly strictOwnership: boolean;
  /** The applets the proxy serves in its traffic (stats pages, the exporter): filled in by whoever runs it. */
  readonly services: Services;
}

const SILENT_HTTP_LOG: HttpLogSink = { stream() {} };

export function buildGraph(config: Config, ctx: GraphContext): ProxyGraph {
  const { runtime, pool } = ctx;
  const clock = new Clock(() => runtime.now());
  const events = createLogger(config.global.logTargets, { pool });
  const ownership = new Ownership({ strict: ctx.strictOwnership, report: (v) => events.event(v.message) });
  // Backends and pools read the event's clock (a request reads it twice: the
  // server's session counters, the pool's estimate); their own timers are
  // events of their own and tick it first.
  const poolTimers: PoolTimers = {
    now: () => clock.now,
    setTimer: (fn, ms) =>
      runtime.setTimer(() => {
        clock.tick();
        fn();
      }, ms),
    clearTimer: (handle) => runtime.clearTimer(handle),
  };
  const backends = new Map<string, Backend>();
  const backendLoggers = new Map<string, Logger>();
  for (const b of config.backends) {
    const backend = new Backend(b, poolTimers, config.global.h2BackendMaxConcurrentStreams);
    // A backend's own logger: its `log` lines and log-tag name its servers' messages (HAProxy's).
    const messages = b.logTargets === undefined && b.logging?.tag === undefined
      ? events
      : createLogger(b.logTargets ?? config.global.logTargets, { pool, ...(b.logging?.tag === undefined ? {} : { tag: b.logging.tag }) });
    backendLoggers.set(b.name, messages);
    for (const s of backend.servers) s.report = (text, level, syslogText) => messages.event(text, level, syslogText);
    backends.set(b.name, backend);
  }
  const frontends: Frontend[] = [];
  const g = config.global;
  // A received HTTP/1 head may fill the buffer less its rewrite reserve (tune.maxrewrite), as in HAProxy.
  const limits = { maxHeadBytes: headRoom(g.bufsize, g.maxRewrite), maxFields: g.maxHeaderFields };
  // HTTP/2 towards clients: a header list is capped at tune.bufsize, as a head is.
  const h2 = {
    maxConcurrentStreams: g.h2FrontendMaxConcurrentStreams,
    headerTableSize: g.h2HeaderTableSize,
    initialWindowSize: g.h2InitialWindowSize,
    maxHeaderListSize: g.bufsize,
    maxFields: g.maxHeaderFields,
    threshold: g.h2FrontendGlitchesThreshold,
    controlFramesPerSec: g.h2FrontendMaxControlFramesPerSec,
  };
  const stickTables = StickTables.of(config, runtime, () => clock.tick());
  const rules = { backends, world: rulesWorld(backends, stickTables?.store, () => runtime.wallNow(), withChanges(processEnv, g.environment)), services: ctx.services, bodyRoom: headRoom(g.bufsize, g.maxRewrite) };
  // Trace filters write on stderr, as HAProxy's; only proxies that declare filters make them per request.
  const filtered = config.frontends.some((f) => f.filters !== undefined) || config.backends.some((b) => b.filters !== undefined);
  const trace = filtered ? { write: (line: string) => pool.stderr.write(line), wallNow: () => runtime.wallNow() } : undefined;
  for (const f of config.frontends) {
    let backend = f.defaultBackend === undefined ? undefined : backends.get(f.defaultBackend);
    // Rules but no default_backend: requests no use_backend takes get 503 from
    // an empty backend named after the frontend (HAProxy logs <NOSRV> the same way).
    if (backend === undefined && f.rules !== undefined) backend = new Backend(emptyBackend(f), poolTimers, config.global.h2BackendMaxConcurrentStreams);
    const logger = createLogger(f.logTargets, { pool, ...f.logging });
    const slots = { request: f.rules?.requestCaptureSlots ?? 0, response: f.rules?.responseCaptureSlots ?? 0 };
    let frontend: Frontend | undefined;
    const frontendCount = () => frontend?.current ?? 0;
    // One compiled format for the frontend's TCP streams and its HTTP requests (%lc counts both).
    const formatText = logFormatText(f);
    const format: LogFormatter | undefined = formatText === undefined ? undefined : compileLogFormat(formatText, {
      captures: { request: slots.request > 0, response: slots.response > 0 },
      sample: (expr) => logSample(f.logSamples?.get(expr)),
    });
    // A frontend that logs nothing (`no log`) does not even build its records.
    // A tcp frontend whose connections may reach an http backend (default_backend, use_backend) upgrades them there: it logs them as HTTP.
    const httpLog = f.mode !== "http" && !reachesHttp(f, config.backends)
      ? undefined
      : f.logTargets.length === 0
      ? SILENT_HTTP_LOG
      : new HttpLogWriter(logger, format, ctx.gate, frontendCount, slots, f.logging?.asap === true);
    // A mode tcp frontend's own format; without one, the tcplog line (written by hand, the same text as TCPLOG_FORMAT compiled).
    const tcpFormat = f.logFormat === undefined ? undefined : format;
    const tcpLog = new TcpLogWriter(logger, tcpFormat, ctx.gate, f.name, frontendCount, f.logging?.asap === true);
    frontend = new Frontend(f, backend, runtime, clock, ctx.gate, logger, tcpLog, httpLog && { log: httpLog, ownership, limits, h2, rules, trace }, { ...rules, maxInspectBytes: g.bufsize, ...(trace === undefined ? {} : { trace }) });
    frontends.push(frontend);
  }
  const checks = new HealthChecks(backends.values(), {
    runtime,
    log: (line, level, syslogLine, backend) => (backendLoggers.get(backend ?? "") ?? events).event(line, level, syslogLine),
    tick: () => clock.tick(),
    maxInFlight: g.maxChecksInFlight,
    ...(g.maxSpreadChecks === undefined ? {} : { maxSpread: g.maxSpreadChecks }),
    ...(g.spreadChecks === undefined ? {} : { spreadPercent: g.spreadChecks }),
    // on-marked-down / on-marked-up: the streams on the server, in every frontend, cut with HAProxy's D or U.
    shutdownStreams: (server, why) => frontends.reduce((n, f) => n + f.shutdownStreams(() => true, server, why === "down" ? Cause.down : Cause.up), 0),
    node: g.node ?? hostname(),
    proxyIds: proxyIds(config),
  });
  // Agents change what the runtime API changes (weights, maxconn, admin states), through the same operations.
  checks.agentOps = new ServerOps(backends, checks, () => clock.tick());
  const resolutions = new ServerResolutions(config.resolvers, backends.values(), {
    runtime,
    log: (line, level, syslogLine, backend) => (backendLoggers.get(backend ?? "") ?? events).event(line, level, syslogLine),
    tick: () => clock.tick(),
  });
  return { clock, ownership, backends, frontends, checks, resolutions, stickTables };
}

/**
 * The format of a frontend's lines, as HAProxy picks it: its `log-format`
 * (the last of `log-format`, `option tcplog`, `option httplog` in the section,
 * else its defaults', config/build.ts), `option tcplog`'s, or `option
 * httplog`'s in mode tcp (HAProxy falls back to tcplog, with a warning).
 * Undefined: the line of the stream's own mode, httplog or tcplog, hand-written.
 */
function logFormatText(f: FrontendConfig): string | undefined {
  if (f.logFormat !== undefined) return f.logFormat;
  if (f.log === "tcp" || (f.log !== undefined && f.mode === "tcp")) return TCPLOG_FORMAT;
  if (f.log === "clf") return CLF_HTTPLOG_FORMAT;
  return undefined;
}

/** A tcp frontend's default_backend or a use_backend target is in mode http (HAProxy's TCP to HTTP upgrade). */
function reachesHttp(f: FrontendConfig, backends: readonly BackendConfig[]): boolean {
  const http = new Set(backends.filter((b) => b.mode === "http").map((b) => b.name));
  if (f.defaultBackend !== undefined && http.has(f.defaultBackend)) return true;
  return (f.rules?.useBackend ?? []).some((rule) => rule.name === undefined || http.has(rule.name));
}

/** A backend without servers standing in for a frontend's missing default_backend. */
function emptyBackend(f: FrontendConfig): BackendConfig {
  return {
    name: f.name,
    mode: f.mode,
    balance: { ...BUILTIN.balance },
    servers: [],
    retries: 0,
    retryOn: [],
    timeouts: f.timeouts,
    httpMode: f.httpMode,
    errorFiles: f.errorFiles,
    ...(f.errorFormats === undefined ? {} : { errorFormats: f.errorFormats }),
    redispatch: false,
    redispatchInterval: BUILTIN.redispatchInterval,
    httpReuse: BUILTIN.httpReuse,
    healthCheck: { kind: "connect" },
    origin: f.origin,
  };
}

/** What a compiled `%[expr]` prints for a log record: its sample as text, read over the stream's transaction. */
function logSample(fn: SampleFn | undefined): (r: HttpLogRecord) => string | undefined {
  if (fn === undefined) return () => undefined;
  return (r) => {
    // The record carries the transaction the rules layer built for this stream (session/http-log-writer.ts).
    const txn = r.txn as Txn | undefined;
    if (txn === undefined) return undefined;
    const s = fn(txn);
    return s === undefined ? undefined : toStr(s);
  };
}
