// The lines of a haproxy.cfg `peers` section → the raw entries YAML writes
// (schema-peers.ts checks both):
//
//   peer <name> <addr>:<port>     a peer (the local one among them)
//   server <name> [<addr>:<port>] HAProxy 2.x's form; without an address: the local peer
//   bind <addr>:<port>            where the local peer listens (with `server` lines)
//   table <name> <stick-table definition>
//   disabled | enabled

export type PeersLine =
  | { peer: { name: string; address?: string } }
  | { bind: string }
  | { table: { name: string; words: string[] } }
  | { flag: "disabled" | "enabled" }
  | { error: string };

const USAGE: Record<string, string> = {
  peer: "peer <name> <addr>:<port>",
  server: "server <name> [<addr>:<port>]",
  bind: "bind <addr>:<port>",
  table: "table <name> type <type> size <size> [expire <time>] [store <data types>]",
};

/** Why the keywords of HAProxy's peers sections that sluice does not take are refused. */
const REFUSED: Record<string, string> = {
  "default-server": "'default-server' in a peers section is not supported (peer connections take no server options in sluice)",
  "default-bind": "'default-bind' in a peers section is not supported (peer listeners take no bind options in sluice)",
  log: "'log' in a peers section is not supported (sluice logs peer sessions through the process's log targets)",
  shards: "'shards' is not supported: HAProxy 2.6 has no shards either (HAProxy 2.9+)",
};

export function readPeersLine(keyword: string, args: readonly string[]): PeersLine {
  if (keyword === "disabled" || keyword === "enabled") {
    if (args.length > 0) return { error: `'${keyword}' takes no arguments` };
    return { flag: keyword };
  }
  if (REFUSED[keyword] !== undefined) return { error: REFUSED[keyword] };
  const usage = USAGE[keyword];
  if (usage === undefined) return { error: `unknown keyword '${keyword}' in a peers section (expected peer, server, bind, table, disabled or enabled)` };
  const [first, ...rest] = args;
  if (first === undefined) return { error: `'${keyword}' expects arguments (usage: ${usage})` };
  switch (keyword) {
    case "bind":
      if (rest.length > 0) return { error: `'bind' options are not supported in a peers section: '${rest[0]}' (usage: ${usage})` };
      return { bind: first };
    case "table":
      return { table: { name: first, words: rest } };
    default: {
      const [address, extra] = rest;
      if (keyword === "peer" && address === undefined) return { error: `'peer ${first}' needs an address (usage: ${usage})` };
      if (extra !== undefined) return { error: `'${keyword} ${first}': option '${extra}' is not supported in a peers section (usage: ${usage})` };
      return { peer: address === undefined ? { name: first } : { name: first, address } };
    }
  }
}

/** Puts a line's entry in the section's raw mapping; returns the paths (relative to it) to mark for messages. */
export function addPeersLine(node: Record<string, unknown>, line: Exclude<PeersLine, { error: string }>): (string | number)[][] {
  if ("flag" in line) {
    node[line.flag] = true;
    return [[line.flag]];
  }
  if ("bind" in line) {
    node.bind = line.bind;
    return [["bind"]];
  }
  const key = "peer" in line ? "peers" : "tables";
  const list = (node[key] ??= []) as unknown[];
  list.push("peer" in line ? line.peer : { name: line.table.name, definition: line.table.words });
  return [[key], [key, list.length - 1]];
}
