// A proxy's compression settings and filters from its section and its
// defaults (issue 19, compress), as HAProxy 2.6 inherits them: the section's
// `compression` lines replace the defaults' (`offload` is ignored in defaults,
// with cfg-notes.ts's warning), `filter` lines are the section's own. A
// listen runs its filters once, on its frontend half.
import { ConfigError } from "./errors.ts";
import type { ProxyPart } from "./model.ts";
import type { CheckedProxy } from "./sections.ts";
import { proxyFilters } from "./schema-filters.ts";
import type { CompressionConfig, FilterConfig } from "./types-filters.ts";

export interface FilteredProxy {
  compression?: CompressionConfig;
  filters?: FilterConfig[];
}

/** Sets `config.compression` and (`withFilters`) `config.filters`; a problem goes to `problems`. */
export function applyFilters(
  config: FilteredProxy,
  proxy: CheckedProxy,
  part: ProxyPart,
  defaults: ProxyPart,
  withFilters: boolean,
  problems: ConfigError[],
  /** `tune.comp.maxlevel` (global), when set. */
  level?: number,
): void {
  const inherited = part.compression ?? (defaults.compression === undefined ? undefined : { ...defaults.compression, offload: false });
  const compression = inherited === undefined || level === undefined ? inherited : { ...inherited, level };
  if (compression !== undefined) config.compression = compression;
  if (!withFilters) return;
  const filters = proxyFilters(proxy.name, compression, part.filters);
  if (typeof filters === "string") problems.push(new ConfigError(proxy.origin, [`${proxy.kind} '${proxy.name}'`], filters));
  else if (filters.length > 0) config.filters = filters;
}
