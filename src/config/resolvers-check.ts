// The `resolvers` sections across files, and the servers that name them:
// HAProxy's checks in its words (a section without nameservers is a
// warning; a server naming a section that does not exist, or a name used
// twice, is an error).
import { ConfigError, formatPos } from "./errors.ts";
import type { CheckedSegment } from "./sections.ts";
import type { BackendConfig, Origin, ResolversConfig } from "./types.ts";

export function collectResolvers(
  checked: CheckedSegment[],
  backends: readonly BackendConfig[],
  errors: ConfigError[],
  warnings: ConfigError[],
): ResolversConfig[] | undefined {
  const seen = new Map<string, Origin>();
  const all: ResolversConfig[] = [];
  for (const section of checked.flatMap((seg) => seg.resolvers ?? [])) {
    const context = [`resolvers '${section.name}'`];
    const first = seen.get(section.name);
    if (first !== undefined) {
      errors.push(new ConfigError(section.origin, context, `duplicate name (resolvers '${section.name}' is already defined at ${formatPos(first)})`));
      continue;
    }
    seen.set(section.name, section.origin);
    if (section.config === undefined) continue;
    if (section.config.nameservers.length === 0) warnings.push(new ConfigError(section.origin, context, "has no nameservers configured!"));
    all.push(section.config);
  }
  for (const b of backends) {
    for (const s of b.servers) {
      if (s.resolvers === undefined) continue;
      // HAProxy asks SRV records for such names (DNS service discovery, server-template): not here.
      if (s.host.startsWith("_")) {
        errors.push(new ConfigError(s.origin, [`backend '${b.name}'`, `server '${s.name}'`], `'${s.host}' is an SRV name: resolving SRV records (DNS service discovery) is not supported yet, only A and AAAA`));
        continue;
      }
      if (seen.has(s.resolvers)) continue;
      errors.push(new ConfigError(s.origin, [`backend '${b.name}'`, `server '${s.name}'`], `unable to find required resolvers '${s.resolvers}'`));
    }
  }
  return all.length === 0 ? undefined : all;
}
