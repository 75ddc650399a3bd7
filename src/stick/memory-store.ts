// The stick tables of one process, built from the specs config/ parsed: the
// only StickStore so far (types.ts says what a shared one would need).
import { MemoryStickTable } from "./table.ts";
import { StickSpecError, type StickStore, type StickTable, type StickTableSpec } from "./types.ts";

export class MemoryStickStore implements StickStore {
  private readonly byName = new Map<string, MemoryStickTable>();

  /** Throws StickSpecError for a bad spec or a name declared twice (every problem of every table at once). */
  constructor(specs: readonly StickTableSpec[]) {
    const errors: string[] = [];
    for (const spec of specs) {
      if (this.byName.has(spec.name)) {
        errors.push(`stick-table '${spec.name}': declared twice`);
        continue;
      }
      try {
        this.byName.set(spec.name, new MemoryStickTable(spec));
      } catch (e) {
        if (!(e instanceof StickSpecError)) throw e;
        errors.push(...e.problems);
      }
    }
    if (errors.length > 0) throw new StickSpecError(errors);
  }

  table(name: string): MemoryStickTable | undefined {
    return this.byName.get(name);
  }

  tables(): IterableIterator<StickTable> {
    return this.byName.values();
  }

  /** Purges every table (the owner's timer): up to `budget` entries looked at per table. Returns how many went. */
  purge(now: number, budget: number): number {
    let removed = 0;
    for (const t of this.byName.values()) removed += t.purge(now, budget);
    return removed;
  }
}
