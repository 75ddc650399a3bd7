// The traffic counters of a frontend, a backend or a server (issue 16): plain
// number fields on an object made once at load, bumped where a session starts
// and where a stream or a log line ends, and read by stats/ into HAProxy's
// `show stat` rows and Prometheus text. Nothing here allocates per request.
import { TimeStats } from "./time-stats.ts";

/**
 * Events per second, as HAProxy's freq_ctr over a period of one second: the
 * count of the current period plus the previous period's count weighted by
 * the share of the period not yet elapsed. Periods follow each other from
 * the first event (HAProxy's curr_tick), not from the clock's seconds, and
 * start again at the next event after two idle periods. `max` is the highest
 * rate read when an event was added (HAProxy's rate_max, req_rate_max).
 */
export class PerSecond {
  /** When the current period began (monotonic ms); -1: no event yet. */
  private start = -1;
  private current = 0;
  private previous = 0;
  max = 0;

  /** `n` events (bytes, for a byte rate) at `now`. */
  add(now: number, n = 1): void {
    const elapsed = now - this.start;
    if (this.start < 0 || elapsed >= 2 * PERIOD) {
      this.previous = 0;
      this.current = 0;
      this.start = now;
    } else if (elapsed >= PERIOD) {
      this.previous = this.current;
      this.current = 0;
      this.start += PERIOD;
    }
    this.current += n;
    const rate = this.read(now);
    if (rate > this.max) this.max = rate;
  }

  /** Forgets every event: the rate and its max start again from 0. */
  clear(): void {
    this.start = -1;
    this.current = 0;
    this.previous = 0;
    this.max = 0;
  }

  /** The rate at `now` (monotonic ms), as HAProxy's freq_ctr_total. */
  read(now: number): number {
    if (this.start < 0) return 0;
    let elapsed = now - this.start;
    if (elapsed >= 2 * PERIOD) return 0;
    let current = this.current;
    let previous = this.previous;
    if (elapsed >= PERIOD) {
      previous = current;
      current = 0;
      elapsed -= PERIOD;
    }
    return current + Math.floor((previous * (PERIOD - elapsed)) / PERIOD);
  }

  /**
   * Milliseconds from `now` until one more event keeps the rate within
   * `limit` (0: now), as HAProxy's next_event_delay: the current period's
   * events stay, the previous period's weigh less as this one passes.
   */
  delayBelow(limit: number, now: number): number {
    if (this.read(now) < limit) return 0;
    let elapsed = now - this.start;
    let current = this.current;
    let previous = this.previous;
    if (elapsed >= PERIOD) {
      previous = current;
      current = 0;
      elapsed -= PERIOD;
    }
    // This period holds `limit` events already: the next one, where they are the previous period's.
    if (current >= limit) return PERIOD - elapsed + this.delayAfter(limit, 0, current);
    // floor(previous × remain / PERIOD) < limit − current once remain < (limit − current) × PERIOD / previous.
    return Math.max(1, this.delayAfter(limit, current, previous) - elapsed);
  }

  /** From a period's start: ms until current + floor(previous × remain / PERIOD) < limit. */
  private delayAfter(limit: number, current: number, previous: number): number {
    if (previous === 0) return 0;
    const remain = Math.ceil(((limit - current) * PERIOD) / previous) - 1;
    return Math.max(0, PERIOD - remain);
  }
}

/** A rate's period: one second, in ms. */
const PERIOD = 1000;

/** Upper bounds (seconds) of the request-duration histogram's buckets, as Prometheus' default buckets. */
export const DURATION_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Request durations (ms in, seconds out): one count per bucket, not cumulative; the last bucket is +Inf. */
export class DurationHistogram {
  readonly counts: number[] = new Array<number>(DURATION_BOUNDS.length + 1).fill(0);
  /** Sum of every observed duration, in seconds. */
  sum = 0;
  count = 0;

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  observe(ms: number): void {
    const seconds = ms < 0 ? 0 : ms / 1000;
    let i = 0;
    while (i < DURATION_BOUNDS.length && seconds > DURATION_BOUNDS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** Index of a status in `TrafficCounters.responses`: 1..5 for 1xx..5xx, 0 for anything else. */
export function statusClass(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
}

/**
 * What a frontend, a backend or a server counts (HAProxy's stats columns).
 * Which of them a kind of proxy fills is stats/'s business; the places that
 * count are frontend.ts (accept, sessions, TLS), session/stream-counters.ts
 * (each HTTP request's end) and tcp-stream.ts (each TCP stream's end).
 */
export class TrafficCounters {
  /** Connections accepted (conn_tot), before any rule; their rate. */
  connections = 0;
  readonly connectionRate = new PerSecond();
  /** Sessions (frontend: client connections served; backend, server: streams given to it) and their rate. */
  sessions = 0;
  readonly sessionRate = new PerSecond();
  /** The most sessions at once (smax). */
  sessionsMax = 0;
  /** Monotonic ms of the last session, -1 before the first (lastsess). */
  lastSession = -1;
  /** HTTP requests (req_tot) and their rate. */
  requests = 0;
  readonly requestRate = new PerSecond();
  /** HTTP responses by class: [other, 1xx, 2xx, 3xx, 4xx, 5xx]. */
  readonly responses: number[] = [0, 0, 0, 0, 0, 0];
  bytesIn = 0;
  bytesOut = 0;
  /** Bytes to the client per second, counted when bytesOut is (`show info` BytesOutRate sums the frontends'). */
  readonly bytesOutRate = new PerSecond();
  /**
   * What `show info` sums over the frontends, never cleared: HAProxy's process
   * totals (CumReq, TotalBytesOut, CumSslConns) survive `clear counters all`
   * (measured). `requests`: those read, not those the codec refused.
   */
  readonly lifetime = { requests: 0, bytesOut: 0, tlsSessions: 0 };
  /** Requests and responses refused by rules (dreq, dresp). */
  deniedRequests = 0;
  deniedResponses = 0;
  /** Requests the proxy answered by itself: return, redirect, auth (intercepted). */
  intercepted = 0;
  /** Bad or aborted requests (ereq), failed connects (econ), bad or lost responses (eresp). */
  requestErrors = 0;
  connectionErrors = 0;
  responseErrors = 0;
  /** Aborts during the data phase: by the client (cli_abrt), by the server (srv_abrt). */
  clientAborts = 0;
  serverAborts = 0;
  /** Connect attempts made again (wretr), and those sent to another server (wredis). */
  retries = 0;
  redispatches = 0;
  /** TLS handshakes completed (ssl_sess) and failed (ssl_failed_handshake), frontends. */
  tlsHandshakes = 0;
  tlsFailures = 0;
  /** Client connections by protocol and the requests they carried (HAProxy's h1/h2 module columns). */
  h1Connections = 0;
  h2Connections = 0;
  h1Streams = 0;
  h2Streams = 0;
  /** How long requests took, first byte of the request to the end of the answer (backends). */
  readonly durations = new DurationHistogram();
  /** Backends and servers: the average and longest queue, connect, response and total times (qtime...ttime_max). */
  readonly times = new TimeStats();

  /**
   * `clear counters`: what HAProxy 2.6's resets without `all` (measured):
   * the maxima (smax, rate_max, req_rate_max, conn_rate_max) and the stats
   * modules' counters, which it declares clearable (h1, h2, ssl columns).
   */
  clearMax(): void {
    this.sessionsMax = 0;
    this.sessionRate.max = 0;
    this.requestRate.max = 0;
    this.connectionRate.max = 0;
    this.h1Connections = this.h2Connections = this.h1Streams = this.h2Streams = 0;
    this.tlsHandshakes = this.tlsFailures = 0;
    this.times.clearMax();
  }

  /** `clear counters all`: every counter, as HAProxy's memset of the proxy's and servers' counters. */
  clearAll(): void {
    this.clearMax();
    this.connections = this.sessions = this.requests = 0;
    this.connectionRate.clear();
    this.sessionRate.clear();
    this.requestRate.clear();
    this.lastSession = -1;
    this.responses.fill(0);
    this.bytesIn = this.bytesOut = 0;
    this.deniedRequests = this.deniedResponses = this.intercepted = 0;
    this.requestErrors = this.connectionErrors = this.responseErrors = 0;
    this.clientAborts = this.serverAborts = 0;
    this.retries = this.redispatches = 0;
    this.durations.clear();
    this.times.clearAll();
  }

  /** `n` bytes went to the client (a frontend's bytesOut and its rate). */
  sent(n: number, now: number): void {
    this.bytesOut += n;
    this.lifetime.bytesOut += n;
    if (n > 0) this.bytesOutRate.add(now, n);
  }

  /** A session started with `current` open now (this one included). */
  sessionStarted(current: number, now: number): void {
    this.sessions++;
    this.sessionRate.add(now);
    if (current > this.sessionsMax) this.sessionsMax = current;
    this.lastSession = now;
  }
}
