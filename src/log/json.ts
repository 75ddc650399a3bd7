// One JSON object per line, with stable keys in a stable order. Strings go
// through JSON.stringify (so no field can break the line); numbers are printed
// as integers (timers rounded); -1 keeps HAProxy's meaning "never reached".
//
// HTTP records (formatHttpJson):
//   type             "http"
//   client           "ip:port" of the client (%ci:%cp)
//   client_ip        %ci                         client_port       %cp
//   frontend         %f                          bind              "ip:port" the connection came in on (%fi:%fp)
//   backend          %b                          server            %s ("<NOSRV>" when none)
//   server_addr      "ip:port" of the server connection (%si:%sp), "" when none
//   source_addr      "ip:port" of its local side (%bi:%bp), "" when none
//   accept_date      ISO 8601 UTC with ms, connection accepted (%t)
//   request_date     ISO 8601 UTC with ms, first byte of the request (%tr)
//   time_handshake   Th    time_idle      Ti    time_request   TR    time_queue   Tw
//   time_connect     Tc    time_response  Tr    time_active    Ta    time_total   Tt
//   status           %ST (-1 when no response was sent)
//   bytes_out        %B, to the client           bytes_in          %U, from the client
//   termination      %tsc, 4 characters          actconn %ac  feconn %fc  beconn %bc  srv_conn %sc
//   retries          %rc                         srv_queue %sq     backend_queue %bq
//   method %HM   uri %HU   path %HP   version %HV   request %r (the request line; "" when none)
//   session_id       the client connection's number
//   stream_id        %rt                         unique_id %ID ("" when none)
//   server_conn_id   the backend connection used (as in Proxy.connections()), -1 when none
//   server_conn_reused   true when it had carried requests before
//   server_conn_private  true when it was private to this client connection (http-reuse never, NTLM)
//   srv_conn_opened, srv_conn_reused          the server's connections opened / reused since start
//   srv_conn_idle, srv_conn_safe, srv_conn_private   its idle, safe and private connections now
//   srv_ownership_violations                  ownership violations on its connections (-1 each: no server)
//
// TCP records (formatTcpJson):
//   type "tcp", client, client_ip, client_port, frontend, backend, server, accept_date,
//   time_queue (Tw), time_connect (Tc), time_total (Tt), bytes_out, bytes_in,
//   termination (%ts, 2 characters), actconn, feconn, beconn, srv_conn, retries,
//   srv_queue, backend_queue (the same record as HTTP's, tcp-log.ts)
import type { HttpLogRecord } from "./http-log.ts";
import { formatIsoDate } from "./text.ts";

/** A JSON string: quotes only when nothing needs escaping (the common case), else JSON.stringify. */
function q(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s);
    }
  }
  return '"' + s + '"';
}
const n = (v: number): string => "" + Math.round(v);

function addr(ip: string, port: number): string {
  if (ip === "") return '""';
  return q(ip + ":" + (port < 0 ? "-" : port));
}

export function formatHttpJson(r: HttpLogRecord): string {
  return '{"type":"http","client":' + addr(r.clientAddress, r.clientPort) +
    ',"client_ip":' + q(r.clientAddress) + ',"client_port":' + r.clientPort +
    ',"frontend":' + q(r.frontend) + ',"bind":' + addr(r.frontendAddress, r.frontendPort) +
    ',"backend":' + q(r.backend) + ',"server":' + q(r.server) +
    ',"server_addr":' + addr(r.serverAddress, r.serverPort) +
    ',"source_addr":' + addr(r.backendSourceAddress, r.backendSourcePort) +
    ',"accept_date":"' + formatIsoDate(r.acceptTime) +
    '","request_date":"' + formatIsoDate(r.requestTime > 0 ? r.requestTime : r.acceptTime) +
    '","time_handshake":' + n(r.Th) + ',"time_idle":' + n(r.Ti) + ',"time_request":' + n(r.TR) +
    ',"time_queue":' + n(r.Tw) + ',"time_connect":' + n(r.Tc) + ',"time_response":' + n(r.Tr) +
    ',"time_active":' + n(r.Ta) + ',"time_total":' + n(r.Tt) +
    ',"status":' + r.status + ',"bytes_out":' + r.bytesOut + ',"bytes_in":' + r.bytesIn +
    ',"termination":' + q(r.termination) +
    ',"actconn":' + r.actconn + ',"feconn":' + r.feconn + ',"beconn":' + r.beconn +
    ',"srv_conn":' + r.srvConn + ',"retries":' + r.retries +
    ',"srv_queue":' + r.srvQueue + ',"backend_queue":' + r.backendQueue +
    ',"method":' + q(r.method) + ',"uri":' + q(r.uri) + ',"path":' + q(r.path) +
    ',"version":' + q(r.httpVersion) + ',"request":' + q(r.requestLine) +
    ',"session_id":' + r.sessionId + ',"stream_id":' + r.streamId + ',"unique_id":' +
    q(r.uniqueId) + ',"server_conn_id":' + r.serverConnId + ',"server_conn_reused":' + r.serverConnReused +
    ',"server_conn_private":' + r.serverConnPrivate + ',"srv_conn_opened":' + r.srvConnOpened +
    ',"srv_conn_reused":' + r.srvConnReused + ',"srv_conn_idle":' + r.srvConnIdle + ',"srv_conn_safe":' +
    r.srvConnSafe + ',"srv_conn_private":' + r.srvConnPrivate + ',"srv_ownership_violations":' +
    r.srvOwnershipViolations + ',"ssl_version":' + q(r.sslVersion) + ',"ssl_cipher":' + q(r.sslCipher) +
    ',"ssl_sni":' + q(r.sslSni) + ',"alpn":' + q(r.alpn) + "}";
}

export function formatTcpJson(r: HttpLogRecord): string {
  return '{"type":"tcp","client":' + addr(r.clientAddress, r.clientPort) +
    ',"client_ip":' + q(r.clientAddress) + ',"client_port":' + r.clientPort +
    ',"frontend":' + q(r.frontend) + ',"backend":' + q(r.backend) + ',"server":' + q(r.server) +
    ',"accept_date":"' + formatIsoDate(r.acceptTime) +
    '","time_queue":' + n(r.Tw) + ',"time_connect":' + n(r.Tc) + ',"time_total":' + n(r.Tt) +
    ',"bytes_out":' + r.bytesOut + ',"bytes_in":' + r.bytesIn + ',"termination":' +
    q(r.termination.slice(0, 2)) +
    ',"actconn":' + r.actconn + ',"feconn":' + r.feconn + ',"beconn":' + r.beconn + ',"srv_conn":' +
    r.srvConn +
    ',"retries":' + r.retries + ',"srv_queue":' + r.srvQueue + ',"backend_queue":' + r.backendQueue + "}";
}
