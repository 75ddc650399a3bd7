// Where log lines go: stdout, stderr or a file, buffered and written in batches.
//
// A sink appends lines to an in-memory batch and writes the batch with one
// asynchronous fs.write at the end of the event-loop turn (the runtime's
// defer(), so a test clock decides when), or at once when it reaches
// `batchBytes` (64 KiB). At most one write is in
// flight per sink, which keeps lines in order; lines that arrive meanwhile
// form the next batch, so the busier the proxy, the bigger (and fewer) the
// writes. When the destination cannot keep up, the batch stops growing at
// `maxBufferBytes`: further lines are dropped and counted until the batch has
// drained below half of that, then one notice line with the count is logged.
// flush() resolves once every line accepted before the call has been written
// (or has failed to be); close() flushes, then closes the file.
//
// Measured on the runtimes (1 MiB writes into a pipe whose reader stalls 1 s):
//   Bun:  fs.write(fd) runs off the event loop (timers keep firing); used here.
//   Deno: every node:fs path (fs.write, writev, FileHandle, WriteStream) and
//         process.stdout.write block the event loop while the pipe is full;
//         net.Socket({ fd }) does not, but fails on regular files and blocks on
//         Bun. Regular files and terminals are fast on both. So on Deno a
//         stalled stdout/stderr pipe stalls the loop once per batch (never once
//         per line); an adapter can inject a better FdWriter (see `writer`).
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import type { Timers } from "../runtime/types.ts";

export interface LogSink {
  /** Queue one line (without its newline). Never blocks, never throws. */
  write(line: string): void;
  /** Resolves when every line written before the call has reached the destination (or failed to). */
  flush(): Promise<void>;
  /** Flushes, then releases the destination. Later writes are dropped. Idempotent. */
  close(): Promise<void>;
}

/** The one system call a sink needs; injectable for tests and for runtime-specific writers. */
export interface FdWriter {
  write(
    fd: number,
    data: Uint8Array,
    offset: number,
    length: number,
    done: (err: NodeJS.ErrnoException | null, written: number) => void,
  ): void;
}

/** fs.write on the fd (asynchronous on Bun; see the note at the top for Deno). */
export const fsWriter: FdWriter = {
  write(fd, data, offset, length, done) {
    fs.write(fd, data, offset, length, null, done);
  },
};

/** What a sink asks of the runtime: the end of the turn (batches) and a timer (EAGAIN retries). */
export type SinkTimers = Pick<Timers, "defer" | "setTimer">;

export interface SinkOptions {
  /** The runtime's (never the globals): batches and retries follow its clock. */
  timers: SinkTimers;
  writer?: FdWriter;
  /** Write at once when the batch reaches this many bytes (default 64 KiB). */
  batchBytes?: number;
  /** Most bytes held waiting for the destination; beyond, lines are dropped (default 8 MiB). */
  maxBufferBytes?: number;
  /** The line logged after lines were dropped (default: plain text). */
  dropNotice?: (dropped: number) => string;
  /** Write failures (other than EAGAIN, which is retried); default: one line on the console's stderr. */
  onError?: (error: Error, sink: string) => void;
}

export interface SinkStats {
  /** Lines accepted. */
  lines: number;
  /** fs.write calls made. */
  writes: number;
  /** Lines dropped because the buffer was full (or the sink closed). */
  dropped: number;
  /** Lines lost to write errors. */
  failed: number;
  /** Bytes (UTF-16 units, approximately bytes) waiting, in flight included. */
  pending: number;
}

const DEFAULT_BATCH = 64 * 1024;
const DEFAULT_MAX = 8 * 1024 * 1024;
const EAGAIN_RETRY_MS = 5;

export function plainDropNotice(dropped: number): string {
  return `sluice: ${dropped} log line${
    dropped === 1 ? "" : "s"
  } dropped (log destination too slow)`;
}

export function jsonDropNotice(dropped: number): string {
  return `{"type":"notice","message":"log lines dropped (log destination too slow)","dropped":${dropped}}`;
}

function defaultOnError(error: Error, sink: string): void {
  console.error(`sluice: cannot write logs to ${sink}: ${error.message}`);
}

interface Waiter {
  mark: number;
  resolve: () => void;
}

/** A sink on a file descriptor. */
export class FdSink implements LogSink {
  private readonly timers: SinkTimers;
  private readonly writer: FdWriter;
  private readonly batchBytes: number;
  private readonly maxBufferBytes: number;
  private readonly dropNotice: (dropped: number) => string;
  private readonly onError: (error: Error, sink: string) => void;

  /** The batch being built: lines joined with "\n", each one terminated. */
  private batch = "";
  private batchLines = 0;
  private inflightChars = 0;
  private inflight = false;
  private scheduled = false;
  private dropping = false;
  private droppedSinceNotice = 0;
  private reportedError = false;
  /** Characters accepted / written (or given up) since the start, for flush(). */
  private accepted = 0;
  private done = 0;
  private waiters: Waiter[] = [];
  private closing: Promise<void> | undefined;
  private readonly counters = { lines: 0, writes: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly fd: number,
    /** For messages: "stdout", "stderr" or the file's path. */
    readonly name: string,
    options: SinkOptions,
    /** Close the fd on close() (files yes, stdio no). */
    private readonly ownsFd = false,
  ) {
    this.timers = options.timers;
    this.writer = options.writer ?? fsWriter;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH;
    this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX;
    this.dropNotice = options.dropNotice ?? plainDropNotice;
    this.onError = options.onError ?? defaultOnError;
  }

  stats(): SinkStats {
    return { ...this.counters, pending: this.batch.length + this.inflightChars };
  }

  write(line: string): void {
    if (this.closing !== undefined || this.dropping) {
      this.drop();
      return;
    }
    if (this.batch.length + line.length + 1 > this.maxBufferBytes) {
      this.dropping = true;
      this.drop();
      this.schedule(); // recovery is checked when the destination has taken what it has
      return;
    }
    this.append(line);
    if (this.batch.length >= this.batchBytes) this.kick();
    else this.schedule();
  }

  flush(): Promise<void> {
    const mark = this.accepted;
    if (this.done >= mark) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push({ mark, resolve }));
    this.kick();
    return p;
  }

  close(): Promise<void> {
    if (this.closing === undefined && this.droppedSinceNotice > 0) {
      // Stopping while the destination is behind: still say how many lines were lost.
      this.append(this.dropNotice(this.droppedSinceNotice));
      this.droppedSinceNotice = 0;
      this.dropping = false;
    }
    this.closing ??= this.flush().then(() => {
      if (!this.ownsFd) return;
      return new Promise<void>((resolve) => fs.close(this.fd, () => resolve()));
    });
    return this.closing;
  }

  private drop(): void {
    this.counters.dropped++;
    this.droppedSinceNotice++;
  }

  private append(line: string): void {
    this.batch += line + "\n";
    this.batchLines++;
    this.accepted += line.length + 1;
    this.counters.lines++;
  }

  private schedule(): void {
    if (this.scheduled || this.inflight) return;
    this.scheduled = true;
    this.timers.defer(this.onTick);
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    this.kick();
    if (!this.inflight) this.recover();
  };

  /** After drops: once the backlog is below half the cap, accept lines again and say how many were lost. */
  private recover(): void {
    if (!this.dropping || this.batch.length >= this.maxBufferBytes / 2) return;
    this.dropping = false;
    const dropped = this.droppedSinceNotice;
    this.droppedSinceNotice = 0;
    if (this.closing !== undefined) return;
    this.append(this.dropNotice(dropped));
    this.kick();
  }

  /** Starts writing the batch unless a write is in flight (its completion starts the next). */
  private kick(): void {
    if (this.inflight || this.batch.length === 0) return;
    const chars = this.batch.length;
    const lines = this.batchLines;
    const data = Buffer.from(this.batch, "utf8");
    this.batch = "";
    this.batchLines = 0;
    this.inflight = true;
    this.inflightChars = chars;
    this.writeFrom(data, 0, chars, lines);
  }

  private writeFrom(data: Uint8Array, offset: number, chars: number, lines: number): void {
    this.counters.writes++;
    this.writer.write(this.fd, data, offset, data.length - offset, (err, written) => {
      if (err) {
        if (err.code === "EAGAIN") {
          this.timers.setTimer(() => this.writeFrom(data, offset, chars, lines), EAGAIN_RETRY_MS);
          return;
        }
        this.counters.failed += lines;
        if (!this.reportedError) {
          this.reportedError = true;
          this.onError(err, this.name);
        }
        this.completed(chars);
        return;
      }
      if (offset + written < data.length) {
        this.writeFrom(data, offset + written, chars, lines);
        return;
      }
      this.reportedError = false;
      this.completed(chars);
    });
  }

  private completed(chars: number): void {
    this.inflight = false;
    this.inflightChars = 0;
    this.done += chars;
    this.recover();
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.mark <= this.done);
      if (due.length > 0) {
        this.waiters = this.waiters.filter((w) => w.mark > this.done);
        for (const w of due) w.resolve();
      }
    }
    this.kick();
  }
}

export function createStdoutSink(options: SinkOptions): FdSink {
  return new FdSink(1, "stdout", options);
}

export function createStderrSink(options: SinkOptions): FdSink {
  return new FdSink(2, "stderr", options);
}

/** Opens (creating it if needed) `path` for appending. Throws if it cannot be opened. */
export function createFileSink(path: string, options: SinkOptions): FdSink {
  let fd: number;
  try {
    fd = fs.openSync(path, "a", 0o644);
  } catch (e) {
    throw new Error(`cannot open log file '${path}': ${(e as Error).message}`);
  }
  return new FdSink(fd, path, options, true);
}
