// The figures (issue 16): counters the core keeps, read through stats/ into
// HAProxy's show-stat rows, CSV, typed JSON, Prometheus text (parsed back by
// a real parser) and the merge of several workers' rows. Traffic runs over
// the in-memory runtime, so every counter can be checked exactly.
import { afterEach, describe, expect, test } from "bun:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { DurationHistogram, PerSecond, statusClass } from "../../../src/conn/counters.ts";
import { COLUMNS, HAPROXY_COLUMNS } from "../../../src/stats/columns.ts";
import { csvHeader, statCsv } from "../../../src/stats/csv.ts";
import { formatInfo } from "../../../src/stats/info-format.ts";
import { statJson } from "../../../src/stats/json.ts";
import { mergeDurations, mergeInfo, mergeRows } from "../../../src/stats/merge.ts";
import { prometheusText } from "../../../src/stats/prometheus.ts";
import { proxyStats } from "../../../src/stats/proxy-source.ts";
import { ServerOps } from "../../../src/check/server-ops.ts";
import type { StatRow, StatsSource } from "../../../src/stats/types.ts";
import { type Engine, engine, send } from "../engine/harness.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";

const CONFIG = `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    http-request deny if { path_beg /admin }
    default_backend be
backend be
    server s1 127.0.0.1:9100 maxconn 10
    server s2 127.0.0.1:9101 weight 0
`;

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const NOT_FOUND = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

function row(rows: StatRow[], px: string, sv: string): StatRow {
  const r = rows.find((x) => x.pxname === px && x.svname === sv);
  if (r === undefined) throw new Error(`no row ${px}/${sv}`);
  return r;
}

/** 3 requests answered 200, 1 answered 404 by the server, 2 denied by the frontend's rule, on one keep-alive connection. */
async function knownTraffic(): Promise<StatsSource> {
  e = await engine(CONFIG);
  const client = e.client();
  for (let i = 0; i < 3; i++) {
    await send(e.clock, client, `GET /ok/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await send(e.clock, e.server(0), OK);
  }
  await send(e.clock, client, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, e.server(0), NOT_FOUND);
  await send(e.clock, client, "GET /admin/a HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, client, "GET /admin/b HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.runtime.servers.length).toBe(1);
  return proxyStats(e.proxy, { pid: 4242, version: "9.9.9" });
}

describe("rows from a running proxy", () => {
  test("exact counters after known traffic: frontend, server and backend rows", async () => {
    const source = await knownTraffic();
    const rows = source.rows();
    expect(rows.map((r) => `${r.pxname}/${r.svname}`)).toEqual(["fe/FRONTEND", "be/s1", "be/s2", "be/BACKEND"]);
    const fe = row(rows, "fe", "FRONTEND");
    expect(fe).toMatchObject({
      scur: 1, smax: 1, stot: 1, conn_tot: 1, req_tot: 6, dreq: 2, ereq: 0,
      hrsp_2xx: 3, hrsp_4xx: 3, hrsp_5xx: 0, hrsp_other: 0, status: "OPEN", type: 0, iid: 1, sid: 0, pid: 1, mode: "http",
      h1_total_connections: 1, h1_total_streams: 6, sl_h2_total_streams: 0,
    });
    const s1 = row(rows, "be", "s1");
    expect(s1).toMatchObject({
      req_tot: 4, hrsp_2xx: 3, hrsp_4xx: 1, stot: 4, lbtot: 4, scur: 0, smax: 1, slim: 10,
      status: "no check", weight: 1, act: 1, bck: 0, type: 2, sid: 1, addr: "127.0.0.1:9100",
      connect: 1, reuse: 3, econ: 0, eresp: 0, sl_ownership_violations: 0,
    });
    // Weight 0: HAProxy shows such a server as DRAIN.
    expect(row(rows, "be", "s2")).toMatchObject({ status: "DRAIN", req_tot: 0, stot: 0 });
    const be = row(rows, "be", "BACKEND");
    expect(be).toMatchObject({ req_tot: 4, hrsp_2xx: 3, hrsp_4xx: 1, stot: 4, status: "UP", act: 1, weight: 1, uweight: 1, algo: "roundrobin", type: 1 });
    // Bytes: every byte the server sent reached the client; the frontend also answered the two 403s.
    expect(Number(fe.bout)).toBeGreaterThan(Number(be.bout));
    expect(be.bout).toBe(s1.bout);
    expect(be.bin).toBe(3 * "GET /ok/0 HTTP/1.1\r\nHost: x\r\n\r\n".length + "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n".length);
    expect(Number(fe.bin)).toBe(Number(be.bin) + "GET /admin/a HTTP/1.1\r\nHost: x\r\n\r\n".length * 2);
    const durations = source.durations();
    expect(durations).toHaveLength(1);
    expect(durations[0]).toMatchObject({ proxy: "be", count: 4 });
    const info = Object.fromEntries(source.info().map((f) => [f.name, f.value]));
    expect(info).toMatchObject({ Name: "sluice", Version: "9.9.9", Pid: 4242, CurrConns: 1, CumConns: 1, CumReq: 6 });
  });

  test("servers that refuse connections count econ, the retry and its redispatch", async () => {
    e = await engine(`defaults
    mode http
    no log
    retries 1
    option redispatch
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9100
    server s2 127.0.0.1:9101
`);
    e.runtime.connectOutcome = "refuse";
    const client = e.client();
    await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await e.clock.advance(2000);
    expect(client.text()).toStartWith("HTTP/1.1 503");
    const rows = proxyStats(e.proxy, { pid: 1, version: "t" }).rows();
    // The first attempt and the retry, redispatched to the other server: one failed connect each.
    expect(row(rows, "be", "s1")).toMatchObject({ econ: 1 });
    expect(row(rows, "be", "s2")).toMatchObject({ econ: 1 });
    expect(row(rows, "be", "BACKEND")).toMatchObject({ econ: 2, wretr: 1, wredis: 1, hrsp_5xx: 1, req_tot: 1 });
    expect(row(rows, "fe", "FRONTEND")).toMatchObject({ hrsp_5xx: 1, req_tot: 1 });
  });
});

test("bad requests, redirects the proxy answers, responses denied by rules, servers that close before answering", async () => {
  e = await engine(`defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    http-request redirect location /elsewhere if { path /old }
    default_backend be
backend be
    http-response deny if { status 418 }
    server s1 127.0.0.1:9100
`);
  const a = e.client();
  await send(e.clock, a, "GET /old HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(a.text()).toStartWith("HTTP/1.1 302");
  await send(e.clock, a, "GET /tea HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, e.server(0), "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
  expect(a.text()).toContain("HTTP/1.1 502");
  const b = e.client();
  await send(e.clock, b, "GET /gone HTTP/1.1\r\nHost: x\r\n\r\n");
  e.server(e.runtime.servers.length - 1).destroy();
  await e.clock.settle();
  expect(b.text()).toStartWith("HTTP/1.1 502");
  const c = e.client();
  await send(e.clock, c, "NOT HTTP\r\n\r\n");
  expect(c.text()).toStartWith("HTTP/1.1 400");
  const rows = proxyStats(e.proxy, { pid: 1, version: "t" }).rows();
  expect(row(rows, "fe", "FRONTEND")).toMatchObject({ req_tot: 4, intercepted: 1, dresp: 1, ereq: 1, dreq: 0, hrsp_3xx: 1, hrsp_4xx: 1, hrsp_5xx: 2 });
  // The redirect never reached the backend; the bad request neither.
  expect(row(rows, "be", "BACKEND")).toMatchObject({ req_tot: 2, dresp: 1, eresp: 1, hrsp_5xx: 2, hrsp_3xx: 0 });
  expect(row(rows, "be", "s1")).toMatchObject({ req_tot: 2, dresp: 1, eresp: 1, hrsp_5xx: 2 });
});

test("rows in config order: a listen is its FRONTEND, its servers, its BACKEND under one iid; checked servers show the check", async () => {
  const runtime = memRuntime();
  const proxy = await memProxyConfig(runtime, `defaults
    mode http
    no log
backend early
    server e1 127.0.0.1:9100 check inter 1h backup
listen web
    bind 127.0.0.1:9200
    server w1 127.0.0.1:9101 maxqueue 5 cookie c1
`);
  try {
    const rows = proxyStats(proxy, { pid: 1, version: "t", processNum: 2 }).rows();
    expect(rows.map((r) => `${r.pxname}/${r.svname}/${r.iid}/${r.sid}`)).toEqual(["early/e1/1/1", "early/BACKEND/1/0", "web/FRONTEND/2/0", "web/w1/2/1", "web/BACKEND/2/0"]);
    // Checked, before its first check: UP but one failure from DOWN (its health counter starts at rise), the check initializing.
    expect(row(rows, "early", "e1")).toMatchObject({ status: "UP 1/3", check_status: "INI", check_rise: 2, check_fall: 3, check_health: 2, chkfail: 0, act: 0, bck: 1, pid: 2 });
    expect(row(rows, "early", "BACKEND")).toMatchObject({ status: "UP", act: 0, bck: 1 });
    expect(row(rows, "web", "w1")).toMatchObject({ qlimit: 5, cookie: "c1", status: "no check" });
    expect(row(rows, "web", "w1").check_status).toBeUndefined();
    // A failed check takes it DOWN: the row shows the check, the transition, and the time DOWN as it goes.
    const e1 = proxy.backends.get("early")!.servers[0]!;
    proxy.checks.stop(); // this test says what the checks found
    e1.state.failed({ status: "L4CON", info: "Connection refused", durationMs: 2 }, runtime.now());
    await runtime.clock.advance(65_000);
    const after = proxyStats(proxy, { pid: 1, version: "t" }).rows();
    expect(row(after, "early", "e1")).toMatchObject({
      status: "DOWN", check_status: "L4CON", check_duration: 2, check_desc: "Layer4 connection problem", last_chk: "Connection refused",
      chkfail: 1, chkdown: 1, lastchg: 65, downtime: 65,
    });
    expect(row(after, "early", "BACKEND")).toMatchObject({ status: "DOWN", act: 0, bck: 0 });
  } finally {
    await proxy.stop(0);
  }
});

test("the BACKEND row's weight is its usable active servers', else its serving backup's, as HAProxy's (backups never added in)", async () => {
  const runtime = memRuntime();
  const proxy = await memProxyConfig(runtime, `defaults
    mode http
    no log
backend be
    server a1 127.0.0.1:9100 weight 2
    server a2 127.0.0.1:9101 weight 3
    server b1 127.0.0.1:9102 weight 7 backup
    server b2 127.0.0.1:9103 weight 11 backup
backend all
    option allbackups
    server b1 127.0.0.1:9104 weight 7 backup
    server b2 127.0.0.1:9105 weight 11 backup
`);
  try {
    const rows = () => proxyStats(proxy, { pid: 1, version: "t" }).rows();
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ weight: 5, uweight: 5, act: 2, bck: 2 });
    const [a1, a2] = proxy.backends.get("be")!.servers;
    a1!.state.force("DOWN", runtime.now());
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ weight: 3, uweight: 3, act: 1 });
    a2!.state.force("DOWN", runtime.now());
    // Only backups: the first one serves (7), all of them under option allbackups (18).
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ weight: 7, uweight: 7, act: 0, bck: 2 });
    expect(row(rows(), "all", "BACKEND")).toMatchObject({ weight: 18, uweight: 18, act: 0, bck: 2 });
  } finally {
    await proxy.stop(0);
  }
});

test("the BACKEND row's lastchg, chkdown and downtime are the backend's own (DOWN: no usable server), not its servers'", async () => {
  const runtime = memRuntime();
  const proxy = await memProxyConfig(runtime, `defaults
    mode http
    no log
backend be
    server a1 127.0.0.1:9100
    server a2 127.0.0.1:9101
`);
  try {
    const rows = () => proxyStats(proxy, { pid: 1, version: "t" }).rows();
    const be = proxy.backends.get("be")!;
    const [a1, a2] = be.servers;
    // As the checks and the runtime API do: the event's clock ticked, then the change.
    const down = (s: typeof a1) => (s!.state.force("DOWN", proxy.clock.tick()), be.serverDown(s!));
    const up = (s: typeof a1) => (s!.state.force("UP", proxy.clock.tick()), be.serverUp(s!));
    await runtime.clock.advance(30_000);
    down(a1); // one server down: the backend stays UP, its lastchg goes on counting
    await runtime.clock.advance(10_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ status: "UP", lastchg: 40, chkdown: 0, downtime: 0 });
    down(a2);
    await runtime.clock.advance(5_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ status: "DOWN", lastchg: 5, chkdown: 1, downtime: 5 });
    up(a1);
    await runtime.clock.advance(7_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ status: "UP", lastchg: 7, chkdown: 1, downtime: 5 });
    // Usability that moves without a check: drain (runtime API), weight 0 and back.
    const ops = new ServerOps(proxy.backends, proxy.checks, () => proxy.clock.tick());
    ops.setAdmin(be, a1!, "DRAIN");
    await runtime.clock.advance(3_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ status: "DOWN", lastchg: 3, chkdown: 2, downtime: 8 });
    ops.setAdmin(be, a1!, "READY");
    expect(ops.setWeight(be, a1!, "0")).toBeUndefined();
    await runtime.clock.advance(1_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ chkdown: 3, lastchg: 1 });
    expect(ops.setWeight(be, a1!, "10")).toBeUndefined();
    await runtime.clock.advance(2_000);
    expect(row(rows(), "be", "BACKEND")).toMatchObject({ status: "UP", lastchg: 2, chkdown: 3, downtime: 9 });
  } finally {
    await proxy.stop(0);
  }
});

describe("formats", () => {
  test("CSV: HAProxy 2.6's columns first, sluice's own after, one field per column and a trailing comma", async () => {
    const rows = (await knownTraffic()).rows();
    const text = statCsv(rows);
    const [header, ...lines] = text.trimEnd().split("\n");
    expect(header).toBe(csvHeader());
    const names = header!.slice(2, -1).split(",");
    expect(names).toHaveLength(COLUMNS.length);
    expect(names.slice(HAPROXY_COLUMNS)).toEqual(["sl_private_conn_cur", "sl_avail_conn_cur", "sl_ownership_violations", "sl_h2_total_streams"]);
    expect(lines).toHaveLength(rows.length);
    const byName = (line: string) => Object.fromEntries(line.slice(0, -1).split(",").map((v, i) => [names[i], v]));
    const fe = byName(lines[0]!);
    expect(fe).toMatchObject({ pxname: "fe", svname: "FRONTEND", req_tot: "6", dreq: "2", hrsp_4xx: "3", qcur: "", econ: "" });
    expect(text.endsWith("\n\n")).toBe(true);
  });

  test("a comma or line break in a value cannot break the layout", () => {
    const text = statCsv([{ pxname: "a,b", svname: "x\ny", type: 0 }]);
    expect(text.split("\n")[1]!.startsWith("a b,x y,")).toBe(true);
  });

  test("JSON: HAProxy's typed fields, only those with a value", async () => {
    const rows = (await knownTraffic()).rows();
    const json = statJson(rows);
    expect(json).toHaveLength(rows.length);
    const fe = json[0]!;
    expect(fe[0]).toEqual({
      objType: "Frontend", proxyId: 1, id: 0, field: { pos: 0, name: "pxname" }, processNum: 1,
      tags: { origin: "Key", nature: "Name", scope: "Service" }, value: { type: "str", value: "fe" },
    });
    const reqTot = fe.find((f) => f.field.name === "req_tot")!;
    expect(reqTot).toMatchObject({ field: { pos: 48 }, tags: { origin: "Metric", nature: "Counter", scope: "Process" }, value: { type: "u64", value: 6 } });
    expect(fe.some((f) => f.field.name === "qcur")).toBe(false);
    expect(json[1]![0]).toMatchObject({ objType: "Server", id: 1 });
    expect(json[3]![0]).toMatchObject({ objType: "Backend" });
  });

  test("show info text, typed and JSON: HAProxy 2.6's order, tags and descriptions; empty fields left out", () => {
    const fields = [{ name: "CumReq", value: 7, summed: true as const }, { name: "Name", value: "sluice" }, { name: "description", value: "" }];
    expect(formatInfo(fields)).toBe("Name: sluice\nCumReq: 7\n");
    expect(formatInfo(fields, { form: "text", desc: true })).toBe(
      'Name: sluice:"Product name"\nCumReq: 7:"Total number of requests on this worker process since started"\n',
    );
    expect(formatInfo(fields, { form: "typed" })).toBe("0.Name.1:POS:str:sluice\n19.CumReq.1:MCP:u32:7\n");
    expect(JSON.parse(formatInfo(fields, { form: "json" }))).toEqual([
      { field: { pos: 0, name: "Name" }, processNum: 1, tags: { origin: "Product", nature: "Output", scope: "Service" }, value: { type: "str", value: "sluice" } },
      { field: { pos: 19, name: "CumReq" }, processNum: 1, tags: { origin: "Metric", nature: "Counter", scope: "Process" }, value: { type: "u32", value: 7 } },
    ]);
  });

  test("Prometheus: parsed back by a real parser, families typed, labels and values right", async () => {
    const source = await knownTraffic();
    const text = prometheusText(source.rows(), source.info(), source.durations());
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => {
      const f = families.find((x) => x.name === name);
      if (f === undefined) throw new Error(`no family ${name}`);
      return f;
    };
    expect(new Set(families.map((f) => f.name)).size).toBe(families.length);
    expect(families.every((f) => f.name.startsWith("sluice_"))).toBe(true);
    expect(family("sluice_frontend_http_requests_total")).toMatchObject({ type: "COUNTER", metrics: [{ labels: { proxy: "fe" }, value: "6" }] });
    expect(family("sluice_frontend_requests_denied_total").metrics[0]!.value).toBe("2");
    const responses = family("sluice_server_http_responses_total").metrics.filter((m) => m.labels?.server === "s1");
    expect(Object.fromEntries(responses.map((m) => [m.labels!.code, m.value]))).toEqual({ "1xx": "0", "2xx": "3", "3xx": "0", "4xx": "1", "5xx": "0", other: "0" });
    expect(family("sluice_server_current_sessions")).toMatchObject({ type: "GAUGE" });
    const status = family("sluice_server_status").metrics.filter((m) => m.labels?.server === "s2" && m.value === "1");
    expect(status.map((m) => m.labels!.state)).toEqual(["DRAIN"]);
    const histogram = family("sluice_backend_http_request_duration_seconds");
    expect(histogram.type).toBe("HISTOGRAM");
    // This parser folds a histogram's labelled series into one (it keeps the buckets by `le`, drops labels, sum and count): one backend here.
    expect(histogram.metrics[0]!.buckets!["+Inf"]).toBe("4");
    expect(Object.keys(histogram.metrics[0]!.buckets!)).toHaveLength(12);
    expect(text).toContain('sluice_backend_http_request_duration_seconds_count{proxy="be"} 4\n');
    expect(text).toMatch(/^sluice_backend_http_request_duration_seconds_sum\{proxy="be"\} [0-9.e-]+$/m);
    expect(family("sluice_process_requests_total").metrics[0]!.value).toBe("6");
    expect(family("sluice_build_info").metrics[0]!.labels).toEqual({ version: "9.9.9" });
  });

  test("Prometheus label values are escaped", () => {
    const text = prometheusText([{ pxname: 'a"b\\c', svname: "FRONTEND", type: 0, req_tot: 1 }], [], []);
    expect(text).toContain('sluice_frontend_http_requests_total{proxy="a\\"b\\\\c"} 1');
    const parsed = parsePrometheusTextFormat(text);
    expect(parsed.find((f) => f.name === "sluice_frontend_http_requests_total")!.metrics[0]!.labels!.proxy).toBe('a"b\\c');
  });
});

describe("mergeRows", () => {
  const worker = (scur: number, smax: number, stot: number, status: string, extra: StatRow = {}): StatRow[] => [
    { pxname: "fe", svname: "FRONTEND", type: 0, iid: 1, sid: 0, pid: 1, scur, smax, stot, slim: 100, status, rate_max: smax, mode: "http", ...extra },
    { pxname: "be", svname: "s1", type: 2, iid: 2, sid: 1, pid: 1, scur, smax, stot, weight: 3, status: "UP", lastchg: 10, ...extra },
  ];

  test("counters and current figures add up, maxima take the highest, limits and names come from one worker", () => {
    const merged = mergeRows([worker(2, 5, 100, "OPEN"), worker(3, 4, 50, "OPEN", { hrsp_2xx: 7 })]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ pxname: "fe", svname: "FRONTEND", scur: 5, smax: 5, stot: 150, slim: 100, status: "OPEN", rate_max: 5, iid: 1, pid: 1, mode: "http", hrsp_2xx: 7 });
    expect(merged[1]).toMatchObject({ weight: 3, lastchg: 10, stot: 150, sid: 1 });
  });

  test("state comes from a worker (the first that has one); a row only a later worker has is kept", () => {
    const merged = mergeRows([worker(0, 0, 0, "OPEN"), [...worker(0, 0, 1, "STOP"), { pxname: "new", svname: "FRONTEND", type: 0, stot: 9 }]]);
    expect(merged[0]!.status).toBe("OPEN");
    expect(merged.map((r) => r.pxname)).toEqual(["fe", "be", "new"]);
    expect(merged[2]!.stot).toBe(9);
  });

  test("no worker: no rows; merging does not change the workers' rows", () => {
    expect(mergeRows([])).toEqual([]);
    const a = worker(1, 1, 1, "OPEN");
    mergeRows([a, worker(1, 1, 1, "OPEN")]);
    expect(a[0]!.stot).toBe(1);
  });

  test("info and histograms", () => {
    const info = mergeInfo([
      [{ name: "Pid", value: 10 }, { name: "CumReq", value: 5, summed: true }],
      [{ name: "Pid", value: 11 }, { name: "CumReq", value: 6, summed: true }],
    ]);
    expect(info).toEqual([{ name: "Pid", value: 10 }, { name: "CumReq", value: 11, summed: true }]);
    const d = mergeDurations([
      [{ proxy: "be", bounds: [1], counts: [1, 2], sum: 3, count: 3 }],
      [{ proxy: "be", bounds: [1], counts: [4, 0], sum: 1, count: 4 }],
    ]);
    expect(d).toEqual([{ proxy: "be", bounds: [1], counts: [5, 2], sum: 4, count: 7 }]);
  });
});

describe("counters", () => {
  test("PerSecond: the current second plus the previous one's share still in the window; max kept", () => {
    const r = new PerSecond();
    for (let i = 0; i < 10; i++) r.add(1000 + i);
    expect(r.read(1500)).toBe(10);
    expect(r.read(2500)).toBe(5);
    r.add(2500);
    expect(r.read(2500)).toBe(6);
    expect(r.read(4000)).toBe(0);
    expect(r.max).toBe(10);
  });

  test("PerSecond: periods follow each other from the first event, as HAProxy's freq_ctr (not the clock's seconds)", () => {
    const r = new PerSecond();
    for (let i = 0; i < 5; i++) r.add(1700);
    // The period began at 1700: at 2600 it still holds all 5.
    expect(r.read(2600)).toBe(5);
    // At 2700 they are the previous period's, weighing what is left of this one.
    expect(r.read(2700)).toBe(5);
    expect(r.read(2900)).toBe(4);
    expect(r.read(3699)).toBe(0);
    // Idle for two periods: the next event starts them again from itself.
    r.add(9000);
    expect(r.read(9999)).toBe(1);
  });

  test("PerSecond.delayBelow: when one more event keeps the rate under a limit (HAProxy's next_event_delay)", () => {
    const r = new PerSecond();
    for (let i = 0; i < 5; i++) r.add(0);
    expect(r.delayBelow(6, 10)).toBe(0);
    // 5 in this period: the next period, once the 5 weigh less than 5 (floor(5 x remain / 1000) < 5 at once).
    expect(r.delayBelow(5, 10)).toBe(991);
    expect(r.read(1001) + 1).toBeLessThanOrEqual(5);
    for (let i = 0; i < 3; i++) r.add(1300);
    // 3 now, 5 before: floor(5 x remain / 1000) < 2 once remain < 400, at 1601.
    const wait = r.delayBelow(5, 1300);
    expect(wait).toBe(301);
    expect(r.read(1300 + wait)).toBeLessThan(5);
    expect(r.read(1300 + wait - 1)).toBe(5);
  });

  test("DurationHistogram buckets by upper bound", () => {
    const h = new DurationHistogram();
    h.observe(3);
    h.observe(5);
    h.observe(20_000);
    expect(h.counts[0]).toBe(2);
    expect(h.counts[h.counts.length - 1]).toBe(1);
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(20.008, 6);
  });

  test("statusClass", () => {
    expect([101, 200, 302, 404, 503, 600, -1].map(statusClass)).toEqual([1, 2, 3, 4, 5, 0, 0]);
  });
});
