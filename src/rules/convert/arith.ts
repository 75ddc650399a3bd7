// Arithmetic and logic converters (HAProxy 2.6 §7.3.1): add, sub, mul, div,
// mod, neg, and, or, xor, cpl, bool, not, odd, even. Their input is an
// integer; the argument of the binary ones is an integer or a variable's
// name (`add(txn.count)`), read when the converter runs. Results stay in
// HAProxy's signed 64 bits: sums and products saturate, division by zero
// gives the largest integer and a modulo by zero 0, as HAProxy's arith_*.
import { asInt } from "../match/cast.ts";
import type { ConverterDef, Sample, Txn, VarScope } from "../types.ts";
import { parseVarName } from "../fetch/misc.ts";

const MAX = 2 ** 63 - 1;
const MIN = -(2 ** 63);

type Operand = (t: Txn) => number | undefined;

/** An integer argument, or a variable's name (its value cast to an integer; a missing variable is no sample). */
function operand(name: string, text: string | undefined): Operand | string {
  if (text === undefined || text === "") return `${name}: expects an integer or a variable name`;
  if (/^[+-]?\d+$/.test(text)) {
    const v = Number(text);
    return () => v;
  }
  const v = parseVarName(text);
  if (typeof v === "string") return `${name}: '${text}' is neither an integer nor a variable (${v})`;
  const { scope, name: varName }: { scope: VarScope; name: string } = v;
  return (t) => {
    const s = t.vars.get(scope, varName);
    if (s === undefined) return undefined;
    const n = asInt(s);
    return n === n ? n : undefined;
  };
}

function clamp(v: number): number {
  return v > MAX ? MAX : v < MIN ? MIN : v;
}

function binary(name: string, op: (a: number, b: number) => number): ConverterDef {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    in: "int",
    out: "int",
    compile(args) {
      const right = operand(name, args[0]);
      if (typeof right === "string") return right;
      return (s: Sample, t: Txn) => {
        const b = right(t);
        return b === undefined ? undefined : op(s as number, b);
      };
    },
  };
}

function unary(name: string, out: "int" | "bool", op: (a: number) => number | boolean): ConverterDef {
  return { name, minArgs: 0, maxArgs: 0, in: "int", out, compile: () => (s: Sample) => op(s as number) };
}

/** Bitwise operations on the 64-bit two's complement, as HAProxy's. */
function bits(a: number, b: number, op: (x: bigint, y: bigint) => bigint): number {
  return Number(BigInt.asIntN(64, op(BigInt(Math.trunc(a)), BigInt(Math.trunc(b)))));
}

export const ARITH_CONVERTERS: readonly ConverterDef[] = [
  binary("add", (a, b) => clamp(a + b)),
  binary("sub", (a, b) => clamp(a - b)),
  binary("mul", (a, b) => clamp(a * b)),
  binary("div", (a, b) => (b === 0 ? MAX : Math.trunc(a / b))),
  binary("mod", (a, b) => (b === 0 ? 0 : a % b)),
  binary("and", (a, b) => bits(a, b, (x, y) => x & y)),
  binary("or", (a, b) => bits(a, b, (x, y) => x | y)),
  binary("xor", (a, b) => bits(a, b, (x, y) => x ^ y)),
  unary("neg", "int", (a) => clamp(-a)),
  unary("cpl", "int", (a) => bits(a, 0, (x) => ~x)),
  unary("bool", "bool", (a) => a !== 0),
  unary("not", "bool", (a) => a === 0),
  unary("odd", "bool", (a) => Math.abs(a % 2) === 1),
  unary("even", "bool", (a) => a % 2 === 0),
];
