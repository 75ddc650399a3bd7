// Bounded client load for the reload test (master-worker.test.ts): loops of
// new-connection requests, loops of keep-alive requests, and an HTTP/2 client
// with streams in flight, each counting exactly what happened to every request;
// the kernel setting every reload test needs (tcp_migrate_req), and what the
// master tests read of their processes.
import { readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";

import type { Run } from "./harness.ts";

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/** Pids named by the log lines of requests served with 200, under `log-format "served-by %pid %ST"`, from log line `from` on. */
export function servingPids(run: Run, from = 0): Set<number> {
  const pids = new Set<number>();
  for (const line of run.errLines.slice(from)) {
    const m = /served-by (\d+) 200/.exec(line);
    if (m) pids.add(Number(m[1]));
  }
  return pids;
}

/** The process `pid` still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reloads lose no connection only with net.ipv4.tcp_migrate_req=1 (measured:
 * with 0, 4 to 13 connections of ~20k were reset over 20 reloads, on Bun and
 * on Deno; docs/master-worker.md). The operator's setting: the test sets it
 * for its run (root, this network namespace) and puts the old value back.
 */
export function enableMigrateReq(): () => void {
  const before = readFileSync(MIGRATE_REQ, "utf8").trim();
  if (before === "1") return () => {};
  try {
    writeFileSync(MIGRATE_REQ, "1");
  } catch (error) {
    throw new Error(`net.ipv4.tcp_migrate_req is ${before} and cannot be set to 1 here (${(error as Error).message}): ` +
      "reloads without loss need it (docs/master-worker.md)");
  }
  return () => writeFileSync(MIGRATE_REQ, before);
}

export interface LoadCounts {
  /** Requests answered 200 with the expected body. */
  ok: number;
  /** Connection attempts refused (ECONNREFUSED): no listener took them. */
  refused: number;
  /** Connections reset or closed before a complete answer (not the keep-alive case below). */
  reset: number;
  /** Anything else wrong: another status, a bad body, a timeout. */
  failed: number;
  /**
   * HTTP/1.1 keep-alive: a request written on a reused connection that the
   * server closed while it was idle, with no byte of answer. The race every
   * keep-alive client knows; the request was never processed and a client
   * sends it again (RFC 9110 9.2.2), as this one does.
   */
  idleClosedRetries: number;
  /** Keep-alive connections the server ended with `Connection: close` after a complete answer. */
  closedAfterAnswer: number;
  /** HTTP/2: streams refused by GOAWAY or REFUSED_STREAM, never processed (RFC 9113 8.7), sent again. */
  h2Refused: number;
  /** HTTP/2 connections the server ended with GOAWAY. */
  h2Goaways: number;
  /** Failure messages, first few. */
  samples: string[];
  /** When the load began (performance.now()): failures say their time from it. */
  since: number;
}

export function emptyCounts(): LoadCounts {
  return { ok: 0, refused: 0, reset: 0, failed: 0, idleClosedRetries: 0, closedAfterAnswer: 0, h2Refused: 0, h2Goaways: 0, samples: [], since: performance.now() };
}

const BODY = "ok";
const REQUEST_TIMEOUT_MS = 10000;

function note(c: LoadCounts, kind: "refused" | "reset" | "failed", what: string): void {
  c[kind]++;
  if (c.samples.length < 10) c.samples.push(`${kind}: ${what}`);
}

/** A complete HTTP/1.1 answer in `text`: its status, whether it says close, and where it ends; undefined while incomplete. */
function parseAnswer(text: string): { status: number; close: boolean; body: string; end: number } | undefined {
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const head = text.slice(0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? "-1");
  if (length < 0) return undefined;
  const end = headEnd + 4 + length;
  if (text.length < end) return undefined;
  return { status, close: /\r\nconnection:\s*close/i.test(head), body: text.slice(headEnd + 4, end), end };
}

/** One request on a new connection (Connection: close). */
function oneShot(port: number, c: LoadCounts): Promise<void> {
  return new Promise((resolve) => {
    let text = "";
    let done = false;
    const socket = net.connect({ port, host: "127.0.0.1" });
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
      resolve();
    };
    const timer = setTimeout(() => finish(() => note(c, "failed", "new connection: timeout")), REQUEST_TIMEOUT_MS);
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write("GET / HTTP/1.1\r\nhost: load\r\nconnection: close\r\n\r\n"));
    socket.on("data", (d: string) => {
      text += d;
      const answer = parseAnswer(text);
      if (answer === undefined) return;
      finish(() => {
        if (answer.status === 200 && answer.body === BODY) c.ok++;
        else note(c, "failed", `new connection: status ${answer.status}`);
      });
    });
    // Where a failure happened tells who ended it: before the handshake (the kernel, no listener) or after (a worker).
    const where = () => `${connected ? "after connect" : "before connect"}, ${text.length} bytes, at ${Math.round(performance.now() - c.since)} ms`;
    let connected = false;
    socket.once("connect", () => (connected = true));
    socket.on("error", (e: Error & { code?: string }) =>
      finish(() => note(c, e.code === "ECONNREFUSED" ? "refused" : "reset", `new connection: ${e.code ?? e.message} (${where()})`))
    );
    socket.on("close", () => finish(() => note(c, "reset", `new connection closed (${where()})`)));
  });
}

/** Keeps one connection and sends requests one after the other; opens another when the server closes it. */
async function keepAliveLoop(port: number, c: LoadCounts, running: () => boolean): Promise<void> {
  let socket: net.Socket | undefined;
  let answers = 0;
  let pending: ((event: { data?: string; closed?: string }) => void) | undefined;
  const open = () =>
    new Promise<net.Socket | string>((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.setEncoding("latin1");
      s.once("connect", () => resolve(s));
      s.on("error", (e: Error & { code?: string }) => {
        resolve(e.code ?? e.message);
        pending?.({ closed: e.code ?? e.message });
      });
      s.on("data", (d: string) => pending?.({ data: d }));
      s.on("close", () => pending?.({ closed: "close" }));
      answers = 0;
    });
  while (running()) {
    if (socket === undefined || socket.destroyed) {
      const opened = await open();
      if (typeof opened === "string") {
        note(c, opened === "ECONNREFUSED" ? "refused" : "reset", `keep-alive connect: ${opened}`);
        continue;
      }
      socket = opened;
    }
    const s = socket;
    const reused = answers > 0;
    const outcome = await new Promise<{ answer?: ReturnType<typeof parseAnswer>; closed?: string; got: number }>((resolve) => {
      let text = "";
      const timer = setTimeout(() => resolve({ closed: "timeout", got: text.length }), REQUEST_TIMEOUT_MS);
      pending = (event) => {
        if (event.data !== undefined) {
          text += event.data;
          const answer = parseAnswer(text);
          if (answer === undefined) return;
          clearTimeout(timer);
          resolve({ answer, got: text.length });
        } else {
          clearTimeout(timer);
          resolve({ closed: event.closed, got: text.length });
        }
      };
      s.write("GET / HTTP/1.1\r\nhost: load\r\n\r\n");
    });
    pending = undefined;
    if (outcome.answer !== undefined) {
      answers++;
      if (outcome.answer.status === 200 && outcome.answer.body === BODY) c.ok++;
      else note(c, "failed", `keep-alive: status ${outcome.answer.status}`);
      if (outcome.answer.close) {
        c.closedAfterAnswer++;
        s.destroy();
      }
      continue;
    }
    s.destroy();
    if (reused && outcome.got === 0 && outcome.closed !== "timeout") c.idleClosedRetries++;
    else note(c, outcome.closed === "timeout" ? "failed" : "reset", `keep-alive: ${outcome.closed} after ${outcome.got} bytes (reused: ${reused})`);
  }
  socket?.destroy();
}

/** One HTTP/2 stream; resolves "refused" when the server refused it unprocessed (GOAWAY, REFUSED_STREAM). */
function h2Stream(session: http2.ClientHttp2Session): Promise<"ok" | "refused" | string> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":path": "/", ":method": "GET" });
    } catch (e) {
      resolve("refused");
      return;
    }
    let status = 0;
    let body = "";
    const timer = setTimeout(() => {
      stream.close();
      resolve("timeout");
    }, REQUEST_TIMEOUT_MS);
    stream.setEncoding("latin1");
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("data", (d: string) => (body += d));
    stream.on("end", () => {
      clearTimeout(timer);
      resolve(status === 200 && body === BODY ? "ok" : `status ${status} body '${body.slice(0, 20)}'`);
    });
    stream.on("error", (e: Error & { code?: string }) => {
      clearTimeout(timer);
      const unprocessed = status === 0 && (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM || e.code === "ERR_HTTP2_GOAWAY_SESSION");
      resolve(unprocessed ? "refused" : `${e.code ?? e.message} (rst ${stream.rstCode}, status ${status})`);
    });
    stream.on("close", () => {
      clearTimeout(timer);
      if (status === 0 && stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) resolve("refused");
      else if (status === 0) resolve(`closed with rst ${stream.rstCode} before any answer`);
    });
  });
}

/** An HTTP/2 client keeping `inFlight` streams open; a new connection when the server sends GOAWAY. */
async function h2Loop(port: number, inFlight: number, c: LoadCounts, running: () => boolean): Promise<void> {
  let session: http2.ClientHttp2Session | undefined;
  const connect = () =>
    new Promise<http2.ClientHttp2Session | string>((resolve) => {
      const s = http2.connect(`http://127.0.0.1:${port}`);
      s.once("remoteSettings", () => resolve(s));
      s.once("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      s.on("goaway", () => {
        c.h2Goaways++;
        if (session === s) session = undefined;
      });
      s.on("close", () => {
        if (session === s) session = undefined;
      });
    });
  const current = async (): Promise<http2.ClientHttp2Session | undefined> => {
    while (session === undefined || session.closed || session.destroyed) {
      const s = await connect();
      if (typeof s === "string") {
        note(c, s === "ECONNREFUSED" ? "refused" : "reset", `h2 connect: ${s}`);
        if (!running()) return undefined;
        continue;
      }
      session = s;
    }
    return session;
  };
  const worker = async () => {
    while (running()) {
      const s = await current();
      if (s === undefined) return;
      const result = await h2Stream(s);
      if (result === "ok") c.ok++;
      else if (result === "refused") c.h2Refused++;
      else note(c, "failed", `h2: ${result}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  session?.close();
}

export interface Load {
  readonly counts: LoadCounts;
  /** Stops the loops and resolves once every request under way has ended. */
  stop(): Promise<LoadCounts>;
}

/** Starts the loops against `port` (HTTP/1.1) and `h2Port` (h2c). */
export function startLoad(port: number, h2Port: number, shape: { newConnLoops: number; keepAliveLoops: number; h2Streams: number }): Load {
  const counts = emptyCounts();
  let running = true;
  const isRunning = () => running;
  const loops: Promise<void>[] = [];
  for (let i = 0; i < shape.newConnLoops; i++) {
    loops.push((async () => {
      while (running) await oneShot(port, counts);
    })());
  }
  for (let i = 0; i < shape.keepAliveLoops; i++) loops.push(keepAliveLoop(port, counts, isRunning));
  if (shape.h2Streams > 0) loops.push(h2Loop(h2Port, shape.h2Streams, counts, isRunning));
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

const WATCHED = ["TCPMigrateReqSuccess", "TCPMigrateReqFailure", "ListenOverflows", "TCPAbortOnClose", "TCPAbortOnData", "OutRsts", "EstabResets"];

/** The kernel's TCP counters a lost connection moves (this network namespace): to tell, when one is lost, which way it went. */
export function tcpCounters(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ["/proc/net/netstat", "/proc/net/snmp"]) {
    let lines: string[];
    try {
      lines = readFileSync(file, "utf8").split("\n");
    } catch {
      continue;
    }
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(" ");
      const values = lines[i + 1]!.split(" ");
      if (names[0] !== "TcpExt:" && names[0] !== "Tcp:") continue;
      names.forEach((name, k) => {
        if (WATCHED.includes(name)) out[name] = Number(values[k]);
      });
    }
  }
  return out;
}

/** What moved between two readings of tcpCounters(). */
export function countersSince(before: Record<string, number>, after = tcpCounters()): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) if (value !== before[name]) moved[name] = value - (before[name] ?? 0);
  return moved;
}
