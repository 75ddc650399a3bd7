// table_<counter>(TABLE) converters (HAProxy 2.6 §7.3.1): the input sample is
// a key looked up in a stick table, through Txn.world.table. A key the table
// has not seen counts 0; a counter the table does not store is no sample.
import type { CompileEnv, ConverterDef, Sample, Txn } from "../types.ts";
import { STORED_COUNTERS } from "../fetch/counters.ts";

function tableConverter(counter: string): ConverterDef {
  const name = `table_${counter}`;
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

export const TABLE_CONVERTERS: readonly ConverterDef[] = [...STORED_COUNTERS, "server_id"].map(tableConverter);
