// A mapping of keywords, the building block of every section schema.

import * as v from "valibot";
import { describe, isMapping } from "./schema-values.ts";

export interface MappingText {
  /** What a non-mapping value should have been. */
  expected: string;
  /** The message for a key this mapping does not know. */
  unknown: (key: string) => string;
}

/**
 * A mapping with known keys. Unlike v.strictObject, which stops at the first
 * unknown key, this reports every one; YAML's empty value (null) counts as {}.
 */
export function keywords<const E extends v.ObjectEntries>(entries: E, text: MappingText) {
  return v.pipe(
    v.unknown(),
    v.transform((x) => x ?? {}),
    v.custom<Record<string, unknown>>(
      isMapping,
      (issue) => `expected ${text.expected}, got ${describe(issue.input)}`,
    ),
    v.looseObject(entries, (issue) => `missing '${String(issue.path?.[0]?.key)}'`),
    v.rawCheck(({ dataset, addIssue }) => {
      const o: unknown = dataset.value;
      if (!isMapping(o)) return;
      for (const key of Object.keys(o)) {
        if (Object.hasOwn(entries, key)) continue;
        addIssue({
          message: text.unknown(key),
          path: [{ type: "object", origin: "key", input: o, key, value: o[key] }],
        });
      }
    }),
    v.transform((o) => o as v.InferOutput<v.ObjectSchema<E, undefined>>),
  );
}
