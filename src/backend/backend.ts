// A backend: its servers, its balancing algorithm and its queue of streams
// waiting for a server slot (when every server is at its maxconn).
import { type Balancer, createBalancer } from "../balance/index.ts";
import type { BackendConfig, HttpReuse, RetryCondition, Timeouts } from "../config/types.ts";
import type { PoolTimers } from "../pool/server-pool.ts";
import { Server } from "./server.ts";

/** Something waiting in the backend queue for a server with a free slot. */
export interface QueueWaiter {
  /** Called once a slot was taken for it on `server`. */
  granted(server: Server): void;
  /** Servers this waiter must avoid when others are free (already failed). */
  readonly tried: ReadonlySet<Server>;
  /** This server and no other (prefer-last-server after a connection-auth challenge). */
  readonly only?: Server | undefined;
}

/** An empty set of servers, shared. */
export const NO_SERVERS: ReadonlySet<Server> = new Set();

/**
 * A server (a slot on it is taken), "full" (usable servers exist but all are
 * at maxconn: queue) or "none" (no usable server at all). A plain value, not
 * an object per pick: this runs for every request.
 */
export type Pick = Server | "full" | "none";

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
  readonly httpReuse: HttpReuse;
  /** Its servers speak HTTP/2 (all of them: a backend does not mix protocols). */
  readonly h2: boolean;
  private readonly active: Balancer<Server>;
  private readonly backups: Balancer<Server>;
  private readonly queue: QueueWaiter[] = [];
  /** The servers `take` avoids during the current call (no closure per call on the hot path). */
  private avoid: ReadonlySet<Server> = NO_SERVERS;
  private readonly any = (s: Server) => s.usable && s.hasSlot;
  private readonly fresh = (s: Server) => s.usable && s.hasSlot && !this.avoid.has(s);

  /** @param timers the proxy's clock (monotonic ms) and the runtime's timers, for the servers' pools. */
  /** @param h2MaxStreams tune.h2.be.max-concurrent-streams */
  constructor(readonly config: BackendConfig, timers: PoolTimers, h2MaxStreams: number) {
    this.name = config.name;
    this.redispatch = config.redispatch;
    this.redispatchInterval = config.redispatchInterval;
    this.retryOn = new Set(config.retryOn);
    this.httpMode = config.httpMode;
    this.errorFiles = config.errorFiles;
    this.mode = config.mode;
    this.retries = config.retries;
    this.timeouts = config.timeouts;
    this.servers = config.servers.map((s) => new Server(config.name, s, timers, h2MaxStreams));
    this.h2 = this.servers.length > 0 && this.servers.every((s) => s.proto === "h2");
    this.httpReuse = config.httpReuse;
    this.active = createBalancer(config.balance, this.servers.filter((s) => !s.backup));
    this.backups = createBalancer(config.balance, this.servers.filter((s) => s.backup));
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Picks a server and takes a slot on it. Backup servers serve only when no
   * active server can. Servers in `tried` are avoided while another can serve,
   * so a retry goes to the next server; if only tried ones remain, one of them
   * is tried again.
   */
  take(tried: ReadonlySet<Server>): Pick {
    this.avoid = tried;
    const server = tried.size === 0
      ? this.active.pick(this.any) ?? this.backups.pick(this.any)
      : this.active.pick(this.fresh) ?? this.backups.pick(this.fresh) ?? this.active.pick(this.any) ??
        this.backups.pick(this.any);
    this.avoid = NO_SERVERS;
    if (server !== undefined) {
      this.occupy(server);
      return server;
    }
    return this.servers.some((s) => s.usable) ? "full" : "none";
  }

  enqueue(waiter: QueueWaiter): void {
    this.queue.push(waiter);
  }

  /** Removes a waiter that gave up (queue timeout, client gone). */
  dequeue(waiter: QueueWaiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Takes a slot on `server` itself if it has one (prefer-last-server); false: it is full or unusable. */
  takeServer(server: Server): boolean {
    if (!server.usable || !server.hasSlot) return false;
    this.occupy(server);
    return true;
  }

  /** Gives back a slot on `server`; the oldest waiters that can use a free slot get one. */
  release(server: Server): void {
    server.current--;
    let i = 0;
    while (i < this.queue.length) {
      const waiter = this.queue[i]!;
      let pick: Server | undefined;
      if (waiter.only !== undefined) {
        if (this.takeServer(waiter.only)) pick = waiter.only;
      } else {
        const p = this.take(waiter.tried);
        if (typeof p !== "string") pick = p;
      }
      if (pick === undefined) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      waiter.granted(pick);
    }
  }

  private occupy(server: Server): void {
    server.current++;
    server.totalConnections++;
  }
}
