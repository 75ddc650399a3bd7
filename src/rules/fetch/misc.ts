// Fetches of the process and constants (HAProxy 2.6 §7.3.2): env(), var(),
// nbsrv(), srv_is_up(), always_true/false, int(), str(), bool(). Backends and
// servers are named at load and checked then; their state is read through
// Txn.world per request.
import { parseIPv4, parseIPv6 } from "../network.ts";
import { ANY_STAGE, type FetchDef, type Sample, Stage, type VarScope } from "../types.ts";
import { define, intArg, simple } from "./define.ts";

const SCOPES: readonly VarScope[] = ["proc", "sess", "txn", "req", "res"];

/** "txn.name" → scope and name, or what is wrong. */
export function parseVarName(text: string): { scope: VarScope; name: string } | string {
  const dot = text.indexOf(".");
  const scope = text.slice(0, Math.max(dot, 0)) as VarScope;
  const name = text.slice(dot + 1);
  if (dot < 0 || !SCOPES.includes(scope)) {
    return `variable '${text}' needs a scope: proc., sess., txn., req. or res. before its name`;
  }
  if (!/^[A-Za-z0-9._]+$/.test(name)) return `variable name '${name}' may hold only letters, digits, '.' and '_'`;
  return { scope, name };
}

export const MISC_FETCHES: readonly FetchDef[] = [
  simple("always_true", "bool", ANY_STAGE, "bool", () => true),
  simple("always_false", "bool", ANY_STAGE, "bool", () => false),
  define("env", 1, 1, "str", ANY_STAGE, "str", (args) => {
    const name = args[0]!;
    return { one: (t) => t.world.env(name) };
  }),
  // A variable holds what was stored in it (an int, a bool, an address, text): converters cast it at run time.
  {
    ...define("var", 1, 2, "str", ANY_STAGE, "str", (args) => {
      const v = parseVarName(args[0]!);
      if (typeof v === "string") return `var: ${v}`;
      const { scope, name } = v;
      const fallback: Sample | undefined = args[1];
      return { one: (t) => t.vars.get(scope, name) ?? fallback };
    }),
    dynamic: true,
  },
  simple("unique-id", "str", ANY_STAGE & ~Stage.tcpConnection, "str", (t) => t.uniqueId),
  define("nbsrv", 0, 1, "int", ANY_STAGE, "int", (args, env) => {
    const backend = args[0];
    if (backend !== undefined && backend !== "") {
      if (!env.hasBackend(backend)) return `nbsrv: no backend named '${backend}'`;
      return {
        one: (t) => {
          const n = t.world.usableServers(backend);
          return n < 0 ? undefined : n;
        },
      };
    }
    return {
      one: (t) => {
        if (t.backend === undefined) return undefined;
        const n = t.world.usableServers(t.backend);
        return n < 0 ? undefined : n;
      },
    };
  }),
  define("srv_is_up", 1, 1, "bool", ANY_STAGE, "bool", (args, env) => {
    const text = args[0]!;
    const slash = text.indexOf("/");
    const server = text.slice(slash + 1);
    if (server === "") return `srv_is_up needs a server: 'BACKEND/SERVER' or 'SERVER', got '${text}'`;
    if (slash >= 0) {
      const backend = text.slice(0, slash);
      if (!env.hasBackend(backend)) return `srv_is_up: no backend named '${backend}' in '${text}'`;
      return { one: (t) => t.world.serverUp(backend, server) };
    }
    return { one: (t) => (t.backend === undefined ? undefined : t.world.serverUp(t.backend, server)) };
  }),
  define("int", 1, 1, "int", ANY_STAGE, "int", (args) => {
    const v = intArg(args[0]!);
    if (v === undefined) return `int(${args[0]}): not an integer`;
    return { one: () => v };
  }),
  define("str", 1, 1, "str", ANY_STAGE, "str", (args) => {
    const v = args[0]!;
    return { one: () => v };
  }),
  define("bool", 1, 1, "bool", ANY_STAGE, "bool", (args) => {
    const word = args[0]!;
    const v = word === "true" ? 1 : word === "false" ? 0 : intArg(word);
    if (v === undefined) return `bool(${word}): not an integer, true or false`;
    const b = v !== 0;
    return { one: () => b };
  }),
  define("bin", 1, 1, "bin", ANY_STAGE, "str", (args) => {
    const hex = args[0]!;
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return `bin(${hex}): not an even number of hexadecimal digits`;
    let bytes = "";
    for (let i = 0; i < hex.length; i += 2) bytes += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
    return { one: () => bytes };
  }),
  define("ipv4", 1, 1, "ip", ANY_STAGE, "ip", (args) => {
    const a = args[0]!;
    if (parseIPv4(a, 0, a.length) < 0) return `ipv4(${a}): not an IPv4 address`;
    return { one: () => a };
  }),
  define("ipv6", 1, 1, "ip", ANY_STAGE, "ip", (args) => {
    const a = args[0]!;
    if (!parseIPv6(a, 0, a.length, new Uint16Array(8))) return `ipv6(${a}): not an IPv6 address`;
    return { one: () => a };
  }),
  define("meth", 1, 1, "meth", ANY_STAGE, "str", (args) => {
    const m = args[0]!;
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(m)) return `meth(${m}): not a method token`;
    return { one: () => m };
  }),
];
