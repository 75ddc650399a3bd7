// The proxies' numbers (HAProxy's uuid): `show stat`'s iid, `show errors`'
// `(#2)`. HAProxy numbers its proxies in configuration order from 1, and a
// `stats socket` in `global` makes its CLI proxy (GLOBAL, never shown in the
// stats) first: then the first section is #2 (measured on HAProxy 2.6.12:
// `www,FRONTEND,2` with a stats socket, `www,FRONTEND,1` without).
import type { Config } from "../config/types.ts";

/** Every proxy's number by name; a listen's two halves share one. */
export function proxyIds(config: Pick<Config, "frontends" | "backends" | "global">): Map<string, number> {
  const sections = [...config.frontends, ...config.backends];
  const files = [...new Set(sections.map((p) => p.origin.file))];
  sections.sort((a, b) => files.indexOf(a.origin.file) - files.indexOf(b.origin.file) || (a.origin.line ?? 0) - (b.origin.line ?? 0));
  const ids = new Map<string, number>();
  let next = (config.global.statsSockets?.length ?? 0) > 0 ? 2 : 1;
  for (const p of sections) if (!ids.has(p.name)) ids.set(p.name, next++);
  return ids;
}
