// The HTTP/2 client connection (src/http2/client-connection.ts) against real
// HTTP/2 servers over loopback: node:http2 running in this process (so the
// test sees each stream and can misbehave on purpose) and Debian's nghttpd.
// The connection runs on the Bun adapter here; the proxy's e2e tests run it
// under every target.
import { afterEach, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import net from "node:net";
import { H2ClientConnection, type H2ConnectionEvents } from "../../src/http2/client-connection.ts";
import { ErrorCode, FrameType } from "../../src/http2/constants.ts";
import { FrameReader } from "../../src/http2/frame-reader.ts";
import * as write from "../../src/http2/frame-writer.ts";
import { HpackEncoder } from "../../src/http2/hpack/index.ts";
import type { H2StreamEvents } from "../../src/http2/client-stream.ts";
import type { HeaderField } from "../../src/http2/hpack/index.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import { freePort, sleep, waitFor } from "./harness.ts";

interface Reply {
  heads: HeaderField[][];
  body: Uint8Array[];
  ended: boolean;
  reset?: { code: number; retryable: boolean };
}

function collect(onData?: (chunk: Uint8Array) => void): { reply: Reply; events: H2StreamEvents; done: Promise<Reply> } {
  const reply: Reply = { heads: [], body: [], ended: false };
  let resolve!: (r: Reply) => void;
  const done = new Promise<Reply>((r) => (resolve = r));
  const events: H2StreamEvents = {
    headers(fields, end) {
      reply.heads.push(fields);
      if (end) {
        reply.ended = true;
        resolve(reply);
      }
    },
    data(chunk, end) {
      reply.body.push(chunk.slice());
      onData?.(chunk);
      if (end) {
        reply.ended = true;
        resolve(reply);
      }
    },
    reset(code, retryable) {
      reply.reset = { code, retryable };
      resolve(reply);
    },
    drain() {},
    flush() {},
  };
  return { reply, events, done };
}

const text = (r: Reply) => Buffer.concat(r.body).toString();
const status = (r: Reply) => r.heads.at(-1)?.find(([n]) => n === ":status")?.[1];

async function connect(port: number, events: Partial<H2ConnectionEvents> = {}): Promise<H2ClientConnection> {
  const full: H2ConnectionEvents = { slots: events.slots ?? (() => {}), closed: events.closed ?? (() => {}) };
  const early: Uint8Array[] = [];
  const socket = await bunRuntime.connect({ hostname: "127.0.0.1", port, timeoutMs: 2000 }, {
    data: (c) => early.push(c.slice()),
    drain: () => {},
    end: () => {},
    close: () => {},
  });
  const conn = new H2ClientConnection(socket, full, bunRuntime);
  conn.start(early);
  return conn;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

const req = (path: string, method = "GET"): HeaderField[] => [[":method", method], [":scheme", "http"], [":authority", "test"], [":path", path]];

describe("H2ClientConnection against node:http2", () => {
  let server: http2.Http2Server | undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  afterEach(async () => {
    for (const s of sessions) s.destroy();
    sessions.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function start(settings: http2.Settings, onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void): Promise<number> {
    server = http2.createServer({ settings });
    server.on("session", (s) => sessions.add(s));
    server.on("stream", onStream);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    return (server!.address() as net.AddressInfo).port;
  }

  test("many concurrent streams on one connection, each answered with its own path", async () => {
    const port = await start({}, (s, h) => {
      s.respond({ ":status": 200, "x-path": String(h[":path"]) });
      s.end(`hello ${h[":path"]}`);
    });
    const conn = await connect(port);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => {
      const c = collect();
      conn.open(req(`/r${i}`), true, c.events);
      return c.done;
    }));
    replies.forEach((r, i) => {
      expect(status(r)).toBe("200");
      expect(text(r)).toBe(`hello /r${i}`);
    });
    expect(sessions.size).toBe(1);
    expect(conn.activeStreams).toBe(0);
    conn.close();
  });

  test("a request body larger than the windows flows as the server reads; the response body too", async () => {
    const port = await start({ initialWindowSize: 16384 }, (s) => {
      let n = 0;
      s.on("data", (d: Buffer) => (n += d.length));
      s.on("end", () => {
        s.respond({ ":status": 200 });
        s.end(Buffer.alloc(1024 * 1024, 0x61));
        void n;
        s.setTimeout(0);
        (s as unknown as { got: number }).got = n;
      });
    });
    const conn = await connect(port);
    const c = collect((chunk) => stream.consumed(chunk.length));
    const stream = conn.open(req("/up", "POST"), false, c.events);
    const body = new Uint8Array(3 * 1024 * 1024).fill(0x62);
    const drained: boolean[] = [];
    c.events.drain = () => drained.push(true);
    stream.write(body.subarray(0, 1024 * 1024));
    stream.write(body.subarray(1024 * 1024), true);
    const r = await c.done;
    expect(status(r)).toBe("200");
    expect(Buffer.concat(r.body).length).toBe(1024 * 1024);
    expect(drained.length).toBeGreaterThan(0);
    conn.close();
  });

  test("trailers both ways", async () => {
    const port = await start({}, (s) => {
      s.on("data", () => {});
      s.on("end", () => {
        s.respond({ ":status": 200 }, { waitForTrailers: true });
        s.on("wantTrailers", () => s.sendTrailers({ "x-sum": "42" }));
        s.end("body");
      });
    });
    const conn = await connect(port);
    const c = collect();
    const stream = conn.open(req("/t", "POST"), false, c.events);
    stream.write(new TextEncoder().encode("abc"));
    stream.trailers([["x-req-sum", "3"]]);
    const r = await c.done;
    expect(text(r)).toBe("body");
    expect(r.heads.at(-1)).toEqual([["x-sum", "42"]]);
    conn.close();
  });

  test("SETTINGS_MAX_CONCURRENT_STREAMS is respected: free slots follow the server's limit", async () => {
    const port = await start({ maxConcurrentStreams: 1 }, (s) => {
      setTimeout(() => {
        s.respond({ ":status": 200 });
        s.end("x");
      }, 50);
    });
    const conn = await connect(port);
    expect(conn.freeSlots).toBe(100); // before the server's SETTINGS: the local limit
    await waitFor(() => conn.settled, 2000, "the server's SETTINGS");
    expect(conn.freeSlots).toBe(1);
    const a = collect();
    conn.open(req("/1"), true, a.events);
    expect(conn.freeSlots).toBe(0);
    await a.done;
    expect(conn.freeSlots).toBe(1);
    conn.close();
  });

  test("GOAWAY: no new streams; streams above its last id are retryable; the rest finish", async () => {
    let first: http2.ServerHttp2Stream | undefined;
    const port = await start({}, (s, h) => {
      if (h[":path"] === "/first") {
        first = s;
        return;
      }
    });
    const conn = await connect(port);
    const a = collect();
    conn.open(req("/first"), true, a.events);
    await waitFor(() => first !== undefined, 2000, "the first stream at the server");
    const b = collect();
    conn.open(req("/second"), true, b.events);
    await sleep(50);
    // The server says it processed stream 1 only.
    const session = [...sessions][0]!;
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    expect((await b.done).reset).toEqual({ code: 7, retryable: true });
    expect(conn.freeSlots).toBe(0);
    first!.respond({ ":status": 200 });
    first!.end("done");
    expect(text(await a.done)).toBe("done");
    await waitFor(() => conn.closed, 2000, "the connection to close after its last stream");
  });

  test("PING is answered, and our PING gets its ACK", async () => {
    const port = await start({}, () => {});
    const conn = await connect(port);
    await waitFor(() => conn.settled, 2000, "SETTINGS");
    const session = [...sessions][0]!;
    const rtt = await new Promise<number>((r, j) => session.ping((err, ms) => (err ? j(err) : r(ms))));
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(conn.ping()).toBe(true);
    expect(conn.pingPending).toBe(true);
    await waitFor(() => !conn.pingPending, 2000, "the PING ACK");
    conn.close();
  });
});

/**
 * A bare HTTP/2 server built from our own frame layer, for answers node:http2
 * (as Bun implements it) does not give exactly: it sends an empty DATA before
 * RST_STREAM when a stream is closed with a code.
 */
async function rawH2Server(onHeaders: (socket: net.Socket, streamId: number, block: Uint8Array) => void): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    const reader = new FrameReader({
      frame: (f) => {
        if (f.type === FrameType.SETTINGS && !f.ack) socket.write(write.settingsAck());
        if (f.type === FrameType.HEADERS) onHeaders(socket, f.streamId, f.fragment);
      },
      error: () => socket.destroy(),
    }, { role: "server", preface: true });
    socket.write(write.settings([]));
    socket.on("data", (d: Buffer) => reader.push(new Uint8Array(d)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe("H2ClientConnection against a bare server", () => {
  test("a server RST_STREAM ends that stream only; REFUSED_STREAM is retryable, others not", async () => {
    const encoder = new HpackEncoder();
    const server = await rawH2Server((socket, id) => {
      if (id === 1) socket.write(write.rstStream(1, ErrorCode.REFUSED_STREAM));
      else if (id === 3) socket.write(write.rstStream(3, ErrorCode.INTERNAL_ERROR));
      else {
        socket.write(write.headers(id, encoder.encode([[":status", "200"]]), false));
        socket.write(write.data(id, new TextEncoder().encode("ok"), true));
      }
    });
    try {
      const conn = await connect(server.port);
      const [a, b, c] = [collect(), collect(), collect()];
      conn.open(req("/refuse"), true, a.events);
      conn.open(req("/reset"), true, b.events);
      conn.open(req("/ok"), true, c.events);
      expect((await a.done).reset).toEqual({ code: ErrorCode.REFUSED_STREAM, retryable: true });
      expect((await b.done).reset).toEqual({ code: ErrorCode.INTERNAL_ERROR, retryable: false });
      expect(text(await c.done)).toBe("ok");
      expect(conn.closed).toBe(false);
      conn.close();
    } finally {
      server.close();
    }
  });

  test("DATA before the response's HEADERS is malformed: that stream is reset, the connection goes on", async () => {
    const encoder = new HpackEncoder();
    const server = await rawH2Server((socket, id) => {
      if (id === 1) socket.write(write.data(1, new TextEncoder().encode("x"), true));
      else {
        socket.write(write.headers(id, encoder.encode([[":status", "204"]]), true));
      }
    });
    try {
      const conn = await connect(server.port);
      const [a, b] = [collect(), collect()];
      conn.open(req("/bad"), true, a.events);
      conn.open(req("/ok"), true, b.events);
      expect((await a.done).reset).toEqual({ code: ErrorCode.PROTOCOL_ERROR, retryable: false });
      expect(status(await b.done)).toBe("204");
      conn.close();
    } finally {
      server.close();
    }
  });

  test("a frame on a stream never opened is a connection error: GOAWAY PROTOCOL_ERROR, every stream told", async () => {
    const server = await rawH2Server((socket) => socket.write(write.rstStream(99, ErrorCode.CANCEL)));
    try {
      let closedWith: Error | undefined;
      const conn = await connect(server.port, { closed: (_c, e) => (closedWith = e) });
      const a = collect();
      conn.open(req("/x"), true, a.events);
      expect((await a.done).reset?.retryable).toBe(false);
      expect(conn.closed).toBe(true);
      expect(closedWith?.message).toContain("PROTOCOL_ERROR");
    } finally {
      server.close();
    }
  });
});

describe("H2ClientConnection against nghttpd", () => {
  test("prior-knowledge h2c: 20 concurrent requests answered on one connection", async () => {
    const port = await freePort();
    const dir = (await import("node:fs")).mkdtempSync("/tmp/nghttpd-");
    (await import("node:fs")).writeFileSync(`${dir}/index.html`, "nghttpd says hi\n");
    const proc = Bun.spawn(["nghttpd", "--no-tls", "-d", dir, String(port)], { stdout: "ignore", stderr: "ignore" });
    try {
      const deadline = Date.now() + 5000;
      while (!(await listening(port))) {
        if (Date.now() > deadline) throw new Error("nghttpd did not listen");
        await sleep(50);
      }
      const conn = await connect(port);
      const replies = await Promise.all(Array.from({ length: 20 }, () => {
        const c = collect();
        conn.open(req("/index.html"), true, c.events);
        return c.done;
      }));
      for (const r of replies) {
        expect(status(r)).toBe("200");
        expect(text(r)).toBe("nghttpd says hi\n");
      }
      conn.close();
    } finally {
      proc.kill();
      await proc.exited;
    }
  });
});
