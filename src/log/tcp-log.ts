// The end-of-connection log line of TCP mode, HAProxy's `option tcplog` order
// with the bytes of both directions:
//   client:port [accept date] frontend backend/server Tw/Tc/Tt bytes_out bytes_in state fe/be/srv/retries
// bytes_out: server → client; bytes_in: client → server. Timers in ms, -1 when
// the step was never reached (HAProxy's convention).
import { formatLogDate } from "./text.ts";

export interface TcpLogRecord {
  clientAddress: string;
  clientPort: number;
  acceptDate: Date;
  frontend: string;
  backend: string;
  server: string;
  /** ms waiting in queues, connecting, in total. */
  tw: number;
  tc: number;
  tt: number;
  bytesOut: number;
  bytesIn: number;
  /** Termination state, two characters (e.g. "--", "SC", "cD"). */
  termination: string;
  frontendConns: number;
  backendConns: number;
  serverConns: number;
  retries: number;
  /** `option logasap`: logged once the server connection is up; tt and the bytes so far are marked '+'. */
  asap?: boolean;
}

/** HAProxy's accept date: 25/Nov/2026:08:20:00.123 (UTC). Takes a Date or epoch ms. */
export function formatAcceptDate(d: Date | number): string {
  return formatLogDate(typeof d === "number" ? d : d.getTime());
}

export function formatTcpLog(r: TcpLogRecord): string {
  return `${r.clientAddress}:${r.clientPort} [${
    formatLogDate(r.acceptDate.getTime())
  }] ${r.frontend} ` +
    `${r.backend}/${r.server} ${r.tw}/${r.tc}/${r.asap ? "+" : ""}${r.tt} ${r.asap ? "+" : ""}${r.bytesOut} ${r.asap ? "+" : ""}${r.bytesIn} ${r.termination} ` +
    `${r.frontendConns}/${r.backendConns}/${r.serverConns}/${r.retries}`;
}
