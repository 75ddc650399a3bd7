// The lines HAProxy logs when a server changes state, word for word:
//   Server api/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 2ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
//   Server api/a1 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.
//   Server api/a1 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: Wrong http response". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.
//   backend 'api' has no server available!
import type { CheckResult } from "../backend/server-state.ts";
import { REASONS } from "./status.ts";

/** The servers of a backend that can take traffic now, counted as HAProxy's lines count them. */
export interface Survivors {
  active: number;
  backup: number;
}

function why(r: CheckResult): string {
  let text = `reason: ${REASONS[r.status]}`;
  if (r.code !== undefined) text += `, code: ${r.code}`;
  if (r.info !== "") text += `, info: "${r.info.replace(/["\\]/g, "\\$&")}"`;
  // A passive verdict ran no check: HAProxy gives it no duration.
  if (r.status === "HANA") return text;
  return `${text}, check duration: ${Math.round(r.durationMs)}ms`;
}

export function downLine(id: string, r: CheckResult, left: Survivors, sessions: number, requeued: number, queued: number): string {
  return `Server ${id} is DOWN, ${why(r)}. ${left.active} active and ${left.backup} backup servers left. ` +
    `${sessions} sessions active, ${requeued} requeued, ${queued} remaining in queue.`;
}

export function upLine(id: string, r: CheckResult, online: Survivors, requeued: number, queued: number): string {
  return `Server ${id} is UP, ${why(r)}. ${online.active} active and ${online.backup} backup servers online. ` +
    `${requeued} sessions requeued, ${queued} total in queue.`;
}

export function noServerLine(backend: string): string {
  return `backend '${backend}' has no server available!`;
}
