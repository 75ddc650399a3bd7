// The running proxy: the graph its config builds (graph.ts), its listeners
// started, the process-wide connection limit, graceful stop and hard stop.
import type { Backend } from "../backend/backend.ts";
import type { HealthChecks } from "../check/checks.ts";
import type { ServerResolutions } from "../check/resolution.ts";
import type { Config } from "../config/types.ts";
import type { SinkPool } from "../log/sink.ts";
import type { Ownership } from "../pool/ownership.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Runtime, TimerHandle } from "../runtime/types.ts";
import type { AcceptGate, Frontend } from "./frontend.ts";
import { buildGraph } from "./graph.ts";
import { ProcessCounters } from "./process-counters.ts";
import { PerSecond } from "../conn/counters.ts";
import { rateAllows, RoomTimer } from "./waiting.ts";
import type { StickTables } from "./stick-tables.ts";
import type { Services } from "../stream/types.ts";
import { resolveServers } from "../backend/addresses.ts";
import { lastAddress, loadServerStates, restoreServerStates } from "../check/server-state-file.ts";
import { type ConnectionRow, connectionRows, type ServerConnectionCounters, serverCounters } from "../pool/view.ts";

export interface ProxyOptions {
  /** An ownership violation throws (tests) instead of being logged, counted and its connection closed. */
  strictOwnership?: boolean;
  /** Every listener shares its address (SO_REUSEPORT): a worker of a master. */
  reusePort?: boolean;
  /**
   * "follow": this process runs no active check; another one (the master's
   * worker 1) checks and its verdicts arrive through `checks.follow()`.
   * Default "run".
   */
  healthChecks?: "run" | "follow";
}

export class Proxy implements AcceptGate {
  readonly backends: ReadonlyMap<string, Backend>;
  readonly frontends: readonly Frontend[];
  /** Every server's health checks: they run from start() until stop(). */
  readonly checks: HealthChecks;
  /** Servers re-resolved at run time (`resolvers`): from start() until stop(). */
  readonly resolutions: ServerResolutions;
  /** The stick tables (issue 15): their purge runs from start() until stop(). */
  readonly stickTables: StickTables | undefined;
  /** The applets requests may reach (a section's stats page, the Prometheus exporter): app.ts fills them in before start(). */
  readonly services: Services = {};
  /** The process's rates and their maxima (`show info`). */
  readonly totals = new ProcessCounters();
  private current = 0;
  /** The process-wide limit now (`show info` Maxconn); `set maxconn global` moves it up to hardMaxconn. */
  private maxconn: number;
  /**
   * `maxconnrate` / `maxsessrate` (0: none): connections and sessions started
   * a second on the whole process; `set rate-limit connections|sessions
   * global` changes them. Connections past them wait, accepted and unread,
   * as past maxconn, and start as the rates allow.
   */
  connRateLimit: number;
  sessRateLimit: number;
  /** Connections let through the global limits (HAProxy counts its accepts there; sluice's runtime accepted them already). */
  private readonly startedConnections = new PerSecond();
  /** Lets sockets held by the process's rates in once they have room (set with the graph's clock). */
  private readonly rateRoom: RoomTimer;
  /** The configured global maxconn: `set maxconn global` goes no higher (HAProxy's hardmaxconn). */
  readonly hardMaxconn: number;
  private stopping: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  /** @param pool where every frontend's log lines go (closed by the caller after stop). */
  /** One clock for every session: a queue slot freed by one session is granted to another in the same event. */
  readonly clock: Clock;

  /** Moves backend connections between sessions and pools, and checks every attach. */
  readonly ownership: Ownership;

  private readonly reusePort: boolean;
  private readonly runChecks: boolean;

  constructor(readonly config: Config, readonly runtime: Runtime, pool: SinkPool, options: ProxyOptions = {}) {
    this.maxconn = config.global.maxconn;
    this.hardMaxconn = config.global.maxconn;
    this.connRateLimit = config.global.maxConnRate ?? 0;
    this.sessRateLimit = config.global.maxSessRate ?? 0;
    this.reusePort = options.reusePort ?? false;
    this.runChecks = options.healthChecks !== "follow";
    const graph = buildGraph(config, { runtime, pool, gate: this, strictOwnership: options.strictOwnership ?? false, services: this.services });
    this.clock = graph.clock;
    this.ownership = graph.ownership;
    this.backends = graph.backends;
    this.frontends = graph.frontends;
    this.checks = graph.checks;
    this.rateRoom = new RoomTimer(runtime, this.clock, () => {
      for (const f of this.frontends) f.admitWaiting();
    });
    this.resolutions = graph.resolutions;
    this.stickTables = graph.stickTables;
  }

  /** Finds the servers' addresses (init-addr), then opens every listener; on failure closes the ones already open and rethrows. */
  async start(): Promise<void> {
    const gap = clientTlsGap([...this.backends.values()], this.runtime);
    if (gap !== undefined) throw new Error(gap);
    // Server-state files first: `init-addr last` reads their addresses, then their states are restored before checks start.
    const saved = loadServerStates(this.config.global, this.backends.values());
    await resolveServers([...this.backends.values()].flatMap((b) => b.servers), this.runtime, (s) => lastAddress(saved.get(s)));
    if (saved.size > 0) restoreServerStates(saved, this.backends.values(), this.runtime.now());
    try {
      for (const f of this.frontends) await f.start(this.reusePort);
      // A follower's checks stay stopped (passive checks then act on this process's servers only).
      if (this.runChecks) this.checks.start();
      else {
        this.checks.stop();
        this.checks.startAgents();
      }
      this.resolutions.start();
      await this.stickTables?.start();
    } catch (error) {
      for (const f of this.frontends) void f.stopListening();
      this.stickTables?.stop();
      throw error;
    }
  }

  /** Every backend connection with its owner, state, streams, requests and reuse key (invariant 17). */
  connections(): ConnectionRow[] {
    return connectionRows([...this.backends.values()].flatMap((b) => b.servers.map((s) => s.pool)));
  }

  /** Per-server connection counters: opened, reused, idle/safe/private/in use now, ownership violations. */
  connectionCounters(): ServerConnectionCounters[] {
    return [...this.backends.values()].flatMap((b) => b.servers.map((s) => serverCounters(s.pool)));
  }

  /** Connections on the whole process (HAProxy's actconn). */
  get active(): number {
    return this.current;
  }

  get sessions(): number {
    return this.current;
  }

  /** The process-wide connection limit now. */
  get globalMaxconn(): number {
    return this.maxconn;
  }

  /**
   * `set maxconn global`: the new limit (at most hardMaxconn; 0 or less: back
   * to it, as HAProxy's "unlimited"); sockets waiting for a slot get one at
   * once if it is higher (HAProxy's dequeue_all_listeners).
   */
  setGlobalMaxconn(maxconn: number): void {
    this.maxconn = maxconn <= 0 ? this.hardMaxconn : Math.min(maxconn, this.hardMaxconn);
    for (const f of this.frontends) f.admitWaiting();
  }

  /** A stop began: no frontend listens again. */
  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  admits(): boolean {
    return this.current < this.maxconn && this.rateAllows();
  }

  started(): void {
    this.current++;
    if (this.connRateLimit > 0) this.startedConnections.add(this.runtime.now());
  }

  /** One more connection and session now keep the process within maxconnrate and maxsessrate. */
  private rateAllows(): boolean {
    if (this.connRateLimit === 0 && this.sessRateLimit === 0) return true;
    const now = this.runtime.now();
    return rateAllows(this.startedConnections, this.connRateLimit, now) && rateAllows(this.totals.sessionRate, this.sessRateLimit, now);
  }

  /** Some frontend holds connections the global rates stopped: they start once the rates allow one more. */
  waitForRate(): void {
    if (this.rateRoom.armed || this.rateAllows()) return;
    const now = this.runtime.now();
    this.rateRoom.arm(Math.max(
      this.connRateLimit === 0 ? 0 : this.startedConnections.delayBelow(this.connRateLimit, now),
      this.sessRateLimit === 0 ? 0 : this.totals.sessionRate.delayBelow(this.sessRateLimit, now),
    ));
  }

  /** `set rate-limit connections|sessions global N` (0: none): sockets waiting get in at once if it allows. */
  setRateLimit(kind: "connections" | "sessions", limit: number): void {
    if (kind === "connections") this.connRateLimit = limit;
    else this.sessRateLimit = limit;
    for (const f of this.frontends) f.admitWaiting();
  }

  /** A socket waiting for a slot or a rate closed: a stop waiting for the last connection may be done. */
  waitingGone(): void {
    if (this.current === 0 && this.totalWaiting() === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  ended(): void {
    this.current--;
    // Waiting sockets are established client connections: they are served
    // even while stopping, so a stop drops no connection it accepted.
    for (const f of this.frontends) f.admitWaiting();
    if (this.current === 0 && this.totalWaiting() === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * Graceful stop: no new connections (the listeners are closed when this
   * returns; listenersClosed() says when their last accept has settled);
   * open sessions finish by themselves until `hardStopAfter` ms, then
   * whatever is left is closed.
   */
  stop(hardStopAfter = this.config.global.hardStopAfter): Promise<void> {
    this.stopping ??= this.drain(hardStopAfter);
    return this.stopping;
  }

  private unlistened: Promise<void> | undefined;

  /** After stop(): resolves once no listener can hand over a connection any more. */
  listenersClosed(): Promise<void> {
    return this.unlistened ?? Promise.resolve();
  }

  private totalWaiting(): number {
    return this.frontends.reduce((n, f) => n + f.waitingCount, 0);
  }

  private async drain(hardStopAfter: number): Promise<void> {
    // A stopping proxy takes no new traffic: its servers' states no longer matter.
    this.checks.stop();
    this.resolutions.stop();
    this.stickTables?.stop();
    const acceptsEnded: Promise<void>[] = [];
    for (const f of this.frontends) {
      acceptsEnded.push(f.stopListening());
      f.markStopping();
      f.softStop();
    }
    this.unlistened = Promise.all(acceptsEnded).then(() => {});
    try {
      // A connection an accept in flight hands over after close() (Deno) is a
      // session to wait for too: counting sessions before it arrives would let
      // the process exit under it, unread (the kernel then resets it).
      await this.unlistened;
      await this.waitForSessions(hardStopAfter);
    } finally {
      for (const b of this.backends.values()) for (const s of b.servers) s.pool.closeIdle();
    }
  }

  private async waitForSessions(hardStopAfter: number): Promise<void> {
    if (this.current === 0 && this.totalWaiting() === 0) return;
    let timer: TimerHandle | undefined;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const deadline = new Promise<"deadline">((resolve) => {
      timer = this.runtime.setTimer(() => resolve("deadline"), hardStopAfter);
    });
    const first = await Promise.race([idle, deadline]);
    if (timer !== undefined) this.runtime.clearTimer(timer);
    if (first === "deadline") {
      for (const f of this.frontends) f.killAll();
      this.rateRoom.clear();
    }
  }
}

/** A server whose TLS settings the runtime cannot apply (Deno: ciphers), named; else undefined. */
function clientTlsGap(backends: readonly Backend[], runtime: Runtime): string | undefined {
  if (runtime.clientTlsGap === undefined) return undefined;
  for (const b of backends) {
    for (const s of b.servers) {
      const tls = s.tls ?? s.checkTls;
      const gap = tls === undefined ? undefined : runtime.clientTlsGap(tls);
      if (gap !== undefined) return `backend '${b.name}' server '${s.name}': ${gap}`;
    }
  }
  return undefined;
}
