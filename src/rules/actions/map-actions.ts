// `set-map(<file>) <key fmt> <value fmt>` and `del-map(<file>) <key fmt>` in
// http-request and http-response rules (HAProxy 2.6): a rule changes an
// entry of a map file the configuration loaded, as the runtime API's
// `set map` / `add map` / `del map` do; the converters reading the map see
// the change at once (MapRef). Dynamic blocklists and routing tables are
// made so. The key and value are log-format strings.
//
// `add-acl(<file>) <key fmt>` and `del-acl(<file>) <key fmt>` do the same to
// an ACL's pattern file: add-acl adds the pattern unless the file has it (a
// blocklist grows by one entry per address, however many requests), or when
// no ACL reading the file could use it (an ip ACL's non-address: nothing
// changes, as in HAProxy); del-acl removes every entry of that pattern.
import { parseMapFile, parsePatternFile } from "../match/files.ts";
import { mapRefOf } from "../convert/map.ts";
import { type ActionTxn, Verdict } from "../types.ts";
import { isConditionWord } from "./common.ts";
import type { ActionDef, Parsed, RuleSet } from "./types.ts";

const SETS: readonly RuleSet[] = ["http-request", "http-response"];

function mapAction(name: "set-map" | "del-map"): ActionDef {
  return {
    name,
    sets: SETS,
    paren: true,
    parse(words, arg, ctx): Parsed | string {
      if (arg === undefined || arg === "") return `'${name}' expects a map file in parentheses: ${name}(<file>)`;
      const ref = mapRefOf(arg, ctx.env, parseMapFile, "map", "");
      if (typeof ref === "string") return `'${name}(${arg})': ${ref}`;
      const keyText = words[1];
      if (keyText === undefined || isConditionWord(keyText)) return `'${name}' expects <key fmt>${name === "set-map" ? " <value fmt>" : ""}`;
      const key = ctx.format(keyText);
      if (typeof key === "string") return `'${name}' key: ${key}`;
      if (name === "del-map") {
        return { next: 2, run: (t: ActionTxn) => {
          // A key that is not there changes nothing, found without a scan.
          const k = key(t);
          if (ref.has(k)) ref.delete(k, true);
          return Verdict.continue;
        } };
      }
      const valueText = words[2];
      if (valueText === undefined || isConditionWord(valueText)) return `'set-map' expects <key fmt> <value fmt>`;
      const value = ctx.format(valueText);
      if (typeof value === "string") return `'set-map' value: ${value}`;
      return {
        next: 3,
        run: (t: ActionTxn) => {
          const k = key(t);
          const v = value(t);
          // An entry that exists takes the value; else one is added (HAProxy's). A value the map's converters
          // could not read (a map_int's non-number) changes nothing.
          if (ref.has(k)) ref.set(k, v, true);
          else ref.add([{ key: k, value: v }]);
          return Verdict.continue;
        },
      };
    },
  };
}

function patternEntries(text: string) {
  return parsePatternFile(text).map((l) => ({ key: l.pattern, value: "", line: l.line }));
}

function aclAction(name: "add-acl" | "del-acl"): ActionDef {
  return {
    name,
    sets: SETS,
    paren: true,
    parse(words, arg, ctx): Parsed | string {
      if (arg === undefined || arg === "") return `'${name}' expects a pattern file in parentheses: ${name}(<file>)`;
      const ref = mapRefOf(arg, ctx.env, patternEntries, "acl", "");
      if (typeof ref === "string") return `'${name}(${arg})': ${ref}`;
      const keyText = words[1];
      if (keyText === undefined || isConditionWord(keyText)) return `'${name}' expects <key fmt>`;
      const key = ctx.format(keyText);
      if (typeof key === "string") return `'${name}' key: ${key}`;
      if (name === "del-acl") return { next: 2, run: (t: ActionTxn) => {
          // A key that is not there changes nothing, found without a scan.
          const k = key(t);
          if (ref.has(k)) ref.delete(k, true);
          return Verdict.continue;
        } };
      return {
        next: 2,
        run: (t: ActionTxn) => {
          const k = key(t);
          if (!ref.has(k)) ref.add([{ key: k, value: "" }]);
          return Verdict.continue;
        },
      };
    },
  };
}

export const MAP_ACTIONS: readonly ActionDef[] = [mapAction("set-map"), mapAction("del-map"), aclAction("add-acl"), aclAction("del-acl")];
