// Peers for the HTTP/2-server tests (h2-backend.test.ts): an in-process
// node:http2 server that numbers its sessions and counts the streams each one
// carries at once; a bare HTTP/2 server built from sluice's own frame layer,
// for exact RST_STREAM / REFUSED_STREAM behaviour; Debian's nghttpd and nginx
// (cleartext HTTP/2, prior knowledge) as child processes; and a keep-alive
// HTTP/1.1 client that is one TCP connection and reads any framing
// (Content-Length, chunked with trailers), bodies of any size, and can stop
// reading (pause) to hold the proxy back.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { join } from "node:path";
import { FrameType } from "../../src/http2/constants.ts";
import { FrameReader } from "../../src/http2/frame-reader.ts";
import * as write from "../../src/http2/frame-writer.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../src/http2/hpack/index.ts";
import { freePort, sleep, tempDir } from "./harness.ts";

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** `n` bytes of a pattern that differs at every offset mod 251 (a shifted or lost chunk shows). */
export function patterned(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed + (i >>> 16)) % 251;
  return b;
}

// ---- node:http2 in this process ----

export interface H2Session {
  /** 1, 2, ... in the order the server accepted them. */
  readonly id: number;
  readonly session: http2.ServerHttp2Session;
  /** Streams open now / at most at once / in all. */
  active: number;
  maxActive: number;
  streams: number;
  /** The highest stream id seen on this session. */
  lastStreamId: number;
  closed: boolean;
}

export interface H2Backend {
  port: number;
  readonly sessions: H2Session[];
  close(): Promise<void>;
}

export type H2Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, session: H2Session) => void;

/** A node:http2 cleartext server (prior knowledge); `handler` answers each stream. Every stream is counted while open. */
export async function h2Backend(handler: H2Handler, settings: http2.Settings = {}): Promise<H2Backend> {
  const sessions: H2Session[] = [];
  const server = http2.createServer({ settings });
  server.on("session", (session) => {
    const s: H2Session = { id: sessions.length + 1, session, active: 0, maxActive: 0, streams: 0, lastStreamId: 0, closed: false };
    sessions.push(s);
    (session as unknown as { meta: H2Session }).meta = s;
    session.on("close", () => (s.closed = true));
    session.on("error", () => {});
  });
  server.on("stream", (raw, headers) => {
    const stream = raw as http2.ServerHttp2Stream;
    const s = (stream.session as unknown as { meta: H2Session }).meta;
    s.active++;
    s.streams++;
    s.maxActive = Math.max(s.maxActive, s.active);
    s.lastStreamId = Math.max(s.lastStreamId, stream.id ?? 0);
    let counted = true;
    stream.on("close", () => {
      if (counted) s.active--;
      counted = false;
    });
    stream.on("error", () => {});
    handler(stream, headers, s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: async () => {
      for (const s of sessions) s.session.destroy();
      await Promise.race([new Promise<void>((r) => server.close(() => r())), sleep(2000)]);
    },
  };
}

// ---- a bare HTTP/2 server from sluice's frame layer ----

export interface BareStream {
  /** Which connection (1, 2, ... in accept order). */
  conn: number;
  id: number;
  fields: HeaderField[];
  path: string;
  headers(fields: HeaderField[], endStream: boolean): void;
  data(bytes: string | Uint8Array, endStream: boolean): void;
  reset(code: number): void;
  /** Sends bytes as they are (any frame). */
  raw(bytes: Uint8Array): void;
}

/** Answers `ok PATH\n` with its content-length, after `delayMs` if given. */
export function answerOk(s: BareStream, delayMs = 0): void {
  const body = `ok ${s.path}\n`;
  const answer = () => {
    s.headers([[":status", "200"], ["content-length", String(body.length)]], false);
    s.data(body, true);
  };
  if (delayMs > 0) setTimeout(answer, delayMs);
  else answer();
}

export interface BareServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Every request stream, in arrival order. */
  readonly streams: BareStream[];
  /** PING frames (not ACKs) and GOAWAY frames received, connections closed. */
  pings: number;
  goaways: number;
  closed: number;
  /** RST_STREAM frames received: which connection, which stream, which code. */
  readonly resets: { conn: number; id: number; code: number }[];
  close(): void;
}

/**
 * A server that speaks just enough HTTP/2 to answer: SETTINGS (empty) and
 * their ACK, PING ACK, each request's header block decoded and handed to
 * `onRequest`, which answers with exact frames. Request DATA is ignored.
 */
export async function bareH2Server(
  onRequest: (s: BareStream) => void,
  options: { answerPings?: boolean; settings?: [id: number, value: number][] } = {},
): Promise<BareServer> {
  const sockets = new Set<net.Socket>();
  const streams: BareStream[] = [];
  const bare: BareServer = { port: 0, connections: 0, streams, pings: 0, goaways: 0, closed: 0, resets: [], close: () => {} };
  const server = net.createServer((socket) => {
    const conn = ++bare.connections;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      bare.closed++;
    });
    socket.on("error", () => {});
    const decoder = new HpackDecoder({ maxHeaderListSize: 65536 });
    const encoder = new HpackEncoder();
    const send = (b: Uint8Array) => {
      if (!socket.destroyed) socket.write(b);
    };
    const reader = new FrameReader({
      frame: (f) => {
        if (f.type === FrameType.SETTINGS && !f.ack) send(write.settingsAck());
        else if (f.type === FrameType.PING && !f.ack) {
          bare.pings++;
          if (options.answerPings ?? true) send(write.ping(f.data, true));
        } else if (f.type === FrameType.GOAWAY) bare.goaways++;
        else if (f.type === FrameType.RST_STREAM) bare.resets.push({ conn, id: f.streamId, code: f.errorCode });
        else if (f.type === FrameType.HEADERS) {
          const fields = decoder.decode(f.fragment);
          const id = f.streamId;
          const s: BareStream = {
            conn,
            id,
            fields,
            path: fields.find(([n]) => n === ":path")?.[1] ?? "",
            headers: (list, end) => send(write.headers(id, encoder.encode(list), end)),
            data: (bytes, end) => send(write.data(id, typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes, end)),
            reset: (code) => send(write.rstStream(id, code)),
            raw: send,
          };
          streams.push(s);
          onRequest(s);
        }
      },
      error: () => socket.destroy(),
    }, { role: "server", preface: true });
    send(write.settings(options.settings ?? []));
    socket.on("data", (d: Buffer) => reader.push(new Uint8Array(d)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  bare.port = (server.address() as net.AddressInfo).port;
  bare.close = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  return bare;
}

// ---- nghttpd and nginx ----

export interface ChildServer {
  port: number;
  dir: string;
  /** Distinct connections the server accepted so far. */
  connections(): number;
  /** How many requests each connection carried, as the server logged them. */
  requestsPerConnection(): Map<string, number>;
  close(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

async function waitListening(port: number, proc: ReturnType<typeof Bun.spawn>, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start: ${log()}`);
    await sleep(50);
  }
}

async function stopChild(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, sleep(3000).then(() => -1)]);
  if (code === -1) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** `nghttpd --no-tls -v -d DIR PORT` serving `files`; connections are counted from its verbose log ([id=N] per connection). */
export async function startNghttpd(files: Record<string, string | Uint8Array>): Promise<ChildServer> {
  const dir = tempDir();
  const www = join(dir, "www");
  mkdirSync(www);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(www, name), body);
  const port = await freePort();
  const logFile = join(dir, "nghttpd.log");
  const proc = Bun.spawn(["nghttpd", "--no-tls", "-v", "-d", www, String(port)], { stdout: Bun.file(logFile), stderr: "ignore" });
  const text = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  await waitListening(port, proc, "nghttpd", text);
  const perConn = () => {
    const m = new Map<string, number>();
    for (const [, id] of text().matchAll(/^\[id=(\d+)\] \[[ .\d]+\] recv HEADERS frame/gm)) m.set(id!, (m.get(id!) ?? 0) + 1);
    return m;
  };
  return {
    port,
    dir,
    connections: () => new Set([...text().matchAll(/^\[id=(\d+)\]/gm)].map((m) => m[1])).size,
    requestsPerConnection: perConn,
    close: () => stopChild(proc),
  };
}

/**
 * nginx (1 worker, daemon off, its own temp prefix) with `listen … http2`
 * in cleartext (prior knowledge). `/nonce` answers the request's x-nonce and
 * names its connection (x-conn, $connection); the access log holds
 * "$connection $request_uri $status" per request.
 */
export async function startNginx(): Promise<ChildServer> {
  const dir = tempDir();
  const port = await freePort();
  const conf = `daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format conns '$connection $request_uri $status';
  access_log ${dir}/access.log conns;
  keepalive_timeout 65s;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} http2;
    location /nonce {
      default_type text/plain;
      add_header x-conn $connection;
      add_header x-nonce $http_x_nonce;
      return 200 "nonce $http_x_nonce\\n";
    }
  }
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const proc = Bun.spawn(["nginx", "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "ignore" });
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), "utf8");
    } catch {
      return "";
    }
  };
  await waitListening(port, proc, "nginx", () => read("error.log"));
  const perConn = () => {
    const m = new Map<string, number>();
    for (const line of read("access.log").split("\n")) {
      const id = line.split(" ")[0];
      if (id) m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  };
  return { port, dir, connections: () => perConn().size, requestsPerConnection: perConn, close: () => stopChild(proc) };
}

// ---- an HTTP/1.1 client of any framing ----

export interface HttpReply {
  status: number;
  /** Lower-case names; repeated fields joined by ", " except set-cookie / www-authenticate kept as lists in `all`. */
  headers: Record<string, string>;
  all: [string, string][];
  body: Buffer;
  chunked: boolean;
  trailers: [string, string][];
  /** 1xx heads that came before it, in order (status and lower-case fields). */
  interim: { status: number; all: [string, string][] }[];
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent with Content-Length. */
  body?: Uint8Array | string;
  /** Sent chunked, one chunk each, then `trailers`. */
  chunks?: (Uint8Array | string)[];
  trailers?: Record<string, string>;
}

type ParseState = "head" | "length" | "size" | "chunk" | "chunk-crlf" | "trailers" | "done";

/** One keep-alive client connection, one request at a time. */
export class HttpConn {
  private buf: Buffer = Buffer.alloc(0);
  private state: ParseState = "done";
  private remaining = 0;
  private current: HttpReply | undefined;
  private body: Buffer[] = [];
  private interim: HttpReply["interim"] = [];
  private waiter: { resolve: (r: HttpReply) => void; reject: (e: Error) => void; method: string } | undefined;
  /** Bytes of response body received so far for the current request. */
  bodyBytes = 0;
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.ended = true;
        this.waiter?.reject(new Error(`connection closed without a complete response (${this.state}, ${this.bodyBytes} body bytes)`));
        this.waiter = undefined;
        resolve();
      });
    });
  }

  static connect(port: number): Promise<HttpConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(new HttpConn(s)));
      s.once("error", reject);
    });
  }

  request(path: string, o: RequestOptions = {}): Promise<HttpReply> {
    if (this.waiter) throw new Error("one request at a time");
    const method = o.method ?? "GET";
    const lines = [`${method} ${path} HTTP/1.1`, "Host: test"];
    for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`${k}: ${v}`);
    const parts: (string | Uint8Array)[] = [];
    if (o.body !== undefined) {
      lines.push(`Content-Length: ${Buffer.byteLength(o.body)}`);
      parts.push(o.body);
    } else if (o.chunks !== undefined) {
      lines.push("Transfer-Encoding: chunked");
      for (const c of o.chunks) parts.push(`${Buffer.byteLength(c).toString(16)}\r\n`, c, "\r\n");
      parts.push("0\r\n" + Object.entries(o.trailers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
    }
    const p = new Promise<HttpReply>((resolve, reject) => (this.waiter = { resolve, reject, method }));
    this.state = "head";
    this.bodyBytes = 0;
    if (this.ended) {
      this.waiter!.reject(new Error("connection already closed"));
      this.waiter = undefined;
      return p;
    }
    this.socket.write(lines.join("\r\n") + "\r\n\r\n");
    for (const part of parts) this.socket.write(part);
    return p;
  }

  /** Stops reading from the socket (the proxy's writes back up) / reads again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Goes away abruptly: a TCP RST rather than a FIN. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    this.parse();
  }

  private parse(): void {
    for (;;) {
      switch (this.state) {
        case "done":
          return;
        case "head": {
          const end = this.buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const lines = this.buf.subarray(0, end).toString("latin1").split("\r\n");
          this.buf = this.buf.subarray(end + 4);
          const status = Number(lines[0]!.split(" ")[1]);
          const all: [string, string][] = [];
          const headers: Record<string, string> = {};
          for (const line of lines.slice(1)) {
            const i = line.indexOf(":");
            const k = line.slice(0, i).trim().toLowerCase();
            const v = line.slice(i + 1).trim();
            all.push([k, v]);
            headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
          }
          if (status < 200) {
            this.interim.push({ status, all }); // 1xx: the final head follows
            continue;
          }
          const chunked = /chunked/i.test(headers["transfer-encoding"] ?? "");
          this.current = { status, headers, all, body: Buffer.alloc(0), chunked, trailers: [], interim: this.interim };
          this.interim = [];
          this.body = [];
          const noBody = this.waiter?.method === "HEAD" || status === 204 || status === 304;
          if (noBody) this.complete();
          else if (chunked) this.state = "size";
          else if (headers["content-length"] !== undefined) {
            this.remaining = Number(headers["content-length"]);
            this.state = "length";
            if (this.remaining === 0) this.complete();
          } else {
            throw new Error(`response without framing: ${lines[0]}`);
          }
          continue;
        }
        case "length":
        case "chunk": {
          if (this.buf.length === 0) return;
          const n = Math.min(this.remaining, this.buf.length);
          this.body.push(this.buf.subarray(0, n));
          this.bodyBytes += n;
          this.buf = this.buf.subarray(n);
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.state === "length") this.complete();
            else this.state = "chunk-crlf";
          }
          continue;
        }
        case "chunk-crlf":
          if (this.buf.length < 2) return;
          this.buf = this.buf.subarray(2);
          this.state = "size";
          continue;
        case "size": {
          const eol = this.buf.indexOf("\r\n");
          if (eol < 0) return;
          const size = parseInt(this.buf.subarray(0, eol).toString("latin1").split(";")[0]!, 16);
          this.buf = this.buf.subarray(eol + 2);
          if (size === 0) this.state = "trailers";
          else {
            this.remaining = size;
            this.state = "chunk";
          }
          continue;
        }
        case "trailers": {
          const eol = this.buf.indexOf("\r\n");
          if (eol < 0) return;
          const line = this.buf.subarray(0, eol).toString("latin1");
          this.buf = this.buf.subarray(eol + 2);
          if (line === "") {
            this.complete();
            continue;
          }
          const i = line.indexOf(":");
          this.current!.trailers.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
          continue;
        }
      }
    }
  }

  private complete(): void {
    const r = this.current!;
    r.body = Buffer.concat(this.body);
    this.body = [];
    this.current = undefined;
    this.state = "done";
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(r);
  }
}

/** Rejects after `ms` with `what`: bounds a wait that would otherwise hang the test. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}
