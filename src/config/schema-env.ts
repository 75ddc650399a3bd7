// The environment the proxy runs with, changed by haproxy.cfg's global
// `setenv NAME VALUE`, `presetenv NAME VALUE` (unless set), `unsetenv NAME...`
// and `resetenv [NAME...]` (all but those): cfg.ts applies them as it reads,
// so the lines after them expand "${NAME}" from the changed environment, and
// records the result here as changes over the process's environment (a value,
// or null for a name unset). YAML: `environment: { NAME: value, OTHER: null }`.
import * as v from "valibot";

export const ENV_GLOBAL = {
  environment: v.optional(v.record(v.string(), v.nullable(v.string()))),
};

export interface EnvPart {
  /** Changes over the process's environment: a value, or null for a name unset. */
  environment?: Record<string, string | null>;
}

export function envPart(g: { environment?: Record<string, string | null> }): EnvPart {
  return g.environment === undefined ? {} : { environment: g.environment };
}

/** The environment the proxy runs with: `base` (the process's) with `changes` applied. */
export function withChanges(
  base: Readonly<Record<string, string | undefined>>,
  changes: Readonly<Record<string, string | null>> | undefined,
): Readonly<Record<string, string | undefined>> {
  if (changes === undefined) return base;
  const out: Record<string, string | undefined> = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}
