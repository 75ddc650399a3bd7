// The process's own rates (`show info` ConnRate, SessRate, SslRate and their
// maxima) and its connection total: counted once per accept, session and TLS handshake across every
// frontend. The highest rate of the process is not the sum of each
// frontend's highest (they peak at different times), so it is kept here.
import { PerSecond } from "../conn/counters.ts";

export class ProcessCounters {
  /** Connections accepted since start (CumConns): `clear counters all` leaves it, as HAProxy's totalconn. */
  connections = 0;
  /** Messages refused and kept for `show errors` since start (its "Total events captured"). */
  errorEvents = 0;
  /** Connections accepted (HAProxy's cps). */
  readonly connectionRate = new PerSecond();
  /** Sessions started (HAProxy's sps). */
  readonly sessionRate = new PerSecond();
  /** Sessions started over TLS on a `bind ... ssl` (HAProxy's ssl_per_sec, frontends). */
  readonly sslRate = new PerSecond();

  /** `clear counters`: the maxima start again (HAProxy's cps_max, sps_max, ssl_max). */
  clearMax(): void {
    this.connectionRate.max = 0;
    this.sessionRate.max = 0;
    this.sslRate.max = 0;
  }
}
