// `peers` sections (HAProxy's stick-table synchronisation, issue 19) in both
// syntaxes, the global `localpeer`, and the `peers <section>` option of
// `stick-table`. haproxy.cfg's lines (cfg-peers.ts reads them):
//
//   peers mycluster
//     peer  web1 10.0.0.1:10000        # one line per peer, this process's own among them
//     peer  web2 10.0.0.2:10000
//     bind  10.0.0.1:10000             # or HAProxy 2.x's form: bind for the local peer,
//     server web1                      #   server NAME (no address) for it,
//     server web2 10.0.0.2:10000       #   server NAME ADDR:PORT for the others
//     table t1 type string len 100 size 200k expire 5m store gpc0,conn_rate(30s)
//     disabled | enabled
//
// YAML:
//
//   peers:
//     mycluster:
//       peers: { web1: "10.0.0.1:10000", web2: "10.0.0.2:10000" }   # or a list of { name, address }
//       bind: "10.0.0.1:10000"                                      # optional
//       tables: { t1: "type string len 100 size 200k expire 5m store gpc0" }
//       disabled: false
//
// Which peer is this process: `sluice run -L NAME`, else global `localpeer`,
// else the host's name, as HAProxy picks it. A section without a peer of that
// name is removed with HAProxy's warning (its tables then stay local).
import * as v from "valibot";
import type { StickTableSpec } from "../stick/types.ts";
import type { PeersSectionConfig } from "./types.ts";
import { parseAddress } from "./address.ts";
import { parseStickTableLine, type StickTableShape } from "./schema-stick.ts";
import { describe, isMapping } from "./schema-values.ts";

/** The global keyword this file adds. */
export const PEERS_GLOBAL = {
  localpeer: v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }): string => {
        const x = dataset.value;
        if (typeof x === "string" && /^[A-Za-z0-9_.:-]+$/.test(x)) return x;
        addIssue({ message: `invalid localpeer ${describe(x)} (expected a peer name: letters, digits, '_', '.', ':', '-')` });
        return NEVER;
      }),
    ),
  ),
};

export interface PeerEntry {
  name: string;
  /** Undefined: the local peer in the bind/server form (its address is the bind's). */
  host?: string;
  port?: number;
}

export interface PeersPart {
  peers: PeerEntry[];
  bind?: { host: string; port: number };
  /** Tables declared in the section, by their own name (the rules name them "<section>/<name>"). */
  tables: { name: string; shape: StickTableShape }[];
  disabled: boolean;
}

const PEER_NAME = /^[A-Za-z0-9_.:-]+$/;

function peerEntry(name: unknown, address: unknown): PeerEntry | string {
  if (typeof name !== "string" || !PEER_NAME.test(name)) return `invalid peer name ${describe(name)} (letters, digits, '_', '.', ':', '-')`;
  if (address === undefined || address === null) return { name };
  if (typeof address !== "string") return `peer '${name}': invalid address ${describe(address)} (expected HOST:PORT)`;
  const a = parseAddress(address, "server");
  if (!a.ok) return `peer '${name}': ${a.error}`;
  return { name, host: a.host, port: a.port };
}

function readPeers(x: unknown): PeerEntry[] | string {
  const out: PeerEntry[] = [];
  const items: [unknown, unknown][] = Array.isArray(x)
    ? x.map((p) => (isMapping(p) ? [p.name, p.address] : [undefined, p]))
    : isMapping(x)
      ? Object.entries(x)
      : [];
  if (!Array.isArray(x) && !isMapping(x)) return `invalid peers ${describe(x)} (expected a mapping of peer names to HOST:PORT, or a list of { name, address })`;
  for (const [name, address] of items) {
    const e = peerEntry(name, address);
    if (typeof e === "string") return e;
    if (out.some((p) => p.name === e.name)) return `peer '${e.name}' declared twice`;
    out.push(e);
  }
  return out;
}

function readTables(x: unknown): PeersPart["tables"] | string {
  const items: [unknown, unknown][] = Array.isArray(x)
    ? x.map((t) => (typeof t === "string" ? [t.trim().split(/\s+/)[0], t.trim().split(/\s+/).slice(1)] : isMapping(t) ? [t.name, t.definition] : [undefined, t]))
    : isMapping(x)
      ? Object.entries(x)
      : [];
  if (!Array.isArray(x) && !isMapping(x)) return `invalid tables ${describe(x)} (expected a mapping of table names to definitions such as 'type ip size 100k expire 30s')`;
  const out: PeersPart["tables"] = [];
  for (const [name, def] of items) {
    if (typeof name !== "string" || !/^[A-Za-z0-9_.:-]+$/.test(name)) return `invalid table name ${describe(name)}`;
    const words = typeof def === "string" ? def.trim().split(/\s+/) : Array.isArray(def) && def.every((w) => typeof w === "string") ? (def as string[]) : undefined;
    if (words === undefined) return `table '${name}': invalid definition ${describe(def)} (expected 'type ... size ...')`;
    const shape = parseStickTableLine(words);
    if (typeof shape === "string") return `table '${name}': ${shape}`;
    if (out.some((t) => t.name === name)) return `table '${name}' declared twice`;
    out.push({ name, shape });
  }
  return out;
}

/** One `peers` section, as either syntax writes it. */
export const PeersSectionSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): PeersPart => {
    const x = dataset.value ?? {};
    if (!isMapping(x)) {
      addIssue({ message: `invalid peers section ${describe(x)} (expected a mapping with peers, bind, tables, disabled)` });
      return NEVER;
    }
    const fail = (message: string, key?: string) => {
      addIssue(key === undefined ? { message } : { message, path: [{ type: "object", origin: "value", input: x, key, value: x[key] }] });
      return NEVER;
    };
    for (const key of Object.keys(x)) {
      if (!["peers", "bind", "tables", "disabled", "enabled"].includes(key)) {
        return fail(`unknown keyword '${key}' in a peers section (expected peer, server, bind, table, disabled or enabled)`, key);
      }
    }
    const peers = x.peers === undefined ? [] : readPeers(x.peers);
    if (typeof peers === "string") return fail(peers, "peers");
    const tables = x.tables === undefined ? [] : readTables(x.tables);
    if (typeof tables === "string") return fail(tables, "tables");
    const part: PeersPart = { peers, tables, disabled: false };
    if (x.bind !== undefined) {
      const a = typeof x.bind === "string" ? parseAddress(x.bind, "bind") : { ok: false as const, error: `invalid bind ${describe(x.bind)}` };
      if (!a.ok) return fail(`bind: ${a.error}`, "bind");
      part.bind = { host: a.host, port: a.port };
    }
    for (const key of ["disabled", "enabled"] as const) {
      if (x[key] === undefined) continue;
      if (typeof x[key] !== "boolean") return fail(`invalid ${key} ${describe(x[key])} (expected true or false)`, key);
      part.disabled = key === "disabled" ? x[key] : !x[key];
    }
    return part;
  }),
);

/**
 * The section for this process: its tables (always: rules may name them even
 * when nothing synchronises them, as in HAProxy), and its peers, or why it is
 * left out (HAProxy's warning: no peer has the local name), or an error.
 */
export function resolvePeers(name: string, part: PeersPart, localName: string): { tables: StickTableSpec[]; config?: PeersSectionConfig; warning?: string; error?: string } {
  // On the wire HAProxy 2.6 names such a table "/<table>" (its name past the
  // section's, slash included, as its peers.c announces it): the same here, so
  // that the two find each other's tables (peers-sync.ts also takes "<table>").
  const tables = part.tables.map((t): StickTableSpec => ({ ...t.shape, name: `${name}/${t.name}`, sharedName: `/${t.name}`, peers: name }));
  if (part.disabled) return { tables, warning: `peers section '${name}' is disabled: its tables are not synchronised` };
  const local = part.peers.find((p) => p.name === localName);
  if (local === undefined) return { tables, warning: `Removing incomplete section 'peers ${name}' (no peer named '${localName}').` };
  const listenAt = local.host !== undefined ? { host: local.host, port: local.port! } : part.bind;
  if (listenAt === undefined) return { tables, error: `peers section '${name}': the local peer '${localName}' has no address (give it one, or a 'bind' line)` };
  const remotes: PeersSectionConfig["remotes"] = [];
  for (const p of part.peers) {
    if (p.name === localName) continue;
    if (p.host === undefined) return { tables, error: `peers section '${name}': peer '${p.name}' has no address (only the local peer may omit it)` };
    remotes.push({ name: p.name, host: p.host, port: p.port! });
  }
  return { tables, config: { name, localName, listen: listenAt, remotes, tables } };
}
