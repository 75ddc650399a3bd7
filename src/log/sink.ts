// The logger: every `log` target of a proxy gets each line, framed as its
// `format` says (syslog headers: syslog.ts), if the line's level passes the
// target's filter. Destinations are shared by a process-wide SinkPool:
// streams (stdout, stderr, fd@N, files) through batching FdSinks
// (fd-sink.ts), syslog servers and sockets through DatagramSinks.
//
// Levels are HAProxy's: a traffic line is `info`, or `err` under `option
// log-separate-errors` when something went wrong (a termination cause other
// than none or local, a retry, an HTTP status of 500 or more); operator
// events are `notice` unless said otherwise. `option dontlognull` skips the
// lines of connections that received nothing from their client.
import { resolve as resolvePath } from "node:path";
import { DatagramSink } from "./datagram-sink.ts";
import {
  createFileSink,
  createStderrSink,
  createStdoutSink,
  FdSink,
  type FdWriter,
  jsonDropNotice,
  type LogSink,
  plainDropNotice,
  type SinkOptions,
} from "./fd-sink.ts";
import { type LogFormatter } from "./format.ts";
import { formatHttpLog, type HttpLogRecord } from "./http-log.ts";
import { formatHttpJson, formatTcpJson } from "./json.ts";
import { datagramBytes, SyslogFramer } from "./syslog.ts";
import { DEFAULT_MAX_LEN, destinationKey, LEVEL, type LogTarget } from "./target.ts";
import { formatTcpLog } from "./tcp-log.ts";
import type { DatagramSender, Timers } from "../runtime/types.ts";

export * from "./fd-sink.ts";
export type { LogTarget } from "./target.ts";

export interface Logger {
  /**
   * A TCP-mode connection's log line: raw targets print `format(record)` (the
   * frontend's compiled log-format) or the tcplog line; JSON targets ignore
   * `format`. The record is not kept.
   */
  tcp(record: HttpLogRecord, format?: LogFormatter): void;
  /**
   * An HTTP request's log line. Raw targets print `format(record)` (the
   * frontend's compiled log-format) or the httplog line; JSON targets ignore
   * `format`. The record is not kept: it may be reused right after the call.
   */
  http(record: HttpLogRecord, format?: LogFormatter): void;
  /**
   * Start/stop and other messages for the operator: always on stderr, and
   * to this logger's syslog servers and sockets (at `level`, default notice;
   * as `syslogText` where HAProxy words it differently there).
   */
  event(text: string, level?: number, syslogText?: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What a logger asks of the system for syslog: its pid (in headers) and datagram sockets. */
export interface LogSystem {
  readonly pid: number;
  openUdp(host: string, port: number): DatagramSender;
  /** A unix datagram socket (/dev/log); absent where the runtime has none. */
  openUnixDatagram?(path: string): DatagramSender;
}

export interface LoggerOptions extends SinkOptions {
  /** With `wallNow`: the dates in syslog headers. */
  timers: SinkOptions["timers"] & Partial<Pick<Timers, "wallNow">>;
  /** Replace the stdout / stderr sinks (tests, or runtime-specific writers). */
  stdout?: LogSink;
  stderr?: LogSink;
  /** Needed by udp and unix targets. */
  system?: LogSystem;
  /** For fd@N targets, where the runtime's file API cannot write them (System.writeDescriptor); fs.write otherwise. */
  descriptorWriter?: FdWriter;
  /** `log-send-hostname`: the HOST of rfc3164 / rfc5424 headers; undefined: not sent. */
  hostname?: string;
  /** The global `log-tag`, default "sluice". */
  tag?: string;
  /** How long drops are added up before one notice line says how many (ms, default 1000). */
  dropReportMs?: number;
}

const DEFAULT_TAG = "sluice";

/**
 * The sinks of a process, one per destination: every logger created with the
 * same pool (one per frontend, say) shares them, so two frontends logging to
 * stdout or to the same file never interleave inside a line.
 */
export class SinkPool {
  private readonly sinks = new Map<string, LogSink>();
  private readonly datagrams = new Map<string, DatagramSink>();
  private droppedSinceReport = 0;
  private reportArmed = false;
  private droppedTotal = 0;

  constructor(readonly options: LoggerOptions) {}

  /** Log lines a datagram destination could not take, since the start (HAProxy's DroppedLogs). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** The sink of a stream target's destination, opened on first use. Throws if a file cannot be opened. */
  sinkFor(t: LogTarget): LogSink {
    let key: string;
    if (t.kind === "file") {
      if (t.path === undefined || t.path === "") throw new Error("a file log target needs a path");
      key = "file:" + resolvePath(t.path);
    } else key = destinationKey(t);
    let sink = this.sinks.get(key);
    if (sink === undefined) {
      const o = this.options;
      const sinkOptions: SinkOptions = {
        ...o,
        dropNotice: o.dropNotice ?? (t.format === "json" ? jsonDropNotice : plainDropNotice),
      };
      if (key === "stdout") sink = o.stdout ?? createStdoutSink(sinkOptions);
      else if (key === "stderr") sink = o.stderr ?? createStderrSink(sinkOptions);
      else if (t.kind === "fd") sink = new FdSink(t.fd!, `fd@${t.fd}`, o.descriptorWriter === undefined ? sinkOptions : { ...sinkOptions, writer: o.descriptorWriter });
      else sink = createFileSink(t.path!, sinkOptions);
      this.sinks.set(key, sink);
    }
    return sink;
  }

  /** The socket of a udp or unix target, opened on first use. Throws if the runtime has no such socket. */
  datagramFor(t: LogTarget): DatagramSink {
    const key = destinationKey(t);
    let sink = this.datagrams.get(key);
    if (sink === undefined) {
      const system = this.options.system;
      let sender: DatagramSender;
      let name: string;
      if (t.kind === "udp") {
        name = `udp@${t.host!.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
        if (system === undefined) throw new Error(`cannot log to ${name}: no system sockets in this runtime`);
        sender = system.openUdp(t.host!, t.port!);
      } else {
        name = t.path!;
        if (system?.openUnixDatagram === undefined) {
          throw new Error(`cannot log to ${name}: this runtime has no unix datagram sockets`);
        }
        sender = system.openUnixDatagram(t.path!);
      }
      sink = new DatagramSink(name, sender, () => this.noteDrop());
      this.datagrams.set(key, sink);
    }
    return sink;
  }

  /** Where events go. */
  get stderr(): LogSink {
    return this.sinkFor({ kind: "stderr", format: "raw" });
  }

  /** Drops are added up for a while, then said in one line on stderr. */
  private noteDrop(): void {
    this.droppedTotal++;
    this.droppedSinceReport++;
    if (this.reportArmed) return;
    this.reportArmed = true;
    this.options.timers.setTimer(() => {
      this.reportArmed = false;
      const n = this.droppedSinceReport;
      this.droppedSinceReport = 0;
      this.stderr.write(`sluice: ${n} log line${n === 1 ? "" : "s"} dropped (syslog destination not taking them)`);
    }, this.options.dropReportMs ?? 1000);
  }

  flush(): Promise<void> {
    return Promise.all([...this.sinks.values()].map((s) => s.flush())).then(() => {});
  }

  close(): Promise<void> {
    for (const d of this.datagrams.values()) d.close();
    return Promise.all([...this.sinks.values()].map((s) => s.close())).then(() => {});
  }
}

interface Output {
  readonly json: boolean;
  readonly framer: SyslogFramer;
  readonly facility: number;
  readonly level: number;
  readonly minLevel: number;
  readonly stream: LogSink | undefined;
  readonly datagram: DatagramSink | undefined;
  readonly maxLen: number;
}

/** What a proxy's logging options say (defaults: none of them). */
export interface LoggerBehaviour {
  /** The proxy's `log-tag` (else the pool's). */
  tag?: string;
  /** `option log-separate-errors`: error lines at err rather than info. */
  separateErrors?: boolean;
  /** `option dontlognull`: no line for a connection that received nothing. */
  dontLogNull?: boolean;
  /** `option dontlog-normal`: lines only for sessions that went wrong (isError). */
  dontLogNormal?: boolean;
}

/** HAProxy's "something went wrong" for log-separate-errors and dontlog-normal: a cause past L, a retry, a 5xx. */
function isError(termination: string, retries: number, status: number): boolean {
  const cause = termination.charCodeAt(0);
  return (cause !== 45 /* - */ && cause !== 76 /* L */) || retries > 0 || status >= 500;
}

/**
 * A logger writing each line to every target. Targets naming the same
 * destination share one sink, so their lines stay in order; with `pool`, so do
 * the targets of every logger made from that pool (and then close() only
 * flushes: the pool's owner closes it). Without, the logger opens sinks of its
 * own, with `options`. Throws if a file cannot be opened, a file target has
 * no path, or the runtime cannot open a syslog socket.
 */
export function createLogger(
  targets: readonly LogTarget[],
  options: ({ pool: SinkPool } | LoggerOptions) & LoggerBehaviour,
): Logger {
  const owned = !("pool" in options);
  const pool = "pool" in options ? options.pool : new SinkPool(options);
  const o = pool.options;
  const identity = {
    tag: options.tag ?? o.tag ?? DEFAULT_TAG,
    hostname: o.hostname,
    pid: o.system?.pid ?? 0,
  };
  const outputs: Output[] = [];
  try {
    for (const t of targets) {
      const datagram = t.kind === "udp" || t.kind === "unix";
      outputs.push({
        json: t.format === "json",
        framer: new SyslogFramer(t.format, identity),
        facility: t.facility ?? 0,
        level: t.level ?? 7,
        minLevel: t.minLevel ?? 0,
        stream: datagram ? undefined : pool.sinkFor(t),
        datagram: datagram ? pool.datagramFor(t) : undefined,
        maxLen: t.maxLen ?? (datagram ? DEFAULT_MAX_LEN : Infinity),
      });
    }
  } catch (e) {
    if (owned) void pool.close();
    throw e;
  }
  const events = pool.stderr;
  const wallNow = o.timers.wallNow ?? (() => 0);
  const separateErrors = options.separateErrors === true;
  const dontLogNull = options.dontLogNull === true;
  const dontLogNormal = options.dontLogNormal === true;

  const emit = (out: Output, text: string, level: number, now: number): void => {
    if (level > out.level) return;
    const line = out.framer.frame(text, out.facility, Math.max(level, out.minLevel), now);
    if (out.datagram !== undefined) out.datagram.send(datagramBytes(line, out.maxLen));
    else out.stream!.write(out.maxLen < line.length ? line.slice(0, out.maxLen) : line);
  };

  return {
    tcp(record, format) {
      if (dontLogNull && record.bytesIn === 0) return;
      const error = isError(record.termination, record.retries, 0);
      if (dontLogNormal && !error) return;
      const level = separateErrors && error ? LEVEL.err : LEVEL.info;
      const now = wallNow();
      let raw: string | undefined;
      let json: string | undefined;
      for (const out of outputs) {
        emit(out, out.json ? (json ??= formatTcpJson(record)) : (raw ??= (format ?? formatTcpLog)(record)), level, now);
      }
    },
    http(record, format) {
      if (dontLogNull && record.bytesIn === 0) return;
      const error = isError(record.termination, record.retries, record.status);
      if (dontLogNormal && !error) return;
      const level = separateErrors && error ? LEVEL.err : LEVEL.info;
      const now = wallNow();
      let raw: string | undefined;
      let json: string | undefined;
      for (const out of outputs) {
        emit(out, out.json ? (json ??= formatHttpJson(record)) : (raw ??= (format ?? formatHttpLog)(record)), level, now);
      }
    },
    event(text, level = LEVEL.notice, syslogText = text) {
      events.write(text);
      const now = wallNow();
      for (const out of outputs) if (out.datagram !== undefined) emit(out, syslogText, level, now);
    },
    flush() {
      return pool.flush();
    },
    close() {
      return owned ? pool.close() : pool.flush();
    },
  };
}
