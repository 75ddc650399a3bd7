// What HAProxy writes for each check status in its logs ("reason: ..."),
// and the verdicts a check run builds.
import type { CheckResult, CheckStatus } from "../backend/server-state.ts";

export const REASONS: Record<CheckStatus, string> = {
  L4OK: "Layer4 check passed",
  L4TOUT: "Layer4 timeout",
  L4CON: "Layer4 connection problem",
  L6OK: "Layer6 check passed",
  L6TOUT: "Layer6 timeout",
  L6RSP: "Layer6 invalid response",
  L7OK: "Layer7 check passed",
  L7OKC: "Layer7 check conditionally passed",
  L7TOUT: "Layer7 timeout",
  L7RSP: "Layer7 invalid response",
  L7STS: "Layer7 wrong status",
  HANA: "Health analyze",
  SOCKERR: "Socket error",
  PROCERR: "External check error",
  PROCTOUT: "External check timeout",
  PROCOK: "External check passed",
};

/** The statuses of a passed check (L7OKC: conditionally, a 404 under disable-on-404; it counts up the same). */
export function isPass(status: CheckStatus): boolean {
  return status === "L4OK" || status === "L6OK" || status === "L7OK" || status === "L7OKC" || status === "PROCOK";
}

export function result(status: CheckStatus, durationMs: number, info = "", code?: number): CheckResult {
  return code === undefined ? { status, info, durationMs } : { status, info, durationMs, code };
}
