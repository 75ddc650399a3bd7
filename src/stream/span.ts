// HAProxy's timeout convention, shared by every session kind.

/** A configured timeout as a span in ms: 0 (or unset) means none, i.e. Infinity. */
export function span(ms: number | undefined): number {
  return ms !== undefined && ms > 0 ? ms : Infinity;
}
