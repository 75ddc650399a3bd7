// The stats listener's hono app (issue 16) through app.fetch: routes, the
// `;csv` / `;json` / `;norefresh` forms, Basic auth, the exporter's path, the
// page's escaping and bars, and the ring of request-rate samples.
import { describe, expect, test } from "bun:test";
import { statsApp } from "../../../src/admin/app.ts";
import { escapeHtml, sparkline, statsPage } from "../../../src/admin/page.ts";
import { RateHistory, SAMPLES } from "../../../src/admin/rate-history.ts";
import type { StatsListenerConfig } from "../../../src/config/types.ts";
import type { StatRow, StatsSource } from "../../../src/stats/types.ts";

const ROWS: StatRow[] = [
  { pxname: "fe<x>", svname: "FRONTEND", type: 0, iid: 1, sid: 0, pid: 1, req_tot: 1234567, status: "OPEN" },
  { pxname: "be", svname: "s1", type: 2, iid: 2, sid: 1, pid: 1, status: "DOWN", lastchg: 75, check_status: "L4CON", check_duration: 3, check_desc: "Layer4 connection problem", last_chk: "Connection refused" },
  { pxname: "be", svname: "s2", type: 2, iid: 2, sid: 2, pid: 1, status: "MAINT" },
  { pxname: "be", svname: "BACKEND", type: 1, iid: 2, sid: 0, pid: 1, status: "DOWN" },
];
const SOURCE: StatsSource = {
  rows: () => ROWS,
  info: () => [{ name: "Version", value: "1.2.3" }, { name: "Pid", value: 9 }, { name: "CurrConns", value: 0 }, { name: "Maxconn", value: 10 }],
  durations: () => [],
};

function config(extra: Partial<StatsListenerConfig> = {}): StatsListenerConfig {
  return {
    name: "stats",
    binds: [],
    uri: "/stats",
    refresh: 5000,
    auth: [],
    realm: "Ops",
    showLegends: false,
    hideVersion: false,
    origin: { file: "t.cfg", line: 1 },
    metrics: { path: "/metrics", prefix: false },
    ...extra,
  };
}

const get = (app: ReturnType<typeof statsApp>, path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`http://stats.test${path}`, { headers }));

describe("statsApp", () => {
  test("the page, its CSV and JSON forms, the metrics; 503 elsewhere", async () => {
    const app = statsApp(config(), SOURCE, new RateHistory());
    const page = await get(app, "/stats");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    const html = await page.text();
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(html).toContain("sluice 1.2.3 statistics");
    expect(await (await get(app, "/stats;norefresh")).text()).not.toContain("http-equiv");
    const csv = await get(app, "/stats;csv");
    expect(csv.headers.get("content-type")).toStartWith("text/plain");
    expect((await csv.text()).split("\n")[1]).toStartWith("fe<x>,FRONTEND,");
    const json = (await (await get(app, "/stats;json")).json()) as unknown[][];
    expect(json).toHaveLength(4);
    const metrics = await get(app, "/metrics");
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await metrics.text()).toContain('sluice_frontend_http_requests_total{proxy="fe<x>"} 1234567');
    expect((await get(app, "/metrics/more")).status).toBe(503);
    expect((await get(app, "/")).status).toBe(503);
  });

  test("stats auth guards the page and its forms, not the metrics; each user of several is let in", async () => {
    const app = statsApp(config({ auth: [{ user: "a", password: "1" }, { user: "b", password: "x:y" }] }), SOURCE, new RateHistory());
    const basic = (u: string, p: string) => ({ authorization: "Basic " + btoa(`${u}:${p}`) });
    const none = await get(app, "/stats");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="Ops"');
    expect((await get(app, "/stats;csv")).status).toBe(401);
    expect((await get(app, "/stats", basic("a", "2"))).status).toBe(401);
    expect((await get(app, "/stats", basic("a", "1"))).status).toBe(200);
    expect((await get(app, "/stats;json", basic("b", "x:y"))).status).toBe(200);
    expect((await get(app, "/metrics")).status).toBe(200);
  });

  test("a metrics-only listener (no stats uri) and an exporter by prefix", async () => {
    const app = statsApp(config({ uri: undefined, metrics: { path: "/metrics", prefix: true } }), SOURCE, new RateHistory());
    expect((await get(app, "/metrics/x")).status).toBe(200);
    expect((await get(app, "/stats")).status).toBe(503);
  });
});

describe("the page", () => {
  test("names are escaped, numbers grouped, states coloured, check details on hover; hide-version; legends", () => {
    const html = statsPage(ROWS, SOURCE.info(), new Map([["fe<x>", [1, 5, 2]]]), { refreshSeconds: 3, showLegends: true, hideVersion: true, uri: "/s" });
    expect(html).not.toContain("fe<x>");
    expect(html).toContain('data-proxy="fe&lt;x&gt;"');
    expect(html).toContain(`<td data-col="req_tot">1\u202f234\u202f567</td>`);
    expect(html).toContain('<tr class="down" data-sv="s1">');
    expect(html).toContain('<tr class="maint" data-sv="s2">');
    expect(html).toContain('<td data-col="status" class="state">DOWN 1m15s</td>');
    expect(html).toContain('title="Layer4 connection problem: Connection refused">L4CON in 3ms</td>');
    expect(html).not.toContain("1.2.3");
    expect(html).toContain('<ul class="glossary">');
    expect(html).toContain("<svg class=\"spark\"");
    expect(html).toContain('href="/s;csv"');
  });

  test("sparkline: a bar per sample scaled to the highest", () => {
    const svg = sparkline([0, 10, 5], "fe");
    expect(svg.match(/<rect x=/g)).toHaveLength(3);
    expect(svg).toContain('height="26"/>');
    expect(svg).toContain("(max 10)");
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });
});

describe("RateHistory", () => {
  test("the first reading is the baseline; then requests per sample, the last SAMPLES kept, oldest first", () => {
    const h = new RateHistory();
    const at = (n: number): StatRow[] => [{ pxname: "fe", svname: "FRONTEND", req_tot: n }, { pxname: "be", svname: "BACKEND", req_tot: 999 }];
    h.sample(at(100));
    expect(h.samples().get("fe")).toEqual([]);
    h.sample(at(103));
    h.sample(at(110));
    expect(h.samples().get("fe")).toEqual([3, 7]);
    expect(h.samples().has("be")).toBe(false);
    for (let i = 1; i <= SAMPLES + 5; i++) h.sample(at(110 + i * 2));
    const kept = h.samples().get("fe")!;
    expect(kept).toHaveLength(SAMPLES);
    expect(kept.every((n) => n === 2)).toBe(true);
  });
});
