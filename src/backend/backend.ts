// A backend: its servers, its balancing algorithm and its queues of streams
// waiting for a server slot: each server's own (streams bound to it by a
// hash or by prefer-last-server) and the backend's (any server will do).
// A freed slot goes to whoever waited longest for it, as HAProxy's
// process_srv_queue.
import type { ErrorSnapshot } from "../http/error-snapshot.ts";
import { type Balancer, createBalancer, NO_KEY } from "../balance/index.ts";
import { requestKey } from "../balance/key.ts";
import { hashKey } from "../balance/hash.ts";
import { HASHING } from "../config/balance.ts";
import { type BackendConfig, BUILTIN, type HttpReuse, type RetryCondition, type Timeouts } from "../config/types.ts";
import type { Head } from "../http/message.ts";
import type { PoolTimers } from "../pool/server-pool.ts";
import { type QueueWaiter, Server } from "./server.ts";
import { TrafficCounters } from "../conn/counters.ts";

export type { QueueWaiter } from "./server.ts";

/** An empty set of servers, shared. */
export const NO_SERVERS: ReadonlySet<Server> = new Set();

/**
 * A server (a slot on it is taken), "full" (usable servers exist but all are
 * at maxconn: queue) or "none" (no usable server at all). A plain value, not
 * an object per pick: this runs for every request.
 */
export type Pick = Server | "full" | "none";

/** The algorithms whose newcomers queue behind the backend's queue (HAProxy's assign_server: first, roundrobin, static-rr). */
const QUEUE_FIRST: ReadonlySet<string> = new Set(["first", "roundrobin", "static-rr"]);

export class Backend {
  readonly name: string;
  readonly mode: BackendConfig["mode"];
  readonly retries: number;
  readonly timeouts: Timeouts;
  readonly servers: Server[];
  readonly redispatch: boolean;
  /** `option redispatch <interval>`: which retries go to another server. */
  readonly redispatchInterval: number;
  /** `retry-on`: the failures a stream is tried again after. */
  readonly retryOn: ReadonlySet<RetryCondition>;
  readonly httpMode: BackendConfig["httpMode"];
  readonly errorFiles: BackendConfig["errorFiles"];
  /** `http-error` pages built per transaction (session/proxy-error-page.ts). */
  readonly errorFormats: BackendConfig["errorFormats"];
  readonly httpReuse: HttpReuse;
  /** Its servers speak HTTP/2 (all of them: a backend does not mix protocols). */
  readonly h2: boolean;
  /** A newcomer waits behind the backend's queue (QUEUE_FIRST). */
  private readonly queueFirst: boolean;
  /** The algorithm hashes a key of the request (source, uri, url_param, hdr): streams pass it to `assign`. */
  readonly hashes: boolean;
  /**
   * Its algorithm lays its servers out once by their configured weights
   * (static-rr, map-based hashing): at run time a server's weight can only go
   * to 0 or back to the configured one (HAProxy's static algorithms).
   */
  readonly staticWeights: boolean;
  /** The most streams the backend's queue held at once. */
  queueMax = 0;
  /** `show errors`: the last response a server of this backend sent that the codec refused. */
  lastResponseError: ErrorSnapshot | undefined;
  /** Slots its servers hold now (streams connected or connecting). */
  current = 0;
  /** Traffic counters (stats/ reads them). */
  readonly counters = new TrafficCounters();
  private readonly active: Balancer<Server>;
  private readonly backups: Balancer<Server>;
  private readonly queue: QueueWaiter[] = [];
  private queueSeq = 0;
  /** Servers with a slowstart: their weights are brought up to date before a pick. */
  private readonly ramping: Server[];
  private readonly now: () => number;
  /**
   * The backend's own state as its stats row shows it (HAProxy's last_change,
   * down_trans, down_time): when it last went DOWN (no usable server) or back
   * UP, how often DOWN, and for how long (the current stretch aside).
   */
  readonly availability = { changedAt: 0, downs: 0, downSince: -1, downMs: 0 };
  /** The servers `take` avoids during the current call (no closure per call on the hot path). */
  private avoid: ReadonlySet<Server> = NO_SERVERS;
  private readonly any = (s: Server) => s.usable && s.hasSlot;
  private readonly fresh = (s: Server) => s.usable && s.hasSlot && !this.avoid.has(s);
  private readonly up = (s: Server) => s.usable;
  private readonly upFresh = (s: Server) => s.usable && !this.avoid.has(s);

  /** @param timers the proxy's clock (monotonic ms) and the runtime's timers, for the servers' pools. */
  /** @param h2MaxStreams tune.h2.be.max-concurrent-streams */
  /** @param random where random draws come from (tests seed it). */
  constructor(readonly config: BackendConfig, timers: PoolTimers, h2MaxStreams: number, random: () => number = Math.random) {
    this.name = config.name;
    this.redispatch = config.redispatch;
    this.redispatchInterval = config.redispatchInterval;
    this.retryOn = new Set(config.retryOn);
    this.httpMode = config.httpMode;
    this.errorFiles = config.errorFiles;
    this.errorFormats = config.errorFormats;
    this.mode = config.mode;
    this.retries = config.retries;
    this.timeouts = config.timeouts;
    this.servers = config.servers.map((s) => new Server(config.name, s, timers, h2MaxStreams));
    if (config.serverTcpKeepAlive === true) for (const s of this.servers) s.tcpKeepAlive = true;
    if (config.caseAdjustNames !== undefined) {
      const names = new Map(Object.entries(config.caseAdjustNames));
      for (const s of this.servers) s.caseAdjust = names;
    }
    // Servers with minconn follow the backend's load: its streams on servers and those waiting in any of its queues.
    const load = { load: () => this.attached, fullconn: config.fullconn ?? 1 };
    for (const s of this.servers) if (s.minconn > 0 && s.maxconn > 0) s.loadOf = load;
    this.h2 = this.servers.length > 0 && this.servers.every((s) => s.proto === "h2");
    this.httpReuse = config.httpReuse;
    this.now = () => timers.now();
    this.availability.changedAt = this.now();
    // No usable server from the start (all disabled, none at all): DOWN since then, as HAProxy counts it.
    if (!this.servers.some((s) => s.usable)) this.availability.downSince = this.availability.changedAt;
    const hashType = config.hashType ?? BUILTIN.hashType;
    this.hashes = HASHING.has(config.balance.algorithm);
    this.queueFirst = QUEUE_FIRST.has(config.balance.algorithm);
    this.staticWeights = config.balance.algorithm === "static-rr" || (this.hashes && hashType !== "consistent");
    this.active = createBalancer(config.balance, hashType, this.servers.filter((s) => !s.backup), random, config.hashBalanceFactor);
    // Without `option allbackups` only the first usable backup serves, as HAProxy.
    const backupBalance = config.allBackups ? config.balance : { algorithm: "first" as const };
    this.backups = createBalancer(backupBalance, hashType, this.servers.filter((s) => s.backup), random, config.hashBalanceFactor);
    this.ramping = this.servers.filter((s) => s.slowstart > 0);
  }

  /** Streams waiting in the backend's queue (not counting the servers' own queues). */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Streams on this backend now: on its servers and waiting in any of its
   * queues (HAProxy's beconn: the backend row's scur, and the load a minconn
   * ramp follows).
   */
  get attached(): number {
    return this.current + this.queue.length + this.onServerQueues;
  }

  /** Streams in its servers' own queues, kept as they come and go (attached is read on every assign). */
  private onServerQueues = 0;

  /** A stream joined a queue: the backend's smax counts it, as HAProxy's (measured: 3 served and 3 queued, smax 6). */
  private noteAttached(): void {
    const n = this.attached;
    if (n > this.counters.sessionsMax) this.counters.sessionsMax = n;
  }

  /** The key a hash algorithm balances this request by, hashed; NO_KEY when it has none (round-robin then). `txn`: the stream's, for `balance hash`. */
  requestHash(clientAddress: string, request: Head | undefined, txn?: unknown): number {
    if (!this.hashes) return NO_KEY;
    const balance = this.config.balance;
    const key = balance.algorithm === "hash" ? (txn === undefined ? undefined : balance.keyOf?.(txn)) : requestKey(balance, clientAddress, request);
    return key === undefined ? NO_KEY : hashKey(key);
  }

  /**
   * HAProxy counts a backend's session (stot, rate, lastsess, smax) when the
   * stream comes to it, queued or not (measured: 3 served and 3 queued, stot
   * 6), or answered by the backend's own rules; once per stream.
   */
  countArrival(waiter: QueueWaiter): void {
    if (waiter.backendCounted === true) return;
    waiter.backendCounted = true;
    this.counters.sessionStarted(this.attached + 1, this.now());
  }

  /**
   * Gets `waiter` a slot: the server is returned with its slot taken, or the
   * waiter is queued ("queued": `granted` comes later, or the stream's
   * `timeout queue`), or no server is usable at all ("none").
   *
   * A stream bound to a server (prefer-last-server, or the server its key
   * hashes to) waits in that server's queue when the server is full, unless
   * that queue is at its `maxqueue`: then any server with a free slot takes
   * it, else the backend's queue, as HAProxy.
   */
  assign(waiter: QueueWaiter): Server | "queued" | "none" {
    this.countArrival(waiter);
    const only = waiter.only;
    if (only !== undefined) {
      if (this.takeServer(only, waiter.forced === true)) return only;
      this.enqueueOn(only, waiter);
      return "queued";
    }
    const hash = waiter.hash ?? NO_KEY;
    if (this.hashes && hash !== NO_KEY) {
      this.refreshWeights();
      const bound = this.pickBound(hash, waiter.tried);
      if (bound !== undefined) {
        // Streams already wait for it: a newcomer waits behind them, even when a ramp (minconn) raised its limit since.
        if (bound.hasSlot && bound.queue.length === 0) {
          this.occupy(bound);
          return bound;
        }
        if (bound.maxqueue === 0 || bound.queue.length < bound.maxqueue) {
          this.enqueueOn(bound, waiter);
          return "queued";
        }
      }
    }
    // first, roundrobin, static-rr: streams waiting in the backend's queue mean every server is full, and a newcomer
    // waits behind them. HAProxy 2.6 does so (measured: with a minconn ramp, 2 served and 4 queued where
    // leastconn serves 4 at once), so that a limit that grew with the load is taken only as the queue is served.
    // Only while some stream is served (HAProxy's queue != beconn): with none, nothing would serve the queue.
    if (this.queueFirst && this.queue.length > 0 && this.current > 0 && this.servers.some((s) => s.usable)) {
      this.enqueue(waiter);
      return "queued";
    }
    const pick = this.take(waiter.tried);
    if (pick === "none") return "none";
    if (pick === "full") {
      this.enqueue(waiter);
      return "queued";
    }
    return pick;
  }

  /**
   * Picks a server with a free slot and takes it (no key: hash algorithms
   * fall back to round-robin). Backup servers serve only when no active
   * server can. Servers in `tried` are avoided while another can serve, so a
   * retry goes to the next server; if only tried ones remain, one of them is
   * tried again.
   */
  take(tried: ReadonlySet<Server>): Pick {
    this.refreshWeights();
    this.avoid = tried;
    const server = tried.size === 0
      ? this.active.pick(NO_KEY, this.any) ?? this.backups.pick(NO_KEY, this.any)
      : this.active.pick(NO_KEY, this.fresh) ?? this.backups.pick(NO_KEY, this.fresh) ??
        this.active.pick(NO_KEY, this.any) ?? this.backups.pick(NO_KEY, this.any);
    this.avoid = NO_SERVERS;
    if (server !== undefined) {
      this.occupy(server);
      return server;
    }
    return this.servers.some((s) => s.usable) ? "full" : "none";
  }

  /** Waits in the backend's queue for any server's slot. */
  enqueue(waiter: QueueWaiter): void {
    waiter.queueSeq = this.queueSeq++;
    waiter.queuedOn = undefined;
    waiter.queueAhead = this.queue.length;
    this.queue.push(waiter);
    if (this.queue.length > this.queueMax) this.queueMax = this.queue.length;
    this.noteAttached();
  }

  /** Removes a waiter that gave up (queue timeout, client gone), from whichever queue holds it. */
  dequeue(waiter: QueueWaiter): void {
    const list = waiter.queuedOn?.queue ?? this.queue;
    const i = list.indexOf(waiter);
    if (i >= 0) {
      list.splice(i, 1);
      if (waiter.queuedOn !== undefined) this.onServerQueues--;
    }
    waiter.queuedOn = undefined;
  }

  /**
   * Takes a slot on `server` itself if it has one (a stream bound to it:
   * prefer-last-server, use-server, a persistence cookie); false: it is full
   * or not running. A draining server or one of weight 0 takes such a stream,
   * as HAProxy's do.
   */
  takeServer(server: Server, forced = false): boolean {
    if ((!server.running && !forced) || !server.hasSlot) return false;
    this.occupy(server);
    return true;
  }

  /** Gives back a slot on `server`; the streams that waited longest for a free slot get one. */
  release(server: Server): void {
    server.current--;
    this.current--;
    this.balancerOf(server).update(server);
    this.serve(server);
  }

  /**
   * `server` went DOWN (health checks) or into maintenance: the streams in
   * its own queue go elsewhere (`redispatchQueue`), those of the backend's
   * queue pinned to it may take any server now; if no server is usable any
   * more, every waiting stream ends with a 503 at once rather than wait for
   * its queue timeout. Returns how many were redispatched (the DOWN log line
   * says it).
   */
  serverDown(server: Server): number {
    let requeued = 0;
    for (const waiter of this.queue) {
      if (waiter.only !== server) continue;
      waiter.unpin?.();
      requeued++;
    }
    requeued += this.redispatchQueue(server);
    this.noteAvailability();
    if (!this.servers.some((s) => s.usable)) {
      this.refuseAll();
      return requeued;
    }
    this.serve(undefined);
    return requeued;
  }

  /**
   * `server`'s weight changed (runtime API): its balancer takes the new
   * weight (a ring or a schedule is rebuilt, a heap reordered), and streams
   * waiting may take it if it can serve now.
   */
  reweighed(server: Server): void {
    this.noteAvailability();
    this.balancerOf(server).update(server);
    this.serve(server);
  }

  /**
   * `server`'s maxconn changed (runtime API): a higher one lets the streams
   * waiting for it through at once (HAProxy's may_dequeue_tasks, then
   * process_srv_queue); a lower one only makes new streams queue.
   */
  maxconnChanged(server: Server): void {
    this.serve(server);
  }

  /** `server` came UP (health checks): the streams waiting for it or for any server may take its slots. */
  serverUp(server: Server): void {
    this.noteAvailability();
    this.serve(server);
  }

  /**
   * The backend's own state follows its servers': DOWN once none is usable
   * (DOWN, maintenance, drain, stopping, weight 0), UP again once one is.
   * Called wherever a server's usability may move.
   */
  noteAvailability(): void {
    const a = this.availability;
    const usable = this.servers.some((s) => s.usable);
    if (!usable && a.downSince < 0) {
      a.downSince = a.changedAt = this.now();
      a.downs++;
    } else if (usable && a.downSince >= 0) {
      const now = this.now();
      a.downMs += now - a.downSince;
      a.downSince = -1;
      a.changedAt = now;
    }
  }

  /**
   * The one dispatch loop: while a slot is free, whoever waited longest for
   * it gets it, from `server`'s own queue or the backend's, in order of
   * arrival (HAProxy's process_srv_queue).
   */
  private serve(server: Server | undefined): void {
    for (;;) {
      // Its own queue holds streams bound to it: served while it runs, draining or at weight 0 too (takeServer).
      const own = server !== undefined && server.running && server.hasSlot ? server.queue[0] : undefined;
      const first = this.queue[0];
      if (own !== undefined && (first === undefined || own.queueSeq! < first.queueSeq!)) {
        this.grantOwn(server!);
        continue;
      }
      if (first !== undefined && this.grantBackendWaiter()) continue;
      if (own !== undefined) {
        this.grantOwn(server!);
        continue;
      }
      return;
    }
  }

  /**
   * `server` cannot serve any more (it went DOWN or into maintenance): the
   * streams waiting in its queue go elsewhere, as HAProxy redispatches a
   * DOWN server's pending connections: a slot on another server, or the
   * backend's queue; one bound to that server alone (prefer-last-server) or
   * left with no usable server is refused (503). Returns how many went
   * elsewhere.
   */
  redispatchQueue(server: Server): number {
    const waiting = server.queue.splice(0);
    this.onServerQueues -= waiting.length;
    let moved = 0;
    for (const waiter of waiting) {
      waiter.queuedOn = undefined;
      const pick = waiter.only === server ? "none" : this.take(waiter.tried);
      if (pick === "none") {
        waiter.refused?.();
        continue;
      }
      moved++;
      if (pick === "full") {
        // Keeps its place in time: it waited since it arrived.
        const seq = waiter.queueSeq!;
        this.enqueue(waiter);
        waiter.queueSeq = seq;
        this.queue.sort((a, b) => a.queueSeq! - b.queueSeq!);
      } else {
        waiter.granted(pick);
      }
    }
    return moved;
  }

  /** No server is usable: every waiting stream, in any queue, ends (503). */
  private refuseAll(): void {
    const waiting = this.queue.splice(0);
    for (const s of this.servers) waiting.push(...s.queue.splice(0));
    this.onServerQueues = 0;
    for (const waiter of waiting) {
      waiter.queuedOn = undefined;
      waiter.refused?.();
    }
  }

  /** The server `hash` maps to among usable ones (avoiding `tried` while another is up), whether or not it has a free slot. */
  private pickBound(hash: number, tried: ReadonlySet<Server>): Server | undefined {
    if (tried.size === 0) return this.active.pick(hash, this.up) ?? this.backups.pick(hash, this.up);
    this.avoid = tried;
    const s = this.active.pick(hash, this.upFresh) ?? this.backups.pick(hash, this.upFresh) ??
      this.active.pick(hash, this.up) ?? this.backups.pick(hash, this.up);
    this.avoid = NO_SERVERS;
    return s;
  }

  private enqueueOn(server: Server, waiter: QueueWaiter): void {
    waiter.queueSeq = this.queueSeq++;
    waiter.queuedOn = server;
    waiter.queueAhead = server.queue.length;
    server.queue.push(waiter);
    this.onServerQueues++;
    if (server.queue.length > server.queueMax) server.queueMax = server.queue.length;
    this.noteAttached();
  }

  private grantOwn(server: Server): void {
    const waiter = server.queue.shift()!;
    this.onServerQueues--;
    waiter.queuedOn = undefined;
    this.occupy(server);
    waiter.granted(server);
  }

  /** The oldest waiter of the backend's queue gets a slot on any server that has one; false: none has. */
  private grantBackendWaiter(): boolean {
    const waiter = this.queue[0]!;
    const only = waiter.only;
    const pick = only !== undefined ? (this.takeServer(only, waiter.forced === true) ? only : "full") : this.take(waiter.tried);
    if (typeof pick === "string") return false;
    this.queue.shift();
    waiter.granted(pick);
    return true;
  }

  private occupy(server: Server): void {
    server.current++;
    server.totalConnections++;
    const now = this.now();
    server.counters.sessionStarted(server.current, now);
    this.current++;
    this.balancerOf(server).update(server);
  }

  private balancerOf(server: Server): Balancer<Server> {
    return server.backup ? this.backups : this.active;
  }

  /** Slowstart: the ramping servers' effective weights at this moment. */
  private refreshWeights(): void {
    if (this.ramping.length === 0) return;
    const now = this.now();
    for (const s of this.ramping) {
      const w = s.rampedWeight(now);
      if (w === s.weight) continue;
      s.weight = w;
      this.balancerOf(s).update(s);
    }
  }
}
