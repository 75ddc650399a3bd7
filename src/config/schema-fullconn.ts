// `fullconn N` (defaults, backend, listen; issue 19) and the servers'
// `minconn`: in HAProxy the backend load at which servers with `minconn`
// reach their `maxconn`, the dynamic limit ramping between the two
// (backend/server.ts). Without it, HAProxy takes a tenth of the maxconn of
// the frontends that can reach the backend (default_backend, use_backend, a
// listen's own), at least 1.
import * as v from "valibot";
import { integer } from "./schema-values.ts";
import type { BackendConfig, FrontendConfig } from "./types.ts";

export const FULLCONN = { fullconn: v.optional(integer("fullconn", 0)) };

/** Sets HAProxy's default fullconn on the backends without one that have a server with minconn (nothing else reads it). */
export function defaultFullconn(frontends: readonly FrontendConfig[], backends: BackendConfig[]): void {
  for (const b of backends) {
    if (b.fullconn !== undefined || !b.servers.some((s) => s.minconn !== undefined)) continue;
    b.fullconn = Math.max(1, fullconnFrom(frontends, b.name));
  }
}

/** HAProxy's default fullconn of backend `name`: a tenth of the maxconn of the frontends that name it, rounded up (0: none does). */
export function fullconnFrom(frontends: readonly FrontendConfig[], name: string): number {
  let total = 0;
  for (const f of frontends) {
    const reaches = f.defaultBackend === name || (f.ruleLines?.use_backend ?? []).some((line) => line.words[0] === name);
    if (reaches) total += f.maxconn;
  }
  return Math.ceil(total / 10);
}
