// The counters a table stores, as HAProxy 2.6 names them, and where each lives
// in an entry: every entry of a table is one Float64Array with a slot per plain
// counter and three per rate (freq.ts). A table compiles its `store` list once
// into this layout; per request, a counter is one Map lookup away.
import { RATE_SLOTS } from "./freq.ts";
import type { StickTableSpec } from "./types.ts";

/** How a counter's value is kept, after HAProxy's data types. */
type Width =
  /** unsigned int: wraps at 2^32 (gpc0, conn_cnt, http_req_cnt...). */
  | "u32"
  /** signed int (server_id). */
  | "s32"
  /** unsigned long long: bytes counters; a double is exact to 2^53. */
  | "u64";

interface CounterDef {
  /** The events it counts: a `_cnt` and its `_rate` share one (gpc0 and gpc0_rate: "gpc0"). */
  readonly family: string | undefined;
  readonly rate: boolean;
  readonly width: Width;
}

/** Every counter sluice stores, as HAProxy 2.6 spells it. */
export const STICK_COUNTERS: ReadonlyMap<string, CounterDef> = new Map<string, CounterDef>([
  ["server_id", { family: undefined, rate: false, width: "s32" }],
  ["gpc0", { family: "gpc0", rate: false, width: "u32" }],
  ["gpc0_rate", { family: "gpc0", rate: true, width: "u32" }],
  ["gpc1", { family: "gpc1", rate: false, width: "u32" }],
  ["gpc1_rate", { family: "gpc1", rate: true, width: "u32" }],
  ["conn_cnt", { family: "conn", rate: false, width: "u32" }],
  ["conn_cur", { family: undefined, rate: false, width: "u32" }],
  ["conn_rate", { family: "conn", rate: true, width: "u32" }],
  ["sess_cnt", { family: "sess", rate: false, width: "u32" }],
  ["sess_rate", { family: "sess", rate: true, width: "u32" }],
  ["http_req_cnt", { family: "http_req", rate: false, width: "u32" }],
  ["http_req_rate", { family: "http_req", rate: true, width: "u32" }],
  ["http_err_cnt", { family: "http_err", rate: false, width: "u32" }],
  ["http_err_rate", { family: "http_err", rate: true, width: "u32" }],
  ["bytes_in_cnt", { family: "bytes_in", rate: false, width: "u64" }],
  ["bytes_in_rate", { family: "bytes_in", rate: true, width: "u64" }],
  ["bytes_out_cnt", { family: "bytes_out", rate: false, width: "u64" }],
  ["bytes_out_rate", { family: "bytes_out", rate: true, width: "u64" }],
]);

/** Where one stored counter lives. period 0: a plain counter at `at`; else a rate at `at..at+2`. */
export interface Slot {
  readonly at: number;
  readonly period: number;
  readonly width: Width;
}

/** What add() bumps for a family: its stored plain counter and rate (-1: not stored). */
export interface Bump {
  readonly cnt: number;
  readonly cntWidth: Width;
  readonly rate: number;
  readonly period: number;
}

export interface Layout {
  /** Slots per entry. */
  readonly width: number;
  /** Stored counters by name. */
  readonly slots: ReadonlyMap<string, Slot>;
  /** add() targets, by either name of a family with something stored. */
  readonly bumps: ReadonlyMap<string, Bump>;
  /** The connection family's targets and conn_cur (-1: not stored), for connOpen/connClose. */
  readonly conn: Bump | undefined;
  readonly connCur: number;
}

/** What is wrong with a spec, every problem at once (empty: it builds). */
export function stickSpecProblems(spec: StickTableSpec): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(spec.size) || spec.size < 1) problems.push(`size must be a positive integer (got ${spec.size})`);
  if (!(spec.expireMs >= 0)) problems.push(`expire must be 0 or more milliseconds (got ${spec.expireMs})`);
  if (!Number.isSafeInteger(spec.len) || spec.len < 1) {
    problems.push(`len must be a positive integer (got ${spec.len})`);
  }
  const seen = new Set<string>();
  for (const { counter, periodMs } of spec.store) {
    const def = STICK_COUNTERS.get(counter);
    if (def === undefined) {
      problems.push(`unknown counter '${counter}' (known: ${[...STICK_COUNTERS.keys()].join(", ")})`);
      continue;
    }
    if (seen.has(counter)) problems.push(`counter '${counter}' stored twice`);
    seen.add(counter);
    if (def.rate && !(Number.isSafeInteger(periodMs) && periodMs! >= 1)) {
      problems.push(`counter '${counter}' needs a period in whole milliseconds (got ${periodMs})`);
    }
    if (!def.rate && periodMs !== undefined) problems.push(`counter '${counter}' takes no period`);
  }
  return problems;
}

/** The layout of a valid spec (stickSpecProblems empty). */
export function layoutOf(spec: StickTableSpec): Layout {
  const slots = new Map<string, Slot>();
  let width = 0;
  for (const { counter, periodMs } of spec.store) {
    const def = STICK_COUNTERS.get(counter)!;
    slots.set(counter, { at: width, period: def.rate ? periodMs! : 0, width: def.width });
    width += def.rate ? RATE_SLOTS : 1;
  }
  const bumps = new Map<string, Bump>();
  const families = new Map<string, Bump>();
  for (const [name, def] of STICK_COUNTERS) {
    if (def.family === undefined) continue;
    let bump = families.get(def.family);
    if (bump === undefined) {
      const cntName = [...STICK_COUNTERS].find(([, d]) => d.family === def.family && !d.rate)![0];
      const cnt = slots.get(cntName);
      const rate = slots.get(`${def.family}_rate`);
      bump = { cnt: cnt?.at ?? -1, cntWidth: cnt?.width ?? "u32", rate: rate?.at ?? -1, period: rate?.period ?? 0 };
      families.set(def.family, bump);
    }
    if (bump.cnt >= 0 || bump.rate >= 0) bumps.set(name, bump);
  }
  return { width, slots, bumps, conn: bumps.get("conn_cnt"), connCur: slots.get("conn_cur")?.at ?? -1 };
}

/** A counter's value after adding `n`, kept in its width (HAProxy's unsigned ints wrap). */
export function widen(value: number, width: Width): number {
  if (width === "u32") return value >>> 0;
  if (width === "s32") return value | 0;
  const whole = Math.trunc(value);
  return whole > 0 ? whole : 0;
}
