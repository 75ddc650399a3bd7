// Every server's checks of a proxy: built with the graph (no timer starts
// then), started with the proxy. The first checks are spread over the
// shortest interval, one offset per server in order (HAProxy's
// start_checks), so that a hundred servers are not all checked at once;
// a Limiter bounds how many run at the same time.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { CheckResult } from "../backend/server-state.ts";
import type { Runtime } from "../runtime/types.ts";
import { HealthCheck } from "./health-check.ts";
import { Limiter } from "./limiter.ts";
import { PassiveCheck } from "./observer.ts";
import { Tracking } from "./tracking.ts";
import { AgentCheck, type AgentOps } from "./agent-check.ts";

export interface ChecksOptions {
  readonly runtime: Pick<Runtime, "connect" | "runProgram" | "now" | "setTimer" | "clearTimer">;
  /** HAProxy's proxy ids by name (config/proxy-ids.ts): external checks pass them on. */
  readonly proxyIds: ReadonlyMap<string, number>;
  /** An event line, at a syslog level (health-check.ts: HAProxy's for each line; absent: notice). */
  log(line: string, level?: number, syslogLine?: string, backend?: string): void;
  tick(): void;
  /** The global `node`, or the host's name (`http-check send-state`). */
  readonly node: string;
  /** `tune.max-checks-per-thread` (0: no bound). */
  readonly maxInFlight: number;
  /** `max-spread-checks` (ms): the first checks spread over no more than this. */
  readonly maxSpread?: number;
  /** `spread-checks` (%): each next interval moves by up to this much either way, at random. */
  readonly spreadPercent?: number;
  /** Where the randomness comes from (tests fix it); Math.random by default. */
  readonly random?: () => number;
  /** Cuts the streams on a server (on-marked-down / on-marked-up): the proxy's sessions, which checks do not see. */
  shutdownStreams?(server: Server, why: "down" | "up"): number;
}

/** A change of state a check decided, as one process tells another (JSON-able). */
export interface ServerVerdict {
  readonly backend: string;
  readonly server: string;
  /** NOLB: UP but out of the balancer (http-check disable-on-404 saw a 404). */
  readonly op: "UP" | "DOWN" | "NOLB";
  readonly result: CheckResult;
}

export class HealthChecks {
  readonly all: readonly HealthCheck[];
  private readonly maxSpread: number | undefined;
  readonly limiter: Limiter;
  /** `track`: the servers that follow others' health and state. */
  readonly tracking: Tracking;
  /** `agent-check`: each server's agent. */
  readonly agents: readonly AgentCheck[];
  /** What agents change (weights, maxconn, admin states): the runtime API's operations, given once they exist. */
  agentOps: AgentOps | undefined;
  /** Set by a worker of a master that checks for the others: each change of state this process's checks decide. */
  onVerdict: ((verdict: ServerVerdict) => void) | undefined;

  constructor(backends: Iterable<Backend>, options: ChecksOptions) {
    this.limiter = new Limiter(options.maxInFlight);
    const backendList = [...backends];
    backends = backendList;
    this.tracking = new Tracking(backendList, () => options.runtime.now());
    this.maxSpread = options.maxSpread;
    const ctx = {
      runtime: options.runtime,
      log: options.log,
      tick: options.tick,
      limiter: this.limiter,
      node: options.node,
      spreadPercent: options.spreadPercent ?? 0,
      random: options.random ?? Math.random,
      ...(options.shutdownStreams === undefined ? {} : { shutdownStreams: options.shutdownStreams }),
      proxyId: (name: string) => options.proxyIds.get(name) ?? 0,
      tracking: this.tracking,
      onTransition: (check: HealthCheck, op: ServerVerdict["op"], result: CheckResult) =>
        this.onVerdict?.({ backend: check.backend.name, server: check.server.name, op, result }),
    };
    const all: HealthCheck[] = [];
    const agents: AgentCheck[] = [];
    for (const backend of backends) {
      // Backend.servers follows its config's order.
      backend.servers.forEach((server, i) => {
        const settings = backend.config.servers[i]!;
        const marks = { down: settings.onMarkedDown !== undefined, up: settings.onMarkedUp !== undefined };
        if (settings.agent !== undefined) agents.push(new AgentCheck(server, backend, { ...settings.agent }, ctx, () => this.agentOps, marks));
        const spec = settings.check;
        if (spec === undefined) return;
        const check = new HealthCheck(server, backend, spec, ctx, marks);
        all.push(check);
        const observe = settings.observe;
        if (observe !== undefined) server.state.observer = new PassiveCheck(observe, server.state, check);
      });
    }
    this.all = all;
    this.agents = agents;
  }

  /** Offsets of the first checks: server i of n at i/n of the shortest interval, or of `max-spread-checks` when that is shorter. */
  offsets(): number[] {
    const n = this.all.length;
    const min = Math.min(...this.all.map((c) => c.spec.inter), this.maxSpread ?? Infinity);
    return this.all.map((_, i) => Math.floor((min * i) / n));
  }

  start(): void {
    const offsets = this.offsets();
    this.all.forEach((c, i) => c.start(offsets[i]!));
    this.startAgents();
  }

  /**
   * The agents start, spread over the shortest agent-inter. A worker that
   * follows another's checks asks the agents itself: what they change
   * (weights, maxconn, states) is each process's own.
   */
  startAgents(): void {
    const n = this.agents.length;
    const min = Math.min(...this.agents.map((a) => a.spec.inter));
    this.agents.forEach((a, i) => a.start(Math.floor((min * i) / n)));
  }

  stop(): void {
    for (const c of this.all) c.stop();
    for (const a of this.agents) a.stop();
  }

  /** Another process checked (`verdict`): the server takes that state here; false when no check of this name exists. */
  follow(verdict: ServerVerdict): boolean {
    const check = this.all.find((c) => c.backend.name === verdict.backend && c.server.name === verdict.server);
    check?.follow(verdict.op, verdict.result);
    return check !== undefined;
  }
}
