// One server's active check: when it runs (inter while fully UP, fastinter
// while changing state, downinter while fully DOWN: HAProxy's
// srv_getinter), what each verdict does to the server's state, and what a
// change of state does to traffic: DOWN redispatches the streams waiting
// for it (or ends them when no server is left), closes its idle pooled
// connections and takes it out of the balancer; UP puts it back. Both are
// logged as HAProxy writes them.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { CheckResult, Transition } from "../backend/server-state.ts";
import type { HealthCheck as CheckSpec, OnError, ServerCheck } from "../config/types.ts";
import type { ClientTlsOptions, Runtime, TimerHandle } from "../runtime/types.ts";
import { httpCheckJudge, httpCheckRequest } from "./http-check.ts";
import type { Job, Limiter } from "./limiter.ts";
import { Probe, type ProbeTarget, type Step, type Verdict } from "./probe.ts";
import { externalCheckCall, ExternalRun, startFailureLine } from "./external-check.ts";
import { isPass, result } from "./status.ts";
import { protocolCheckScript } from "./protocol-check.ts";
import { serverStateValue } from "./send-state.ts";
import { tcpCheckScript } from "./tcp-check.ts";
import { LEVEL } from "../log/target.ts";
import type { Tracking } from "./tracking.ts";
import { checkLine, downLine, noServerLine, noServerSyslogLine, serverWord, stoppingLine, survivors, upLine } from "./transition-log.ts";

/** What every check of a proxy shares. */
export interface CheckContext {
  readonly runtime: Pick<Runtime, "connect" | "runProgram" | "now" | "setTimer" | "clearTimer">;
  /** HAProxy's proxy id of a backend (an external check's HAPROXY_PROXY_ID). */
  proxyId(backend: string): number;
  /** Where transitions are logged (the proxy's event log). */
  /** `backend`: whose logger tells it (its `log` lines and log-tag). */
  log(line: string, level?: number, syslogLine?: string, backend?: string): void;
  /** A verdict is an event of its own: the proxy's clock is read before streams are moved. */
  tick(): void;
  readonly limiter: Limiter;
  /** The global `node` (HAProxy's default: the host's name), for `http-check send-state`. */
  readonly node: string;
  /**
   * Cuts the streams on `server` (`on-marked-down shutdown-sessions`: it
   * went DOWN; `on-marked-up shutdown-backup-sessions`: a backup's, an
   * active server came UP); how many.
   */
  shutdownStreams?(server: Server, why: "down" | "up"): number;
  /** `spread-checks` (%, 0: none) and the randomness it draws from. */
  readonly spreadPercent?: number;
  readonly random?: () => number;
  /** A check of this process changed a server's state (the master tells the other workers). */
  onTransition?(check: HealthCheck, op: "UP" | "DOWN" | "NOLB", r: CheckResult): void;
  /** `track`: the servers that follow this one's health. */
  readonly tracking?: Tracking;
}

/** The steps of a check kind, and the verdict when all of them pass. */
function scriptOf(spec: CheckSpec): { steps: Step[]; success: Verdict } {
  if (spec.kind === "connect") return { steps: [{ kind: "connect" }], success: { status: "L4OK", info: "" } };
  if (spec.kind === "tcp-check") {
    const steps = tcpCheckScript(spec.steps);
    const expects = steps.some((s) => s.kind === "expect");
    return { steps, success: expects ? { status: "L7OK", info: "(tcp-check)", code: 0 } : { status: "L4OK", info: "" } };
  }
  // An external check runs a program, not a script over a connection (external-check.ts).
  if (spec.kind === "external") return { steps: [], success: { status: "PROCOK", info: "" } };
  if (spec.kind !== "http") return { steps: protocolCheckScript(spec), success: { status: "L7OK", info: "" } };
  return {
    steps: [
      { kind: "connect" },
      { kind: "send", data: httpCheckRequest(spec.request) },
      { kind: "expect", judge: httpCheckJudge(spec.request, spec.expects, spec.disableOn404 === true), onTimeout: { status: "L7TOUT", info: "" } },
    ],
    success: { status: "L7OK", info: "" },
  };
}

export class HealthCheck {
  private timer: TimerHandle | undefined;
  private running = false;
  private probe: Probe | ExternalRun | undefined;
  private stopped = false;
  /** A passive error asked for the next check at fastinter (if sooner). */
  private hurry = false;
  private nextAt = Infinity;
  private readonly steps: Step[];
  private readonly success: Verdict;
  private readonly target: ProbeTarget;

  constructor(
    readonly server: Server,
    readonly backend: Backend,
    readonly spec: ServerCheck,
    private readonly ctx: CheckContext,
    /** `on-marked-down shutdown-sessions`, `on-marked-up shutdown-backup-sessions` on its line. */
    private readonly marks: { readonly down: boolean; readonly up: boolean } = { down: false, up: false },
  ) {
    const script = scriptOf(backend.config.healthCheck);
    this.steps = script.steps;
    this.success = script.success;
    const timeouts = backend.timeouts;
    // HAProxy: send-proxy on the server line covers its checks unless they go elsewhere (port, addr).
    const proxied = spec.sendProxy || (server.sendProxy && spec.port === undefined && spec.addr === undefined);
    const connect = timeouts.connect > 0 ? timeouts.connect : spec.inter;
    this.target = {
      // The address found at start (init-addr) is read when each check runs.
      host: spec.addr ?? server.host,
      port: spec.port ?? server.port,
      // The PROXY protocol's own line for health checks: no client to speak for.
      proxyHeader: proxied ? "PROXY UNKNOWN\r\n" : "",
      tls: spec.ssl ? checkTls(server) : undefined,
      // HAProxy: checks skip the server's SOCKS4 proxy unless `check-via-socks4`.
      socks4: server.checkViaSocks4 ? server.socks4 : undefined,
      source: server.source,
      connectMs: timeouts.check === undefined ? spec.inter : Math.min(connect, spec.inter),
      readMs: timeouts.check,
      totalMs: spec.inter,
    };
  }

  /** The first check runs `offsetMs` from now (checks are spread over the interval). */
  start(offsetMs: number): void {
    this.stopped = false;
    this.schedule(offsetMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.ctx.runtime.clearTimer(this.timer);
    this.timer = undefined;
    this.ctx.limiter.cancel(this.run);
    if (this.probe !== undefined) {
      this.probe.abort();
      this.probe = undefined;
      this.running = false;
      this.server.state.checkRunning = false;
      this.release?.();
    }
  }

  /**
   * `ms` moved by a random part of up to `spread-checks` % either way, as
   * HAProxy's process_chk draws it, so that checks started together drift apart.
   */
  private spread(ms: number): number {
    const percent = this.ctx.spreadPercent ?? 0;
    if (percent <= 0) return ms;
    const most = Math.floor((ms * percent) / 100);
    return ms + most - Math.floor(2 * most * (this.ctx.random ?? Math.random)());
  }

  /** ms until the next check, by the state the server is in (HAProxy's srv_getinter). */
  interval(): number {
    const state = this.server.state;
    const spec = this.spec;
    if (state.full) return spec.inter;
    if (state.op === "DOWN" && state.health === 0) return spec.downinter;
    return spec.fastinter;
  }

  /** Passive checks: `on-error` chose `action` (info says why); the next check comes at fastinter. */
  adjust(action: OnError, info: string): void {
    const now = this.ctx.runtime.now();
    const r = result("HANA", 0, info);
    const state = this.server.state;
    let change: Transition;
    if (action === "fail-check") change = state.failed(r, now);
    else if (action === "sudden-death") change = state.suddenDeath(r, now);
    else if (action === "mark-down") change = state.markDown(r, now);
    this.apply(change, r);
    if (this.stopped) return;
    if (this.running) {
      this.hurry = true;
    } else if (this.nextAt > now + this.spec.fastinter) {
      this.schedule(this.spec.fastinter);
    }
  }

  /** The next check runs now rather than at its turn (leaving maintenance, checks resumed: HAProxy's "start OK but check immediately"). */
  checkNow(): void {
    if (this.stopped || this.running) return;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    const runtime = this.ctx.runtime;
    if (this.timer !== undefined) runtime.clearTimer(this.timer);
    this.nextAt = runtime.now() + ms;
    this.timer = runtime.setTimer(this.due, ms);
  }

  private readonly due = (): void => {
    this.timer = undefined;
    this.nextAt = Infinity;
    this.ctx.limiter.run(this.run);
  };

  /** Gives the running check's place in the limiter back. */
  private release: (() => void) | undefined;

  private readonly run: Job = (done) => {
    if (this.stopped) return done();
    // A server in maintenance, without an address (init-addr none), or whose checks the runtime API paused, is not checked (HAProxy pauses its checks): the next turn comes at inter.
    const server = this.server;
    if (server.state.admin === "MAINT" || server.address === "" || server.state.checksPaused) {
      done();
      return this.schedule(this.spread(this.spec.inter));
    }
    this.running = true;
    server.state.checkRunning = true;
    this.release = done;
    // The address and port are read at each check: init-addr found them at start, the runtime API may change them.
    const host = this.spec.addr ?? server.address;
    const port = this.spec.port ?? server.port;
    const finished = (r: CheckResult) => {
      this.running = false;
      server.state.checkRunning = false;
      this.probe = undefined;
      this.release = undefined;
      done();
      if (!this.stopped) this.verdict(r);
    };
    const spec = this.backend.config.healthCheck;
    if (spec.kind === "external") {
      const call = externalCheckCall(spec, this.backend, server, this.ctx.proxyId(this.backend.name));
      const startFailed = (error: string) => this.ctx.log(startFailureLine(error), LEVEL.alert, undefined, this.backend.name);
      this.probe = new ExternalRun(this.ctx.runtime, spec, call, this.externalMs(), finished, startFailed);
      return;
    }
    const target = host === this.target.host && port === this.target.port ? this.target : { ...this.target, host, port };
    this.probe = new Probe(this.ctx.runtime, target, this.stepsNow(), this.success, finished);
  };

  /** HAProxy's time for an external check's program: inter, or min(inter, timeout connect) with `timeout check` set. */
  private externalMs(): number {
    const timeouts = this.backend.timeouts;
    const inter = this.spec.inter;
    return timeouts.check !== undefined && timeouts.connect > 0 ? Math.min(inter, timeouts.connect) : inter;
  }

  /** The script of this run: with `http-check send-state`, the request says the server's state now. */
  private stepsNow(): Step[] {
    const spec = this.backend.config.healthCheck;
    if (spec.kind !== "http" || spec.sendState !== true) return this.steps;
    const value = serverStateValue(this.server, this.backend, this.ctx.node, this.ctx.runtime.now());
    return this.steps.map((s) => (s.kind === "send" ? { kind: "send", data: httpCheckRequest(spec.request, value) } : s));
  }

  /** Another process checked and decided: this server takes that state (no check runs here). */
  follow(op: "UP" | "DOWN" | "NOLB", r: CheckResult): void {
    this.apply(this.server.state.follow(op === "DOWN" ? "DOWN" : "UP", r, this.ctx.runtime.now()), r, false);
    this.stopping(op === "NOLB", r, false);
  }

  private verdict(r: CheckResult): void {
    const now = this.ctx.runtime.now();
    const state = this.server.state;
    const before = { status: state.last?.status, health: state.health };
    const passed = isPass(r.status);
    const change = passed ? state.passed(r, now) : state.failed(r, now);
    // Healthy again while this process's agent holds the server DOWN: the workers that follow still learn the
    // check's verdict (their own agents decide for them).
    if (passed && change === undefined && state.op === "DOWN" && before.health < state.rise && state.health >= state.rise) {
      this.ctx.onTransition?.(this, "UP", r);
    }
    // `option log-health-checks`: every change of the check's status or of the health counter, before the transition's own line (HAProxy's order).
    if (this.backend.config.logging?.healthChecks === true && (r.status !== before.status || state.health !== before.health)) {
      const health = { value: state.health, rise: state.rise, fall: state.fall, draining: state.admin === "DRAIN" };
      this.ctx.log(checkLine(this.server.id, this.server.backup, r, passed, health), LEVEL.notice, undefined, this.backend.name);
    }
    this.apply(change, r);
    this.stopping(r.status === "L7OKC", r);
    let next = this.spread(this.interval());
    if (this.hurry) next = Math.min(next, this.spec.fastinter);
    this.hurry = false;
    this.schedule(next);
  }

  /**
   * `http-check disable-on-404`: a 404 ("conditionally passed") puts an UP
   * server in NOLB, out of the balancer but serving what names it; a check
   * that fully passes puts it back. Both logged as HAProxy words them.
   */
  private stopping(conditional: boolean, r: CheckResult, tell = true): void {
    const { server, backend, ctx } = this;
    const state = server.state;
    if (state.op !== "UP" || state.stopping === conditional || (!conditional && !isPass(r.status))) return;
    ctx.tick();
    state.stopping = conditional;
    backend.noteAvailability();
    if (tell) ctx.onTransition?.(this, conditional ? "NOLB" : "UP", r);
    const reason = backend.config.logging?.healthChecks !== true;
    if (!conditional) {
      backend.serverUp(server);
      return ctx.log(upLine(serverWord(server.id, server.backup), r, survivors(backend), 0, backend.queued, reason), LEVEL.notice, undefined, backend.name);
    }
    ctx.log(stoppingLine(serverWord(server.id, server.backup), r, survivors(backend), backend.queued, reason), LEVEL.notice, undefined, backend.name);
  }

  /** A change of state moves traffic and is logged; `tell`: others follow this check (onTransition). */
  private apply(change: Transition, r: CheckResult, tell = true): void {
    if (change === undefined) return;
    this.ctx.tick();
    if (tell) this.ctx.onTransition?.(this, change === "down" ? "DOWN" : "UP", r);
    applyTransition(this.ctx, this.server, this.backend, change, r, this.marks);
  }
}

/**
 * A server's change of operational state, decided by its check, its agent
 * or a passive check: traffic moves (streams waiting for it go elsewhere,
 * its idle connections close), HAProxy's line is logged, the
 * `on-marked-down|up` streams are cut and its trackers follow.
 */
export function applyTransition(
  ctx: CheckContext,
  server: Server,
  backend: Backend,
  change: "up" | "down",
  r: CheckResult,
  marks: { readonly down: boolean; readonly up: boolean },
): void {
  const logChecks = backend.config.logging?.healthChecks === true;
  if (change === "down") {
    const requeued = backend.serverDown(server);
    server.pool.closeIdle();
    const left = survivors(backend);
    ctx.log(downLine(serverWord(server.id, server.backup), r, left, server.current, requeued, backend.queued, !logChecks), LEVEL.alert, undefined, backend.name);
    if (left.active + left.backup === 0) ctx.log(noServerLine(backend.name), LEVEL.emerg, noServerSyslogLine(backend.name), backend.name);
    // After the line, which counts them as active (HAProxy's "1 sessions active").
    if (marks.down) ctx.shutdownStreams?.(server, "down");
    ctx.tracking?.operational(server, "DOWN");
    return;
  }
  backend.serverUp(server);
  ctx.log(upLine(serverWord(server.id, server.backup), r, survivors(backend), 0, backend.queued, !logChecks), LEVEL.notice, undefined, backend.name);
  if (marks.up && !server.backup) for (const b of backend.servers) if (b.backup) ctx.shutdownStreams?.(b, "up");
  ctx.tracking?.operational(server, "UP");
}

/**
 * The server's TLS options for its checks, without h2 in ALPN: a check speaks
 * HTTP/1.x (no check-proto yet), so it must not let the server choose h2.
 */
function checkTls(server: Server): ClientTlsOptions | undefined {
  const tls = server.checkTls;
  if (tls === undefined || !tls.alpn.includes("h2")) return tls;
  return { ...tls, alpn: tls.alpn.filter((p) => p !== "h2") };
}
