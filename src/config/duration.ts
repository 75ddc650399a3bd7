// HAProxy time values: an integer with an optional unit; a bare number is ms.

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Timers (ours and setTimeout) hold 32-bit signed ms, as HAProxy's do. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const EXPECTED = "expected a number with unit us, ms, s, m, h or d";

export function parseDuration(input: string | number): DurationResult {
  const text = String(input).trim();
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (!m) return { ok: false, error: `invalid time '${input}' (${EXPECTED})` };
  // Round up: a nonzero timeout must never become 0, which means "no timeout".
  const ms = Math.ceil(Number(m[1]) * UNIT_MS[m[2] ?? "ms"]!);
  if (ms > MAX_DURATION_MS) {
    return {
      ok: false,
      error: `time '${input}' is too large (at most ${MAX_DURATION_MS}ms, about 24.8 days)`,
    };
  }
  return { ok: true, ms };
}
