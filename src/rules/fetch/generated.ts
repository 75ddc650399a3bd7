// Fetches whose value is made when they run (HAProxy 2.6 §7.3.2): date (the
// wall clock, from the runtime through the rules' world), rand and uuid.
import { randomInt, randomUUID } from "node:crypto";
import { ANY_STAGE, type FetchDef } from "../types.ts";
import { define, intArg } from "./define.ts";

/** date's units: how many of them in a millisecond. */
const PER_MS: Readonly<Record<string, number>> = { s: 1 / 1000, ms: 1, us: 1000 };

export const GENERATED_FETCHES: readonly FetchDef[] = [
  // date([<offset>[,<unit>]]): now since the epoch, in seconds (or ms, us), the offset in the same unit.
  define("date", 0, 2, "int", ANY_STAGE, "int", (args) => {
    const offset = args[0] === undefined || args[0] === "" ? 0 : intArg(args[0]);
    if (offset === undefined) return `date: the offset '${args[0]}' is not an integer`;
    const per = PER_MS[args[1] === undefined || args[1] === "" ? "s" : args[1]];
    if (per === undefined) return `date: unknown unit '${args[1]}' (s, ms or us)`;
    return { one: (t) => Math.floor(t.world.wallNow() * per) + offset };
  }),
  // rand([<range>]): a random integer in [0, range) (2^32 by default).
  define("rand", 0, 1, "int", ANY_STAGE, "int", (args) => {
    const range = args[0] === undefined || args[0] === "" ? 2 ** 32 : intArg(args[0]);
    if (range === undefined || range < 1 || range > 2 ** 32) return `rand: the range '${args[0]}' is not an integer from 1 to 2^32`;
    return { one: () => randomInt(range) };
  }),
  // uuid([<version>]): a random (version 4) UUID, the only version HAProxy 2.6 makes.
  define("uuid", 0, 1, "str", ANY_STAGE, "str", (args) => {
    if (args[0] !== undefined && args[0] !== "" && args[0] !== "4") return `uuid: version '${args[0]}' is not supported (only 4)`;
    return { one: () => randomUUID() };
  }),
];
