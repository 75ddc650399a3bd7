// Starts and stops the stats listeners (issue 16): each `stats` section's
// binds on the runtime's own HTTP server (System.serveHttp), the hono app of
// admin/app.ts behind them, and the 10 s sampling of request rates for the
// page's bars. app.ts starts them once the proxy is up, with the servers'
// operations the forms and the JSON API act through (server-admin.ts: this
// process's, or the master's relay to its workers), and closes them when it
// stops.
import type { StatsListenerConfig } from "../config/types.ts";
import type { HttpListener, Runtime, System, TimerHandle } from "../runtime/types.ts";
import type { StatsSource } from "../stats/types.ts";
import { statsApp } from "./app.ts";
import type { ServerAdmin } from "./server-admin.ts";
import { RateHistory, SAMPLE_MS } from "./rate-history.ts";

export interface StatsListeners {
  /** Every address listened on, with its section's name. */
  readonly listening: readonly { name: string; hostname: string; port: number }[];
  close(): Promise<void>;
}

/** Listens on every stats section's binds; on a failure closes those already open and rethrows. */
export async function startStatsListeners(
  runtime: Pick<Runtime, "setTimer" | "clearTimer" | "now"> & Pick<System, "serveHttp">,
  configs: readonly StatsListenerConfig[],
  source: StatsSource,
  servers?: ServerAdmin,
  /** The pages served inside the proxy (proxy-pages.ts) share the rate samples: their history, sampled even with no listener. */
  inProxy?: { history: RateHistory },
): Promise<StatsListeners> {
  const history = inProxy?.history ?? new RateHistory();
  const open: { name: string; listener: HttpListener }[] = [];
  try {
    for (const config of configs) {
      const app = statsApp(config, source, history, servers === undefined ? undefined : { servers, now: () => runtime.now() });
      for (const bind of config.binds) {
        const local = { address: bind.host, port: bind.port };
        const listener = await runtime.serveHttp({
          hostname: bind.host,
          port: bind.port,
          fetch: (request, remote) => app.fetch(request, { peers: { remote, local } }),
        });
        local.port = listener.port;
        open.push({ name: config.name, listener });
      }
    }
  } catch (error) {
    await Promise.all(open.map((o) => o.listener.close()));
    throw error;
  }
  let timer: TimerHandle | undefined;
  const sample = () => {
    history.sample(source.rows());
    timer = runtime.setTimer(sample, SAMPLE_MS);
  };
  if (open.length > 0 || inProxy !== undefined) sample();
  return {
    listening: open.map((o) => ({ name: o.name, hostname: o.listener.hostname, port: o.listener.port })),
    async close() {
      if (timer !== undefined) runtime.clearTimer(timer);
      timer = undefined;
      await Promise.all(open.map((o) => o.listener.close()));
    },
  };
}
