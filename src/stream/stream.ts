// What every stream does before it carries bytes, in TCP and HTTP mode alike
// (HAProxy's stream: back_try_conn_req and its retries): pick a server and
// take a slot on it, or wait in the backend's queue; connect; after a failure
// the backend's `retry-on` names, try again on the same server, or on another
// one at the retries `option redispatch <interval>` picks. Subclasses say how
// a connection is obtained, which failure happened (the conditions are
// plain data from the config: this file names no protocol) and what a
// failure looks like to their client.
import { type Backend, NO_SERVERS, type QueueWaiter } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { nextStreamId } from "../conn/ids.ts";
import type { RetryCondition } from "../config/types.ts";
import { ConnectError } from "../runtime/types.ts";
import { redispatchesAt } from "./retry.ts";
import { span } from "./span.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";

/** Balancing algorithms that pick no particular server for a request (HAProxy: not hash-based). */
const UNHASHED: ReadonlySet<string> = new Set(["roundrobin", "static-rr", "leastconn", "first"]);

export abstract class Stream implements QueueWaiter {
  readonly id = nextStreamId();
  /** Servers that failed this stream; shared and empty until one does. */
  tried: ReadonlySet<Server> = NO_SERVERS;
  /** Set when the stream must go to this server only (prefer-last-server after NTLM/Negotiate). */
  only: Server | undefined;
  server: Server | undefined;
  /** Connect attempts made again (the log's retries). */
  retries = 0;
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
  /** The deadline may have moved: the owner of the stream's timer re-arms it. */
  protected abstract rearm(): void;
  /** A slot on `server` is ours: get a connection to it (`fresh`: a new one, never a kept one). */
  protected abstract useServer(server: Server, fresh: boolean): void;
  /** No server can be had (none usable, queue timeout, every retry failed): end the stream. */
  protected abstract noServer(cause: CauseCode, phase: PhaseCode): void;

  /** Picks a server and takes a slot on it, or waits in the queue for one. */
  protected pick(): void {
    const only = this.only;
    if (only !== undefined) {
      if (this.backend.takeServer(only)) return this.slotTaken(only);
      return this.enqueue();
    }
    const pick = this.backend.take(this.tried);
    if (typeof pick !== "string") return this.slotTaken(pick);
    if (pick === "none") return this.noServer(Cause.serverAbort, Phase.connect);
    this.enqueue();
  }

  private slotTaken(server: Server): void {
    this.slotHeld = true;
    if (this.tw < 0) this.tw = 0;
    this.connecting = true;
    this.useServer(server, false);
  }

  private enqueue(): void {
    this.queued = true;
    this.queueStart = this.now();
    this.backend.enqueue(this);
    this.rearm();
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

  /** Monotonic ms at which the queue wait ends, or Infinity. */
  queueDeadline(): number {
    if (!this.queued) return Infinity;
    const t = this.backend.timeouts;
    return this.queueStart + span(t.queue || t.connect);
  }

  /** `timeout queue` expired. */
  queueExpired(): void {
    this.leaveQueue();
    this.tw = this.now() - this.queueStart;
    this.noServer(Cause.serverTimeout, Phase.queue);
  }

  /** Out of the queue, if waiting there (the stream gave up). */
  protected leaveQueue(): void {
    if (!this.queued) return;
    this.queued = false;
    this.backend.dequeue(this);
  }

  /**
   * Connecting to `server` failed: tried again (`retry-on conn-failure`, the
   * default) while retries are left, else the stream ends.
   */
  protected connectFailed(server: Server, error: unknown): void {
    server.connectFailures++;
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
      this.pick();
      return true;
    }
    this.useServer(server, fresh);
    return true;
  }

  /** The server was one of several usable active ones, picked by an algorithm that hashes nothing, and no persistence holds the stream to it. */
  private pickedFreely(): boolean {
    if (this.only !== undefined || !UNHASHED.has(this.backend.config.balance)) return false;
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
