// What every stream does before it carries bytes, in TCP and HTTP mode alike
// (HAProxy's stream: back_try_conn_req and its retries): pick a server and
// take a slot on it, or wait in the backend's queue; connect; after a failure
// the backend's `retry-on` names, try again on the same server, or on another
// one at the retries `option redispatch <interval>` picks. Subclasses say how
// a connection is obtained, which failure happened (the conditions are
// plain data from the config: this file names no protocol) and what a
// failure looks like to their client.
import { type Backend, NO_SERVERS, type QueueWaiter } from "../backend/backend.ts";
import { NO_KEY } from "../balance/index.ts";
import type { Server } from "../backend/server.ts";
import { Observed } from "../backend/server-state.ts";
import { nextStreamId } from "../conn/ids.ts";
import type { RetryCondition } from "../config/types.ts";
import { ConnectError } from "../runtime/types.ts";
import { redispatchesAt } from "./retry.ts";
import { span } from "./span.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";

export abstract class Stream implements QueueWaiter {
  readonly id = nextStreamId();
  /** Servers that failed this stream; shared and empty until one does. */
  tried: ReadonlySet<Server> = NO_SERVERS;
  /** Set when the stream must go to this server only (prefer-last-server after NTLM/Negotiate). */
  only: Server | undefined;
  /** `force-persist` matched: `only` is taken even while DOWN or in maintenance. */
  forced = false;
  server: Server | undefined;
  /** The request's key hashed, for hash algorithms (set by the subclass before `pick`); NO_KEY: none. */
  hash = NO_KEY;
  /** Set by the backend while queued. */
  queueSeq = 0;
  queuedOn: Server | undefined;
  queueAhead = 0;
  /** Streams that waited before this one in its server's / the backend's queue (the log's %sq / %bq). */
  srvQueueAhead = 0;
  backendQueueAhead = 0;
  /** Connect attempts made again (the log's retries). */
  retries = 0;
  /** `option contstats`: bytes from and to the client its counters were already given during the transfer (counting.ts). */
  creditedIn = 0;
  creditedOut = 0;
  /** Retries sent to another server (the stats' wredis). */
  redispatches = 0;
  cause: CauseCode = Cause.none;
  phase: PhaseCode = Phase.none;
  // HAProxy's timers (ms, -1 when not reached).
  tw = -1;
  tc = -1;
  /** Waiting in the backend queue / for a connection (else past both). */
  queued = false;
  connecting = false;
  protected queueStart = -1;
  protected connectStart = 0;
  private slotHeld = false;

  constructor(readonly backend: Backend) {}

  /** The time of the event being handled (monotonic ms). */
  protected abstract now(): number;

  /** `option prefer-last-server` (not with hash balancing): `previous`, when it is this backend's and takes new streams now. */
  protected preferred(previous: Server | undefined): Server | undefined {
    const backend = this.backend;
    if (previous === undefined || backend.config.preferLastServer !== true || backend.hashes) return undefined;
    return previous.usable && previous.hasSlot && backend.servers.includes(previous) ? previous : undefined;
  }
  /** The deadline may have moved: the owner of the stream's timer re-arms it. */
  protected abstract rearm(): void;
  /** A slot on `server` is ours: get a connection to it (`fresh`: a new one, never a kept one). */
  protected abstract useServer(server: Server, fresh: boolean): void;
  /** No server can be had (none usable, queue timeout, every retry failed): end the stream. */
  protected abstract noServer(cause: CauseCode, phase: PhaseCode): void;

  /** Picks a server and takes a slot on it, or waits in a queue (the server's or the backend's) for one. */
  protected pick(): void {
    const pick = this.backend.assign(this);
    if (typeof pick !== "string") return this.slotTaken(pick);
    if (pick === "none") return this.noServer(Cause.serverAbort, Phase.connect);
    if (this.queuedOn !== undefined) this.srvQueueAhead = this.queueAhead;
    else this.backendQueueAhead = this.queueAhead;
    this.queued = true;
    this.queueStart = this.now();
    this.rearm();
  }

  private slotTaken(server: Server): void {
    this.slotHeld = true;
    if (this.tw < 0) this.tw = 0;
    this.connecting = true;
    this.useServer(server, false);
  }

  /** The backend's queue gave us a slot on `server`. */
  granted(server: Server): void {
    if (!this.queued) {
      this.backend.release(server);
      return;
    }
    this.queued = false;
    this.slotHeld = true;
    this.tw = this.now() - this.queueStart;
    this.connecting = true;
    this.useServer(server, false);
  }

  /** It holds a slot on `server` (connecting or connected: HAProxy's streams "on" a server, not those queued for it). */
  holds(server: Server): boolean {
    return this.slotHeld && this.server === server;
  }

  /** Its `only` server went DOWN while it waited: any server will do. */
  unpin(): void {
    this.only = undefined;
  }

  /** Monotonic ms at which the queue wait ends, or Infinity. */
  queueDeadline(): number {
    if (!this.queued) return Infinity;
    const t = this.backend.timeouts;
    return this.queueStart + span(t.queue || t.connect);
  }

  /** The server it waited for went away and no other can take it, or no server is usable any more. */
  refused(): void {
    if (!this.queued) return;
    this.queued = false;
    this.tw = this.now() - this.queueStart;
    this.noServer(Cause.serverAbort, Phase.queue);
  }

  /** `timeout queue` expired. */
  queueExpired(): void {
    this.leaveQueue();
    this.tw = this.now() - this.queueStart;
    this.noServer(Cause.serverTimeout, Phase.queue);
  }

  /** Out of the queue, if waiting there (the stream gave up): the wait so far is its Tw, as HAProxy logs a CQ. */
  protected leaveQueue(): void {
    if (!this.queued) return;
    this.queued = false;
    this.tw = this.now() - this.queueStart;
    this.backend.dequeue(this);
  }

  /**
   * Connecting to `server` failed: tried again (`retry-on conn-failure`, the
   * default) while retries are left, else the stream ends.
   */
  protected connectFailed(server: Server, error: unknown): void {
    server.connectFailures++;
    if (error instanceof ConnectError && error.code === "tls") server.report(`${server.id}: TLS connect failure: ${error.message}`);
    server.state.observer?.observe(Observed.connectFailed);
    if (!this.connecting) return;
    if (this.retryAfter(server, "conn-failure", false)) return;
    this.connecting = false;
    const timedOut = error instanceof ConnectError && error.code === "timeout";
    this.noServer(timedOut ? Cause.serverTimeout : Cause.serverAbort, Phase.connect);
  }

  /** The backend's `retry-on` names `failure` and a retry is left. */
  protected mayRetry(failure: RetryCondition): boolean {
    return this.retries < this.backend.retries && this.backend.retryOn.has(failure);
  }

  /**
   * `failure` happened on `server`: when the backend's `retry-on` names it and
   * a retry is left, the stream starts again (true), on the same server or,
   * under `option redispatch`, on another one at the retries its interval
   * picks, and at every retry when the server is no longer usable or was
   * picked freely among several (HAProxy's stream_choose_redispatch: nothing
   * ties the request to that server, so it is not worth waiting for).
   * False: the caller ends the stream its own way. The caller has dropped
   * whatever the attempt held on the server's side.
   * @param fresh on the same server, a new connection (never a kept one)
   */
  protected retryAfter(server: Server, failure: RetryCondition, fresh: boolean): boolean {
    if (!this.mayRetry(failure)) return false;
    const backend = this.backend;
    this.retries++;
    this.tried = new Set(this.tried).add(server);
    if (backend.redispatch && (!server.usable || this.pickedFreely() || redispatchesAt(backend.redispatchInterval, this.retries, backend.retries))) {
      this.releaseSlot();
      this.only = undefined;
      this.redispatches++;
      this.pick();
      return true;
    }
    this.useServer(server, fresh);
    return true;
  }

  /**
   * The server was one of several usable active ones, picked by an algorithm
   * that hashes nothing (roundrobin, static-rr, leastconn, first, random:
   * HAProxy's rule is any algorithm not of the hash kind), and no persistence
   * holds the stream to it.
   */
  private pickedFreely(): boolean {
    if (this.only !== undefined || this.backend.hashes) return false;
    let usable = 0;
    for (const s of this.backend.servers) if (!s.backup && s.usable && ++usable > 1) return true;
    return false;
  }

  /** The first cause and phase stick (HAProxy's termination state). */
  setTermination(cause: CauseCode, phase: PhaseCode): void {
    if (this.cause !== Cause.none) return;
    this.cause = cause;
    this.phase = phase;
  }

  /** Gives back the stream's slot on its server (once). */
  protected releaseSlot(): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.backend.release(this.server!);
  }
}
