import { describe, expect, test } from "bun:test";
import { compileLogFormat } from "../../../src/log/format.ts";
import {
  createHttpLogRecord,
  formatHttpLog,
  HTTPLOG_FORMAT,
  resetHttpLogRecord,
} from "../../../src/log/http-log.ts";
import { formatAcceptDate, formatTcpLog, TCPLOG_FORMAT } from "../../../src/log/tcp-log.ts";
import { DOC_LINE, docRecord, tcpRecordOf } from "./fixtures.ts";

describe("option httplog", () => {
  test("the manual's example line, exactly", () => {
    expect(formatHttpLog(docRecord())).toBe(DOC_LINE);
  });

  test("the compiled default format gives the same line", () => {
    const fmt = compileLogFormat(HTTPLOG_FORMAT);
    expect(fmt(docRecord())).toBe(DOC_LINE);
    const r = docRecord();
    r.requestLine = 'GET /a"b#c HTTP/1.1';
    expect(fmt(r)).toBe(formatHttpLog(r));
  });

  test("%ft: the frontend with HAProxy's '~' on a TLS connection (%f without)", () => {
    const r = docRecord();
    r.sslVersion = "TLSv1.3";
    expect(formatHttpLog(r)).toBe(DOC_LINE.replace(" http-in ", " http-in~ "));
    expect(compileLogFormat(HTTPLOG_FORMAT)(r)).toBe(formatHttpLog(r));
    expect(compileLogFormat("%ft %f")(r)).toBe("http-in~ http-in");
  });

  test("a request that never came: <BADREQ>, -1 timers and status, <NOSRV>", () => {
    const r = createHttpLogRecord();
    Object.assign(r, {
      clientAddress: "::1",
      clientPort: 5555,
      frontend: "fe",
      backend: "fe",
      acceptTime: Date.UTC(2026, 10, 25, 8, 20, 0, 123),
      Ti: -1,
      Ta: 0,
      Tt: 5000,
      termination: "cR--",
      actconn: 3,
      feconn: 2,
    });
    expect(formatHttpLog(r)).toBe(
      '::1:5555 [25/Nov/2026:08:20:00.123] fe fe/<NOSRV> -1/-1/-1/-1/0 -1 0 - - cR-- 3/2/0/0/0 0/0 "<BADREQ>"',
    );
    expect(compileLogFormat(HTTPLOG_FORMAT)(r)).toBe(formatHttpLog(r));
  });

  test("the request line is #-encoded so it cannot break the line or the quotes", () => {
    const r = docRecord();
    r.requestLine = 'GET /x"y#z\n\u00e9 HTTP/1.1';
    expect(formatHttpLog(r)).toEndWith(' "GET /x#22y#23z#0A#E9 HTTP/1.1"');
    r.requestLine = "GET /\u20ac HTTP/1.1"; // above latin1: its UTF-8 bytes
    expect(formatHttpLog(r)).toEndWith(' "GET /#E2#82#AC HTTP/1.1"');
  });

  test("fractional timers are rounded; a 2-character state is padded", () => {
    const r = docRecord();
    r.TR = 9.6;
    r.Ta = 109.2;
    r.termination = "SC";
    expect(formatHttpLog(r)).toContain(" 10/0/30/69/109 200 2750 - - SC-- ");
  });

  test("reset returns a reused record to its initial state", () => {
    const r = docRecord();
    resetHttpLogRecord(r);
    expect(r).toEqual(createHttpLogRecord());
    expect(r.server).toBe("<NOSRV>");
    expect([r.Th, r.Ti, r.TR, r.Tw, r.Tc, r.Tr, r.Ta, r.Tt, r.status]).toEqual([
      -1,
      -1,
      -1,
      -1,
      -1,
      -1,
      -1,
      -1,
      -1,
    ]);
  });
});

describe("option tcplog", () => {
  const rec = tcpRecordOf({
    clientAddress: "127.0.0.1",
    clientPort: 5555,
    acceptTime: Date.UTC(2026, 10, 25, 8, 20, 0, 7),
    frontend: "fe",
    backend: "be",
    server: "s1",
    Tw: 0,
    Tc: 1,
    Tt: 250,
    bytesOut: 100,
    bytesIn: 20,
    termination: "----",
    actconn: 3,
    feconn: 1,
    beconn: 1,
    srvConn: 1,
    retries: 0,
  });
  test("formatTcpLog: HAProxy's tcplog line, the same as TCPLOG_FORMAT compiled", () => {
    const line = "127.0.0.1:5555 [25/Nov/2026:08:20:00.007] fe be/s1 0/1/250 100 -- 3/1/1/1/0 0/0";
    expect(formatTcpLog(rec)).toBe(line);
    expect(compileLogFormat(TCPLOG_FORMAT)(rec)).toBe(line);
    const failed = tcpRecordOf({ ...rec, server: "<NOSRV>", Tw: -1, Tc: -1, Tt: 0, bytesOut: 0, termination: "SC--", retries: 3, srvQueue: 2, backendQueue: 1 });
    expect(formatTcpLog(failed)).toBe("127.0.0.1:5555 [25/Nov/2026:08:20:00.007] fe be/<NOSRV> -1/-1/0 0 SC 3/1/1/1/3 2/1");
    expect(compileLogFormat(TCPLOG_FORMAT)(failed)).toBe(formatTcpLog(failed));
    const tls = tcpRecordOf({ ...rec, sslVersion: "TLSv1.2" });
    expect(formatTcpLog(tls)).toBe(line.replace(" fe be/", " fe~ be/"));
    expect(compileLogFormat(TCPLOG_FORMAT)(tls)).toBe(formatTcpLog(tls));
    const asap = tcpRecordOf({ ...rec, asap: true });
    expect(formatTcpLog(asap)).toContain(" 0/1/+250 +100 -- ");
    expect(compileLogFormat(TCPLOG_FORMAT)(asap)).toBe(formatTcpLog(asap));
  });
  test("formatAcceptDate takes a Date or epoch ms, across second and year boundaries", () => {
    expect(formatAcceptDate(new Date(rec.acceptTime))).toBe("25/Nov/2026:08:20:00.007");
    expect(formatAcceptDate(Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe(
      "31/Dec/2026:23:59:59.999",
    );
    expect(formatAcceptDate(Date.UTC(2027, 0, 1, 0, 0, 0, 0))).toBe("01/Jan/2027:00:00:00.000");
    expect(formatAcceptDate(Date.UTC(2026, 11, 31, 23, 59, 59, 5))).toBe(
      "31/Dec/2026:23:59:59.005",
    );
  });
});
