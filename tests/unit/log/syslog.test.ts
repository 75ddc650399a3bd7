import { describe, expect, test } from "bun:test";
import { compileLogFormat } from "../../../src/log/format.ts";
import { formatHttpLog } from "../../../src/log/http-log.ts";
import { createLogger, type LogSink, SinkPool } from "../../../src/log/sink.ts";
import { datagramBytes, isoDate, rfc3164Date, SyslogFramer } from "../../../src/log/syslog.ts";
import type { LogTarget } from "../../../src/log/target.ts";
import { formatTcpLog } from "../../../src/log/tcp-log.ts";
import type { DatagramSender, TimerHandle } from "../../../src/runtime/types.ts";
import { DOC_LINE, docRecord, tcpRecordOf } from "./fixtures.ts";

// The process's zone is UTC here (TZ unset in the container); dates are local time, as HAProxy's.
const AT = new Date(2026, 11, 6, 9, 5, 7, 42).getTime();
const id = { tag: "haproxy", hostname: undefined, pid: 4242 };

describe("HAProxy's headers", () => {
  test("dates: RFC 3164's day padded with a space, ISO 8601 with microseconds and the zone", () => {
    expect(rfc3164Date(AT)).toBe("Dec  6 09:05:07");
    expect(isoDate(AT)).toMatch(/^2026-12-06T09:05:07\.042000[+-]\d\d:\d\d$/);
  });

  test.each([
    ["local", "<134>Dec  6 09:05:07 haproxy[4242]: hello"],
    ["rfc3164", "<134>Dec  6 09:05:07 localhost haproxy[4242]: hello"],
    ["short", "<6>hello"],
    ["priority", "<134>hello"],
    ["raw", "hello"],
  ] as const)("%s", (format, line) => {
    expect(new SyslogFramer(format, id).frame("hello", 16, 6, AT)).toBe(line);
  });

  test("rfc5424, iso, timed; log-send-hostname names the host", () => {
    const iso = isoDate(AT);
    expect(new SyslogFramer("rfc5424", id).frame("hi", 3, 3, AT)).toBe(`<27>1 ${iso} - haproxy 4242 - - hi`);
    expect(new SyslogFramer("rfc5424", { ...id, hostname: "node7" }).frame("hi", 3, 3, AT)).toBe(`<27>1 ${iso} node7 haproxy 4242 - - hi`);
    expect(new SyslogFramer("rfc3164", { ...id, hostname: "node7" }).frame("hi", 0, 0, AT)).toBe("<0>Dec  6 09:05:07 node7 haproxy[4242]: hi");
    expect(new SyslogFramer("iso", id).frame("hi", 3, 3, AT)).toBe(`${iso} hi`);
    expect(new SyslogFramer("timed", id).frame("hi", 3, 3, AT)).toBe(`<3>${iso} hi`);
  });

  test("the cached RFC 3164 header follows the second and the priority", () => {
    const f = new SyslogFramer("local", id);
    expect(f.frame("a", 16, 6, AT)).toBe("<134>Dec  6 09:05:07 haproxy[4242]: a");
    expect(f.frame("b", 16, 3, AT)).toBe("<131>Dec  6 09:05:07 haproxy[4242]: b");
    expect(f.frame("c", 16, 3, AT + 1000)).toBe("<131>Dec  6 09:05:08 haproxy[4242]: c");
  });

  test("a datagram is cut to len bytes, then ends with a newline", () => {
    expect(new TextDecoder().decode(datagramBytes("x".repeat(100), 80))).toBe("x".repeat(80) + "\n");
    expect(new TextDecoder().decode(datagramBytes("short", 80))).toBe("short\n");
  });
});

class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A system whose sockets keep what they are sent; `refuse`: every send is dropped. */
function fakeSystem(refuse = false) {
  const sent = new Map<string, string[]>();
  const open = (key: string): DatagramSender => {
    const list: string[] = [];
    sent.set(key, list);
    return {
      send(bytes) {
        if (refuse) return false;
        list.push(new TextDecoder().decode(bytes));
        return true;
      },
      close() {},
    };
  };
  return {
    sent,
    system: { pid: 7, openUdp: (host: string, port: number) => open(`${host}:${port}`), openUnixDatagram: (path: string) => open(path) },
  };
}

function fakeTimers() {
  const due: (() => void)[] = [];
  return {
    due,
    timers: {
      defer: (fn: () => void) => due.push(fn),
      setTimer: (fn: () => void): TimerHandle => (due.push(fn), {} as TimerHandle),
      wallNow: () => AT,
    },
  };
}

const tcpRecord = tcpRecordOf({
  clientAddress: "127.0.0.1",
  clientPort: 5555,
  acceptTime: AT,
  frontend: "fe",
  backend: "be",
  server: "s1",
  Tw: 0,
  Tc: 1,
  Tt: 20,
  bytesOut: 100,
  bytesIn: 40,
  termination: "--",
  feconn: 1,
  beconn: 1,
  srvConn: 1,
  retries: 0,
});

const udp = (port: number, more: Partial<LogTarget> = {}): LogTarget => ({ kind: "udp", host: "127.0.0.1", port, format: "local", facility: 16, ...more });

describe("the logger's syslog targets", () => {
  test("each target gets the line at its level; level filters, minlevel caps, log-separate-errors raises to err", () => {
    const { sent, system } = fakeSystem();
    const { timers } = fakeTimers();
    const pool = new SinkPool({ timers, system, stderr: new MemorySink() });
    const targets = [udp(1), udp(2, { level: 5 }), udp(3, { minLevel: 4 }), { kind: "unix", path: "/dev/log", format: "short", facility: 3 } as LogTarget];
    const plain = createLogger(targets, { pool });
    const separate = createLogger(targets, { pool, separateErrors: true, tag: "shop" });
    plain.tcp({ ...tcpRecord, termination: "SC" });
    separate.tcp(tcpRecord);
    separate.tcp({ ...tcpRecord, termination: "SC" });
    separate.tcp({ ...tcpRecord, retries: 1 });
    const line = formatTcpLog(tcpRecord);
    expect(sent.get("127.0.0.1:1")!.map((d) => d.slice(0, 5))).toEqual(["<134>", "<134>", "<131>", "<131>"]);
    expect(sent.get("127.0.0.1:1")![1]).toBe(`<134>Dec  6 09:05:07 shop[7]: ${line}\n`);
    // level notice: only the two err lines.
    expect(sent.get("127.0.0.1:2")!.map((d) => d.slice(0, 5))).toEqual(["<131>", "<131>"]);
    // minlevel warning: err is sent as warning.
    expect(sent.get("127.0.0.1:3")!.map((d) => d.slice(0, 5))).toEqual(["<134>", "<134>", "<132>", "<132>"]);
    expect(sent.get("/dev/log")!.map((d) => d.slice(0, 3))).toEqual(["<6>", "<6>", "<3>", "<3>"]);
  });

  test("an HTTP 5xx is an error line; dontlognull skips what received nothing; logasap marks bytes and times", () => {
    const { sent, system } = fakeSystem();
    const { timers } = fakeTimers();
    const pool = new SinkPool({ timers, system, stderr: new MemorySink() });
    const log = createLogger([udp(1, { format: "raw" })], { pool, separateErrors: true, dontLogNull: true });
    const r = docRecord();
    log.http(r);
    log.http({ ...r, status: 503 });
    log.http({ ...r, bytesIn: 0 });
    log.tcp({ ...tcpRecord, bytesIn: 0 });
    expect(sent.get("127.0.0.1:1")).toEqual([`${DOC_LINE}\n`, `${formatHttpLog({ ...r, status: 503 })}\n`]);
    const asap = { ...r, asap: true };
    expect(formatHttpLog(asap)).toContain(" 10/0/30/69/+109 200 +2750 ");
    expect(compileLogFormat("%B %Ta %Tt %U", { captures: { request: false, response: false } })(asap)).toBe("+2750 +109 +164 120");
    expect(formatTcpLog({ ...tcpRecord, asap: true })).toContain(" 0/1/+20 +100 -- ");
  });

  test("dontlog-normal: only sessions that went wrong get a line (a cause past L, a retry, a 5xx)", () => {
    const { sent, system } = fakeSystem();
    const { timers } = fakeTimers();
    const pool = new SinkPool({ timers, system, stderr: new MemorySink() });
    const log = createLogger([udp(1, { format: "raw" })], { pool, dontLogNormal: true });
    const r = docRecord();
    log.http(r);
    log.http({ ...r, termination: "LR--" });
    log.http({ ...r, status: 502 });
    log.tcp(tcpRecord);
    log.tcp({ ...tcpRecord, termination: "CD" });
    log.tcp({ ...tcpRecord, retries: 2 });
    expect(sent.get("127.0.0.1:1")).toEqual([
      `${formatHttpLog({ ...r, status: 502 })}\n`,
      `${formatTcpLog({ ...tcpRecord, termination: "CD" })}\n`,
      `${formatTcpLog({ ...tcpRecord, retries: 2 })}\n`,
    ]);
  });

  test("events go to stderr and, at their level, to syslog targets; drops are counted and told once per period", () => {
    const { system } = fakeSystem(true);
    const { timers, due } = fakeTimers();
    const stderr = new MemorySink();
    const pool = new SinkPool({ timers, system, stderr });
    const log = createLogger([udp(1)], { pool });
    log.event("Server be/s1 is DOWN.", 1);
    log.tcp(tcpRecord);
    log.tcp(tcpRecord);
    expect(pool.dropped).toBe(3);
    expect(stderr.lines).toEqual(["Server be/s1 is DOWN."]);
    for (const fn of due.splice(0)) fn();
    expect(stderr.lines).toEqual(["Server be/s1 is DOWN.", "sluice: 3 log lines dropped (syslog destination not taking them)"]);
  });

  test("syslog framing on a stream target: HAProxy's `log stdout format rfc5424 local0`", () => {
    const stdout = new MemorySink();
    const { timers } = fakeTimers();
    const log = createLogger([{ kind: "stdout", format: "rfc5424", facility: 16 }], { timers, stdout, stderr: new MemorySink(), system: fakeSystem().system });
    log.tcp(tcpRecord);
    expect(stdout.lines).toEqual([`<134>1 ${isoDate(AT)} - sluice 7 - - ${formatTcpLog(tcpRecord)}`]);
  });

  test("a runtime without unix datagram sockets is an error naming the target", () => {
    const { timers } = fakeTimers();
    expect(() =>
      createLogger([{ kind: "unix", path: "/dev/log", format: "local", facility: 16 }], {
        timers,
        stderr: new MemorySink(),
        system: { pid: 1, openUdp: fakeSystem().system.openUdp },
      })
    ).toThrow("cannot log to /dev/log: this runtime has no unix datagram sockets");
  });
});
