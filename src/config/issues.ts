// valibot issues → ConfigErrors: the issue's path finds both the position
// (via the segment's maps) and the context words (via context.ts).

import type * as v from "valibot";
import { ConfigError, type SourcePos } from "./errors.ts";
import { contextOf } from "./context.ts";
import { pathKey, type PathSeg, type RawSegment } from "./raw.ts";

export function toErrors(
  issues: readonly v.BaseIssue<unknown>[],
  base: readonly PathSeg[],
  seg: RawSegment,
): ConfigError[] {
  return issues.map((issue) => {
    const items = issue.path ?? [];
    const path = [...base, ...items.map((item) => item.key as PathSeg)];
    // An unknown or missing key is about the key itself, so neither its
    // position nor its context is that of a value.
    const aboutKey = items.at(-1)?.origin === "key";
    return new ConfigError(
      locate(seg, path, aboutKey),
      contextOf(aboutKey ? path.slice(0, -1) : path, seg.doc),
      issue.message,
    );
  });
}

/** The nearest recorded position: the path itself, else its closest ancestor. */
export function locate(seg: RawSegment, path: readonly PathSeg[], aboutKey = false): SourcePos {
  const exact = pathKey(path);
  const hit = aboutKey
    ? (seg.keys.get(exact) ?? seg.values.get(exact))
    : (seg.values.get(exact) ?? seg.keys.get(exact));
  if (hit) return hit;
  // A missing key is best shown at its parent's key; a value that was never
  // written as such (the address of a short-form server) at the parent's value.
  for (let n = path.length - 1; n > 0; n--) {
    const key = pathKey(path.slice(0, n));
    const at = aboutKey
      ? (seg.keys.get(key) ?? seg.values.get(key))
      : (seg.values.get(key) ?? seg.keys.get(key));
    if (at) return at;
  }
  return { file: seg.file };
}
