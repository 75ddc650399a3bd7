// Converters that read variables (HAProxy 2.6 §7.3.1): concat, strcmp.
import { toStr } from "../sample.ts";
import type { ConverterDef, Sample, Txn } from "../types.ts";
import { parseVarName } from "../fetch/misc.ts";

/** A variable's text when the converter runs; undefined: the variable does not exist. */
function varText(converter: string, text: string): ((t: Txn) => string | undefined) | string {
  const v = parseVarName(text);
  if (typeof v === "string") return `${converter}: ${v}`;
  const { scope, name } = v;
  return (t) => {
    const s = t.vars.get(scope, name);
    return s === undefined ? undefined : toStr(s);
  };
}

export const VAR_CONVERTERS: readonly ConverterDef[] = [
  {
    // concat([<start>],[<var>],[<end>]): the input between a constant start, a variable's value and a constant end.
    name: "concat",
    minArgs: 0,
    maxArgs: 3,
    in: "str",
    out: "str",
    compile(args) {
      const start = args[0] ?? "";
      const end = args[2] ?? "";
      const name = args[1];
      if (name === undefined || name === "") return (s: Sample) => `${s as string}${start}${end}`;
      const read = varText("concat", name);
      if (typeof read === "string") return read;
      // A variable that does not exist adds nothing (HAProxy's).
      return (s: Sample, t: Txn) => `${s as string}${start}${read(t) ?? ""}${end}`;
    },
  },
  {
    // strcmp(<var>): 0 when equal, else negative or positive as the input sorts before or after the variable's value.
    name: "strcmp",
    minArgs: 1,
    maxArgs: 1,
    in: "str",
    out: "int",
    compile(args) {
      const read = varText("strcmp", args[0]!);
      if (typeof read === "string") return read;
      return (s: Sample, t: Txn) => {
        const other = read(t);
        if (other === undefined) return undefined;
        // HAProxy's: memcmp over the shorter length (the first differing bytes' difference), else the lengths'.
        const a = s as string;
        const n = Math.min(a.length, other.length);
        for (let i = 0; i < n; i++) {
          const d = (a.charCodeAt(i) & 0xff) - (other.charCodeAt(i) & 0xff);
          if (d !== 0) return d;
        }
        return a.length - other.length;
      };
    },
  },
];
