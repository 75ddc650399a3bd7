// YAML's `default-server`: a mapping of server options in `defaults`, a
// backend or a listen, which every server of the section starts from (the
// defaults' first, then the section's, then the server's own keys). It is
// merged into the raw servers before the schemas read them, with the
// positions of the `default-server` keys, so a bad value is reported where it
// was written. (haproxy.cfg's `default-server` lines are applied by the
// parser, in order, as HAProxy applies them: cfg-defaults.ts.)

import { ConfigError } from "./errors.ts";
import { isMapping } from "./schema-values.ts";
import { pathKey, type PathSeg, type RawSegment } from "./raw.ts";

type Options = { path: PathSeg[]; values: Record<string, unknown> };

function optionsAt(seg: RawSegment, owner: Record<string, unknown>, path: PathSeg[], errors: ConfigError[]): Options | undefined {
  if (!("default-server" in owner)) return undefined;
  const values = owner["default-server"];
  delete owner["default-server"];
  const at = [...path, "default-server"];
  if (!isMapping(values)) {
    const pos = seg.values.get(pathKey(at)) ?? { file: seg.file };
    errors.push(new ConfigError(pos, [], "invalid default-server (expected a mapping of server options)"));
    return undefined;
  }
  for (const key of ["name", "address", "cookie"]) {
    if (key in values) {
      const pos = seg.keys.get(pathKey([...at, key])) ?? { file: seg.file };
      errors.push(new ConfigError(pos, [], `default-server: '${key}' is not allowed here (each server's ${key} is its own)`));
      return undefined;
    }
  }
  return { path: at, values };
}

function apply(seg: RawSegment, server: Record<string, unknown>, serverPath: PathSeg[], layers: Options[]): void {
  const own = new Set(Object.keys(server));
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (own.has(key)) continue;
      server[key] = value;
      for (const map of [seg.keys, seg.values]) {
        const pos = map.get(pathKey([...layer.path, key]));
        if (pos !== undefined) map.set(pathKey([...serverPath, key]), pos);
      }
    }
  }
}

/** Merges the segment's `default-server` mappings into its servers and removes them. */
export function applyDefaultServer(seg: RawSegment, errors: ConfigError[]): void {
  const doc = seg.doc;
  const fromDefaults = isMapping(doc.defaults) ? optionsAt(seg, doc.defaults, ["defaults"], errors) : undefined;
  for (const category of ["backends", "listen"]) {
    const group = doc[category];
    if (!isMapping(group)) continue;
    for (const [name, section] of Object.entries(group)) {
      if (!isMapping(section)) continue;
      const own = optionsAt(seg, section, [category, name], errors);
      const layers = [fromDefaults, own].filter((o): o is Options => o !== undefined);
      const servers = section.servers;
      if (layers.length === 0) continue;
      if (Array.isArray(servers)) {
        servers.forEach((s, i) => {
          if (isMapping(s)) apply(seg, s, [category, name, "servers", i], layers);
        });
      } else if (isMapping(servers)) {
        for (const [serverName, s] of Object.entries(servers)) {
          const entry = typeof s === "string" ? { address: s } : s;
          if (!isMapping(entry)) continue;
          servers[serverName] = entry;
          apply(seg, entry, [category, name, "servers", serverName], layers);
        }
      }
    }
  }
}
