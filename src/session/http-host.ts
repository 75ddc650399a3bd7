// What a frontend gives its HTTP sessions: limits, timeouts, connection modes,
// error pages, forwarding fields per backend, logging and counters.
import { UniqueIds } from "./unique-id.ts";
import type { FrontendConfig, HttpConnectionMode } from "../config/types.ts";
import type { Head, HeadLimits, ProtocolRefusal, RefusedBytes } from "../http/message.ts";
import type { RefusedAt } from "./refused-at.ts";
import type { Socket } from "../runtime/types.ts";
import type { Runtime, Timers } from "../runtime/types.ts";
import { ForwardingPlan } from "./forwarding.ts";
import type { HttpSessionHost } from "./http-session.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import type { CauseCode, PhaseCode } from "../stream/termination.ts";
import type { Services } from "../stream/types.ts";
import type { Ownership } from "../pool/ownership.ts";
import type { Backend } from "../backend/backend.ts";
import type { Clock } from "../runtime/clock.ts";
import type { EndedSession, HttpLogSubject } from "./log-subject.ts";
import type { RulesHost } from "./request-rules.ts";
import type { RulesWorld } from "./txn.ts";
import { type CookieCapture, NO_RULES, type ProxyRules } from "../rules/rule-set.ts";
import { TrafficCounters } from "../conn/counters.ts";
import { countHttpRequest } from "../stream/counting.ts";
import type { FilterSetup } from "../stream/response-filters.ts";
import type { TraceOutput } from "../stream/trace.ts";

/** What the request stage of rules needs beyond the frontend: the backends by name and the proxy around. */
export interface RulesContext {
  readonly backends: ReadonlyMap<string, Backend>;
  readonly world: RulesWorld;
  /** The proxy's applets (stats pages, the exporter), filled in once it runs. */
  readonly services: Services;
  /** The most request body bytes held for the rules (tune.bufsize − tune.maxrewrite); absent: tune.bufsize's default less its reserve. */
  readonly bodyRoom?: number;
}

/** HAProxy's rule: of the frontend's and the backend's modes, the more closing one applies. */
const CLOSING_RANK: Record<HttpConnectionMode, number> = { "keep-alive": 0, "server-close": 1, close: 2 };

export interface HttpLogSink {
  stream(subject: HttpLogSubject, stream: HttpStream | undefined, status: number, cause: CauseCode, phase: PhaseCode): void;
}


export class HttpHost implements HttpSessionHost {
  /** `option h1-case-adjust-bogus-client`: how responses to HTTP/1 clients name fields. */
  readonly caseAdjust: ReadonlyMap<string, string> | undefined;
  readonly name: string;
  readonly timeouts: HttpSessionHost["timeouts"];
  readonly errorFiles: Readonly<Record<number, Uint8Array>>;
  readonly errorFormats: FrontendConfig["errorFormats"];
  readonly clientKeepAlive: boolean;
  /** `option idle-close-on-response`: a soft stop leaves idle keep-alive connections to their next response. */
  readonly idleCloseOnResponse: boolean;
  /** `option http-ignore-probes`: a connection that never sent a byte leaves no answer, line or count. */
  readonly ignoreProbes: boolean;
  readonly maxSessionSrvConns: number;
  /** Requests and responses refused by the codec, by code. */
  readonly protocolErrors = new Map<string, number>();
  private readonly plans = new Map<Backend, ForwardingPlan>();
  readonly rulesHost: RulesHost | undefined;
  readonly filterSetup: FilterSetup | undefined;
  readonly contstats: TrafficCounters | undefined;
  /** `unique-id-format`: each request's id; undefined: none is made. */
  readonly uniqueIds: UniqueIds | undefined;
  /** `capture cookie`: what each stream keeps for %CC / %CS. */
  readonly cookieCapture: CookieCapture | undefined;

  constructor(
    private readonly config: FrontendConfig,
    readonly runtime: Pick<Runtime, "connect" | keyof Timers>,
    readonly clock: Clock,
    /** tune.bufsize and tune.http.maxhdr, from the global section. */
    readonly limits: HeadLimits,
    private readonly log: HttpLogSink,
    private readonly ended: (session: EndedSession) => void,
    readonly ownership: Ownership,
    rules?: RulesContext,
    /** The frontend's traffic counters (stats/ reads them). */
    readonly counters: TrafficCounters = new TrafficCounters(),
    /** Where trace filters write (stderr); without it, no stream gets filters. */
    trace?: TraceOutput,
  ) {
    this.filterSetup = trace === undefined ? undefined : { frontend: config, trace };
    if (config.caseAdjustNames !== undefined) this.caseAdjust = new Map(Object.entries(config.caseAdjustNames));
    this.cookieCapture = config.rules?.cookieCapture;
    this.uniqueIds = config.uniqueId === undefined ? undefined : new UniqueIds(config.uniqueId.format, config.uniqueId.header);
    this.maxSessionSrvConns = config.maxSessionSrvConns;
    this.name = config.name;
    this.timeouts = config.timeouts;
    this.errorFiles = config.errorFiles;
    this.errorFormats = config.errorFormats;
    this.clientKeepAlive = config.httpMode !== "close";
    this.idleCloseOnResponse = config.idleCloseOnResponse === true;
    this.ignoreProbes = config.logging?.ignoreProbes === true;
    this.contstats = config.contstats === true ? this.counters : undefined;
    this.rulesHost = rules === undefined ? undefined : rulesHostOf(config, rules);
  }

  /** true: keep-alive; "pretend": http-server-close with http-pretend-keepalive (closed after the answer, not announced). */
  serverKeepAlive(backend: Backend): boolean | "pretend" {
    const mode = CLOSING_RANK[this.config.httpMode] >= CLOSING_RANK[backend.httpMode] ? this.config.httpMode : backend.httpMode;
    if (mode === "keep-alive") return true;
    // HAProxy reads the option on the backend only (a frontend's line, allowed there, changes nothing).
    return mode === "server-close" && backend.config.pretendKeepAlive === true ? "pretend" : false;
  }

  /** No request rules yet (issue 15): every request goes to the default backend. */
  chooseBackend(_request: Head, defaultBackend: Backend): Backend {
    return defaultBackend;
  }

  forwarding(backend: Backend): ForwardingPlan {
    let plan = this.plans.get(backend);
    if (plan === undefined) {
      plan = new ForwardingPlan(this.config, backend.config);
      this.plans.set(backend, plan);
    }
    return plan;
  }

  logStream(subject: HttpLogSubject, stream: HttpStream | undefined, status: number, cause: CauseCode, phase: PhaseCode): void {
    const now = subject.now();
    countHttpRequest(this.counters, stream, status, cause, phase, now, now - subject.requestStart, subject.bytesIn, subject.httpVersion !== undefined, now - subject.accepted);
    // `http-request set-log-level silent`: this request leaves no line.
    if (stream?.ruled?.txn.logLevel === "silent") return;
    if (stream?.loggedEarly !== true) this.log.stream(subject, stream, status, cause, phase);
    // Every stream ends here, once logged: its stick entries (track-sc*) are let go after the log line read them.
    stream?.ruled?.txn.release?.(subject.bytesIn, stream.bytesToClient, subject);
  }

  logConnection(subject: HttpLogSubject, cause: CauseCode, phase: PhaseCode): void {
    this.log.stream(subject, undefined, 0, cause, phase);
  }

  /** `option logasap`: the line of a stream whose response head just left, with what is known then. */
  logEarly(subject: HttpLogSubject, stream: HttpStream): void {
    if (this.config.logging?.asap !== true || stream.ruled?.txn.logLevel === "silent") return;
    stream.loggedEarly = true;
    this.log.stream(subject, stream, stream.status, stream.cause, stream.phase);
  }

  sessionEnded(session: EndedSession): void {
    this.ended(session);
  }

  /**
   * A refused message: counted by code; one whose bytes the codec kept goes
   * to `onRefused` too (the frontend keeps it for `show errors`), with the
   * client and, for a response, the stream's backend and server.
   */
  countProtocolError(side: "request" | "response", error: ProtocolRefusal, client?: Socket, stream?: RefusedAt): void {
    const key = `${side}:${error.code}`;
    this.protocolErrors.set(key, (this.protocolErrors.get(key) ?? 0) + 1);
    if (error.capture !== undefined && client !== undefined) this.onRefused?.(side, error.capture, client, stream);
  }

  /** Where refused bytes go (the frontend sets it). */
  onRefused: ((side: "request" | "response", capture: RefusedBytes, client: Socket, stream: RefusedAt | undefined) => void) | undefined;
}

/** HAProxy's default buffer (16384) less its rewrite reserve (1024). */
const DEFAULT_BODY_ROOM = 15360;

/**
 * The request stage's host, or undefined when neither the frontend nor any
 * backend has rules or waits for request bodies (then no Txn is ever built).
 */
function rulesHostOf(config: FrontendConfig, ctx: RulesContext): RulesHost | undefined {
  const own = config.rules;
  const backendStage = [...ctx.backends.values()].some((b) => b.config.rules !== undefined || b.config.bufferRequest === true);
  if (own === undefined && !backendStage && config.bufferRequest !== true) return undefined;
  // Whether a request may wait for its body anywhere (else the stage runs in one go, as before waits existed).
  const mayWait = config.bufferRequest === true || own?.waitsForBody === true ||
    [...ctx.backends.values()].some((b) => b.config.bufferRequest === true || b.config.rules?.waitsForBody === true);
  const backends = ctx.backends;
  const host: RulesHost = {
    name: config.name,
    rules: own ?? NO_RULES,
    world: ctx.world,
    backendNamed: (n) => backends.get(n),
    tarpitTimeout: config.timeouts.tarpit ?? config.timeouts.connect,
    services: ctx.services,
    bodyRoom: ctx.bodyRoom ?? DEFAULT_BODY_ROOM,
    mayWait,
  };
  // HAProxy waits for the body with the proxy's `timeout http-request` (s->be->timeout.httpreq; none: the client's inactivity alone).
  if (config.bufferRequest === true) return { ...host, bufferRequest: Object.freeze({ timeMs: config.timeouts.httpRequest ?? 0, atLeast: 0 }) };
  return host;
}
