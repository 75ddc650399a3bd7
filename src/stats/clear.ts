// `clear counters [all]` on the runtime API: HAProxy 2.6's
// cli_parse_clear_counters over the counters the core keeps (stats/ reads
// them, it keeps none). Without `all`: the maxima (smax, qmax, rate_max,
// req_rate_max, conn_rate_max) and the stats modules' counters (h1, h2, ssl
// columns); with `all`: every counter of every frontend, backend and server.
// What is a state, not a count (scur, qcur, status, weights), stays.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { Frontend } from "../core/frontend.ts";
import type { ProcessCounters } from "../core/process-counters.ts";

/** What clear counters reaches: the running proxy's frontends and backends. */
export interface Counted {
  readonly frontends: readonly Frontend[];
  readonly backends: ReadonlyMap<string, Backend>;
  /** The process's rates: `show info`'s MaxConnRate, MaxSessRate, MaxSslRate go back to 0 (measured on HAProxy 2.6). */
  readonly totals?: ProcessCounters;
}

export function clearCounters(proxy: Counted, all: boolean): void {
  proxy.totals?.clearMax();
  for (const f of proxy.frontends) {
    if (!all) f.counters.clearMax();
    else {
      f.counters.clearAll();
      f.deniedConnections = 0;
      f.deniedSessions = 0;
      f.totalSessions = 0;
    }
  }
  for (const b of proxy.backends.values()) {
    b.queueMax = 0;
    if (all) b.counters.clearAll();
    else b.counters.clearMax();
    for (const s of b.servers) clearServer(s, all);
  }
}

function clearServer(s: Server, all: boolean): void {
  s.queueMax = 0;
  if (!all) return s.counters.clearMax();
  s.counters.clearAll();
  s.totalConnections = 0;
  s.connectFailures = 0;
  s.bytesIn = s.bytesOut = 0;
  // HAProxy's `connect` and `reuse` columns are the server's counters too.
  s.pool.opened = 0;
  s.pool.reused = 0;
}
