// External health checks (issue 19, the corpus), as HAProxy 2.6 reads them:
// global `external-check` (allows them at all) and `insecure-fork-wanted`
// (HAProxy forbids forking without it; sluice only warns as HAProxy does at
// parse time), and in defaults, backend and listen `option external-check`
// (schema-http.ts) with `external-check command <cmd>` and `external-check
// path <path>`. YAML writes the same names: `external-check: true` and
// `insecure-fork-wanted: true` in global, `external-check: { command:
// /usr/local/bin/check.sh, path: "/usr/bin:/bin" }` in a proxy.
import * as v from "valibot";
import { describe, flag, isMapping } from "./schema-values.ts";

export const EXTCHECK_GLOBAL = {
  "external-check": v.optional(flag("external-check")),
  "insecure-fork-wanted": v.optional(flag("insecure-fork-wanted")),
};

/** What the global keywords set (GlobalConfig's fields of the same names). */
export interface ExtCheckGlobalPart {
  externalCheck?: boolean;
  insecureForkWanted?: boolean;
}

export function extCheckGlobalPart(g: { "external-check"?: boolean; "insecure-fork-wanted"?: boolean }): ExtCheckGlobalPart {
  const part: ExtCheckGlobalPart = {};
  if (g["external-check"] !== undefined) part.externalCheck = g["external-check"];
  if (g["insecure-fork-wanted"] !== undefined) part.insecureForkWanted = g["insecure-fork-wanted"];
  return part;
}

/** A proxy's `external-check command` and `external-check path` (the last line of each wins). */
export interface ExternalCheckPart {
  command?: string;
  path?: string;
}

const FIELDS = ["command", "path"] as const;

/** `{ command, path }`: each a non-empty string (HAProxy: "missing argument after 'command'"). */
export const ExternalCheckSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): ExternalCheckPart => {
    const x = dataset.value;
    if (!isMapping(x)) {
      addIssue({ message: `invalid external-check ${describe(x)} (expected command <command> and/or path <path>)` });
      return NEVER;
    }
    const out: ExternalCheckPart = {};
    for (const [key, value] of Object.entries(x)) {
      if (!(FIELDS as readonly string[]).includes(key)) {
        addIssue({ message: `'external-check' only supports 'command' and 'path', but got '${key}'` });
        return NEVER;
      }
      if (typeof value !== "string" || value === "") {
        addIssue({ message: `external-check ${key}: expected a non-empty string, got ${describe(value)}` });
        return NEVER;
      }
      out[key as (typeof FIELDS)[number]] = value;
    }
    return out;
  }),
);

export const EXTCHECK_PROXY = { "external-check": v.optional(ExternalCheckSchema) };

/**
 * haproxy.cfg's `external-check` line into the raw section: bare in global
 * (true), `command <cmd>` or `path <path>` in a proxy (merged into one
 * mapping). Returns HAProxy's message for a line it would refuse.
 */
export function externalCheckLine(inGlobal: boolean, args: string[], raw: Record<string, unknown>): string | undefined {
  if (inGlobal) {
    if (args.length > 0) return `'external-check' cannot handle unexpected argument '${args[0]}' (usage: external-check)`;
    raw["external-check"] = true;
    return undefined;
  }
  const [what, value, extra] = args;
  if (what === undefined) return "missing argument after 'external-check' (usage: external-check command <command> | path <path>)";
  if (what !== "command" && what !== "path") return `'external-check' only supports 'command' and 'path', but got '${what}'`;
  if (value === undefined || value === "") return `missing argument after '${what}' (usage: external-check ${what} <${what}>)`;
  if (extra !== undefined) return `too many arguments for 'external-check ${what}': '${extra}'`;
  const mapping = (isMapping(raw["external-check"]) ? raw["external-check"] : {}) as Record<string, string>;
  mapping[what] = value;
  raw["external-check"] = mapping;
  return undefined;
}
