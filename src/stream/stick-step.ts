// Persistence by a stick table (issue 15): a backend's `stick on|match|
// store-request` lines for one request, after HAProxy 2.6's
// process_sticking_rules and process_store_rules.
//
// When the request arrives, the lines run in order: a line whose condition
// holds and whose pattern gives a key looks the key up (on, match) and, if no
// server is chosen yet, the server whose id the entry holds takes the request
// while it is usable; the key is also kept to be stored (on, store-request),
// once per table. When the chosen server's response head arrives, each kept
// key's entry gets that server's id: a client whose server went DOWN is
// balanced to another and sticks to it from then on.
//
// Server ids: HAProxy numbers a backend's servers from 1 in the order written
// (sluice has no `id` server option), so the id is the position plus one.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { StickRule } from "../rules/rule-set.ts";
import type { Sample } from "../rules/types.ts";
import type { StickStore, StickTable } from "../stick/types.ts";
import type { RuledTxn } from "./types.ts";

/** The step for a request to `backend`, or undefined when it has no `stick` lines (or no tables, or no transaction). */
export function stickStep(backend: Backend, txn: RuledTxn | undefined, assigned: boolean): StickStep | undefined {
  const rules = backend.config.stickRules;
  if (rules === undefined || txn === undefined) return undefined;
  const tables = txn.stickTables;
  return tables === undefined ? undefined : new StickStep(rules, backend.servers, txn, tables, assigned);
}

export class StickStep {
  /** The server an entry named, usable: the request goes there. */
  readonly server: Server | undefined;
  private readonly tables: StickTable[] = [];
  private readonly keys: Sample[] = [];

  /** Runs the lines for the request; `assigned`: a server is chosen already (a cookie, use-server), so no match steers. */
  constructor(rules: readonly StickRule[], private readonly servers: readonly Server[], txn: RuledTxn, store: StickStore, assigned: boolean) {
    let server: Server | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const table = store.table(rule.table);
      // A table already given a key by an earlier line: HAProxy does not run it twice.
      if (table === undefined || this.tables.includes(table)) continue;
      if (rule.when !== undefined && !rule.when(txn)) continue;
      const key = rule.key(txn);
      if (key === undefined) continue;
      if (rule.match) {
        const entry = table.lookup(key, txn.now);
        if (entry !== undefined) {
          if (!assigned && server === undefined) {
            const id = entry.read("server_id", txn.now);
            const named = id === undefined ? undefined : servers[id - 1];
            if (named !== undefined && named.usable) server = named;
          }
          entry.touch(txn.now);
        }
      }
      if (rule.store) {
        this.tables.push(table);
        this.keys.push(key);
      }
    }
    this.server = server;
  }

  /** The response of `server` came: the kept keys stick to it. */
  store(server: Server, now: number): void {
    const id = this.servers.indexOf(server) + 1;
    if (id === 0) return;
    for (let i = 0; i < this.tables.length; i++) this.tables[i]!.track(this.keys[i]!, now)?.set("server_id", id, now);
  }
}
