// `show info`'s figures of one running proxy, named as HAProxy 2.6 names
// them (info-fields.ts has their order, tags and descriptions). Real values
// where sluice counts the thing; where sluice has no such feature (pipes and
// splicing, busy polling, tasks, debug commands, log forwarding, rate
// limits, the SSL session cache) the value HAProxy prints when it is unused:
// 0, or 100 for Idle_pct (no runtime gives the event loop's idle time).
import type { Proxy } from "../core/proxy.ts";
import type { ProxySourceOptions } from "./source-options.ts";
import type { InfoField } from "./types.ts";

const MB = 1024 * 1024;

/** HAProxy's Uptime: `0d 0h00m41s`. */
export function uptimeText(up: number): string {
  const d = Math.floor(up / 86400), h = Math.floor((up % 86400) / 3600), m = Math.floor((up % 3600) / 60), s = up % 60;
  return `${d}d ${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s`;
}

/** Counts over every frontend, at `now`. */
function frontendTotals(proxy: Proxy, now: number) {
  let requests = 0, tlsSessions = 0, tlsOpen = 0, bytesOut = 0, bytesOutRate = 0, listeners = 0;
  for (const f of proxy.frontends) {
    const c = f.counters;
    // Never cleared, as HAProxy's process totals; CumReq counts the requests read, not those the codec refused (measured).
    requests += c.lifetime.requests;
    tlsSessions += c.lifetime.tlsSessions;
    bytesOut += c.lifetime.bytesOut;
    bytesOutRate += c.bytesOutRate.read(now);
    listeners += f.listening.length;
    for (const s of f.sessions) if (s.client.tls !== undefined) tlsOpen++;
  }
  return { requests, tlsSessions, tlsOpen, bytesOut, bytesOutRate, listeners };
}

/** TLS connections to servers (`ssl` on the server line): opened since start and open now. */
function serverTls(proxy: Proxy) {
  let opened = 0, open = 0;
  for (const b of proxy.backends.values()) {
    for (const s of b.servers) {
      if (s.tls === undefined) continue;
      opened += s.pool.openedEver;
      open += s.pool.live.size + s.pool.muxes.filter((m) => !m.closed).length;
    }
  }
  return { opened, open };
}

/** Peer sessions established, over every peers section this process is part of. */
function connectedPeers(proxy: Proxy): number {
  let n = 0;
  for (const section of proxy.stickTables?.peers ?? []) for (const p of section.status()) if (p.connected) n++;
  return n;
}

/**
 * The fields, in no particular order (the formatter sorts them). `summed`:
 * the master adds the workers' values up; the others are one worker's.
 */
export function processInfo(proxy: Proxy, options: ProxySourceOptions, upMs: number, startedWall: number, processNum: number): InfoField[] {
  const now = proxy.runtime.now();
  const up = Math.max(0, Math.floor(upMs / 1000));
  const fe = frontendTotals(proxy, now);
  const be = serverTls(proxy);
  const cli = options.cli?.() ?? { listeners: 0, open: 0, accepted: 0 };
  const files = options.fileLimit?.() ?? 0;
  const memory = options.memory?.() ?? { allocated: 0, used: 0 };
  const rates = proxy.totals;
  const peers = connectedPeers(proxy);
  const listeners = fe.listeners + cli.listeners;
  const sum = (name: string, value: number): InfoField => ({ name, value, summed: true });
  const one = (name: string, value: string | number): InfoField => ({ name, value });
  return [
    one("Name", "sluice"),
    one("Version", options.version),
    one("Release_date", options.releaseDate ?? ""),
    // JavaScript runs one thread; HAProxy 2.6's Nbproc is always 1 (the master says how many workers).
    one("Nbthread", 1),
    one("Nbproc", 1),
    one("Process_num", processNum),
    one("Pid", options.pid),
    one("Uptime", uptimeText(up)),
    one("Uptime_sec", up),
    // No `-m` memory limit.
    one("Memmax_MB", 0),
    sum("PoolAlloc_MB", Math.floor(memory.allocated / MB)),
    sum("PoolUsed_MB", Math.floor(memory.used / MB)),
    sum("PoolFailed", 0),
    one("Ulimit-n", files),
    // No socket limit of its own: the file limit is the one there is.
    one("Maxsock", files),
    one("Maxconn", proxy.globalMaxconn),
    one("Hard_maxconn", proxy.hardMaxconn),
    sum("CurrConns", proxy.active),
    // HAProxy counts its CLI's connections among them, and one request (stream) for each (measured).
    sum("CumConns", proxy.totals.connections + cli.accepted),
    sum("CumReq", fe.requests + cli.accepted),
    // No `maxsslconn`: 0, unlimited.
    one("MaxSslConns", 0),
    sum("CurrSslConns", fe.tlsOpen + be.open),
    sum("CumSslConns", fe.tlsSessions + be.opened),
    one("Maxpipes", 0),
    sum("PipesUsed", 0),
    sum("PipesFree", 0),
    sum("ConnRate", rates.connectionRate.read(now)),
    one("ConnRateLimit", proxy.connRateLimit),
    sum("MaxConnRate", rates.connectionRate.max),
    sum("SessRate", rates.sessionRate.read(now)),
    one("SessRateLimit", proxy.sessRateLimit),
    sum("MaxSessRate", rates.sessionRate.max),
    sum("SslRate", rates.sslRate.read(now)),
    one("SslRateLimit", 0),
    sum("MaxSslRate", rates.sslRate.max),
    // Key computations and the session cache are the TLS library's, not counted.
    sum("SslFrontendKeyRate", 0),
    sum("SslFrontendMaxKeyRate", 0),
    one("SslFrontendSessionReuse_pct", 0),
    sum("SslBackendKeyRate", 0),
    sum("SslBackendMaxKeyRate", 0),
    sum("SslCacheLookups", 0),
    sum("SslCacheMisses", 0),
    // Compression runs but its bytes are not counted (the comp_in/comp_out columns are 0 too); no `maxcomprate`.
    sum("CompressBpsIn", 0),
    sum("CompressBpsOut", 0),
    one("CompressBpsRateLim", 0),
    sum("Tasks", 0),
    sum("Run_queue", 0),
    one("Idle_pct", 100),
    // The global `node` (default: the host's name) and `description` (unset: not shown).
    one("node", proxy.config.global.node ?? options.hostname ?? ""),
    one("description", proxy.config.global.description ?? ""),
    one("Stopping", proxy.stopped ? 1 : 0),
    // HAProxy's jobs: client connections, the CLI's, and every listener (measured: 2 listeners + the asking CLI = 3).
    sum("Jobs", proxy.active + cli.open + listeners),
    sum("Unstoppable Jobs", 0),
    sum("Listeners", listeners),
    sum("ActivePeers", peers),
    sum("ConnectedPeers", peers),
    sum("DroppedLogs", options.droppedLogs?.() ?? 0),
    one("BusyPolling", 0),
    sum("FailedResolutions", proxy.resolutions.failures),
    sum("TotalBytesOut", fe.bytesOut),
    sum("TotalSplicdedBytesOut", 0),
    sum("BytesOutRate", fe.bytesOutRate),
    sum("DebugCommandsIssued", 0),
    sum("CumRecvLogs", 0),
    one("Build info", options.version),
    one("Memmax_bytes", 0),
    sum("PoolAlloc_bytes", memory.allocated),
    sum("PoolUsed_bytes", memory.used),
    one("Start_time_sec", Math.floor(startedWall / 1000)),
    one("Tainted", "0"),
  ];
}
