// HAProxy 2.6's `show info` fields, in its order: the position each has in
// `show info typed` and `json` (pos), its three tag letters (origin, nature,
// scope, as `show info typed` prints them), its type and the description
// `show info desc` prints. Copied from HAProxy 2.6.12's own answers to
// `show info typed desc` (measured), not from its source. Positions 45 and 46
// (ZlibMemUsage, MaxZlibMemUsage) are left out: HAProxy shows them only when
// built with zlib (Debian's 2.6.12 uses libslz and prints neither), and
// sluice keeps no zlib memory account. Fields of later versions
// (TotalWarnings, MaxconnReached, BootTime_ms) are not 2.6's.

export type InfoType = "str" | "u32" | "u64";

export interface InfoSpec {
  readonly pos: number;
  readonly name: string;
  /** Origin, nature, scope letters: `POS` is Product, Output, Service. */
  readonly tags: string;
  readonly type: InfoType;
  readonly desc: string;
}

export const INFO_FIELDS: readonly InfoSpec[] = [
  { pos: 0, name: "Name", tags: "POS", type: "str", desc: "Product name" },
  { pos: 1, name: "Version", tags: "POS", type: "str", desc: "Product version" },
  { pos: 2, name: "Release_date", tags: "POS", type: "str", desc: "Date of latest source code update" },
  { pos: 3, name: "Nbthread", tags: "CGS", type: "u32", desc: "Number of started threads (global.nbthread)" },
  { pos: 4, name: "Nbproc", tags: "CGS", type: "u32", desc: "Number of started worker processes (historical, always 1)" },
  { pos: 5, name: "Process_num", tags: "KGP", type: "u32", desc: "Relative worker process number (1)" },
  { pos: 6, name: "Pid", tags: "SGP", type: "u32", desc: "This worker process identifier for the system" },
  { pos: 7, name: "Uptime", tags: "MDP", type: "str", desc: "How long ago this worker process was started (days+hours+minutes+seconds)" },
  { pos: 8, name: "Uptime_sec", tags: "MDP", type: "u32", desc: "How long ago this worker process was started (seconds)" },
  { pos: 9, name: "Memmax_MB", tags: "CLP", type: "u32", desc: "Worker process's hard limit on memory usage in MB (-m on command line)" },
  { pos: 10, name: "PoolAlloc_MB", tags: "MGP", type: "u32", desc: "Amount of memory allocated in pools (in MB)" },
  { pos: 11, name: "PoolUsed_MB", tags: "MGP", type: "u32", desc: "Amount of pool memory currently used (in MB)" },
  { pos: 12, name: "PoolFailed", tags: "MCP", type: "u32", desc: "Number of failed pool allocations since this worker was started" },
  { pos: 13, name: "Ulimit-n", tags: "CLP", type: "u32", desc: "Hard limit on the number of per-process file descriptors" },
  { pos: 14, name: "Maxsock", tags: "CLP", type: "u32", desc: "Hard limit on the number of per-process sockets" },
  { pos: 15, name: "Maxconn", tags: "CLP", type: "u32", desc: "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)" },
  { pos: 16, name: "Hard_maxconn", tags: "CLP", type: "u32", desc: "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)" },
  { pos: 17, name: "CurrConns", tags: "MGP", type: "u32", desc: "Current number of connections on this worker process" },
  { pos: 18, name: "CumConns", tags: "MCP", type: "u32", desc: "Total number of connections on this worker process since started" },
  { pos: 19, name: "CumReq", tags: "MCP", type: "u32", desc: "Total number of requests on this worker process since started" },
  { pos: 20, name: "MaxSslConns", tags: "MMP", type: "u32", desc: "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited" },
  { pos: 21, name: "CurrSslConns", tags: "MGP", type: "u32", desc: "Current number of SSL endpoints on this worker process (front+back)" },
  { pos: 22, name: "CumSslConns", tags: "MCP", type: "u32", desc: "Total number of SSL endpoints on this worker process since started (front+back)" },
  { pos: 23, name: "Maxpipes", tags: "CLP", type: "u32", desc: "Hard limit on the number of pipes for splicing, 0=unlimited" },
  { pos: 24, name: "PipesUsed", tags: "MGP", type: "u32", desc: "Current number of pipes in use in this worker process" },
  { pos: 25, name: "PipesFree", tags: "MGP", type: "u32", desc: "Current number of allocated and available pipes in this worker process" },
  { pos: 26, name: "ConnRate", tags: "MRP", type: "u32", desc: "Number of front connections created on this worker process over the last second" },
  { pos: 27, name: "ConnRateLimit", tags: "CLP", type: "u32", desc: "Hard limit for ConnRate (global.maxconnrate)" },
  { pos: 28, name: "MaxConnRate", tags: "MMP", type: "u32", desc: "Highest ConnRate reached on this worker process since started (in connections per second)" },
  { pos: 29, name: "SessRate", tags: "MRP", type: "u32", desc: "Number of sessions created on this worker process over the last second" },
  { pos: 30, name: "SessRateLimit", tags: "CLP", type: "u32", desc: "Hard limit for SessRate (global.maxsessrate)" },
  { pos: 31, name: "MaxSessRate", tags: "MRP", type: "u32", desc: "Highest SessRate reached on this worker process since started (in sessions per second)" },
  { pos: 32, name: "SslRate", tags: "MRP", type: "u32", desc: "Number of SSL connections created on this worker process over the last second" },
  { pos: 33, name: "SslRateLimit", tags: "CLP", type: "u32", desc: "Hard limit for SslRate (global.maxsslrate)" },
  { pos: 34, name: "MaxSslRate", tags: "MMP", type: "u32", desc: "Highest SslRate reached on this worker process since started (in connections per second)" },
  { pos: 35, name: "SslFrontendKeyRate", tags: "MGP", type: "u32", desc: "Number of SSL keys created on frontends in this worker process over the last second" },
  { pos: 36, name: "SslFrontendMaxKeyRate", tags: "MMP", type: "u32", desc: "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)" },
  { pos: 37, name: "SslFrontendSessionReuse_pct", tags: "MGP", type: "u32", desc: "Percent of frontend SSL connections which did not require a new key" },
  { pos: 38, name: "SslBackendKeyRate", tags: "MRP", type: "u32", desc: "Number of SSL keys created on backends in this worker process over the last second" },
  { pos: 39, name: "SslBackendMaxKeyRate", tags: "MMP", type: "u32", desc: "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)" },
  { pos: 40, name: "SslCacheLookups", tags: "MCP", type: "u32", desc: "Total number of SSL session ID lookups in the SSL session cache on this worker since started" },
  { pos: 41, name: "SslCacheMisses", tags: "MCP", type: "u32", desc: "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started" },
  { pos: 42, name: "CompressBpsIn", tags: "MRP", type: "u32", desc: "Number of bytes submitted to the HTTP compressor in this worker process over the last second" },
  { pos: 43, name: "CompressBpsOut", tags: "MRP", type: "u32", desc: "Number of bytes emitted by the HTTP compressor in this worker process over the last second" },
  { pos: 44, name: "CompressBpsRateLim", tags: "CLP", type: "u32", desc: "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled" },
  { pos: 47, name: "Tasks", tags: "MGP", type: "u32", desc: "Total number of tasks in the current worker process (active + sleeping)" },
  { pos: 48, name: "Run_queue", tags: "MGP", type: "u32", desc: "Total number of active tasks+tasklets in the current worker process" },
  { pos: 49, name: "Idle_pct", tags: "MaP", type: "u32", desc: "Percentage of last second spent waiting in the current worker thread" },
  { pos: 50, name: "node", tags: "COS", type: "str", desc: "Node name (global.node)" },
  { pos: 51, name: "description", tags: "COS", type: "str", desc: "Node description (global.description)" },
  { pos: 52, name: "Stopping", tags: "MGP", type: "u32", desc: "1 if the worker process is currently stopping, otherwise zero" },
  { pos: 53, name: "Jobs", tags: "MGP", type: "u32", desc: "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)" },
  { pos: 54, name: "Unstoppable Jobs", tags: "MGP", type: "u32", desc: "Current number of unstoppable jobs on the current worker process (master connections)" },
  { pos: 55, name: "Listeners", tags: "MGP", type: "u32", desc: "Current number of active listeners on the current worker process" },
  { pos: 56, name: "ActivePeers", tags: "MGP", type: "u32", desc: "Current number of verified active peers connections on the current worker process" },
  { pos: 57, name: "ConnectedPeers", tags: "MGP", type: "u32", desc: "Current number of peers having passed the connection step on the current worker process" },
  { pos: 58, name: "DroppedLogs", tags: "MGP", type: "u32", desc: "Total number of dropped logs for current worker process since started" },
  { pos: 59, name: "BusyPolling", tags: "MGP", type: "u32", desc: "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)" },
  { pos: 60, name: "FailedResolutions", tags: "MGP", type: "u32", desc: "Total number of failed DNS resolutions in current worker process since started" },
  { pos: 61, name: "TotalBytesOut", tags: "MGP", type: "u64", desc: "Total number of bytes emitted by current worker process since started" },
  { pos: 62, name: "TotalSplicdedBytesOut", tags: "MGP", type: "u64", desc: "Total number of bytes emitted by current worker process through a kernel pipe since started" },
  { pos: 63, name: "BytesOutRate", tags: "MRP", type: "u64", desc: "Number of bytes emitted by current worker process over the last second" },
  { pos: 64, name: "DebugCommandsIssued", tags: "MGP", type: "u32", desc: "Number of debug commands issued on this process (anything > 0 is unsafe)" },
  { pos: 65, name: "CumRecvLogs", tags: "MCP", type: "u32", desc: "Total number of log messages received by log-forwarding listeners on this worker process since started" },
  { pos: 66, name: "Build info", tags: "POS", type: "str", desc: "Build info" },
  { pos: 67, name: "Memmax_bytes", tags: "CLP", type: "u32", desc: "Worker process's hard limit on memory usage in byes (-m on command line)" },
  { pos: 68, name: "PoolAlloc_bytes", tags: "MGP", type: "u64", desc: "Amount of memory allocated in pools (in bytes)" },
  { pos: 69, name: "PoolUsed_bytes", tags: "MGP", type: "u64", desc: "Amount of pool memory currently used (in bytes)" },
  { pos: 70, name: "Start_time_sec", tags: "MDP", type: "u32", desc: "Start time in seconds" },
  { pos: 71, name: "Tainted", tags: "SGP", type: "str", desc: "Experimental features used" },
];

const BY_NAME = new Map(INFO_FIELDS.map((f) => [f.name, f]));

/** The spec of a field HAProxy 2.6 has; undefined for any other name. */
export function infoSpec(name: string): InfoSpec | undefined {
  return BY_NAME.get(name);
}
