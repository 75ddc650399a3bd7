// Turns an ended TCP stream (or a connection the frontend's content rules
// rejected before any stream) into its log record, reusing one record, and
// hands it to the frontend's logger with the frontend's compiled log-format
// (none: the tcplog line). The record is HTTP's (log/http-log.ts): the
// variables a TCP stream has are filled, HAProxy's way.
import type { LogFormatter } from "../log/format.ts";
import type { Logger } from "../log/sink.ts";
import { createTcpLogRecord, resetTcpLogRecord } from "../log/tcp-log.ts";
import type { HttpLogRecord } from "../log/http-log.ts";
import type { Socket } from "../runtime/types.ts";
import type { TcpStream } from "../stream/tcp-stream.ts";
import { nextStreamId } from "../conn/ids.ts";
import type { ConnectionCounts } from "./http-log-writer.ts";

export class TcpLogWriter {
  private readonly record: HttpLogRecord = createTcpLogRecord();

  constructor(
    private readonly logger: Logger,
    /** The frontend's `log-format` (or `option tcplog`'s, compiled); undefined: the hand-written tcplog line. */
    private readonly format: LogFormatter | undefined,
    private readonly counts: ConnectionCounts,
    private readonly frontend: string,
    private readonly frontendCount: () => number,
    /** `option logasap`: %B and %Tt are marked '+' (the line is written once the server connection is up). */
    private readonly asap = false,
  ) {}

  /**
   * The line of a stream, at its end (or at its connect under logasap);
   * `now`: monotonic ms; `txn`: the connection's rules transaction, read by
   * the format's `%[expr]` samples (undefined: they print nothing).
   */
  stream(client: Socket, acceptDate: number, stream: TcpStream, now: number, txn?: object): void {
    const r = this.start(client, acceptDate);
    const server = stream.server;
    r.backend = stream.backend.name;
    if (server !== undefined) {
      r.server = server.name;
      r.serverAddress = server.address;
      r.serverPort = server.port;
      r.srvConn = server.current;
    }
    const conn = stream.serverConnection;
    if (conn !== undefined) {
      r.backendSourceAddress = conn.localAddress;
      r.backendSourcePort = conn.localPort;
    }
    r.Tw = Math.round(stream.tw);
    r.Tc = Math.round(stream.tc);
    // HTTP's response timer, never printable in mode tcp: 0 once connected makes %Td the transfer time (Tt - Th - Tw - Tc), HAProxy's, and -1 before.
    r.Tr = r.Tc < 0 ? -1 : 0;
    r.Tt = Math.round(now - stream.began) + r.Th;
    r.bytesIn = stream.bytesFromClient;
    r.bytesOut = stream.bytesToClient;
    r.termination = stream.cause + stream.phase + "--";
    r.retries = stream.retries;
    r.srvQueue = stream.srvQueueAhead;
    r.backendQueue = stream.backendQueueAhead;
    r.beconn = stream.backend.servers.reduce((n, s) => n + s.current, 0);
    r.streamId = stream.id;
    r.txn = txn;
    this.logger.tcp(r, this.format);
  }

  /**
   * A connection the frontend's `tcp-request content reject` closed before
   * any stream: HAProxy logs it against the frontend itself,
   * `fe fe/<NOSRV> -1/-1/Tt 0 PR`. `tt`: ms since the accept; `txn`: the
   * rules' transaction that rejected it (read by `%[expr]` samples).
   */
  rejected(client: Socket, tt: number, wallNow: number, bytesIn: number, txn: object): void {
    const r = this.start(client, wallNow - tt);
    r.backend = this.frontend;
    r.Tt = Math.round(tt) + r.Th;
    r.bytesIn = bytesIn;
    r.termination = "PR--";
    r.streamId = nextStreamId();
    r.txn = txn;
    this.logger.tcp(r, this.format);
  }

  private start(client: Socket, acceptDate: number): HttpLogRecord {
    const r = this.record;
    resetTcpLogRecord(r);
    r.clientAddress = client.remoteAddress;
    r.clientPort = client.remotePort;
    r.frontend = this.frontend;
    r.frontendAddress = client.localAddress;
    r.frontendPort = client.localPort;
    r.acceptTime = acceptDate;
    const tls = client.tls;
    if (tls !== undefined) {
      r.Th = Math.round(tls.handshakeMs);
      r.sslVersion = tls.version;
      r.sslCipher = tls.cipher;
      r.sslSni = tls.sni;
      r.alpn = tls.alpn;
    }
    r.actconn = this.counts.active;
    r.feconn = this.frontendCount();
    r.asap = this.asap;
    return r;
  }
}
