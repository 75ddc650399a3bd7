// Maps (HAProxy 2.6 §7.3.1): map(FILE[,DEFAULT]) and
// map_<match>[_<output>](FILE[,DEFAULT]). The file is read once at load into
// a MapRef shared by every converter naming it (the runtime API changes its
// entries), each compiled into a lookup by its match method (rules/match),
// rebuilt after a change; values are
// checked against the output type then, with the file's line number, so a
// map_str_int whose value is not a number fails `sluice check`, not a
// request. A key that is not found gives DEFAULT, or no sample.
import { parseIPv4, parseIPv6 } from "../network.ts";
import { compileLookup, type MapLine, parseMapFile } from "../match/index.ts";
import { MapRef, type RefKind } from "../match/map-ref.ts";
import type { CompileEnv, ConverterDef, Lookup, MatchMethod, Sample, SampleType } from "../types.ts";
import { intArg } from "../fetch/define.ts";

const METHODS: readonly (readonly [suffix: string, method: MatchMethod, input: SampleType])[] = [
  ["str", "str", "str"],
  ["beg", "beg", "str"],
  ["sub", "sub", "str"],
  ["dir", "dir", "str"],
  ["dom", "dom", "str"],
  ["end", "end", "str"],
  ["reg", "reg", "str"],
  ["ip", "ip", "ip"],
  ["int", "int", "int"],
];

const OUTPUTS: readonly (readonly [suffix: string, out: SampleType])[] = [
  ["", "str"],
  ["_str", "str"],
  ["_int", "int"],
  ["_ip", "ip"],
];

/** A map value as the output type reads it, or undefined when it is not one. */
function valueAs(out: SampleType, text: string): Sample | undefined {
  if (out === "int") return intArg(text);
  if (out === "ip") {
    return parseIPv4(text, 0, text.length) >= 0 || parseIPv6(text, 0, text.length, new Uint16Array(8)) ? text : undefined;
  }
  return text;
}

function mapConverter(name: string, method: MatchMethod, input: SampleType, out: SampleType): ConverterDef {
  const kind = out === "int" ? "an integer" : "an IP address";
  /** Why this converter cannot use `key value`, or undefined (runtime API changes are checked with it). */
  const check = (key: string, value: string): string | undefined => {
    if (valueAs(out, value) === undefined) return `value '${value}' is not ${kind}`;
    const one = compileLookup<Sample>(method, [[key, value]], { ignoreCase: false });
    return typeof one === "string" ? one : undefined;
  };
  return {
    name,
    minArgs: 1,
    maxArgs: 2,
    in: input,
    out,
    compile(args: readonly string[], env: CompileEnv) {
      const file = args[0]!;
      const parse = (text: string) => {
        const rows = parseMapFile(text);
        return typeof rows === "string" ? `map file '${file}': ${rows}` : rows;
      };
      const ref = mapRefOf(file, env, parse);
      if (typeof ref === "string") return `${name}: ${ref}`;
      for (const e of ref.entries) {
        if (valueAs(out, e.value) === undefined) return `${name}: map file '${file}' line ${e.line}: value '${e.value}' is not ${kind}`;
      }
      let fallback: Sample | undefined;
      if (args[1] !== undefined) {
        fallback = valueAs(out, args[1]);
        if (fallback === undefined) return `${name}: the default '${args[1]}' is not ${kind}`;
      }
      const build = () => compileLookup<Sample>(method, ref.entries.map((e) => [e.key, valueAs(out, e.value)!] as const), { ignoreCase: false });
      const first = build();
      if (typeof first === "string") return `${name}: map file '${file}': ${first}`;
      ref.use(check);
      ref.uses.push({
        kind: "map",
        at: env.position?.(),
        method,
        ignoreCase: false,
        out,
        find(keys, sample) {
          const index = compileLookup(method, keys.map((k, i) => [k, i] as const), { ignoreCase: false });
          return typeof index === "string" ? -1 : (index(sample) ?? -1);
        },
      });
      // The entries may change at run time (runtime API): the index is rebuilt on the first lookup after a change.
      let lookup = first;
      let version = ref.version;
      const current = (): Lookup<Sample> => {
        if (version !== ref.version) {
          const next = build();
          // Every change was checked against this converter first: a rebuild cannot fail.
          if (typeof next !== "string") lookup = next;
          version = ref.version;
        }
        return lookup;
      };
      return fallback === undefined ? (s) => current()(s) : (s) => current()(s) ?? fallback;
    },
  };
}

/** The shared map of the configuration (env.mapRef), or one of this converter's own. */
export function mapRefOf(file: string, env: CompileEnv, parse: (text: string) => readonly MapLine[] | string, kind: RefKind = "map", label?: string): MapRef | string {
  if (env.mapRef !== undefined) return env.mapRef(file, parse, kind, label);
  let text: string;
  try {
    text = env.readFile(file);
  } catch (e) {
    return `cannot read map file '${file}': ${(e as Error).message}`;
  }
  const rows = parse(text);
  return typeof rows === "string" ? rows : new MapRef(0, file, file, "", rows);
}

export const MAP_CONVERTERS: readonly ConverterDef[] = [
  mapConverter("map", "str", "str", "str"),
  ...METHODS.flatMap(([m, method, input]) => OUTPUTS.map(([o, out]) => mapConverter(`map_${m}${o}`, method, input, out))),
];
