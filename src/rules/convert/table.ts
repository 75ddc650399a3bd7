// table_<counter>(TABLE) converters (HAProxy 2.6 §7.3.1): the input sample is
// a key looked up in a stick table, through Txn.world.table. A key the table
// has not seen counts 0; a counter the table does not store is no sample.
import type { CompileEnv, ConverterDef, Sample, Txn } from "../types.ts";

const COUNTERS: readonly (readonly [suffix: string, counter: string])[] = [
  ["conn_cur", "conn_cur"],
  ["conn_cnt", "conn_cnt"],
  ["conn_rate", "conn_rate"],
  ["sess_cnt", "sess_cnt"],
  ["sess_rate", "sess_rate"],
  ["http_req_cnt", "http_req_cnt"],
  ["http_req_rate", "http_req_rate"],
  ["http_err_cnt", "http_err_cnt"],
  ["http_err_rate", "http_err_rate"],
  ["gpc0", "gpc0"],
  ["gpc0_rate", "gpc0_rate"],
  ["bytes_in_rate", "bytes_in_rate"],
  ["bytes_out_rate", "bytes_out_rate"],
  ["server_id", "server_id"],
];

function tableConverter(suffix: string, counter: string): ConverterDef {
  const name = `table_${suffix}`;
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    in: "str",
    out: "int",
    compile(args: readonly string[], env: CompileEnv) {
      const table = args[0]!;
      if (!env.hasTable(table)) return `${name}: no stick-table named '${table}'`;
      return (s: Sample, t: Txn) => {
        const store = t.world.table?.(table);
        if (store === undefined) return undefined;
        const entry = store.lookup(s, t.now);
        return entry === undefined ? 0 : entry.read(counter, t.now);
      };
    },
  };
}

export const TABLE_CONVERTERS: readonly ConverterDef[] = COUNTERS.map(([suffix, counter]) => tableConverter(suffix, counter));
