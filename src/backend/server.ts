// One server of a backend: where it is, its weight, and what it carries now.
import type { WeightedTarget } from "../balance/roundrobin.ts";
import type { ServerConfig } from "../config/types.ts";
import { type PoolTimers, ServerPool } from "../pool/server-pool.ts";
import { DEFAULT_H2_CLIENT_OPTIONS, type H2ClientOptions } from "../http2/client-connection.ts";
import type { PendingMux } from "./pending-mux.ts";
import { ServerState } from "./server-state.ts";

export class Server implements WeightedTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly backup: boolean;
  readonly maxconn: number;
  rrCurrent = 0;
  /** Administrative and operational state, the last check, the health counters (issue 14). */
  readonly state: ServerState;
  /** Shared HTTP connections to this server (idle, safe) and its connection counters. */
  readonly pool: ServerPool;
  /** Connections carried now. */
  current = 0;
  /** Counters since start. */
  totalConnections = 0;
  connectFailures = 0;
  bytesIn = 0;
  bytesOut = 0;

  /** @param timers the proxy's clock (monotonic ms) and the runtime's timers, for the pool's purge. */
  /** @param h2MaxStreams tune.h2.be.max-concurrent-streams */
  constructor(readonly backendName: string, settings: ServerConfig, timers: PoolTimers, h2MaxStreams: number) {
    this.name = settings.name;
    this.host = settings.host;
    this.port = settings.port;
    this.weight = settings.weight;
    this.backup = settings.backup;
    // Without `check` nothing moves the health counter: rise and fall of 1 keep it simple.
    this.state = new ServerState(settings.check?.rise ?? 1, settings.check?.fall ?? 1, settings.disabled, timers.now());
    // No maxconn: no limit (0, as HAProxy writes it).
    this.maxconn = settings.maxconn ?? 0;
    this.sendProxy = settings.sendProxy;
    this.proto = settings.proto;
    this.maxReuse = settings.maxReuse;
    this.h2Options = { ...DEFAULT_H2_CLIENT_OPTIONS, localMaxStreams: h2MaxStreams, maxReuse: this.maxReuse };
    this.pool = new ServerPool(this.id, {
      maxConn: settings.poolMaxConn,
      purgeDelay: settings.poolPurgeDelay,
      lowConn: settings.poolLowConn,
    }, timers);
  }

  /** `send-proxy`: each connection starts with a PROXY protocol v1 header. */
  readonly sendProxy: boolean;
  /** `proto`: HTTP/1.1 or HTTP/2 (cleartext, prior knowledge) to this server. */
  readonly proto: "h1" | "h2";
  /** `max-reuse`: streams an HTTP/2 connection carries in its life; -1 unlimited. */
  readonly maxReuse: number;
  /** How HTTP/2 connections to this server are set up. */
  readonly h2Options: H2ClientOptions;
  /** HTTP/2 connections being opened that waiting streams may share (http-reuse always). */
  readonly pendingMuxes: PendingMux[] = [];

  /** Its connections can become a byte tunnel (CONNECT): HTTP/1.1 ones can, an HTTP/2 stream cannot (RFC 9113 §8.5 needs a tunnel sluice does not build). */
  get tunnels(): boolean {
    return this.proto !== "h2";
  }

  get id(): string {
    return `${this.backendName}/${this.name}`;
  }

  /** `disabled`: in maintenance (MAINT). */
  get disabled(): boolean {
    return this.state.admin === "MAINT";
  }

  set disabled(value: boolean) {
    this.state.admin = value ? "MAINT" : "READY";
  }

  /** Monotonic ms when it last came UP after being DOWN, -1 while never down (slowstart ramps from it). */
  get upSince(): number {
    return this.state.upSince;
  }

  /** Takes new load-balanced streams: READY, UP, with a weight. */
  get usable(): boolean {
    const state = this.state;
    return state.admin === "READY" && state.op === "UP" && this.weight > 0;
  }

  get hasSlot(): boolean {
    return this.maxconn === 0 || this.current < this.maxconn;
  }
}
