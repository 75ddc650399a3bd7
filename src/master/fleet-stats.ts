// The figures of every worker as one (issue 16): the master asks each ready
// worker of the current generation for its rows, info and durations over the
// control channel and merges them (stats/merge.ts). The stats listener reads
// a StatsSource synchronously, so this keeps the last merge in a cache,
// refreshed every second while the master serves stats (and by the runtime
// API's `show stat`/`show info`, which wait for a fresh one). A figure read
// from the stats listener is thus at most about a second old (plus the
// workers' answer time). A worker that died takes its counters with it, as
// in HAProxy; workers of older generations (draining after a reload) are not
// counted.
import { mergeDurations, mergeInfo, mergeRows } from "../stats/merge.ts";
import type { DurationRow, InfoField, StatRow, StatsSource } from "../stats/types.ts";
import type { WorkerFigures } from "./protocol.ts";

/** How often the cache is refreshed while the master serves stats. */
export const REFRESH_MS = 1000;

/** The figures of each serving worker, in worker order (those that did not answer left out). */
export type AskFigures = () => Promise<WorkerFigures[]>;

/** Merges several workers' figures into one worker's shape; the master's own fields set on `info`. */
export function mergeFigures(workers: readonly WorkerFigures[], master: { pid: number }): WorkerFigures {
  const info = mergeInfo(workers.map((w) => w.info)).map((f): InfoField => {
    // The master speaks for the processes: its pid, the number of workers, and process 0 (HAProxy's master is relative pid 0).
    if (f.name === "Pid") return { name: f.name, value: master.pid };
    if (f.name === "Nbproc") return { name: f.name, value: workers.length };
    if (f.name === "Process_num") return { name: f.name, value: 0 };
    return f;
  });
  return {
    rows: mergeRows(workers.map((w) => w.rows)),
    info,
    durations: mergeDurations(workers.map((w) => w.durations)),
  };
}

export class FleetStats implements StatsSource {
  private cache: WorkerFigures = { rows: [], info: [], durations: [] };
  private inflight: Promise<WorkerFigures> | undefined;

  constructor(private readonly askFigures: AskFigures, private readonly master: { pid: number }) {}

  /** Asks the workers now (a refresh already under way is shared) and caches the merge. */
  fresh(): Promise<WorkerFigures> {
    if (this.inflight !== undefined) return this.inflight;
    const run = this.askFigures().then((workers) => {
      this.cache = mergeFigures(workers, this.master);
      return this.cache;
    });
    this.inflight = run.finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  rows(): StatRow[] {
    return this.cache.rows;
  }

  info(): InfoField[] {
    return this.cache.info;
  }

  durations(): DurationRow[] {
    return this.cache.durations;
  }
}
