// The last minutes' request rate of each frontend, for the stats page's bars:
// every 10 s the listener reads each frontend's request counter and keeps the
// difference in a ring of fixed size (no growth, nothing kept per request).
import type { StatRow } from "../stats/types.ts";

export const SAMPLE_MS = 10_000;
/** 30 samples of 10 s: the last 5 minutes. */
export const SAMPLES = 30;

class Ring {
  private readonly values: number[] = new Array<number>(SAMPLES).fill(0);
  private next = 0;
  private size = 0;
  last = 0;

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % SAMPLES;
    if (this.size < SAMPLES) this.size++;
  }

  /** Oldest first. */
  read(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.values[(this.next - this.size + i + SAMPLES) % SAMPLES]!);
    return out;
  }
}

export class RateHistory {
  private readonly rings = new Map<string, Ring>();

  /** Takes a sample from the FRONTEND rows: requests since the previous sample. */
  sample(rows: readonly StatRow[]): void {
    for (const row of rows) {
      if (row.svname !== "FRONTEND") continue;
      const name = String(row.pxname);
      const total = Number(row.req_tot ?? 0);
      let ring = this.rings.get(name);
      if (ring === undefined) {
        // The first reading starts the count: requests before the listener started are not a sample of any 10 s.
        ring = new Ring();
        ring.last = total;
        this.rings.set(name, ring);
        continue;
      }
      ring.push(Math.max(0, total - ring.last));
      ring.last = total;
    }
  }

  samples(): Map<string, number[]> {
    return new Map([...this.rings].map(([name, ring]) => [name, ring.read()]));
  }
}
