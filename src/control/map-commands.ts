// Maps on the runtime API, as HAProxy 2.6 answers (map.c): `show map
// [MAP]`, `get map MAP VALUE`, `add map MAP KEY VALUE` (or a payload of `KEY VALUE` lines), `set
// map MAP KEY|#REF VALUE`, `del map MAP KEY|#REF`, `clear map MAP`. MAP is
// the file name as the configuration wrote it, its path, or `#<id>`. The next
// request already sees a change: the map converters rebuild their index on
// their next lookup (rules/match/map-ref.ts). Changes need the operator
// level (HAProxy 2.6 checks none; its documentation gives `user` no change).
import type { MapRef } from "../rules/match/map-ref.ts";
import type { Command, ControlContext } from "./commands.ts";
import { say } from "./commands.ts";
import { getEntry, listRefs, showEntries, versionArg } from "./pattern-refs.ts";
import { MALFORMED_VERSION, showVersion, versionCommands } from "./ref-versions.ts";

const UNKNOWN = say("Unknown map identifier. Please use #<id> or <file>.");

function mapOf(ctx: ControlContext, name: string | undefined): MapRef | undefined {
  return name === undefined ? undefined : ctx.maps?.find(name, "map");
}

/** `KEY VALUE` lines of a payload: the key up to the first blank, the value after it. */
function payloadEntries(payload: string): { key: string; value: string }[] | string {
  const out: { key: string; value: string }[] = [];
  for (const raw of payload.split("\n")) {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "") continue;
    const m = /^(\S+)[ \t]+(.*)$/.exec(line);
    if (m === null) return `'${line}' has no value (expected <key> <value> per line)`;
    out.push({ key: m[1]!, value: m[2]! });
  }
  return out;
}

export const MAP_COMMANDS: readonly Command[] = [
  {
    words: ["show", "map"],
    usage: "show map [@<ver>] [map]",
    help: "report available maps or dump a map's contents",
    level: "user",
    run(call, ctx) {
      if (call.args.length === 0) return listRefs(ctx.maps?.all("map") ?? []);
      const versioned = showVersion("map", call.args, ctx);
      if (versioned !== undefined) return versioned;
      const map = mapOf(ctx, call.args[0]);
      return map === undefined ? UNKNOWN : showEntries(map);
    },
  },
  {
    words: ["get", "map"],
    usage: "get map <map> <value>",
    help: "report the keys and values matching a sample for a map",
    level: "user",
    run(call, ctx) {
      if (call.args.length !== 2) return say("Missing map identifier and/or key.");
      const map = mapOf(ctx, call.args[0]);
      return map === undefined ? UNKNOWN : getEntry(map, "map", call.args[1]!);
    },
  },
  {
    words: ["add", "map"],
    usage: "add map [@<ver>] <map> <key> <val>",
    help: "add a map entry (payload supported instead of key/val)",
    level: "operator",
    run(call, ctx) {
      const usage = say("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload");
      const v = versionArg(call.args);
      if (v !== undefined && Number.isNaN(v.ver)) return MALFORMED_VERSION;
      const args = v?.rest ?? call.args;
      const { payload } = call;
      let entries: { key: string; value: string }[] | string;
      if (args.length === 3 && payload === undefined) entries = [{ key: args[1]!, value: args[2]! }];
      else if (args.length === 1 && payload !== undefined) entries = payloadEntries(payload);
      else return usage;
      const map = mapOf(ctx, args[0]);
      if (map === undefined) return UNKNOWN;
      if (typeof entries === "string") return say(`Failed to add a map entry: ${entries}.`);
      const problem = v === undefined ? map.add(entries) : map.addAt(v.ver, entries);
      if (problem === undefined) return "";
      return say(problem.startsWith("Version number") ? problem : `Failed to add a map entry: ${problem}.`);
    },
  },
  {
    words: ["set", "map"],
    usage: "set map <map> [<key>|#<ref>] <value>",
    help: "modify a map entry",
    level: "operator",
    run(call, ctx) {
      if (call.args.length !== 3) return say("'set map' expects three parameters: map identifier, key and value.");
      const map = mapOf(ctx, call.args[0]);
      if (map === undefined) return UNKNOWN;
      const r = map.set(call.args[1]!, call.args[2]!);
      if (typeof r === "string") return say(`Failed to update an entry: ${r}.`);
      return r === 0 ? say("entry not found.") : "";
    },
  },
  {
    words: ["del", "map"],
    usage: "del map <map> [<key>|#<ref>]",
    help: "delete map entries matching <key>",
    level: "operator",
    run(call, ctx) {
      if (call.args.length !== 2) return say("This command expects two parameters: map identifier and key.");
      const map = mapOf(ctx, call.args[0]);
      if (map === undefined) return UNKNOWN;
      return map.delete(call.args[1]!) === 0 ? say("Key not found.") : "";
    },
  },
  {
    words: ["clear", "map"],
    usage: "clear map [@<ver>] <map>",
    help: "clear the contents of this map",
    level: "operator",
    run(call, ctx) {
      const v = versionArg(call.args);
      if (v !== undefined && Number.isNaN(v.ver)) return MALFORMED_VERSION;
      const args = v?.rest ?? call.args;
      if (args.length === 0) return say("Missing map identifier.");
      const map = mapOf(ctx, args[0]);
      if (map === undefined) return UNKNOWN;
      if (v === undefined) {
        map.clear();
        return "";
      }
      const problem = map.clearAt(v.ver);
      return problem === undefined ? "" : say(problem);
    },
  },
  ...versionCommands("map"),
];
