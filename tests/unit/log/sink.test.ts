import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate } from "node:timers";
import { compileLogFormat } from "../../../src/log/format.ts";
import { formatHttpLog } from "../../../src/log/http-log.ts";
import { formatHttpJson, formatTcpJson } from "../../../src/log/json.ts";
import {
  createFileSink,
  createLogger,
  FdSink,
  type FdWriter,
  fsWriter,
  type LogSink,
  plainDropNotice,
  SinkPool,
} from "../../../src/log/sink.ts";
import { formatTcpLog } from "../../../src/log/tcp-log.ts";
import { bunRuntime } from "../../../src/runtime/bun.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";
import { docRecord, tcpRecordOf } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tempFile = () => join(dir, `log-${++fileNo}.log`);

// The real runtime's turns and timers: batching is per turn of the event loop.
const timers = bunRuntime;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records every write; completes them on the next turn, or on release() when `manual`. */
class FakeWriter implements FdWriter {
  readonly chunks: Uint8Array[] = [];
  private readonly waiting: (() => void)[] = [];
  manual = false;
  /** Most bytes taken per call (partial writes). */
  maxBytes = Infinity;
  /** Errors to return, in order, before succeeding. */
  readonly failures: string[] = [];
  write(
    _fd: number,
    data: Uint8Array,
    offset: number,
    length: number,
    done: (err: NodeJS.ErrnoException | null, n: number) => void,
  ): void {
    const code = this.failures.shift();
    if (code !== undefined) {
      const err = Object.assign(new Error(`fake ${code}`), { code }) as NodeJS.ErrnoException;
      setImmediate(() => done(err, 0));
      return;
    }
    const n = Math.min(length, this.maxBytes);
    this.chunks.push(data.slice(offset, offset + n));
    const finish = () => done(null, n);
    if (this.manual) this.waiting.push(finish);
    else setImmediate(finish);
  }
  get writes(): number {
    return this.chunks.length;
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
  /** Completes the writes in flight, and from now on every write on the next turn. */
  async auto(): Promise<void> {
    this.manual = false;
    await this.release();
  }
  /** Completes the writes in flight. */
  async release(): Promise<void> {
    const inFlight = this.waiting.splice(0);
    for (const finish of inFlight) {
      finish();
      await tick();
    }
  }
}

const lines = (n: number, prefix = "line") =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i} é€`);
const text = (ls: string[]) => ls.map((l) => l + "\n").join("");

describe("batching", () => {
  test("a burst of lines in one turn is one write, after the turn", async () => {
    const w = new FakeWriter();
    const sink = new FdSink(9, "fake", { timers, writer: w });
    const ls = lines(1000);
    for (const l of ls) sink.write(l);
    expect(w.writes).toBe(0);
    await sink.flush();
    expect(w.writes).toBe(1);
    expect(w.text).toBe(text(ls));
  });

  test("64 KiB of lines starts a write at once", () => {
    const w = new FakeWriter();
    const sink = new FdSink(9, "fake", { timers, writer: w });
    const long = "x".repeat(1023);
    for (let i = 0; i < 63; i++) sink.write(long);
    expect(w.writes).toBe(0);
    sink.write(long);
    expect(w.writes).toBe(1);
    expect(w.chunks[0]!.byteLength).toBe(64 * 1024);
  });

  test("lines arriving during a slow write become the next batch: many turns, few writes, in order", async () => {
    const w = new FakeWriter();
    w.manual = true;
    const sink = new FdSink(9, "fake", { timers, writer: w });
    const all: string[] = [];
    for (let turn = 0; turn < 50; turn++) {
      for (const l of lines(20, `t${turn}`)) {
        sink.write(l);
        all.push(l);
      }
      await tick();
      if (turn % 10 === 9) await w.release();
    }
    await w.auto();
    await sink.flush();
    expect(w.writes).toBeLessThanOrEqual(7);
    expect(w.text).toBe(text(all));
    expect(sink.stats()).toMatchObject({ lines: 1000, dropped: 0, failed: 0, pending: 0 });
  });

  test("partial writes are completed, EAGAIN is retried", async () => {
    const w = new FakeWriter();
    w.maxBytes = 7;
    w.failures.push("EAGAIN", "EAGAIN");
    const sink = new FdSink(9, "fake", { timers, writer: w });
    const ls = lines(30);
    for (const l of ls) sink.write(l);
    await sink.flush();
    expect(w.text).toBe(text(ls));
  });

  test("a failing destination loses its batch, reports once, and flush() still resolves", async () => {
    const w = new FakeWriter();
    w.failures.push("EIO", "EIO");
    const errors: string[] = [];
    const sink = new FdSink(9, "fake", {
      timers,
      writer: w,
      onError: (e, name) => errors.push(`${name}: ${e.message}`),
    });
    sink.write("a");
    await sink.flush();
    sink.write("b");
    await sink.flush();
    sink.write("c");
    await sink.flush();
    expect(errors).toEqual(["fake: fake EIO"]);
    expect(w.text).toBe("c\n");
    expect(sink.stats()).toMatchObject({ lines: 3, failed: 2 });
  });
});

describe("on the runtime's clock", () => {
  test("a batch waits for the runtime's defer, an EAGAIN retry for its timer", async () => {
    const clock = new VirtualClock();
    const calls: string[] = [];
    const writer: FdWriter = {
      write(_fd, data, offset, length, done) {
        calls.push(Buffer.from(data.subarray(offset, offset + length)).toString("utf8"));
        // The first call says EAGAIN, the next ones take everything; synchronously, so only the clock moves things.
        if (calls.length === 1) done(Object.assign(new Error("fake EAGAIN"), { code: "EAGAIN" }), 0);
        else done(null, length);
      },
    };
    const sink = new FdSink(9, "fake", { timers: clock, writer });
    sink.write("a");
    sink.write("b");
    expect(calls).toEqual([]);
    expect(clock.runDeferred()).toBe(1);
    expect(calls).toEqual(["a\nb\n"]);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDue).toBe(clock.now() + 5);
    await clock.advance(4);
    expect(calls.length).toBe(1);
    await clock.advance(1);
    expect(calls).toEqual(["a\nb\n", "a\nb\n"]);
    expect(sink.stats()).toMatchObject({ lines: 2, failed: 0, pending: 0 });
  });
});

describe("bounded buffer", () => {
  test("drops beyond the cap, counts, then logs the count once the destination has caught up", async () => {
    const w = new FakeWriter();
    w.manual = true;
    const sink = new FdSink(9, "fake", { timers, writer: w, batchBytes: 100, maxBufferBytes: 1000 });
    const line = (i: number) => `${String(i).padStart(4, "0")} ${"y".repeat(45)}`; // 50 chars + newline
    for (let i = 0; i < 2; i++) sink.write(line(i)); // 102 bytes: written at once, stays in flight
    expect(w.writes).toBe(1);
    for (let i = 2; i < 100; i++) sink.write(line(i)); // 19 fit in 1000 bytes, 79 are dropped
    expect(sink.stats()).toMatchObject({ lines: 21, dropped: 79 });
    expect(sink.stats().pending).toBeLessThanOrEqual(1000 + 102);
    await w.release(); // first write done: the 969-byte backlog goes out, still above half the cap
    sink.write("dropped too");
    await w.release(); // backlog written: accepting again, the notice goes first
    sink.write("after");
    await w.auto();
    await sink.flush();
    const out = w.text.split("\n").slice(0, -1);
    expect(out.slice(0, 21)).toEqual(Array.from({ length: 21 }, (_, i) => line(i)));
    expect(out.slice(21)).toEqual([plainDropNotice(80), "after"]);
    expect(sink.stats()).toMatchObject({ dropped: 80, pending: 0 });
  });
  test("closing while behind still logs the count", async () => {
    const w = new FakeWriter();
    w.manual = true;
    const sink = new FdSink(9, "fake", { timers, writer: w, batchBytes: 10, maxBufferBytes: 20 });
    // 7 bytes each: lines 0-1 go out at once, 2-3 wait, the rest do not fit in 20 bytes
    for (let i = 0; i < 10; i++) sink.write(`line ${i}`);
    const closed = sink.close();
    await w.auto();
    await closed;
    expect(w.text).toBe("line 0\nline 1\nline 2\nline 3\n" + plainDropNotice(6) + "\n");
    expect(sink.stats()).toMatchObject({ lines: 5, dropped: 6, pending: 0 });
  });
});

describe("files", () => {
  test("every line, in order, appended, through flush() and close()", async () => {
    const path = tempFile();
    writeFileSync(path, "existing\n");
    let writes = 0;
    const counting: FdWriter = { write: (...a) => (writes++, fsWriter.write(...a)) };
    const sink = createFileSink(path, { timers, writer: counting });
    const first = lines(10_000, "a");
    for (const l of first) sink.write(l);
    await sink.flush();
    expect(readFileSync(path, "utf8")).toBe("existing\n" + text(first));
    const second = lines(5_000, "b");
    for (const [i, l] of second.entries()) {
      sink.write(l);
      if (i % 1000 === 0) await tick();
    }
    await sink.close();
    expect(readFileSync(path, "utf8")).toBe("existing\n" + text(first) + text(second));
    expect(writes).toBeLessThan(60); // 15,000 lines of ~20 bytes: batches, not lines
    sink.write("after close");
    await sink.close();
    expect(readFileSync(path, "utf8")).toBe("existing\n" + text(first) + text(second));
    expect(sink.stats().dropped).toBe(1);
  });

  test("a file that cannot be opened is an error at creation", () => {
    expect(() => createFileSink(join(dir, "no/such/dir/x.log"), { timers })).toThrow(/cannot open log file/);
  });
});

class MemorySink implements LogSink {
  readonly lines: string[] = [];
  closed = false;
  write(line: string): void {
    this.lines.push(line);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

const tcpRecord = tcpRecordOf({
  clientAddress: "127.0.0.1",
  clientPort: 5555,
  acceptTime: Date.UTC(2026, 10, 25, 8, 20, 0, 123),
  frontend: "fe",
  backend: "be",
  server: "s1",
  Tw: 0,
  Tc: 1,
  Tt: 2,
  bytesOut: 3,
  bytesIn: 4,
  termination: "--",
  feconn: 1,
  beconn: 1,
  srvConn: 1,
  retries: 0,
});

describe("createLogger", () => {
  test("each target gets its format; one destination named twice is one sink, in order", async () => {
    const path = tempFile();
    const stdout = new MemorySink();
    const stderr = new MemorySink();
    const log = createLogger(
      [
        { kind: "file", path, format: "raw" },
        { kind: "file", path: join(dir, ".", `log-${fileNo}.log`), format: "json" },
        { kind: "stdout", format: "json" },
      ],
      { timers, stdout, stderr },
    );
    const r = docRecord();
    log.http(r);
    log.tcp(tcpRecord);
    log.http(r, compileLogFormat("%b %ST"));
    log.event("sluice started");
    await log.close();
    expect(readFileSync(path, "utf8")).toBe(
      [
        formatHttpLog(r),
        formatHttpJson(r),
        formatTcpLog(tcpRecord),
        formatTcpJson(tcpRecord),
        "static 200",
        formatHttpJson(r),
      ]
        .join("\n") + "\n",
    );
    expect(stdout.lines.map((l) => JSON.parse(l).type)).toEqual(["http", "tcp", "http"]);
    expect(stderr.lines).toEqual(["sluice started"]);
    expect(stdout.closed && stderr.closed).toBe(true);
  });

  test("no targets: records go nowhere, events still go to stderr", async () => {
    const stderr = new MemorySink();
    const log = createLogger([], { timers, stderr });
    log.http(docRecord());
    log.event("stopping");
    await log.flush();
    expect(stderr.lines).toEqual(["stopping"]);
  });

  test("a file target needs a path; a bad path fails at creation", () => {
    expect(() => createLogger([{ kind: "file", format: "raw" }], { timers, stderr: new MemorySink() }))
      .toThrow(/needs a path/);
    expect(() =>
      createLogger([{ kind: "file", path: join(dir, "nope/x.log"), format: "raw" }], {
        timers,
        stderr: new MemorySink(),
      })
    )
      .toThrow(/cannot open log file/);
  });

  test("loggers from one pool share sinks; their close() only flushes, the pool closes", async () => {
    const stdout = new MemorySink();
    const stderr = new MemorySink();
    const pool = new SinkPool({ timers, stdout, stderr });
    const a = createLogger([{ kind: "stdout", format: "raw" }], { pool });
    const b = createLogger([{ kind: "stdout", format: "raw" }], { pool });
    a.tcp(tcpRecord);
    b.tcp({ ...tcpRecord, frontend: "other" });
    await a.close();
    expect(stdout.closed).toBe(false);
    expect(stdout.lines).toEqual([
      formatTcpLog(tcpRecord),
      formatTcpLog({ ...tcpRecord, frontend: "other" }),
    ]);
    await pool.close();
    expect(stdout.closed && stderr.closed).toBe(true);
  });
});
