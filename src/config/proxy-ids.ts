// Proxy ids as HAProxy numbers them (its `iid`, `be_id`): every proxy in the
// order the configuration wrote it, from 1, a `listen` (a frontend and a
// backend of one name here) once. The stats' CSV and `show servers state`
// must agree on them.
import type { Config } from "./types.ts";

export function proxyIds(config: Config): Map<string, number> {
  const all = [...config.frontends, ...config.backends].map((p) => ({ name: p.name, origin: p.origin }));
  all.sort((a, b) => (a.origin.line ?? 0) - (b.origin.line ?? 0) || (a.origin.col ?? 0) - (b.origin.col ?? 0));
  // Files in the order they were given: a stable sort keeps each file's proxies together by their first appearance.
  const files: string[] = [];
  for (const p of [...config.frontends, ...config.backends]) if (!files.includes(p.origin.file ?? "")) files.push(p.origin.file ?? "");
  all.sort((a, b) => files.indexOf(a.origin.file ?? "") - files.indexOf(b.origin.file ?? ""));
  const ids = new Map<string, number>();
  for (const p of all) if (!ids.has(p.name)) ids.set(p.name, ids.size + 1);
  return ids;
}
