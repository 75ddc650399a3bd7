// A running Proxy's figures as `show stat` rows and `show info` fields. Reads
// the counters the core keeps (conn/counters.ts on every frontend, backend and
// server; the servers' state and pools) when asked; keeps nothing itself.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { REASONS } from "../check/status.ts";
import { DURATION_BOUNDS, type TrafficCounters } from "../conn/counters.ts";
import { TimeStats } from "../conn/time-stats.ts";
import { fullconnFrom } from "../config/schema-fullconn.ts";
import type { Frontend } from "../core/frontend.ts";
import type { Proxy } from "../core/proxy.ts";
import { MuxSession } from "../session/mux-session.ts";
import { processInfo } from "./process-info.ts";
import { proxyIds } from "./proxy-ids.ts";
import type { ProxySourceOptions } from "./source-options.ts";
import { type DurationRow, type InfoField, RowType, type StatRow, type StatsSource } from "./types.ts";

/** Whole seconds between two monotonic ms readings. */
const seconds = (ms: number) => Math.max(0, Math.floor(ms / 1000));

/** A backend's or a server's average and longest times (qtime..ttime, qtime_max..ttime_max), HAProxy's window. */
function times(row: StatRow, c: TrafficCounters, http: boolean): void {
  const t = c.times;
  const streams = http ? c.requests : c.sessions;
  row.qtime = TimeStats.average(t.queue, streams);
  row.ctime = TimeStats.average(t.connect, streams);
  row.rtime = TimeStats.average(t.response, streams);
  row.ttime = TimeStats.average(t.total, streams);
  row.qtime_max = t.queueMax;
  row.ctime_max = t.connectMax;
  row.rtime_max = t.responseMax;
  row.ttime_max = t.totalMax;
}

/** The columns every kind of row fills from its counters. */
function traffic(row: StatRow, c: TrafficCounters, now: number): void {
  row.stot = c.sessions;
  row.smax = c.sessionsMax;
  row.bin = c.bytesIn;
  row.bout = c.bytesOut;
  row.dresp = c.deniedResponses;
  row.rate = c.sessionRate.read(now);
  row.rate_max = c.sessionRate.max;
  row.hrsp_1xx = c.responses[1]!;
  row.hrsp_2xx = c.responses[2]!;
  row.hrsp_3xx = c.responses[3]!;
  row.hrsp_4xx = c.responses[4]!;
  row.hrsp_5xx = c.responses[5]!;
  row.hrsp_other = c.responses[0]!;
  row.req_tot = c.requests;
}

/** Backends' and servers' columns only (HAProxy leaves them empty on a frontend row): response errors, aborts. */
function serverSide(row: StatRow, c: TrafficCounters): void {
  row.eresp = c.responseErrors;
  row.cli_abrt = c.clientAborts;
  row.srv_abrt = c.serverAborts;
}

function frontendRow(f: Frontend, iid: number, pid: number, now: number): StatRow {
  const c = f.counters;
  const row: StatRow = { pxname: f.name, svname: "FRONTEND", scur: f.current, slim: f.maxconn };
  // `description`: not a CSV column (HAProxy's page alone shows it); the page reads it here.
  if (f.config.description !== undefined) row.desc = f.config.description;
  traffic(row, c, now);
  // The request rate is the frontend's alone in HAProxy's rows.
  row.req_rate = c.requestRate.read(now);
  row.req_rate_max = c.requestRate.max;
  let h2Open = 0;
  for (const s of f.sessions) if (s instanceof MuxSession) h2Open++;
  Object.assign(row, {
    dreq: c.deniedRequests,
    ereq: c.requestErrors,
    // `disable frontend`: HAProxy 2.6 shows PAUSED (measured), not STOP.
    status: f.paused ? "PAUSED" : f.listening.length > 0 ? "OPEN" : "STOP",
    pid,
    iid,
    sid: 0,
    type: RowType.frontend,
    rate_lim: f.sessionRateLimit,
    comp_in: 0,
    comp_out: 0,
    comp_byp: 0,
    comp_rsp: 0,
    mode: f.config.mode,
    conn_rate: c.connectionRate.read(now),
    conn_rate_max: c.connectionRate.max,
    conn_tot: c.connections,
    intercepted: c.intercepted,
    dcon: f.deniedConnections,
    dses: f.deniedSessions,
    wrew: 0,
    eint: 0,
    "-": "-",
    ssl_sess: c.tlsHandshakes,
    ssl_failed_handshake: c.tlsFailures,
    h2_open_connections: h2Open,
    h2_total_connections: c.h2Connections,
    h1_open_connections: f.http === undefined ? 0 : f.sessions.size - h2Open,
    h1_total_connections: c.h1Connections,
    h1_total_streams: c.h1Streams,
    sl_h2_total_streams: c.h2Streams,
  });
  return row;
}

/** HAProxy's status words: MAINT, DRAIN, "no check" (unchecked and up), DOWN, UP, and "UP 1/3" / "DOWN 1/2" while the health counter moves. */
export function serverStatus(s: Server, checked: boolean): string {
  const st = s.state;
  // A tracker in the maintenance of the server it tracks (not its own): HAProxy's "MAINT (via b/s1)".
  if (st.admin === "MAINT") return st.forcedAdmin !== "MAINT" && st.trackedId !== undefined ? `MAINT (via ${st.trackedId})` : "MAINT";
  // The agent said down: HAProxy's "DOWN (agent)".
  if (st.op === "DOWN" && st.agentHoldsDown) return "DOWN (agent)";
  if (checked && st.op === "DOWN") return st.health > 0 ? `DOWN ${st.health}/${st.rise}` : "DOWN";
  if (st.admin === "DRAIN" || s.weight === 0) return st.agent?.enabled === true ? "DRAIN (agent)" : "DRAIN";
  // HAProxy's STOPPING (http-check disable-on-404 saw a 404).
  if (st.stopping) return "NOLB";
  if (!checked) return "no check";
  if (!st.full) return `UP ${st.health - st.rise + 1}/${st.fall}`;
  return "UP";
}

function serverRow(b: Backend, s: Server, index: number, iid: number, pid: number, now: number): StatRow {
  const settings = b.config.servers[index];
  const checked = settings?.check !== undefined;
  const st = s.state;
  const pool = s.pool;
  const row: StatRow = { pxname: b.name, svname: s.name, qcur: s.queued, qmax: s.queueMax, scur: s.current };
  traffic(row, s.counters, now);
  serverSide(row, s.counters);
  times(row, s.counters, b.mode === "http");
  // HAProxy's unsigned column: a negative maxconn set at run time shows as such (-1: 4294967295).
  if (s.maxconn !== 0) row.slim = s.maxconn >>> 0;
  Object.assign(row, {
    econ: s.connectFailures,
    wretr: s.counters.retries,
    wredis: s.counters.redispatches,
    // A tracker's status is its health's, which its tracked server's checks decide.
    status: serverStatus(s, checked || st.trackedId !== undefined),
    weight: s.weight,
    act: s.backup ? 0 : 1,
    bck: s.backup ? 1 : 0,
    lastchg: seconds(now - st.lastChange),
    pid,
    iid,
    sid: index + 1,
    lbtot: s.totalConnections,
    type: RowType.server,
    lastsess: s.counters.lastSession < 0 ? -1 : seconds(now - s.counters.lastSession),
    mode: b.mode,
    connect: pool.opened,
    reuse: pool.reused,
    srv_icur: pool.idleCount,
    idle_conn_cur: pool.idleCount,
    safe_conn_cur: pool.safeCount,
    used_conn_cur: pool.count("in-use"),
    need_conn_est: pool.neededEstimate(now),
    uweight: s.userWeight,
    "-": "-",
    sl_private_conn_cur: pool.privateNow,
    sl_avail_conn_cur: pool.muxes.filter((m) => !m.closed && m.freeSlots > 0).length,
    h2_backend_open_streams: pool.muxes.reduce((n, m) => n + (m.closed ? 0 : m.activeStreams), 0),
    sl_ownership_violations: pool.violations,
  });
  if (s.maxqueue > 0) row.qlimit = s.maxqueue;
  row.addr = `${s.address === "" ? s.host : s.address}:${s.port}`;
  if (s.cookie !== undefined) row.cookie = s.cookie;
  if (st.trackedId !== undefined) row.tracked = st.trackedId;
  if (checked) {
    row.chkfail = st.fails;
    row.chkdown = st.downs;
    row.downtime = seconds(st.downtime(now));
    row.check_rise = st.rise;
    row.check_fall = st.fall;
    row.check_health = st.health;
    const last = st.last;
    // HAProxy marks a check in progress with "* " before the last status (the CSV and the page alike).
    const running = st.checkRunning ? "* " : "";
    if (last !== undefined) {
      row.check_status = `${running}${last.status}`;
      if (last.code !== undefined) row.check_code = last.code;
      row.check_duration = Math.round(last.durationMs);
      row.check_desc = REASONS[last.status];
      if (last.info !== "") row.last_chk = last.info;
    } else {
      row.check_status = `${running}INI`;
      row.check_desc = "Initializing";
    }
  }
  const agent = st.agent;
  // A disabled agent shows nothing, as HAProxy's.
  if (agent !== undefined && agent.enabled) {
    // HAProxy's agent: rise and fall 1, its health 1 or 0.
    row.agent_rise = 1;
    row.agent_fall = 1;
    row.agent_health = agent.down ? 0 : 1;
    const last = agent.last;
    const running = agent.running ? "* " : "";
    if (last !== undefined) {
      row.agent_status = `${running}${last.status}`;
      if (last.code !== undefined) row.agent_code = last.code;
      row.agent_duration = Math.round(last.durationMs);
      row.agent_desc = last.desc;
    } else {
      row.agent_status = `${running}INI`;
      row.agent_desc = "Initializing";
    }
  }
  return row;
}

function backendRow(b: Backend, iid: number, pid: number, now: number, fullconn: number): StatRow {
  // scur: streams on its servers and in its queues, as HAProxy's backend row (its beconn).
  const row: StatRow = { pxname: b.name, svname: "BACKEND", qcur: b.queued, qmax: b.queueMax, scur: b.attached };
  if (b.config.description !== undefined) row.desc = b.config.description;
  traffic(row, b.counters, now);
  serverSide(row, b.counters);
  times(row, b.counters, b.mode === "http");
  // HAProxy's backend slim: its fullconn, set or its default (measured: 999 behind one frontend of maxconn 9984).
  if (fullconn > 0) row.slim = fullconn;
  let econ = 0, act = 0, bck = 0, lbtot = 0, connect = 0, reuse = 0;
  // HAProxy's backend weight: the usable active servers', else the backups' that would serve (the first one
  // without `option allbackups`); the configured weights (uweight) the same way.
  let weightAct = 0, uweightAct = 0, weightBck = 0, uweightBck = 0;
  const allBackups = b.config.allBackups === true;
  for (const s of b.servers) {
    econ += s.connectFailures;
    lbtot += s.totalConnections;
    connect += s.pool.opened;
    reuse += s.pool.reused;
    if (!s.usable) continue;
    if (s.backup) {
      if (bck === 0 || allBackups) {
        weightBck += s.weight;
        uweightBck += s.userWeight;
      }
      bck++;
    } else {
      weightAct += s.weight;
      uweightAct += s.userWeight;
      act++;
    }
  }
  const weight = act > 0 ? weightAct : weightBck;
  const uweight = act > 0 ? uweightAct : uweightBck;
  const up = act + bck > 0;
  Object.assign(row, {
    dreq: b.counters.deniedRequests,
    econ,
    wretr: b.counters.retries,
    wredis: b.counters.redispatches,
    status: up ? "UP" : "DOWN",
    weight,
    act,
    bck,
    pid,
    iid,
    sid: 0,
    lbtot,
    type: RowType.backend,
    lastsess: b.counters.lastSession < 0 ? -1 : seconds(now - b.counters.lastSession),
    comp_in: 0,
    comp_out: 0,
    comp_byp: 0,
    comp_rsp: 0,
    mode: b.mode,
    algo: b.config.balance.algorithm,
    connect,
    reuse,
    wrew: 0,
    eint: 0,
    uweight,
    "-": "-",
  });
  // The backend's own state changes, not its servers' (HAProxy's backend last_change, down_trans, down_time).
  const a = b.availability;
  row.lastchg = seconds(now - a.changedAt);
  row.chkdown = a.downs;
  row.downtime = seconds(a.downMs + (a.downSince >= 0 ? now - a.downSince : 0));
  return row;
}

/** The figures of `proxy`, read each time they are asked for. */
export function proxyStats(proxy: Proxy, options: ProxySourceOptions): StatsSource {
  const runtime = proxy.runtime;
  const startedMono = runtime.now();
  const startedWall = runtime.wallNow();
  const processNum = options.processNum ?? 1;
  // Config order; a listen's two halves share one name and one iid.
  const ids = proxyIds(proxy.config);
  const frontends = new Map(proxy.frontends.map((f) => [f.name, f]));
  const fullconns = new Map<string, number>();
  for (const b of proxy.backends.values()) fullconns.set(b.name, b.config.fullconn ?? fullconnFrom(proxy.config.frontends, b.name));
  return {
    rows(): StatRow[] {
      const now = runtime.now();
      const rows: StatRow[] = [];
      ids.forEach((iid, name) => {
        const f = frontends.get(name);
        if (f !== undefined) rows.push(frontendRow(f, iid, processNum, now));
        const b = proxy.backends.get(name);
        if (b === undefined) return;
        b.servers.forEach((s, j) => rows.push(serverRow(b, s, j, iid, processNum, now)));
        rows.push(backendRow(b, iid, processNum, now, fullconns.get(name) ?? 0));
      });
      return rows;
    },
    info(): InfoField[] {
      return processInfo(proxy, options, runtime.now() - startedMono, startedWall, processNum);
    },
    durations(): DurationRow[] {
      return [...proxy.backends.values()].map((b) => {
        const h = b.counters.durations;
        return { proxy: b.name, bounds: DURATION_BOUNDS, counts: [...h.counts], sum: h.sum, count: h.count };
      });
    },
  };
}
