// The stick tables of one proxy graph (issue 15): one MemoryStickStore holding
// a table per proxy that declares `stick-table`, named after the proxy, and
// the timer that gives expired entries' memory back. Lookups check expiry on
// their own (stick/), so the timer only bounds memory: it looks at no more
// than PURGE_BUDGET entries per table per tick, never stalling the event loop
// on a table of millions. The tables of peers sections are here too, and a
// PeersSync per peers section this process takes part in (peers-sync.ts).
import type { Config } from "../config/types.ts";
import type { Runtime, TimerHandle } from "../runtime/types.ts";
import { MemoryStickStore } from "../stick/memory-store.ts";
import type { MemoryStickTable } from "../stick/table.ts";
import { PeersSync } from "./peers-sync.ts";
import type { StickTableSpec } from "../stick/types.ts";

/** How often the purge runs. */
const PURGE_EVERY_MS = 1000;
/** Entries looked at per table per purge. */
const PURGE_BUDGET = 1000;

export class StickTables {
  private timer: TimerHandle | undefined;
  readonly peers: PeersSync[];

  private constructor(
    readonly store: MemoryStickStore,
    private readonly runtime: Runtime,
    private readonly tick: () => number,
    config: Config,
  ) {
    this.peers = (config.peers ?? []).map((section) => {
      const tables = [...store.tables()].filter((t): t is MemoryStickTable => t.spec.peers === section.name);
      return new PeersSync(section, tables, runtime, tick);
    });
  }

  /** The graph's tables, or undefined when no proxy declares one (then nothing runs or is paid for). */
  static of(config: Config, runtime: Runtime, tick: () => number): StickTables | undefined {
    const specs: StickTableSpec[] = [];
    for (const f of config.frontends) if (f.stickTable !== undefined) specs.push(f.stickTable);
    for (const b of config.backends) if (b.stickTable !== undefined) specs.push(b.stickTable);
    specs.push(...(config.peerTables ?? []));
    if (specs.length === 0) return undefined;
    return new StickTables(new MemoryStickStore(specs), runtime, tick, config);
  }

  /** Starts the purge timer and the peers (with the proxy). */
  async start(): Promise<void> {
    if (this.timer === undefined) this.timer = this.runtime.setTimer(this.purge, PURGE_EVERY_MS);
    for (const p of this.peers) await p.start();
  }

  /** Stops it (the proxy stops). */
  stop(): void {
    if (this.timer !== undefined) this.runtime.clearTimer(this.timer);
    this.timer = undefined;
    for (const p of this.peers) p.stop();
  }

  private readonly purge = (): void => {
    this.store.purge(this.tick(), PURGE_BUDGET);
    this.timer = this.runtime.setTimer(this.purge, PURGE_EVERY_MS);
  };
}
