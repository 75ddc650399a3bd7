// Full garbage collections paced by closed connections, under Bun.
//
// JSC collects its old space only once the heap has grown by an amount sized
// from the machine's RAM (tens of MiB). Under connection churn each
// connection's objects outlive a young collection or two while the
// connection is open, so they reach the old space and stay there, with the
// native memory their socket wrappers hold, until that full collection: the
// process peaked at ~112 MiB with ~10 MiB live. A full collection after
// every CLOSES_PER_COLLECTION closed sockets bounds that pile by the
// connections closed since, not by the RAM size (measured in
// bench/results/churn-gc-pacing.md).
const CLOSES_PER_COLLECTION = Number(process.env.SLUICE_GC_EVERY ?? 8192);

let closed = 0;
let scheduled = false;

function collect(): void {
  scheduled = false;
  Bun.gc(true);
}

/** A socket closed: every CLOSES_PER_COLLECTION of them, a full collection once the current event is done. */
export function socketClosed(): void {
  if (++closed < CLOSES_PER_COLLECTION || scheduled || CLOSES_PER_COLLECTION <= 0) return;
  closed = 0;
  scheduled = true;
  setTimeout(collect, 0);
}
