// The lines HAProxy logs when a server changes state, word for word:
//   Server api/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 2ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
//   Server api/a1 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.
//   Server api/a1 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: Wrong http response". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.
//   backend 'api' has no server available!
import type { Backend } from "../backend/backend.ts";
import type { CheckResult } from "../backend/server-state.ts";
import { REASONS } from "./status.ts";

/** The servers of a backend that can take traffic now, counted as HAProxy's lines count them. */
export interface Survivors {
  active: number;
  backup: number;
}

/** The servers of `backend` that take traffic now. */
export function survivors(backend: Backend): Survivors {
  const n: Survivors = { active: 0, backup: 0 };
  for (const s of backend.servers) if (s.usable) s.backup ? n.backup++ : n.active++;
  return n;
}

function why(r: CheckResult): string {
  let text = `reason: ${REASONS[r.status]}`;
  if (r.code !== undefined) text += `, code: ${r.code}`;
  if (r.info !== "") text += `, info: "${r.info.replace(/["\\]/g, "\\$&")}"`;
  // A passive verdict ran no check: HAProxy gives it no duration.
  if (r.status === "HANA") return text;
  return `${text}, check duration: ${Math.round(r.durationMs)}ms`;
}

/** How HAProxy's lines name a server: "Server be/s1", "Backup Server be/b1". */
export function serverWord(id: string, backup: boolean): string {
  return `${backup ? "Backup " : ""}Server ${id}`;
}

/** "N active and M backup servers left." (or online), and HAProxy's " Running on backup." when only backups are. */
export function serversCount(n: Survivors, word: "left" | "online"): string {
  return `${n.active} active and ${n.backup} backup servers ${word}.${n.backup > 0 && n.active === 0 ? " Running on backup." : ""}`;
}

/** `reason`: false under `option log-health-checks`, whose own line said it (HAProxy then leaves it out here). `who`: serverWord's. */
export function downLine(who: string, r: CheckResult, left: Survivors, sessions: number, requeued: number, queued: number, reason = true): string {
  return `${who} is DOWN${reason ? `, ${why(r)}` : ""}. ${serversCount(left, "left")} ` +
    `${sessions} sessions active, ${requeued} requeued, ${queued} remaining in queue.`;
}

export function upLine(who: string, r: CheckResult, online: Survivors, requeued: number, queued: number, reason = true): string {
  return `${who} is UP${reason ? `, ${why(r)}` : ""}. ${serversCount(online, "online")} ` +
    `${requeued} sessions requeued, ${queued} total in queue.`;
}

/** `http-check disable-on-404` saw a 404: "Server bck/srv2 is stopping. 1 active and 0 backup servers online. ..." */
export function stoppingLine(who: string, r: CheckResult, online: Survivors, queued: number, reason = true): string {
  return `${who} is stopping${reason ? `, ${why(r)}` : ""}. ${serversCount(online, "online")} ` +
    `0 sessions requeued, ${queued} total in queue.`;
}

/**
 * `option log-health-checks`: a check whose status or health counter moved, as HAProxy words it:
 *   Health check for server api/a1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms, status: 0/2 DOWN.
 * The status is the counter against rise while DOWN, against fall (from the top) while UP.
 */
export function checkLine(
  id: string,
  backup: boolean,
  r: CheckResult,
  passed: boolean,
  health: { value: number; rise: number; fall: number; draining: boolean },
): string {
  const up = health.value >= health.rise;
  const shown = up ? `${health.value - health.rise + 1}/${health.fall} ${health.draining ? "DRAIN" : "UP"}` : `${health.value}/${health.rise} DOWN`;
  const verdict = passed ? (r.status === "L7OKC" ? "conditionally succeeded" : "succeeded") : "failed";
  return `Health check for ${backup ? "backup " : ""}server ${id} ${verdict}, ${why(r)}, status: ${shown}.`;
}

export function noServerLine(backend: string): string {
  return `backend '${backend}' has no server available!`;
}

/** The same to syslog: HAProxy quotes the name on stderr only. */
export function noServerSyslogLine(backend: string): string {
  return `backend ${backend} has no server available!`;
}
