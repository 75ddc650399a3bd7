// The columns of HAProxy 2.6's `show stat` (names, order, and the tags its
// typed JSON gives each: origin, nature, value type), then sluice's own. The
// CSV header, the JSON fields and the merge of several workers' rows all read
// this one table. tests/e2e/stats.test.ts compares the names with the real
// haproxy 2.6's header.

export type Origin = "Key" | "Config" | "Metric" | "Status";
/** How a value behaves: summed over workers (Counter, Gauge, Rate), their highest (Max), or taken from one (the rest). */
export type Nature = "Name" | "Gauge" | "Max" | "Limit" | "Counter" | "Age" | "Avg" | "Rate" | "Output" | "Duration";
export type ValueType = "str" | "u32" | "s32" | "u64";

export interface Column {
  readonly name: string;
  readonly origin: Origin;
  readonly nature: Nature;
  readonly type: ValueType;
}

const HAPROXY_26: readonly (readonly [string, Origin, Nature, ValueType])[] = [
  ["pxname", "Key", "Name", "str"],
  ["svname", "Key", "Name", "str"],
  ["qcur", "Metric", "Gauge", "u32"],
  ["qmax", "Metric", "Max", "u32"],
  ["scur", "Metric", "Gauge", "u32"],
  ["smax", "Metric", "Max", "u32"],
  ["slim", "Config", "Limit", "u32"],
  ["stot", "Metric", "Counter", "u64"],
  ["bin", "Metric", "Counter", "u64"],
  ["bout", "Metric", "Counter", "u64"],
  ["dreq", "Metric", "Counter", "u64"],
  ["dresp", "Metric", "Counter", "u64"],
  ["ereq", "Metric", "Counter", "u64"],
  ["econ", "Metric", "Counter", "u64"],
  ["eresp", "Metric", "Counter", "u64"],
  ["wretr", "Metric", "Counter", "u64"],
  ["wredis", "Metric", "Counter", "u64"],
  ["status", "Status", "Gauge", "str"],
  ["weight", "Metric", "Avg", "u32"],
  ["act", "Status", "Gauge", "u32"],
  ["bck", "Status", "Gauge", "u32"],
  ["chkfail", "Metric", "Counter", "u64"],
  ["chkdown", "Metric", "Counter", "u64"],
  ["lastchg", "Metric", "Age", "u32"],
  ["downtime", "Metric", "Counter", "u32"],
  ["qlimit", "Config", "Limit", "u32"],
  ["pid", "Key", "Gauge", "u32"],
  ["iid", "Key", "Gauge", "u32"],
  ["sid", "Key", "Gauge", "u32"],
  ["throttle", "Metric", "Avg", "u32"],
  ["lbtot", "Metric", "Counter", "u64"],
  ["tracked", "Config", "Name", "str"],
  ["type", "Config", "Gauge", "u32"],
  ["rate", "Metric", "Rate", "u32"],
  ["rate_lim", "Config", "Limit", "u32"],
  ["rate_max", "Metric", "Max", "u32"],
  ["check_status", "Status", "Output", "str"],
  ["check_code", "Metric", "Output", "u32"],
  ["check_duration", "Metric", "Duration", "u64"],
  ["hrsp_1xx", "Metric", "Counter", "u64"],
  ["hrsp_2xx", "Metric", "Counter", "u64"],
  ["hrsp_3xx", "Metric", "Counter", "u64"],
  ["hrsp_4xx", "Metric", "Counter", "u64"],
  ["hrsp_5xx", "Metric", "Counter", "u64"],
  ["hrsp_other", "Metric", "Counter", "u64"],
  ["hanafail", "Metric", "Counter", "u64"],
  ["req_rate", "Metric", "Rate", "u32"],
  ["req_rate_max", "Metric", "Max", "u32"],
  ["req_tot", "Metric", "Counter", "u64"],
  ["cli_abrt", "Metric", "Counter", "u64"],
  ["srv_abrt", "Metric", "Counter", "u64"],
  ["comp_in", "Metric", "Counter", "u64"],
  ["comp_out", "Metric", "Counter", "u64"],
  ["comp_byp", "Metric", "Counter", "u64"],
  ["comp_rsp", "Metric", "Counter", "u64"],
  ["lastsess", "Metric", "Age", "s32"],
  ["last_chk", "Status", "Output", "str"],
  ["last_agt", "Status", "Output", "str"],
  ["qtime", "Metric", "Avg", "u32"],
  ["ctime", "Metric", "Avg", "u32"],
  ["rtime", "Metric", "Avg", "u32"],
  ["ttime", "Metric", "Avg", "u32"],
  ["agent_status", "Status", "Output", "str"],
  ["agent_code", "Metric", "Output", "u32"],
  ["agent_duration", "Metric", "Duration", "u64"],
  ["check_desc", "Status", "Output", "str"],
  ["agent_desc", "Status", "Output", "str"],
  ["check_rise", "Config", "Output", "u32"],
  ["check_fall", "Config", "Output", "u32"],
  ["check_health", "Metric", "Output", "u32"],
  ["agent_rise", "Config", "Output", "u32"],
  ["agent_fall", "Config", "Output", "u32"],
  ["agent_health", "Metric", "Output", "u32"],
  ["addr", "Config", "Output", "str"],
  ["cookie", "Config", "Output", "str"],
  ["mode", "Config", "Gauge", "str"],
  ["algo", "Config", "Output", "str"],
  ["conn_rate", "Metric", "Rate", "u32"],
  ["conn_rate_max", "Metric", "Max", "u32"],
  ["conn_tot", "Metric", "Counter", "u64"],
  ["intercepted", "Metric", "Counter", "u64"],
  ["dcon", "Metric", "Counter", "u64"],
  ["dses", "Metric", "Counter", "u64"],
  ["wrew", "Metric", "Counter", "u64"],
  ["connect", "Metric", "Counter", "u64"],
  ["reuse", "Metric", "Counter", "u64"],
  ["cache_lookups", "Metric", "Counter", "u64"],
  ["cache_hits", "Metric", "Counter", "u64"],
  ["srv_icur", "Metric", "Gauge", "u32"],
  ["src_ilim", "Config", "Limit", "u32"],
  ["qtime_max", "Metric", "Max", "u32"],
  ["ctime_max", "Metric", "Max", "u32"],
  ["rtime_max", "Metric", "Max", "u32"],
  ["ttime_max", "Metric", "Max", "u32"],
  ["eint", "Metric", "Counter", "u64"],
  ["idle_conn_cur", "Metric", "Gauge", "u32"],
  ["safe_conn_cur", "Metric", "Gauge", "u32"],
  ["used_conn_cur", "Metric", "Gauge", "u32"],
  ["need_conn_est", "Metric", "Gauge", "u32"],
  ["uweight", "Metric", "Avg", "u32"],
  ["agg_server_status", "Metric", "Gauge", "u32"],
  ["agg_server_check_status", "Metric", "Gauge", "u32"],
  ["agg_check_status", "Metric", "Gauge", "u32"],
  ["-", "Key", "Name", "str"],
  ["ssl_sess", "Metric", "Counter", "u64"],
  ["ssl_reused_sess", "Metric", "Counter", "u64"],
  ["ssl_failed_handshake", "Metric", "Counter", "u64"],
  ["h2_headers_rcvd", "Metric", "Counter", "u64"],
  ["h2_data_rcvd", "Metric", "Counter", "u64"],
  ["h2_settings_rcvd", "Metric", "Counter", "u64"],
  ["h2_rst_stream_rcvd", "Metric", "Counter", "u64"],
  ["h2_goaway_rcvd", "Metric", "Counter", "u64"],
  ["h2_detected_conn_protocol_errors", "Metric", "Counter", "u64"],
  ["h2_detected_strm_protocol_errors", "Metric", "Counter", "u64"],
  ["h2_rst_stream_resp", "Metric", "Counter", "u64"],
  ["h2_goaway_resp", "Metric", "Counter", "u64"],
  ["h2_open_connections", "Metric", "Gauge", "u64"],
  ["h2_backend_open_streams", "Metric", "Gauge", "u64"],
  ["h2_total_connections", "Metric", "Counter", "u64"],
  ["h2_backend_total_streams", "Metric", "Counter", "u64"],
  ["h1_open_connections", "Metric", "Gauge", "u64"],
  ["h1_open_streams", "Metric", "Gauge", "u64"],
  ["h1_total_connections", "Metric", "Counter", "u64"],
  ["h1_total_streams", "Metric", "Counter", "u64"],
  ["h1_bytes_in", "Metric", "Counter", "u64"],
  ["h1_bytes_out", "Metric", "Counter", "u64"],
  ["h1_spliced_bytes_in", "Metric", "Counter", "u64"],
  ["h1_spliced_bytes_out", "Metric", "Counter", "u64"],];

/**
 * sluice's own columns, after HAProxy's: connection ownership (idle
 * connections private to a session, HTTP/2 connections with free stream
 * slots, violations of the ownership rules: see connection-ownership.md).
 */
const SLUICE_OWN: readonly (readonly [string, Origin, Nature, ValueType])[] = [
  ["sl_private_conn_cur", "Metric", "Gauge", "u32"],
  ["sl_avail_conn_cur", "Metric", "Gauge", "u32"],
  ["sl_ownership_violations", "Metric", "Counter", "u64"],
  // Requests carried by a client's HTTP/2 connections (HAProxy counts HTTP/2 streams towards servers only).
  ["sl_h2_total_streams", "Metric", "Counter", "u64"],
];

/** How many of COLUMNS are HAProxy 2.6's (the rest are sluice's own). */
export const HAPROXY_COLUMNS = HAPROXY_26.length;

export const COLUMNS: readonly Column[] = [...HAPROXY_26, ...SLUICE_OWN].map(([name, origin, nature, type]) => ({ name, origin, nature, type }));

export const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(COLUMNS.map((c, i) => [c.name, i]));
