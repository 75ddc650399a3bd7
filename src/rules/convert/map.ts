// Maps (HAProxy 2.6 §7.3.1): map(FILE[,DEFAULT]) and
// map_<match>[_<output>](FILE[,DEFAULT]). The file is read and compiled once
// at load into a lookup by the match method (rules/match); values are
// checked against the output type then, with the file's line number, so a
// map_str_int whose value is not a number fails `sluice check`, not a
// request. A key that is not found gives DEFAULT, or no sample.
import { parseIPv4, parseIPv6 } from "../network.ts";
import { compileLookup, parseMapFile } from "../match/index.ts";
import type { CompileEnv, ConverterDef, MatchMethod, Sample, SampleType } from "../types.ts";
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
  return {
    name,
    minArgs: 1,
    maxArgs: 2,
    in: input,
    out,
    compile(args: readonly string[], env: CompileEnv) {
      const file = args[0]!;
      let text: string;
      try {
        text = env.readFile(file);
      } catch (e) {
        return `${name}: cannot read map file '${file}': ${(e as Error).message}`;
      }
      const rows = parseMapFile(text);
      if (typeof rows === "string") return `${name}: map file '${file}': ${rows}`;
      const entries: [string, Sample][] = [];
      for (const row of rows) {
        const v = valueAs(out, row.value);
        if (v === undefined) return `${name}: map file '${file}' line ${row.line}: value '${row.value}' is not ${out === "int" ? "an integer" : "an IP address"}`;
        entries.push([row.key, v]);
      }
      let fallback: Sample | undefined;
      if (args[1] !== undefined) {
        fallback = valueAs(out, args[1]);
        if (fallback === undefined) return `${name}: the default '${args[1]}' is not ${out === "int" ? "an integer" : "an IP address"}`;
      }
      const lookup = compileLookup<Sample>(method, entries, { ignoreCase: false });
      if (typeof lookup === "string") return `${name}: map file '${file}': ${lookup}`;
      return fallback === undefined ? lookup : (s) => lookup(s) ?? fallback;
    },
  };
}

export const MAP_CONVERTERS: readonly ConverterDef[] = [
  mapConverter("map", "str", "str", "str"),
  ...METHODS.flatMap(([m, method, input]) => OUTPUTS.map(([o, out]) => mapConverter(`map_${m}${o}`, method, input, out))),
];
