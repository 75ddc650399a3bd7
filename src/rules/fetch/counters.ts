// Stick-counter fetches (HAProxy 2.6 §7.3.3): sc_<counter>(N[,table]) and
// its sc0_/sc1_/sc2_ spellings read the entry track-scN attached to the
// transaction; src_<counter>([table]) looks the client's address up. An
// untracked counter or a counter the table does not store is no sample (so
// `sc_http_req_rate(0) gt 10` does not match); an address src_* does not
// find counts 0; both as in HAProxy.
import { ANY_STAGE, type CompileEnv, type FetchDef, type SampleFn, type Txn } from "../types.ts";
import { define } from "./define.ts";

/**
 * The counters a stick table may store that the sc_*, src_* fetches and the
 * table_* converters read, by the name the store knows them by (the
 * table_* converters also read server_id).
 */
export const STORED_COUNTERS: readonly string[] = [
  "conn_cur",
  "conn_cnt",
  "conn_rate",
  "sess_cnt",
  "sess_rate",
  "http_req_cnt",
  "http_req_rate",
  "http_err_cnt",
  "http_err_rate",
  "gpc0",
  "gpc0_rate",
  "bytes_in_rate",
  "bytes_out_rate",
];

/** Fetch suffix → the counter the store reads (`get_gpc0` reads gpc0). */
const COUNTERS: readonly (readonly [suffix: string, counter: string])[] = STORED_COUNTERS.map((c) => [c === "gpc0" ? "get_gpc0" : c, c]);

/** A named table exists, or what is wrong. */
function checkTable(fetch: string, table: string | undefined, env: CompileEnv): string | undefined {
  if (table !== undefined && table !== "" && !env.hasTable(table)) return `${fetch}: no stick-table named '${table}'`;
  return undefined;
}

/** Reads `counter` of stick counter `slot`, in `table` when one is named. */
function trackedReader(slot: number, table: string | undefined, counter: string): SampleFn {
  if (table === undefined || table === "") {
    return (t) => t.tracked[slot]?.read(counter, t.now);
  }
  return (t: Txn) => {
    const entry = t.tracked[slot];
    if (entry === undefined) return undefined;
    if (entry.table === table) return entry.read(counter, t.now);
    // The tracked key, looked up in another table.
    if (entry.key === undefined) return undefined;
    return t.world.table?.(table)?.lookup(entry.key, t.now)?.read(counter, t.now);
  };
}

function slotArg(text: string): number | undefined {
  return text === "0" || text === "1" || text === "2" ? Number(text) : undefined;
}

function counterFetches(suffix: string, counter: string): FetchDef[] {
  const out: FetchDef[] = [
    define(`sc_${suffix}`, 1, 2, "int", ANY_STAGE, "int", (args, env) => {
      const slot = slotArg(args[0]!);
      if (slot === undefined) return `sc_${suffix}: the stick counter '${args[0]}' is not 0, 1 or 2`;
      const bad = checkTable(`sc_${suffix}`, args[1], env);
      return bad ?? { one: trackedReader(slot, args[1], counter) };
    }),
    define(`src_${suffix}`, 0, 1, "int", ANY_STAGE, "int", (args, env) => {
      const table = args[0] === undefined || args[0] === "" ? env.ownTable : args[0];
      if (table === undefined) return `src_${suffix} needs a table: name one, or declare a stick-table in this proxy`;
      const bad = checkTable(`src_${suffix}`, table, env);
      if (bad !== undefined) return bad;
      // An address the table has not seen counts 0 (HAProxy).
      return {
        one: (t) => {
          const store = t.world.table?.(table);
          if (store === undefined) return undefined;
          const entry = store.lookup(t.client.address, t.now);
          return entry === undefined ? 0 : entry.read(counter, t.now);
        },
      };
    }),
  ];
  for (let slot = 0; slot < 3; slot++) {
    out.push(define(`sc${slot}_${suffix}`, 0, 1, "int", ANY_STAGE, "int", (args, env) => {
      const bad = checkTable(`sc${slot}_${suffix}`, args[0], env);
      return bad ?? { one: trackedReader(slot, args[0], counter) };
    }));
  }
  return out;
}

export const COUNTER_FETCHES: readonly FetchDef[] = [
  ...COUNTERS.flatMap(([suffix, counter]) => counterFetches(suffix, counter)),
  define("sc_tracked", 1, 1, "bool", ANY_STAGE, "bool", (args) => {
    const slot = slotArg(args[0]!);
    if (slot === undefined) return `sc_tracked: the stick counter '${args[0]}' is not 0, 1 or 2`;
    return { one: (t) => t.tracked[slot] !== undefined };
  }),
  ...[0, 1, 2].map((slot) => define(`sc${slot}_tracked`, 0, 0, "bool", ANY_STAGE, "bool", () => ({ one: (t) => t.tracked[slot] !== undefined }))),
];
