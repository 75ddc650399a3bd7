// The per-connection view (invariant 17): every backend connection with its
// owner, state, streams, requests and reuse key, and per-server counters. How
// an operator checks the ownership rules rather than believing them; the stats
// page and the runtime API will render these rows.
import type { ServerPool } from "./server-pool.ts";
import type { ConnPlace } from "../conn/types.ts";

export interface ConnectionRow {
  id: number;
  /** "backend/server" */
  server: string;
  /** The owning session's id (private), or null (shared). */
  owner: number | null;
  /** The session whose stream uses it now (HTTP/2 under safe: the session it is reserved to), or null. */
  session: number | null;
  /** "available": a multiplexed (HTTP/2) connection with free stream slots. */
  state: Exclude<ConnPlace, "new" | "closed"> | "available";
  /** Streams open on it now. */
  streams: number;
  /** Requests it has carried. */
  requests: number;
  /** The reuse key ("" when nothing depends on the client). */
  key: string;
}

export interface ServerConnectionCounters {
  server: string;
  opened: number;
  reused: number;
  idle: number;
  safe: number;
  private: number;
  inUse: number;
  /** Multiplexed connections with free stream slots. */
  available: number;
  violations: number;
}

export function connectionRows(pools: Iterable<ServerPool>): ConnectionRow[] {
  const rows: ConnectionRow[] = [];
  for (const pool of pools) {
    for (const c of pool.live) {
      if (c.place === "new" || c.place === "closed") continue;
      rows.push({
        id: c.id,
        server: pool.id,
        owner: c.owner?.id ?? null,
        session: c.attachedTo?.id ?? null,
        state: c.place,
        streams: c.attachedTo === undefined ? 0 : 1,
        requests: c.requests,
        key: c.key,
      });
    }
  }
  for (const pool of pools) {
    for (const m of pool.muxes) {
      if (m.closed) continue;
      rows.push({
        id: m.id,
        server: pool.id,
        owner: m.owner?.id ?? null,
        session: m.reservedBy?.id ?? null,
        state: m.freeSlots > 0 ? "available" : "in-use",
        streams: m.activeStreams,
        requests: m.opened,
        key: "",
      });
    }
  }
  return rows.sort((a, b) => a.id - b.id);
}

export function serverCounters(pool: ServerPool): ServerConnectionCounters {
  return {
    server: pool.id,
    opened: pool.opened,
    reused: pool.reused,
    idle: pool.idleCount,
    safe: pool.safeCount,
    private: pool.count("private"),
    inUse: pool.count("in-use"),
    available: pool.muxes.filter((m) => !m.closed && m.freeSlots > 0).length,
    violations: pool.violations,
  };
}
