// The applets a proxy serves in its own traffic (issue 19): the stats page of
// a section that also routes, or of a backend (HAProxy's stats applet), and
// `http-request use-service prometheus-exporter`. The session layer hands
// them a ServiceRequest once the request stage chose them; each is the same
// hono app as a stats listener's (admin/app.ts), asked with a web Request made
// from it, so auth, ;csv, ;json, the forms and the API behave the same.
import type { StatsListenerConfig } from "../config/types.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../stats/prometheus.ts";
import type { StatsSource } from "../stats/types.ts";
import type { ServiceAnswer, ServiceRequest, Services } from "../stream/types.ts";
import { type AdminSide, statsApp } from "./app.ts";
import type { RateHistory } from "./rate-history.ts";

const ENCODER = new TextEncoder();

/** The web Request an applet's hono app reads: the target under the Host the client named. */
function webRequest(r: ServiceRequest): Request {
  const headers = new Headers();
  for (const [name, value] of r.fields) headers.append(name, value);
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(r.target);
  const url = absolute ? r.target : `http://${headers.get("host") || "localhost"}${r.target.startsWith("/") ? "" : "/"}${r.target}`;
  const withBody = r.method !== "GET" && r.method !== "HEAD";
  return new Request(url, { method: r.method, headers, ...(withBody ? { body: r.body as Uint8Array<ArrayBuffer> } : {}) });
}

async function answerOf(response: Response): Promise<ServiceAnswer> {
  const fields: [string, string][] = [];
  response.headers.forEach((value, name) => fields.push([name, value]));
  return { status: response.status, fields, body: new Uint8Array(await response.arrayBuffer()) };
}

/** The applets for these sections' pages (by section name) and the exporter, over `source`. */
export function proxyServices(pages: readonly StatsListenerConfig[], source: StatsSource, history: RateHistory, admin?: AdminSide): Services {
  const apps = new Map(pages.map((config) => [config.name, statsApp(config, source, history, admin)]));
  return {
    async stats(proxy, request) {
      const app = apps.get(proxy);
      if (app === undefined) return { status: 503, fields: [["content-type", "text/plain"]], body: ENCODER.encode(`no stats page in '${proxy}'\n`) };
      return await answerOf(await app.fetch(webRequest(request), { peers: { remote: request.remote, local: request.local } }));
    },
    prometheus() {
      const text = prometheusText(source.rows(), source.info(), source.durations());
      return Promise.resolve({ status: 200, fields: [["content-type", PROMETHEUS_CONTENT_TYPE], ["cache-control", "no-cache"]], body: ENCODER.encode(text) });
    },
  };
}

/** Every section whose stats page is served inside the proxy: frontends and listens that route, backends. */
export function proxyPages(config: { frontends: readonly { statsPage?: StatsListenerConfig }[]; backends: readonly { statsPage?: StatsListenerConfig }[] }): StatsListenerConfig[] {
  return [...config.frontends, ...config.backends].flatMap((p) => (p.statsPage === undefined ? [] : [p.statsPage]));
}
