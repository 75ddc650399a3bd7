// Valibot schemas for single values: numbers, times, addresses, names and
// the enumerated keywords. Each turns raw text (or a YAML scalar) into its
// typed value, or reports what was expected.

import * as v from "valibot";
import { type AddressRole, parseAddress } from "./address.ts";
import { parseDuration } from "./duration.ts";
import { type BalanceSettings, type HashType, parseBalance, parseHashType } from "./balance.ts";
import type { HttpReuse, Mode, ServerConfig } from "./types.ts";

/** How a raw value reads in a message. */
export function describe(x: unknown): string {
  if (x === null || x === undefined) return "nothing";
  if (Array.isArray(x)) return "a list";
  if (typeof x === "object") return "a mapping";
  if (typeof x === "string") return `'${x}'`;
  return String(x);
}

export function isMapping(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

export function integer(name: string, min: number, max?: number) {
  const range = max === undefined ? `at least ${min}` : `${min}-${max}`;
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const n = typeof x === "number"
        ? x
        : typeof x === "string" && /^[+-]?\d+$/.test(x.trim())
        ? Number(x)
        : NaN;
      if (!Number.isSafeInteger(n)) {
        addIssue({ message: `invalid ${name} ${describe(x)} (expected an integer, ${range})` });
        return NEVER;
      }
      if (n < min || (max !== undefined && n > max)) {
        addIssue({ message: `${name} ${n} is out of range (${range})` });
        return NEVER;
      }
      return n;
    }),
  );
}

/** `label` prefixes the message when the path gives no context (timeouts get "timeout X" from it). */
export function duration(label?: string) {
  const prefix = label ? `${label}: ` : "";
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      if (typeof x !== "string" && typeof x !== "number") {
        addIssue({
          message: `${prefix}invalid time ${
            describe(x)
          } (expected a string like '5s' or a number of ms)`,
        });
        return NEVER;
      }
      const r = parseDuration(x);
      if (!r.ok) {
        addIssue({ message: prefix + r.error });
        return NEVER;
      }
      return r.ms;
    }),
  );
}

export function address(role: AddressRole) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      if (typeof x !== "string") {
        addIssue({
          message: `invalid address ${describe(x)} (expected a string like '127.0.0.1:8080')`,
        });
        return NEVER;
      }
      const r = parseAddress(x, role);
      if (!r.ok) {
        addIssue({ message: r.error });
        return NEVER;
      }
      return r.mapPorts === true ? { host: r.host, port: r.port, mapPorts: true as const } : { host: r.host, port: r.port };
    }),
  );
}

export function flag(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      if (typeof dataset.value === "boolean") return dataset.value;
      addIssue({ message: `invalid ${name} ${describe(dataset.value)} (expected true or false)` });
      return NEVER;
    }),
  );
}

/** HAProxy's proxy and server name characters. */
const NAME = /^[A-Za-z0-9_.:-]+$/;

function checkName<T>(kind: string) {
  return v.rawTransform<T, string>(({ dataset, addIssue, NEVER }) => {
    const x: unknown = dataset.value;
    const s = typeof x === "string" || typeof x === "number" ? String(x) : undefined;
    if (s === undefined || !NAME.test(s)) {
      addIssue({
        message: `invalid ${kind} name ${
          describe(x)
        } (allowed: letters, digits, '-', '_', '.', ':')`,
      });
      return NEVER;
    }
    return s;
  });
}

export function nameSchema(kind: string) {
  return v.pipe(v.unknown(), checkName<unknown>(kind));
}

/** The same check for mapping keys, which valibot records want typed as strings. */
export function nameKey(kind: string) {
  return v.pipe(v.string(), checkName<string>(kind));
}

export const ModeSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): Mode => {
    const x = dataset.value;
    if (x === "tcp" || x === "http") return x;
    addIssue({ message: `invalid mode ${describe(x)} (expected tcp or http)` });
    return NEVER;
  }),
);

export const BalanceSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): BalanceSettings => {
    const x = dataset.value;
    const parsed = typeof x === "string" ? parseBalance(x) : `invalid balance ${describe(x)} (expected an algorithm like roundrobin or 'uri whole')`;
    if (typeof parsed !== "string") return parsed;
    addIssue({ message: parsed });
    return NEVER;
  }),
);

export const HashTypeSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): HashType => {
    const x = dataset.value;
    const parsed = typeof x === "string" ? parseHashType(x) : `invalid hash-type ${describe(x)} (expected map-based or consistent)`;
    if (parsed === "map-based" || parsed === "consistent") return parsed;
    addIssue({ message: parsed });
    return NEVER;
  }),
);

/** `hash-balance-factor N`: 0 (no bound) or a percentage above 100, as HAProxy requires. */
export const HashBalanceFactorSchema = v.pipe(
  integer("hash-balance-factor", 0),
  v.check((n) => n === 0 || n > 100, "'hash-balance-factor' must be 0 or greater than 100"),
);

/** `rate-limit sessions N` (YAML: the same words, or `{ sessions: N }`): new sessions a second, 0 for none. */
export const RateLimitSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): number => {
    const x = dataset.value;
    const words = typeof x === "string" ? x.trim().split(/\s+/) : isMapping(x) && Object.keys(x).length === 1 && "sessions" in x ? ["sessions", String(x.sessions)] : undefined;
    if (words === undefined || words[0] !== "sessions") {
      addIssue({ message: `'rate-limit' only supports 'sessions' (got ${describe(words?.[0] ?? x)})` });
      return NEVER;
    }
    if (words.length !== 2 || !/^\d+$/.test(words[1]!) || !Number.isSafeInteger(Number(words[1]))) {
      addIssue({ message: `'rate-limit sessions' expects an integer value (in sessions/second)${words[1] === undefined ? "" : `, got ${describe(words.slice(1).join(" "))}`}` });
      return NEVER;
    }
    return Number(words[1]);
  }),
);

const HTTP_REUSE: readonly HttpReuse[] = ["never", "safe", "aggressive", "always"];

export const HttpReuseSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): HttpReuse => {
    const x = dataset.value;
    if ((HTTP_REUSE as readonly unknown[]).includes(x)) return x as HttpReuse;
    addIssue({
      message: `invalid http-reuse ${describe(x)} (expected never, safe, aggressive or always)`,
    });
    return NEVER;
  }),
);

/** `proto h1|h2`: the mux spoken to a server (HAProxy names others; sluice has these two). */
export const ProtoSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): ServerConfig["proto"] => {
    const x = dataset.value;
    if (x === "h1" || x === "h2") return x;
    addIssue({ message: `invalid proto ${describe(x)} (expected h1 or h2)` });
    return NEVER;
  }),
);
