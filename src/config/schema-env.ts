// The environment the proxy runs with, changed by haproxy.cfg's global
// `setenv NAME VALUE`, `presetenv NAME VALUE` (unless set), `unsetenv NAME...`
// and `resetenv [NAME...]` (all but those): cfg.ts applies them as it reads,
// so the lines after them expand "${NAME}" from the changed environment, and
// records the result here as changes over the process's environment (a value,
// or null for a name unset). YAML: `environment: { NAME: value, OTHER: null }`.
// Also the global `h1-case-adjust` map (below): process-wide, as the environment.
import * as v from "valibot";

export const ENV_GLOBAL = {
  environment: v.optional(v.record(v.string(), v.nullable(v.string()))),
  "h1-case-adjust": v.optional(
    v.pipe(
      v.record(v.string(), v.string()),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        for (const [from, to] of Object.entries(dataset.value)) {
          const problem = caseAdjustProblem(from, to);
          if (problem !== undefined) addIssue({ message: problem });
        }
      }),
    ),
  ),
  "h1-case-adjust-file": v.optional(v.string()),
};

export interface EnvPart {
  /** Changes over the process's environment: a value, or null for a name unset. */
  environment?: Record<string, string | null>;
  /** `h1-case-adjust` lines: lower-case name → as written. */
  caseAdjust?: Record<string, string>;
  /** `h1-case-adjust-file`: read by sections.ts, next to the configuration. */
  caseAdjustFile?: string;
}

export function envPart(g: { environment?: Record<string, string | null>; "h1-case-adjust"?: Record<string, string>; "h1-case-adjust-file"?: string }): EnvPart {
  const part: EnvPart = {};
  if (g.environment !== undefined) part.environment = g.environment;
  if (g["h1-case-adjust"] !== undefined) part.caseAdjust = g["h1-case-adjust"];
  if (g["h1-case-adjust-file"] !== undefined) part.caseAdjustFile = g["h1-case-adjust-file"];
  return part;
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

// ---- h1-case-adjust: how field names are written to bogus HTTP/1 peers

/** `h1-case-adjust FROM TO`: FROM is TO in lower case (HAProxy's rule), the name as it is to be written. */
export function caseAdjustProblem(from: string, to: string): string | undefined {
  if (!/^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$/.test(to)) return `h1-case-adjust: '${to}' is not a field name`;
  if (to.toLowerCase() !== from) return `h1-case-adjust: '${from}' must be '${to}' in lower case`;
  return undefined;
}

/** An h1-case-adjust-file's lines (`from to`, `#` comments, blank lines): the map, or the first problem with its line. */
export function readCaseAdjustFile(text: string): Record<string, string> | string {
  const map: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const words = line.split(/\s+/);
    if (words.length !== 2) return `line ${i + 1}: expected '<from> <to>'`;
    const problem = caseAdjustProblem(words[0]!, words[1]!);
    if (problem !== undefined) return `line ${i + 1}: ${problem}`;
    map[words[0]!] = words[1]!;
  }
  return map;
}
