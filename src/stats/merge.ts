// The figures of several workers as one (the master's stats page): rows of
// one proxy or server, matched by name, add up their counters, current
// figures and rates, keep the highest of their maxima, and take the rest
// (names, limits, configuration, state words) from the first worker that
// has a value.
import { COLUMNS } from "./columns.ts";
import type { DurationRow, InfoField, StatRow } from "./types.ts";

const SUMMED = new Set(["Counter", "Gauge", "Rate"]);
/** Figures of one configuration, not of traffic: the same in every worker, never added up. */
const CONFIG = new Set(["pxname", "svname", "pid", "iid", "sid", "type", "weight", "uweight", "act", "bck", "check_rise", "check_fall", "check_health", "lastchg", "downtime", "chkfail", "chkdown", "lastsess", "-"]);

function combine(name: string, nature: string, a: string | number, b: string | number): string | number {
  if (typeof a !== "number" || typeof b !== "number" || CONFIG.has(name)) return a;
  if (nature === "Max") return Math.max(a, b);
  if (SUMMED.has(nature)) return a + b;
  return a;
}

/** One row per (proxy, server) in the first worker's order, then rows only later workers have. */
export function mergeRows(workersRows: readonly (readonly StatRow[])[]): StatRow[] {
  const merged = new Map<string, StatRow>();
  for (const rows of workersRows) {
    for (const row of rows) {
      const key = `${row.pxname}/${row.svname}`;
      const into = merged.get(key);
      if (into === undefined) {
        merged.set(key, { ...row });
        continue;
      }
      for (const c of COLUMNS) {
        const value = row[c.name];
        if (value === undefined) continue;
        const have = into[c.name];
        into[c.name] = have === undefined ? value : combine(c.name, c.nature, have, value);
      }
    }
  }
  return [...merged.values()];
}

/** `show info` of several workers: summed fields added up, the others from the first. */
export function mergeInfo(workersInfo: readonly (readonly InfoField[])[]): InfoField[] {
  const [first, ...rest] = workersInfo;
  if (first === undefined) return [];
  return first.map((f) => {
    if (!f.summed || typeof f.value !== "number") return f;
    let value = f.value;
    for (const other of rest) {
      const v = other.find((o) => o.name === f.name)?.value;
      if (typeof v === "number") value += v;
    }
    return { ...f, value };
  });
}

/** Request-duration histograms of several workers, bucket by bucket. */
export function mergeDurations(workers: readonly (readonly DurationRow[])[]): DurationRow[] {
  const merged = new Map<string, { proxy: string; bounds: readonly number[]; counts: number[]; sum: number; count: number }>();
  for (const rows of workers) {
    for (const r of rows) {
      const into = merged.get(r.proxy);
      if (into === undefined) {
        merged.set(r.proxy, { ...r, counts: [...r.counts] });
        continue;
      }
      r.counts.forEach((n, i) => (into.counts[i] = (into.counts[i] ?? 0) + n));
      into.sum += r.sum;
      into.count += r.count;
    }
  }
  return [...merged.values()];
}
