// Which retry goes to another server: HAProxy's `option redispatch
// <interval>`. A pure function of the retry's number, so that both modes and
// the tests share it.

/**
 * True when retry number `retry` (1: the first) of `retries` goes to another
 * server. `interval` P > 0: every Pth retry; N < 0: the |N|th retry counted
 * back from the last (-1: the last one), as HAProxy counts it.
 */
export function redispatchesAt(interval: number, retry: number, retries: number): boolean {
  const every = interval > 0 ? interval : retries + 1 + interval;
  // -N beyond the number of retries: every retry redispatches.
  if (every <= 1) return true;
  return retry % every === 0;
}
