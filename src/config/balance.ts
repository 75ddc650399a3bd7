// What `balance` and `hash-type` say, as the config gives it to a backend:
// the algorithm with its arguments. Here rather than in config/ so that the
// algorithms need not import the config layer.

export type BalanceAlgorithm =
  | "roundrobin"
  | "static-rr"
  | "leastconn"
  | "first"
  | "random"
  | "source"
  | "uri"
  | "url_param"
  | "hdr"
  | "hash";

export type BalanceSettings =
  | { algorithm: "roundrobin" | "static-rr" | "leastconn" | "first" | "source" }
  /** `random(N)`: N draws, the least loaded wins. */
  | { algorithm: "random"; draws: number }
  /** `uri [whole] [len N] [depth N]`: 0 for no limit. */
  | { algorithm: "uri"; whole: boolean; len: number; depth: number }
  | { algorithm: "url_param"; name: string }
  | { algorithm: "hdr"; name: string }
  /**
   * `hash <expr>` (HAProxy 2.6): the sample expression's value is the key,
   * read from the stream's transaction; `keyOf` is compiled with the
   * backend's rules (config/balance-hash.ts), undefined until then.
   */
  | { algorithm: "hash"; expression: string; keyOf?: (txn: unknown) => string | undefined };

export type HashType = "map-based" | "consistent";

/** The algorithms that hash a key (`hash-type` applies to them). */
export const HASHING: ReadonlySet<BalanceAlgorithm> = new Set(["source", "uri", "url_param", "hdr", "hash"]);
/** The algorithms that read the HTTP request (not in mode tcp). */
export const NEEDS_HTTP: ReadonlySet<BalanceAlgorithm> = new Set(["uri", "url_param", "hdr"]);

/** Every algorithm `balance` accepts (sluice -vv lists them). */
export const ALGORITHMS: readonly BalanceAlgorithm[] = [
  "roundrobin",
  "static-rr",
  "leastconn",
  "first",
  "random",
  "source",
  "uri",
  "url_param",
  "hdr",
  "hash",
];
/** HAProxy's other algorithms, named in the message. */
const NOT_YET = new Set(["rdp-cookie", "log-hash", "sticky"]);

const BALANCE_USAGE =
  "usage: balance roundrobin|static-rr|leastconn|first|random[(<draws>)]|source|uri [whole] [len <n>] [depth <n>]|url_param <name>|hdr(<name>)|hash <expr>";

/** Parses a `balance` line's words (one string in both syntaxes); a string is the error message. */
export function parseBalance(text: string): BalanceSettings | string {
  const [word = "", ...args] = text.trim().split(/\s+/);
  const call = /^([a-z_-]+)\((.*)\)$/.exec(word);
  const name = call ? call[1]! : word;
  const inner = call ? call[2]! : undefined;
  if (!(ALGORITHMS as readonly string[]).includes(name)) {
    return NOT_YET.has(name)
      ? `balance '${name}' is not supported yet (supported: ${ALGORITHMS.join(", ")})`
      : `unknown balance algorithm '${word}' (${BALANCE_USAGE})`;
  }
  const algorithm = name as BalanceAlgorithm;
  if (inner !== undefined && algorithm !== "random" && algorithm !== "hdr") {
    return `balance '${algorithm}' takes no '(...)' argument (${BALANCE_USAGE})`;
  }
  switch (algorithm) {
    case "random": {
      if (args.length > 0) return `balance random: unexpected argument '${args[0]}' (${BALANCE_USAGE})`;
      if (inner === undefined) return { algorithm, draws: BUILTIN_DRAWS };
      const draws = /^\d+$/.test(inner) ? Number(inner) : NaN;
      if (!(draws >= 1 && draws <= 100)) return `balance random: invalid draw count '${inner}' (expected an integer, 1-100)`;
      return { algorithm, draws };
    }
    case "hdr": {
      if (inner === undefined || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(inner)) {
        return `balance hdr needs a header name: hdr(<name>) (got '${word}')`;
      }
      if (args.length > 0) return `balance hdr: option '${args[0]}' is not supported yet`;
      return { algorithm, name: inner };
    }
    case "hash": {
      if (args.length !== 1) return `balance hash expects one sample expression (usage: balance hash <expr>, e.g. balance hash req.cook(sessionid))`;
      return { algorithm, expression: args[0]! };
    }
    case "url_param": {
      const [param, ...rest] = args;
      if (param === undefined) return `balance url_param needs a parameter name (usage: balance url_param <name>)`;
      if (rest.length > 0) return `balance url_param: option '${rest[0]}' is not supported yet`;
      return { algorithm, name: param };
    }
    case "uri": {
      const out = { algorithm, whole: false, len: 0, depth: 0 };
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a === "whole") {
          out.whole = true;
        } else if (a === "len" || a === "depth") {
          const n = args[++i];
          if (n === undefined || !/^\d+$/.test(n) || Number(n) < 1) {
            return `balance uri: '${a}' needs a positive integer (got ${n === undefined ? "nothing" : `'${n}'`})`;
          }
          out[a] = Number(n);
        } else {
          return `balance uri: unknown option '${a}' (usage: balance uri [whole] [len <n>] [depth <n>])`;
        }
      }
      return out;
    }
    default:
      if (args.length > 0) return `balance ${algorithm}: unexpected argument '${args[0]}' (${BALANCE_USAGE})`;
      return { algorithm } as BalanceSettings;
  }
}

/** `random` without a count draws two (the power of two choices), as HAProxy. */
export const BUILTIN_DRAWS = 2;

/** Parses `hash-type <method>`; HAProxy's hash functions and modifiers are not offered yet. */
export function parseHashType(text: string): HashType | string {
  const [method = "", ...rest] = text.trim().split(/\s+/);
  if (method !== "map-based" && method !== "consistent") {
    return `invalid hash-type '${method}' (expected map-based or consistent)`;
  }
  if (rest.length > 0) return `hash-type: function or modifier '${rest[0]}' is not supported yet (usage: hash-type map-based|consistent)`;
  return method;
}
