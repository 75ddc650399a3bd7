// The client-side mux contract (src/conn/types.ts), one suite for every
// implementation: a connection opened through the connector to a real server
// on loopback, exchanges attached to it, and what the stream must hear back.
// An implementation passes only if a stream above could not tell which
// protocol carried its request.
import { afterEach, describe, expect, test } from "bun:test";
import { Server } from "../../src/backend/server.ts";
import { openConnection } from "../../src/backend/connector.ts";
import { BUILTIN, type ServerConfig } from "../../src/config/types.ts";
import { type ClientMux, type Exchange, type ExchangeEvents, Lost } from "../../src/conn/types.ts";
import type { Head, ProtocolRefusal } from "../../src/http/message.ts";
import { H1Parser } from "../../src/http1/parser.ts";
import { DEFAULT_LIMITS } from "../../src/http1/types.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";

/** What the server saw of one request. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  trailers: Record<string, string>;
}

/** A real server the suite talks to, answering by path. */
export interface ContractServer {
  port: number;
  seen: SeenRequest[];
  /** Connections it accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface MuxImplementation {
  name: string;
  proto: "h1" | "h2";
  multiplexed: boolean;
  /**
   * Starts a server answering: /hello → 200 "hello"; /echo → 200 with the
   * request body; /trailers → 200 "t" with trailer x-t: done; /drop → closes
   * the connection without answering; /slow → 200 after 300 ms; /bad → an
   * answer the codec must refuse.
   */
  server(): Promise<ContractServer>;
}

const origin = { file: "contract.cfg", line: 1 };

function serverConfig(port: number, proto: "h1" | "h2"): ServerConfig {
  return {
    name: "s", host: "127.0.0.1", port, weight: 1, backup: false, disabled: false,
    poolMaxConn: -1, poolPurgeDelay: 5000, poolLowConn: 0, sendProxy: false, proto, maxReuse: -1, origin,
  };
}

/** A request head as the HTTP/1.1 parser makes it (the message model every mux takes). */
export function requestHead(text: string): Head {
  let head: Head | undefined;
  const p = new H1Parser("request", {
    head: (h) => (head = h),
    data() {},
    trailers() {},
    end() {},
    error: (e) => {
      throw e;
    },
  }, DEFAULT_LIMITS);
  p.push(new TextEncoder().encode(text));
  if (head === undefined) throw new Error("no head parsed");
  return head;
}

/** Records every event an exchange delivers, in order. */
class Recorder implements ExchangeEvents {
  readonly events: string[] = [];
  status = 0;
  body = "";
  trailers: Record<string, string> = {};
  refusal: ProtocolRefusal | undefined;
  lost: Lost | undefined;
  private readonly settle: (() => void)[] = [];
  ended = false;
  serverEvent(): void {}
  responseHead(head: Head): void {
    this.events.push(`head ${head.status}`);
    if (head.status >= 200) this.status = head.status;
  }
  responseData(chunk: Uint8Array): void {
    if (!this.events.includes("data")) this.events.push("data");
    this.body += new TextDecoder().decode(chunk);
  }
  responseTrailers(t: Head): void {
    this.events.push("trailers");
    for (let i = 0; i < t.fieldCount; i++) this.trailers[t.name(i)] = t.value(i);
  }
  responseEnd(): void {
    this.events.push("end");
    this.done();
  }
  responseFlush(): void {}
  responseBroken(refusal: ProtocolRefusal): void {
    this.events.push("broken");
    this.refusal = refusal;
    this.done();
  }
  exchangeLost(why: Lost): void {
    this.events.push("lost");
    this.lost = why;
    this.done();
  }
  drain(): void {}
  private done(): void {
    this.ended = true;
    for (const f of this.settle.splice(0)) f();
  }
  /** Resolves once the exchange ended one way or another. */
  finished(ms = 3000): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no end of the exchange within ${ms} ms: ${this.events.join(", ")}`)), ms);
      this.settle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export function clientMuxContract(impl: MuxImplementation): void {
  describe(`client-side mux contract: ${impl.name}`, () => {
    const open: { close(): unknown }[] = [];
    afterEach(async () => {
      for (const o of open.splice(0).reverse()) await o.close();
    });

    async function setup(): Promise<{ srv: ContractServer; server: Server; conn: ClientMux }> {
      const srv = await impl.server();
      open.push(srv);
      const server = new Server("be", serverConfig(srv.port, impl.proto), bunRuntime, BUILTIN.global.h2BackendMaxConcurrentStreams);
      open.push({ close: () => server.pool.closeIdle() });
      const conn = await new Promise<ClientMux>((resolve, reject) => {
        openConnection(server, {
          runtime: bunRuntime,
          timeoutMs: 2000,
          tick() {},
          mode: "safe",
          fresh: true,
          key: "",
          proxyHeader: "",
          limits: DEFAULT_LIMITS,
          tls: server.tls,
        }, { muxReady: (c, error) => (c !== undefined ? resolve(c) : reject(error)) });
      });
      open.push(conn);
      return { srv, server, conn };
    }

    function send(conn: ClientMux, text: string, body?: string): { rec: Recorder; x: Exchange } {
      const rec = new Recorder();
      const x = conn.attach({ head: requestHead(text), added: [["X-Added", "yes"]], keepAlive: true }, rec);
      if (typeof x === "number") throw new Error(`refused: ${x}`);
      if (body !== undefined) {
        x.sendBody(new TextEncoder().encode(body));
        x.endBody(undefined);
      }
      if (x.hasQueued) x.writeQueued();
      return { rec, x };
    }

    const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: contract.test\r\n\r\n`;

    test("a new connection has a free slot, no stream, and says whether it multiplexes", async () => {
      const { conn } = await setup();
      expect(conn.freeSlots).toBeGreaterThanOrEqual(1);
      expect(conn.usedStreams).toBe(0);
      expect(conn.carried).toBe(0);
      expect(conn.multiplexed).toBe(impl.multiplexed);
      expect(conn.authenticates).toBe(false);
    });

    test("a GET reaches the server with its fields and the added ones; head, data and end come back in order", async () => {
      const { srv, conn } = await setup();
      const { rec, x } = send(conn, GET("/hello"));
      expect(conn.usedStreams).toBe(1);
      expect(conn.carried).toBe(1);
      await rec.finished();
      expect(rec.events).toEqual(["head 200", "data", "end"]);
      expect(rec.body).toBe("hello");
      expect(srv.seen[0]!.method).toBe("GET");
      expect(srv.seen[0]!.path).toBe("/hello");
      expect(srv.seen[0]!.headers["x-added"]).toBe("yes");
      expect(x.reusable).toBe(true);
      x.done(false);
      expect(conn.usedStreams).toBe(0);
      expect(conn.freeSlots).toBeGreaterThanOrEqual(1);
    });

    test("a request body reaches the server byte-exact", async () => {
      const { srv, conn } = await setup();
      const body = "x".repeat(70_000) + "end";
      const { rec } = send(conn, `POST /echo HTTP/1.1\r\nHost: contract.test\r\nContent-Length: ${body.length}\r\n\r\n`, body);
      await rec.finished();
      expect(rec.status).toBe(200);
      expect(srv.seen[0]!.body).toBe(body);
      expect(rec.body).toBe(body);
    });

    test("response trailers arrive after the data, before the end", async () => {
      const { conn } = await setup();
      const { rec } = send(conn, `GET /trailers HTTP/1.1\r\nHost: contract.test\r\nTE: trailers\r\n\r\n`);
      await rec.finished();
      expect(rec.events).toEqual(["head 200", "data", "trailers", "end"]);
      expect(rec.trailers["x-t"]).toBe("done");
    });

    test("the connection carries a second exchange after the first is done, on the same server connection", async () => {
      const { srv, conn } = await setup();
      const first = send(conn, GET("/hello"));
      await first.rec.finished();
      first.x.done(false);
      const second = send(conn, GET("/hello"));
      await second.rec.finished();
      expect(second.rec.body).toBe("hello");
      expect(conn.carried).toBe(2);
      expect(srv.connections).toBe(1);
    });

    test("a server that closes before answering: the exchange is lost, never ended, and says no answer came", async () => {
      const { conn } = await setup();
      const { rec } = send(conn, GET("/drop"));
      await rec.finished();
      expect(rec.events).toEqual(["lost"]);
      expect(rec.lost === Lost.closedEarly || rec.lost === Lost.broken).toBe(true);
      expect(rec.status).toBe(0);
    });

    test("a malformed answer is refused (502), never relayed", async () => {
      const { conn } = await setup();
      const { rec } = send(conn, GET("/bad"));
      await rec.finished();
      expect(rec.events.at(-1) === "broken" || rec.events.at(-1) === "lost").toBe(true);
      expect(rec.events).not.toContain("end");
      if (rec.refusal !== undefined) expect(rec.refusal.status).toBe(502);
    });

    test("an exchange given up (done(true)) hears nothing more", async () => {
      const { conn } = await setup();
      const { rec, x } = send(conn, GET("/slow"));
      x.done(true);
      await new Promise((r) => setTimeout(r, 450));
      expect(rec.events).toEqual([]);
    });
  });
}
