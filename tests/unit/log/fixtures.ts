import { createHttpLogRecord, type HttpLogRecord } from "../../../src/log/http-log.ts";
import { createTcpLogRecord } from "../../../src/log/tcp-log.ts";

/** HAProxy's manual example (8.2.3), without the header captures. */
export const DOC_LINE =
  '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"';

export function docRecord(): HttpLogRecord {
  const r = createHttpLogRecord();
  Object.assign(
    r,
    {
      clientAddress: "10.0.1.2",
      clientPort: 33317,
      frontend: "http-in",
      frontendAddress: "10.0.3.31",
      frontendPort: 80,
      backend: "static",
      server: "srv1",
      serverAddress: "127.0.0.1",
      serverPort: 8000,
      backendSourceAddress: "127.0.0.1",
      backendSourcePort: 40000,
      acceptTime: Date.UTC(2009, 1, 6, 12, 14, 14, 600),
      requestTime: Date.UTC(2009, 1, 6, 12, 14, 14, 655),
      Th: 0,
      Ti: 55,
      TR: 10,
      Tw: 0,
      Tc: 30,
      Tr: 69,
      Ta: 109,
      Tt: 164,
      status: 200,
      bytesOut: 2750,
      bytesIn: 120,
      termination: "----",
      actconn: 1,
      feconn: 1,
      beconn: 1,
      srvConn: 1,
      retries: 0,
      srvQueue: 0,
      backendQueue: 0,
      method: "GET",
      uri: "/index.html",
      path: "/index.html",
      httpVersion: "HTTP/1.1",
      requestLine: "GET /index.html HTTP/1.1",
      sessionId: 7,
      streamId: 42,
      uniqueId: "",
    } satisfies Partial<HttpLogRecord>,
  );
  return r;
}

/** A TCP stream's record (tcp-log.ts), from the fields the tcplog line prints. */
export function tcpRecordOf(fields: Partial<HttpLogRecord>): HttpLogRecord {
  return Object.assign(createTcpLogRecord(), fields);
}
