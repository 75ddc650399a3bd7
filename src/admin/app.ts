// The stats listener's HTTP side, a hono app: the page at `stats uri` (and
// its `;csv`, `;json` and `;norefresh` forms, as HAProxy's), guarded by
// `stats auth` (Basic, 401 with `stats realm`), and the Prometheus text where
// `http-request use-service prometheus-exporter` routes it. Anything else is
// HAProxy's answer for a request no backend takes: 503.
import { Hono } from "hono";
import { basicAuth } from "hono/basic-auth";
import type { MetricsRoute, StatsListenerConfig } from "../config/types.ts";
import { statCsv } from "../stats/csv.ts";
import { statJson } from "../stats/json.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../stats/prometheus.ts";
import type { StatsSource } from "../stats/types.ts";
import { statsPage } from "./page.ts";
import type { RateHistory } from "./rate-history.ts";

const NO_CACHE = { "cache-control": "no-cache" };

function metricsMatch(route: MetricsRoute, path: string): boolean {
  if (route.path === undefined) return true;
  return route.prefix ? path.startsWith(route.path) : path === route.path;
}

/** The part of the request target after `uri` when the target is under it (HAProxy: a prefix), else undefined. */
function underUri(uri: string | undefined, target: string): string | undefined {
  if (uri === undefined || !target.startsWith(uri)) return undefined;
  return target.slice(uri.length);
}

/** The path and query as the client wrote them (the URL parser keeps `;csv` in the path). */
function targetOf(url: string): { path: string; target: string } {
  const parsed = new URL(url);
  return { path: parsed.pathname, target: parsed.pathname + parsed.search };
}

export function statsApp(config: StatsListenerConfig, source: StatsSource, history: RateHistory): Hono {
  const app = new Hono();
  const [first, ...more] = config.auth.map((a) => ({ username: a.user, password: a.password }));
  const guard = first === undefined ? undefined : basicAuth({ ...first, realm: config.realm }, ...more);
  app.use("*", async (c, next) => {
    const { path, target } = targetOf(c.req.url);
    const metrics = config.metrics;
    // The exporter's rule runs first (http-request), as in HAProxy, and stats auth does not cover it.
    if (metrics !== undefined && metricsMatch(metrics, path)) {
      return c.body(prometheusText(source.rows(), source.info(), source.durations()), 200, { ...NO_CACHE, "content-type": PROMETHEUS_CONTENT_TYPE });
    }
    if (guard !== undefined && underUri(config.uri, target) !== undefined) return await guard(c, next);
    return await next();
  });
  app.all("*", (c) => {
    const rest = underUri(config.uri, targetOf(c.req.url).target);
    if (rest === undefined) {
      return c.html("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n", 503, NO_CACHE);
    }
    const rows = source.rows();
    if (rest.includes(";csv")) return c.body(statCsv(rows), 200, { ...NO_CACHE, "content-type": "text/plain; charset=utf-8" });
    if (rest.includes(";json")) return c.json(statJson(rows), 200, NO_CACHE);
    const refresh = rest.includes(";norefresh") || config.refresh === undefined ? undefined : Math.max(1, Math.round(config.refresh / 1000));
    return c.html(
      statsPage(rows, source.info(), history.samples(), {
        ...(refresh === undefined ? {} : { refreshSeconds: refresh }),
        showLegends: config.showLegends,
        hideVersion: config.hideVersion,
        uri: config.uri!,
      }),
      200,
      NO_CACHE,
    );
  });
  return app;
}
