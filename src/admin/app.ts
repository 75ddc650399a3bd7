// The stats listener's HTTP side, a hono app: the page at `stats uri` (and
// its `;csv`, `;json` and `;norefresh` forms, as HAProxy's), guarded by
// `stats auth` (Basic, 401 with `stats realm`), and the Prometheus text where
// `http-request use-service prometheus-exporter` routes it. Under the stats
// uri too, when `stats admin` allows the request: the page's forms (POST, then
// a redirect to `<uri>;st=CODE` showing the result, as HAProxy's) and the JSON
// API `<uri>/api/servers[/<backend>/<server>]` (server-api.ts). Anything else
// is HAProxy's answer for a request no backend takes: 503.
import type { Context, Hono } from "hono";
import { honoBasicAuthPackage, honoPackage } from "../runtime/packages.ts";
import type { MetricsRoute, StatsListenerConfig } from "../config/types.ts";
import { statCsv } from "../stats/csv.ts";
import { statJson } from "../stats/json.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../stats/prometheus.ts";
import type { StatRow, StatsSource } from "../stats/types.ts";
import { adminAllowed, type RequestPeers } from "./admin-gate.ts";
import { statsPage } from "./page.ts";
import { PAGE_RESULTS } from "./server-api.ts";
import { errorPageBody } from "../http/error-pages.ts";
import type { ServerAdmin } from "./server-admin.ts";
import type { RateHistory } from "./rate-history.ts";

const NO_CACHE = { "cache-control": "no-cache" };
/** HAProxy's answer to its monitor-uri. */
const SERVICE_READY = "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";

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

/** What the listener hands each request: the connection's two ends (for `stats admin`'s `src`, `dst`). */
export type StatsEnv = { peers?: RequestPeers };

/** The largest form or JSON body read (a form naming every server of a large backend fits many times over). */
const MAX_BODY = 65536;

/** The body as text, read up to MAX_BODY bytes; undefined when it is longer (announced or sent). */
async function bodyText(request: Request): Promise<string | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return undefined;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) all.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
  return new TextDecoder().decode(all);
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const DENIED = { error: "Action denied (stats admin does not allow this request)." };

/** The API's path under the stats uri (`api/...`, a leading '/' dropped: `/stats/api/...` and `/api/...` for `stats uri /`), or undefined. */
function apiPath(rest: string): string | undefined {
  const path = rest.split("?")[0]!.replace(/^\//, "");
  return path === "api" || path.startsWith("api/") ? path : undefined;
}

/** What the app needs besides the figures: the servers' operations (this process's or the master's relay), the clock for conditions. */
export interface AdminSide {
  readonly servers: ServerAdmin;
  readonly now: () => number;
}

/** `stats scope`: only the rows of the proxies named; every row without it. */
function scoped(rows: StatRow[], scope: readonly string[] | undefined): StatRow[] {
  return scope === undefined ? rows : rows.filter((row) => scope.includes(String(row.pxname)));
}

export function statsApp(config: StatsListenerConfig, source: StatsSource, history: RateHistory, admin?: AdminSide): Hono<{ Bindings: StatsEnv }> {
  const { Hono } = honoPackage();
  const { basicAuth } = honoBasicAuthPackage();
  const app = new Hono<{ Bindings: StatsEnv }>();
  const allowed = (c: Context<{ Bindings: StatsEnv }>) =>
    admin !== undefined && adminAllowed(config.admin, c.req.raw, c.env?.peers, config.name, admin.now());
  const [first, ...more] = config.auth.map((a) => ({ username: a.user, password: a.password }));
  const guard = first === undefined ? undefined : basicAuth({ ...first, realm: config.realm }, ...more);
  app.use("*", async (c, next) => {
    const { path, target } = targetOf(c.req.url);
    // monitor-uri: answered before anything else, as in HAProxy (a stats listener has no `monitor fail`).
    if (config.monitorUri === target) return c.html(SERVICE_READY, 200, NO_CACHE);
    const metrics = config.metrics;
    // The exporter's rule runs first (http-request), as in HAProxy, and stats auth does not cover it.
    if (metrics !== undefined && metricsMatch(metrics, path)) {
      return c.body(prometheusText(source.rows(), source.info(), source.durations()), 200, { ...NO_CACHE, "content-type": PROMETHEUS_CONTENT_TYPE });
    }
    if (guard !== undefined && underUri(config.uri, target) !== undefined) {
      try {
        return await guard(c, next);
      } catch (e) {
        // The challenge as HAProxy's stats page sends it: its 401 page (HTML, no-cache) with the realm.
        const res = (e as { status?: number; getResponse?: () => Response }).status === 401 ? (e as { getResponse(): Response }).getResponse() : undefined;
        if (res === undefined) throw e;
        return c.html(errorPageBody(401), 401, { ...NO_CACHE, "www-authenticate": res.headers.get("www-authenticate") ?? "Basic" });
      }
    }
    return await next();
  });
  const serveApi = async (c: Context<{ Bindings: StatsEnv }>, path: string) => {
    const servers = admin?.servers;
    if (path === "api/servers" && c.req.method === "GET") return c.json({ servers: servers === undefined ? [] : await servers.views() }, 200, NO_CACHE);
    const named = /^api\/servers\/([^/]+)\/([^/]+)$/.exec(path);
    if (named === null) return c.json({ error: `no such API path '/${path}' (GET api/servers, POST api/servers/<backend>/<server>)` }, 404, NO_CACHE);
    if (c.req.method !== "POST") return c.json({ error: "use POST to change a server" }, 405, { ...NO_CACHE, allow: "POST" });
    if (!allowed(c)) return c.json(DENIED, 403, NO_CACHE);
    const backendName = decoded(named[1]!), serverName = decoded(named[2]!);
    if (backendName === undefined || serverName === undefined) return c.json({ error: "bad percent-encoding in the server's name" }, 400, NO_CACHE);
    const text = await bodyText(c.req.raw);
    if (text === undefined) return c.json({ error: `the body is larger than ${MAX_BODY} bytes` }, 413, NO_CACHE);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return c.json({ error: "the body is not JSON (expected an object such as {\"state\": \"drain\"})" }, 400, NO_CACHE);
    }
    const answer = await servers!.change(backendName, serverName, body);
    return c.json(answer.body, answer.status, NO_CACHE);
  };
  app.all("*", async (c) => {
    const rest = underUri(config.uri, targetOf(c.req.url).target);
    if (rest === undefined) {
      return c.html("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n", 503, NO_CACHE);
    }
    const api = apiPath(rest);
    if (api !== undefined) return await serveApi(c, api);
    if (c.req.method === "POST") {
      if (!allowed(c)) return c.html("<html><body><h1>403 Forbidden</h1>\nAction denied.\n</body></html>\n", 403, NO_CACHE);
      const text = await bodyText(c.req.raw);
      if (text === undefined) return c.html("<html><body><h1>413 Payload Too Large</h1>\n</body></html>\n", 413, NO_CACHE);
      // HAProxy's form: b=<backend>&s=<server>&s=...&action=<action>, urlencoded.
      const form = new URLSearchParams(text);
      const code = await admin!.servers.act(form.get("b") ?? "", form.getAll("s"), form.get("action") ?? "");
      return c.redirect(`${config.uri};st=${code}`, 303);
    }
    const rows = scoped(source.rows(), config.scope);
    if (rest.includes(";csv")) return c.body(statCsv(rows), 200, { ...NO_CACHE, "content-type": "text/plain; charset=utf-8" });
    if (rest.includes(";json")) return c.json(statJson(rows), 200, NO_CACHE);
    const result = resultOf(rest);
    const refresh = rest.includes(";norefresh") || config.refresh === undefined ? undefined : Math.max(1, Math.round(config.refresh / 1000));
    return c.html(
      statsPage(rows, source.info(), history.samples(), {
        ...(refresh === undefined ? {} : { refreshSeconds: refresh }),
        showLegends: config.showLegends,
        hideVersion: config.hideVersion,
        uri: config.uri!,
        admin: allowed(c),
        ...(config.showNode === undefined ? {} : { node: config.showNode }),
        ...(config.showDesc === undefined ? {} : { description: config.showDesc }),
        ...(config.showModules === true ? { modules: true } : {}),
        ...(result === undefined ? {} : { result }),
      }),
      200,
      NO_CACHE,
    );
  });
  return app;
}

/** The `;st=CODE` a form's redirect carries: the page's message for it. */
function resultOf(rest: string): { ok: boolean; text: string } | undefined {
  const code = /;st=([A-Z]+)/.exec(rest)?.[1];
  const text = code === undefined ? undefined : PAGE_RESULTS[code];
  return text === undefined ? undefined : { ok: code === "DONE" || code === "NONE", text };
}
