import { describe, expect, test } from "bun:test";
import { createHttpLogRecord } from "../../../src/log/http-log.ts";
import { formatHttpJson, formatTcpJson } from "../../../src/log/json.ts";
import { docRecord, tcpRecordOf } from "./fixtures.ts";

const HTTP_KEYS = [
  "type",
  "client",
  "client_ip",
  "client_port",
  "frontend",
  "bind",
  "backend",
  "server",
  "server_addr",
  "source_addr",
  "accept_date",
  "request_date",
  "time_handshake",
  "time_idle",
  "time_request",
  "time_queue",
  "time_connect",
  "time_response",
  "time_active",
  "time_total",
  "status",
  "bytes_out",
  "bytes_in",
  "termination",
  "actconn",
  "feconn",
  "beconn",
  "srv_conn",
  "retries",
  "srv_queue",
  "backend_queue",
  "method",
  "uri",
  "path",
  "version",
  "request",
  "session_id",
  "stream_id",
  "unique_id",
  "server_conn_id",
  "server_conn_reused",
  "server_conn_private",
  "srv_conn_opened",
  "srv_conn_reused",
  "srv_conn_idle",
  "srv_conn_safe",
  "srv_conn_private",
  "srv_ownership_violations",
  "ssl_version",
  "ssl_cipher",
  "ssl_sni",
  "alpn",
];

describe("JSON lines", () => {
  test("HTTP: stable keys, in order, with the record's values", () => {
    const line = formatHttpJson(docRecord());
    expect(line).not.toContain("\n");
    const o = JSON.parse(line);
    expect(Object.keys(o)).toEqual(HTTP_KEYS);
    expect(o).toEqual({
      type: "http",
      client: "10.0.1.2:33317",
      client_ip: "10.0.1.2",
      client_port: 33317,
      frontend: "http-in",
      bind: "10.0.3.31:80",
      backend: "static",
      server: "srv1",
      server_addr: "127.0.0.1:8000",
      source_addr: "127.0.0.1:40000",
      accept_date: "2009-02-06T12:14:14.600Z",
      request_date: "2009-02-06T12:14:14.655Z",
      time_handshake: 0,
      time_idle: 55,
      time_request: 10,
      time_queue: 0,
      time_connect: 30,
      time_response: 69,
      time_active: 109,
      time_total: 164,
      status: 200,
      bytes_out: 2750,
      bytes_in: 120,
      termination: "----",
      actconn: 1,
      feconn: 1,
      beconn: 1,
      srv_conn: 1,
      retries: 0,
      srv_queue: 0,
      backend_queue: 0,
      method: "GET",
      uri: "/index.html",
      path: "/index.html",
      version: "HTTP/1.1",
      request: "GET /index.html HTTP/1.1",
      session_id: 7,
      stream_id: 42,
      unique_id: "",
      server_conn_id: -1,
      server_conn_reused: false,
      server_conn_private: false,
      srv_conn_opened: -1,
      srv_conn_reused: -1,
      srv_conn_idle: -1,
      srv_conn_safe: -1,
      srv_conn_private: -1,
      srv_ownership_violations: -1,
      ssl_version: "",
      ssl_cipher: "",
      ssl_sni: "",
      alpn: "",
    });
  });

  test("HTTP: a fresh record and hostile strings still give one valid line with the same keys", () => {
    const r = createHttpLogRecord();
    r.requestLine = 'GET /"\n\u2028\ud800\\ HTTP/1.1';
    r.uri = '/"\n';
    r.acceptTime = Date.UTC(2026, 10, 25, 8, 20, 0, 123);
    const line = formatHttpJson(r);
    expect(line).not.toContain("\n");
    const o = JSON.parse(line);
    expect(Object.keys(o)).toEqual(HTTP_KEYS);
    expect(o.request).toBe(r.requestLine);
    expect(o.uri).toBe(r.uri);
    expect(o.server).toBe("<NOSRV>");
    expect(o.client).toBe("");
    expect(o.server_addr).toBe("");
    expect(o.status).toBe(-1);
    expect(o.time_total).toBe(-1);
    expect(o.accept_date).toBe("2026-11-25T08:20:00.123Z");
    expect(o.request_date).toBe("2026-11-25T08:20:00.123Z");
  });

  test("TCP records", () => {
    const rec = tcpRecordOf({
      clientAddress: "127.0.0.1",
      clientPort: 5555,
      acceptTime: Date.UTC(2026, 10, 25, 8, 20, 0, 123),
      frontend: "fe",
      backend: "be",
      server: "<NOSRV>",
      Tw: 0,
      Tc: -1,
      Tt: 12.4,
      bytesOut: 0,
      bytesIn: 3,
      termination: "SC",
      actconn: 2,
      feconn: 1,
      beconn: 0,
      srvConn: 0,
      retries: 3,
    });
    const o = JSON.parse(formatTcpJson(rec));
    expect(o).toEqual({
      type: "tcp",
      client: "127.0.0.1:5555",
      client_ip: "127.0.0.1",
      client_port: 5555,
      frontend: "fe",
      backend: "be",
      server: "<NOSRV>",
      accept_date: "2026-11-25T08:20:00.123Z",
      time_queue: 0,
      time_connect: -1,
      time_total: 12,
      bytes_out: 0,
      bytes_in: 3,
      termination: "SC",
      actconn: 2,
      feconn: 1,
      beconn: 0,
      srv_conn: 0,
      retries: 3,
      srv_queue: 0,
      backend_queue: 0,
    });
    expect(Object.keys(o)[0]).toBe("type");
  });

  test("ISO dates agree with Date#toISOString", () => {
    for (
      const t of [
        0,
        1,
        999,
        1000,
        Date.UTC(2026, 1, 28, 23, 59, 59, 999),
        Date.UTC(2028, 1, 29, 12, 0, 0, 5),
      ]
    ) {
      const r = createHttpLogRecord();
      r.acceptTime = t;
      const o = JSON.parse(formatHttpJson(r));
      expect(o.accept_date).toBe(new Date(t).toISOString());
    }
  });
});
