// What the stats page, the metrics, the runtime API (`show stat`, `show info`)
// and the master (summing its workers) read: rows in HAProxy's `show stat`
// layout and `show info` fields, from one running proxy or several merged.

/** One row of `show stat`: values by column name (columns.ts); an absent column is an empty field. */
export type StatRow = Record<string, string | number>;

/** HAProxy's `type` column: what a row describes. */
export const RowType = { frontend: 0, backend: 1, server: 2 } as const;

/** One `show info` line. */
export interface InfoField {
  readonly name: string;
  readonly value: string | number;
  /** Summed over workers (counters and current figures), else taken from the first. */
  readonly summed?: true;
}

/** A backend's request durations (Prometheus histogram): per-bucket counts (not cumulative), the last +Inf. */
export interface DurationRow {
  readonly proxy: string;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  /** Seconds. */
  readonly sum: number;
  readonly count: number;
}

/** The figures of one proxy process (or of several, merged). */
export interface StatsSource {
  rows(): StatRow[];
  info(): InfoField[];
  durations(): DurationRow[];
}
