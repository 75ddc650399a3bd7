// Which shared lists a stream may take a connection from, by reuse mode and
// by whether it is the session's first request (the table of
// ../shared/docs/connection-ownership.md). Pure: the lookup walks the answer.
import type { HttpReuse } from "../config/types.ts";

export type SharedList = "idle" | "safe";

const NONE: readonly SharedList[] = [];
const SAFE_ONLY: readonly SharedList[] = ["safe"];
const SAFE_THEN_IDLE: readonly SharedList[] = ["safe", "idle"];
const IDLE_THEN_SAFE: readonly SharedList[] = ["idle", "safe"];

/** The shared lists to try, in order, after the session's own private connections. */
export function sharedLists(mode: HttpReuse, firstRequest: boolean): readonly SharedList[] {
  if (mode === "never") return NONE;
  if (!firstRequest) return IDLE_THEN_SAFE;
  if (mode === "safe") return NONE;
  return mode === "aggressive" ? SAFE_ONLY : SAFE_THEN_IDLE;
}
