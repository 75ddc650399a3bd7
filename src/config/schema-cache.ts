// A `cache NAME` section (HAProxy 2.6, section 6.2.1 of its manual) in both
// syntaxes: `total-max-size` in megabytes (1-4095, required), `max-object-size`
// in bytes (at most half the total; default a 256th of it), `max-age` in
// seconds (default 60), `process-vary on|off` (default off),
// `max-secondary-entries` (default 10). YAML: `caches: { NAME: {
// total-max-size: 200, max-age: 3600, process-vary: on } }`.
import * as v from "valibot";
import { keywords } from "./schema-keywords.ts";
import { describe } from "./schema-values.ts";
import type { CacheConfig } from "./types-filters.ts";

const MB = 1024 * 1024;

function count(keyword: string, min: number, max: number) {
  return v.pipe(
    v.union([v.string(), v.number()], `${keyword}: expected a number`),
    v.rawTransform(({ dataset, addIssue, NEVER }): number => {
      const text = String(dataset.value).trim();
      if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
        addIssue({ message: `${keyword}: expected an integer between ${min} and ${max}, got ${describe(dataset.value)}` });
        return NEVER;
      }
      return Number(text);
    }),
  );
}

const OnOff = v.pipe(
  v.union([v.string(), v.boolean()], "process-vary: expected on or off"),
  v.rawTransform(({ dataset, addIssue, NEVER }): boolean => {
    const x = dataset.value;
    if (x === true || x === "on") return true;
    if (x === false || x === "off") return false;
    addIssue({ message: `process-vary: expected on or off, got ${describe(x)}` });
    return NEVER;
  }),
);

const ENTRIES = {
  "total-max-size": count("total-max-size", 1, 4095),
  "max-object-size": v.optional(count("max-object-size", 1, 2 ** 31 - 1)),
  "max-age": v.optional(count("max-age", 0, 2 ** 31 - 1)),
  "process-vary": v.optional(OnOff),
  "max-secondary-entries": v.optional(count("max-secondary-entries", 1, 2 ** 31 - 1)),
};

/** The section's keywords, checked as HAProxy checks them; the name is added by the caller. */
export const CacheSchema = v.pipe(
  keywords(ENTRIES, {
    expected: "a mapping of cache keywords",
    unknown: (key) => `unknown keyword '${key}' in a cache section (expected one of: ${Object.keys(ENTRIES).join(", ")})`,
  }),
  v.rawTransform(({ dataset, addIssue, NEVER }): Omit<CacheConfig, "name"> => {
    const c = dataset.value;
    const total = c["total-max-size"] * MB;
    const maxObject = c["max-object-size"] ?? Math.floor(total / 256);
    if (maxObject > total / 2) {
      addIssue({ message: `max-object-size (${maxObject}) must not be greater than half of total-max-size (${total / 2} bytes)` });
      return NEVER;
    }
    return {
      totalMaxSize: total,
      maxObjectSize: maxObject,
      maxAgeSeconds: c["max-age"] ?? 60,
      processVary: c["process-vary"] ?? false,
      maxSecondaryEntries: c["max-secondary-entries"] ?? 10,
    };
  }),
);
