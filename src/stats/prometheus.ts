// The figures as Prometheus text exposition (format 0.0.4): one family per
// figure and kind of row (sluice_frontend_*, sluice_backend_*,
// sluice_server_*) with `proxy` and `server` labels, the backends'
// request-duration histograms, and the process's figures. Built from the
// same rows as `show stat`, so both always agree.
import type { DurationRow, InfoField, StatRow } from "./types.ts";

type Kind = "frontend" | "backend" | "server";
const KINDS: readonly Kind[] = ["frontend", "backend", "server"];

interface Family {
  /** The column it reads. */
  readonly column: string;
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  /** The column's unit to the metric's (ms → seconds). */
  readonly scale?: number;
}

const FAMILIES: readonly Family[] = [
  { column: "qcur", name: "current_queue", type: "gauge", help: "Streams waiting for a server now." },
  { column: "qmax", name: "max_queue", type: "gauge", help: "Most streams waiting at once." },
  { column: "scur", name: "current_sessions", type: "gauge", help: "Sessions now." },
  { column: "smax", name: "max_sessions", type: "gauge", help: "Most sessions at once." },
  { column: "slim", name: "limit_sessions", type: "gauge", help: "The session limit (maxconn)." },
  { column: "stot", name: "sessions_total", type: "counter", help: "Sessions since start." },
  { column: "bin", name: "bytes_in_total", type: "counter", help: "Bytes received from clients." },
  { column: "bout", name: "bytes_out_total", type: "counter", help: "Bytes sent to clients." },
  { column: "dreq", name: "requests_denied_total", type: "counter", help: "Requests refused by rules." },
  { column: "dresp", name: "responses_denied_total", type: "counter", help: "Responses refused by rules." },
  { column: "ereq", name: "request_errors_total", type: "counter", help: "Bad or aborted requests." },
  { column: "econ", name: "connection_errors_total", type: "counter", help: "Failed connects to servers." },
  { column: "eresp", name: "response_errors_total", type: "counter", help: "Bad or lost responses, server aborts included." },
  { column: "wretr", name: "retry_warnings_total", type: "counter", help: "Connect attempts made again." },
  { column: "wredis", name: "redispatch_warnings_total", type: "counter", help: "Retries sent to another server." },
  { column: "weight", name: "weight", type: "gauge", help: "Effective weight (backends: of the usable servers)." },
  { column: "act", name: "active_servers", type: "gauge", help: "Usable active servers (servers: 1 when active)." },
  { column: "bck", name: "backup_servers", type: "gauge", help: "Usable backup servers (servers: 1 when backup)." },
  { column: "chkfail", name: "check_failures_total", type: "counter", help: "Failed health checks." },
  { column: "chkdown", name: "check_up_down_total", type: "counter", help: "Transitions to DOWN." },
  { column: "lastchg", name: "check_last_change_seconds", type: "gauge", help: "Seconds since the last change of state." },
  { column: "downtime", name: "downtime_seconds_total", type: "counter", help: "Seconds spent DOWN." },
  { column: "check_duration", name: "check_duration_seconds", type: "gauge", help: "Duration of the last health check.", scale: 0.001 },
  { column: "qtime", name: "queue_time_average_seconds", type: "gauge", help: "Average time in the queue over the last 512 requests.", scale: 0.001 },
  { column: "ctime", name: "connect_time_average_seconds", type: "gauge", help: "Average connect time over the last 512 requests.", scale: 0.001 },
  { column: "rtime", name: "response_time_average_seconds", type: "gauge", help: "Average response time over the last 512 requests.", scale: 0.001 },
  { column: "ttime", name: "total_time_average_seconds", type: "gauge", help: "Average total time over the last 512 requests.", scale: 0.001 },
  { column: "qtime_max", name: "max_queue_time_seconds", type: "gauge", help: "Longest time in the queue.", scale: 0.001 },
  { column: "ctime_max", name: "max_connect_time_seconds", type: "gauge", help: "Longest connect time.", scale: 0.001 },
  { column: "rtime_max", name: "max_response_time_seconds", type: "gauge", help: "Longest response time.", scale: 0.001 },
  { column: "ttime_max", name: "max_total_time_seconds", type: "gauge", help: "Longest total time.", scale: 0.001 },
  { column: "lbtot", name: "loadbalanced_total", type: "counter", help: "Times a server was picked." },
  { column: "rate", name: "current_session_rate", type: "gauge", help: "Sessions per second now." },
  { column: "rate_max", name: "max_session_rate", type: "gauge", help: "Most sessions per second." },
  { column: "req_rate", name: "current_http_request_rate", type: "gauge", help: "HTTP requests per second now." },
  { column: "req_rate_max", name: "max_http_request_rate", type: "gauge", help: "Most HTTP requests per second." },
  { column: "req_tot", name: "http_requests_total", type: "counter", help: "HTTP requests." },
  { column: "cli_abrt", name: "client_aborts_total", type: "counter", help: "Transfers aborted by the client." },
  { column: "srv_abrt", name: "server_aborts_total", type: "counter", help: "Transfers aborted by the server." },
  { column: "lastsess", name: "last_session_seconds", type: "gauge", help: "Seconds since the last session (-1: none yet)." },
  { column: "conn_rate", name: "current_connection_rate", type: "gauge", help: "Connections accepted per second now." },
  { column: "conn_rate_max", name: "max_connection_rate", type: "gauge", help: "Most connections accepted per second." },
  { column: "conn_tot", name: "connections_total", type: "counter", help: "Connections accepted." },
  { column: "intercepted", name: "intercepted_requests_total", type: "counter", help: "Requests answered by the proxy itself." },
  { column: "dcon", name: "denied_connections_total", type: "counter", help: "Connections refused by tcp-request rules." },
  { column: "dses", name: "denied_sessions_total", type: "counter", help: "Sessions refused by tcp-request session rules." },
  { column: "connect", name: "connection_attempts_total", type: "counter", help: "Connections opened to servers." },
  { column: "reuse", name: "connection_reuses_total", type: "counter", help: "Requests sent on a kept connection." },
  { column: "idle_conn_cur", name: "idle_connections_current", type: "gauge", help: "Idle shared connections." },
  { column: "safe_conn_cur", name: "safe_idle_connections_current", type: "gauge", help: "Idle shared connections proven reusable." },
  { column: "used_conn_cur", name: "used_connections_current", type: "gauge", help: "Connections carrying a request now." },
  { column: "need_conn_est", name: "need_connections_current", type: "gauge", help: "Estimated needed number of connections." },
  { column: "uweight", name: "uweight", type: "gauge", help: "Configured weight." },
  { column: "ssl_sess", name: "ssl_handshakes_total", type: "counter", help: "TLS handshakes completed." },
  { column: "ssl_failed_handshake", name: "ssl_failed_handshakes_total", type: "counter", help: "TLS handshakes failed." },
  { column: "h1_open_connections", name: "h1_open_connections", type: "gauge", help: "HTTP/1 client connections now." },
  { column: "h1_total_connections", name: "h1_connections_total", type: "counter", help: "HTTP/1 client connections." },
  { column: "h1_total_streams", name: "h1_requests_total", type: "counter", help: "Requests on HTTP/1 client connections." },
  { column: "h2_open_connections", name: "h2_open_connections", type: "gauge", help: "HTTP/2 client connections now." },
  { column: "h2_total_connections", name: "h2_connections_total", type: "counter", help: "HTTP/2 client connections." },
  { column: "sl_h2_total_streams", name: "h2_streams_total", type: "counter", help: "Requests on HTTP/2 client connections." },
  { column: "sl_private_conn_cur", name: "private_connections_current", type: "gauge", help: "Connections private to a client session." },
  { column: "sl_avail_conn_cur", name: "available_connections_current", type: "gauge", help: "HTTP/2 connections with free stream slots." },
  { column: "sl_ownership_violations", name: "ownership_violations_total", type: "counter", help: "Violations of the connection-ownership rules." },
];

const RESPONSE_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"] as const;
/** The state words a server can be in; `sluice_server_status{state}` is 1 for its own, 0 for the others. */
const SERVER_STATES = ["UP", "DOWN", "MAINT", "DRAIN", "NOLB", "NO_CHECK"] as const;

/** A label value escaped as the text format asks: backslash, double quote, line feed. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function kindOf(row: StatRow): Kind {
  return KINDS[Number(row.type)] ?? "frontend";
}

function labels(row: StatRow): string {
  const proxy = `proxy="${label(String(row.pxname))}"`;
  return kindOf(row) === "server" ? `${proxy},server="${label(String(row.svname))}"` : proxy;
}

/** The state word of a server row, as SERVER_STATES spells it ("UP 1/3" is UP, "no check" NO_CHECK). */
function stateOf(status: string): string {
  if (status === "no check") return "NO_CHECK";
  return status.split(" ")[0]!;
}

function family(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/** A number as the text format writes it. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
}

export function prometheusText(rows: readonly StatRow[], info: readonly InfoField[], durations: readonly DurationRow[]): string {
  const out: string[] = [];
  const value = (name: string) => info.find((f) => f.name === name)?.value;
  family(out, "sluice_build_info", "gauge", "sluice's version.");
  out.push(`sluice_build_info{version="${label(String(value("Version") ?? ""))}"} 1`);
  const process: [string, string, "counter" | "gauge", string][] = [
    ["Start_time_sec", "sluice_process_start_time_seconds", "gauge", "Start time since the epoch, in seconds."],
    ["Uptime_sec", "sluice_process_uptime_seconds", "gauge", "Seconds since start."],
    ["Maxconn", "sluice_process_max_connections", "gauge", "The process's connection limit (global maxconn)."],
    ["CurrConns", "sluice_process_current_connections", "gauge", "Client connections now."],
    ["CumConns", "sluice_process_connections_total", "counter", "Client connections accepted."],
    ["CumReq", "sluice_process_requests_total", "counter", "HTTP requests."],
    ["CumSslConns", "sluice_process_ssl_connections_total", "counter", "TLS handshakes completed."],
    ["TotalBytesOut", "sluice_process_bytes_out_total", "counter", "Bytes sent to clients."],
    ["DroppedLogs", "sluice_process_dropped_logs_total", "counter", "Log lines a syslog destination could not take."],
  ];
  for (const [field, name, type, help] of process) {
    const v = value(field);
    if (typeof v !== "number") continue;
    family(out, name, type, help);
    out.push(`${name} ${num(v)}`);
  }
  for (const kind of KINDS) {
    const ofKind = rows.filter((r) => kindOf(r) === kind);
    if (ofKind.length === 0) continue;
    for (const f of FAMILIES) {
      const have = ofKind.filter((r) => typeof r[f.column] === "number");
      if (have.length === 0) continue;
      const name = `sluice_${kind}_${f.name}`;
      family(out, name, f.type, f.help);
      for (const r of have) out.push(`${name}{${labels(r)}} ${num((r[f.column] as number) * (f.scale ?? 1))}`);
    }
    const responses = `sluice_${kind}_http_responses_total`;
    family(out, responses, "counter", "HTTP responses by status class.");
    for (const r of ofKind) {
      RESPONSE_CLASSES.forEach((code) => out.push(`${responses}{${labels(r)},code="${code}"} ${num(Number(r[`hrsp_${code}`] ?? 0))}`));
    }
    if (kind === "server") {
      family(out, "sluice_server_status", "gauge", "1 for the server's state (UP, DOWN, MAINT, DRAIN, NOLB, NO_CHECK), 0 for the others.");
      for (const r of ofKind) {
        const state = stateOf(String(r.status ?? ""));
        for (const s of SERVER_STATES) out.push(`sluice_server_status{${labels(r)},state="${s}"} ${s === state ? 1 : 0}`);
      }
    } else {
      const name = `sluice_${kind}_status`;
      family(out, name, "gauge", kind === "frontend" ? "1 while listening (OPEN), 0 stopped." : "1 while a server is usable (UP), 0 DOWN.");
      for (const r of ofKind) out.push(`${name}{${labels(r)}} ${r.status === "OPEN" || r.status === "UP" ? 1 : 0}`);
    }
  }
  if (durations.length > 0) {
    const name = "sluice_backend_http_request_duration_seconds";
    family(out, name, "histogram", "HTTP requests from their first byte to the end of the answer.");
    for (const d of durations) {
      const proxy = `proxy="${label(d.proxy)}"`;
      let cumulative = 0;
      d.bounds.forEach((le, i) => {
        cumulative += d.counts[i] ?? 0;
        out.push(`${name}_bucket{${proxy},le="${le}"} ${cumulative}`);
      });
      cumulative += d.counts[d.bounds.length] ?? 0;
      out.push(`${name}_bucket{${proxy},le="+Inf"} ${cumulative}`);
      out.push(`${name}_sum{${proxy}} ${num(d.sum)}`);
      out.push(`${name}_count{${proxy}} ${d.count}`);
    }
  }
  return out.join("\n") + "\n";
}

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
