// What the master serves besides its workers (issue 16): the configured
// stats listeners (page, CSV, JSON, Prometheus) from the figures of all the
// workers, and the configured `stats socket`s with the master's runtime API
// (master-cli.ts). In master-worker mode the workers open neither: one
// address, one owner, the sum of every worker; the page's forms and the JSON
// API change the workers' servers through the master (fleet-admin.ts).
import { startStatsListeners } from "../admin/listener.ts";
import type { Config } from "../config/types.ts";
import { ControlSockets } from "../control/sockets.ts";
import type { HostRuntime, TimerHandle } from "../runtime/types.ts";
import { FleetStats, REFRESH_MS } from "./fleet-stats.ts";
import type { Master } from "./master.ts";
import { fleetAdmin } from "./fleet-admin.ts";
import { type MasterCliContext, MasterCommandTable } from "./master-cli.ts";
import type { WorkerFigures } from "./protocol.ts";

export interface MasterServices {
  /** Every address listened on, as lines for the log. */
  readonly listening: readonly string[];
  close(): Promise<void>;
}

/** The figures of each serving worker that answers. */
async function askFigures(master: Master): Promise<WorkerFigures[]> {
  const answers = await Promise.all(master.serving().map((w) => master.ask(w, { ask: "stats" })));
  const out: WorkerFigures[] = [];
  for (const a of answers) if (a !== undefined && "stats" in a) out.push(a.stats);
  return out;
}

/** Opens the master's stats sockets and stats listeners; on a failure closes what it opened and rethrows. */
export async function startMasterServices(runtime: HostRuntime, config: Config, master: Master, version: string): Promise<MasterServices> {
  const fleet = new FleetStats(() => askFigures(master), { pid: runtime.pid });
  const ctx: MasterCliContext = { master, stats: fleet, pid: runtime.pid, version, now: () => runtime.now() };
  const sockets = await ControlSockets.startWith(runtime, config.global, ctx, new MasterCommandTable());
  const listening = sockets.listening.map((l) => `runtime API listening on ${l.port === 0 ? l.hostname : `${l.hostname}:${l.port}`}`);
  let timer: TimerHandle | undefined;
  const configs = config.stats ?? [];
  try {
    // The first read finds figures, not an empty page.
    if (configs.length > 0) await fleet.fresh();
    const stats = await startStatsListeners(runtime, configs, fleet, fleetAdmin(ctx));
    for (const l of stats.listening) listening.push(`stats '${l.name}' listening on ${l.hostname}:${l.port}`);
    let closed = false;
    const refresh = () => {
      void fleet.fresh().finally(() => {
        if (!closed) timer = runtime.setTimer(refresh, REFRESH_MS);
      });
    };
    if (stats.listening.length > 0) timer = runtime.setTimer(refresh, REFRESH_MS);
    return {
      listening,
      async close() {
        closed = true;
        if (timer !== undefined) runtime.clearTimer(timer);
        sockets.close();
        await stats.close();
      },
    };
  } catch (error) {
    sockets.close();
    throw error;
  }
}
