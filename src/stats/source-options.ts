// What a running proxy's figures read besides the proxy itself: the process's
// facts (pid, version, build date), the host's (file limit, heap), and the
// runtime API's own sockets, handed in by app.ts.

export interface ProxySourceOptions {
  /** The process's id (`show info` Pid). */
  readonly pid: number;
  /** sluice's version (`show info` Version). */
  readonly version: string;
  /** The worker's number, from 1 (the rows' `pid` column, HAProxy's process number). */
  readonly processNum?: number;
  /** The host's name (`show info` node when the global `node` is not set). */
  readonly hostname?: string;
  /** Log lines a syslog destination could not take (`show info` DroppedLogs, HAProxy's); absent: the field is not shown. */
  readonly droppedLogs?: () => number;
  /** The build's date, `YYYY/MM/DD` (`show info` Release_date); absent: the field is not shown. */
  readonly releaseDate?: string;
  /** The soft limit on open files in force (`show info` Ulimit-n, Maxsock); absent: 0. */
  readonly fileLimit?: () => number;
  /** The JavaScript heap, bytes: reserved and in use (`show info` PoolAlloc, PoolUsed); absent: 0. */
  readonly memory?: () => { readonly allocated: number; readonly used: number };
  /** The runtime API's own listeners and connections (HAProxy counts them in Listeners, Jobs, CumConns, CumReq). */
  readonly cli?: () => CliFigures;
}

export interface CliFigures {
  readonly listeners: number;
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted since start. */
  readonly accepted: number;
}
