// The server-side mux contract (src/conn/server-mux.ts), one suite for every
// implementation: a real client of the mux's protocol on loopback, the mux on
// a socket of the runtime, and a small application above it that sees only
// the contract (request heads, body chunks, trailers, the end; a
// ResponseWriter to answer through). An implementation passes only if the
// application could not tell which protocol its client spoke.
import { afterEach, describe, expect, test } from "bun:test";
import type { ResponseWriter } from "../../src/conn/server-mux.ts";
import { FieldsHead } from "../../src/http/fields-head.ts";
import { BodyKind, type Head } from "../../src/http/message.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import type { Listener, Socket } from "../../src/runtime/types.ts";

/** One request as the application above the mux sees it. */
export class SeenRequest {
  readonly chunks: Uint8Array[] = [];
  trailers: Head | undefined;
  ended = false;
  private onEnd: (() => void) | undefined;

  constructor(readonly head: Head, readonly writer: ResponseWriter) {}

  get body(): string {
    return Buffer.concat(this.chunks).toString();
  }

  data(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }

  end(): void {
    this.ended = true;
    this.onEnd?.();
  }

  /** Calls `fn` once the request has ended. */
  whenEnded(fn: () => void): void {
    if (this.ended) fn();
    else this.onEnd = fn;
  }
}

/** What the application does with each request: answers through its writer, then calls `done`. */
export type App = (request: SeenRequest, done: () => void) => void;

/** The answer as the real client saw it. */
export interface ClientReply {
  status: number;
  /** Statuses of interim (1xx) answers, in order. */
  interim: number[];
  headers: Record<string, string>;
  body: string;
  trailers: Record<string, string>;
}

export interface ClientRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  trailers?: Record<string, string>;
}

export interface ServerMuxImplementation {
  name: string;
  /** Puts the mux on an accepted socket; the app hears every request through the contract. */
  serve(socket: Socket, app: App, seen: SeenRequest[]): void;
  /** A real client of the mux's protocol: sends the requests on one connection (at once where it multiplexes) and returns the answers in order. */
  requests(port: number, requests: ClientRequest[]): Promise<ClientReply[]>;
}

function head(status: number, fields: [string, string][], bodyKind: BodyKind, contentLength = -1): Head {
  return new FieldsHead(fields, { isRequest: false, status, bodyKind, contentLength });
}

const enc = new TextEncoder();

/** The application: answers by path. */
const app: App = (req, done) => {
  const w = req.writer;
  const path = req.head.target;
  const answer = () => {
    switch (path) {
      case "/hello": {
        const body = enc.encode("hello");
        w.head(head(200, [["content-type", "text/plain"], ["content-length", "5"]], BodyKind.Length, 5), req.head, true);
        w.data(body);
        w.end(undefined);
        return done();
      }
      case "/hints":
        w.interim(head(103, [["link", "</style.css>; rel=preload"]], BodyKind.None));
        w.head(head(200, [["content-length", "2"]], BodyKind.Length, 2), req.head, true);
        w.data(enc.encode("ok"));
        w.end(undefined);
        return done();
      case "/head":
        w.head(head(200, [["content-length", "42"]], BodyKind.None), req.head, true);
        w.end(undefined);
        return done();
      default: {
        // /echo, /slow: the body back, length unknown, with trailers (and the request's as x-got-*).
        const trailers: [string, string][] = [["x-t", "done"]];
        const t = req.trailers;
        if (t !== undefined) for (let i = 0; i < t.fieldCount; i++) trailers.push([`x-got-${t.name(i)}`, t.value(i)]);
        w.head(head(200, [["x-path", path], ["x-method", req.head.method]], BodyKind.Chunked), req.head, true);
        for (const c of req.chunks) w.data(c);
        w.end(new FieldsHead(trailers, { isRequest: false, bodyKind: BodyKind.None }));
        return done();
      }
    }
  };
  req.whenEnded(() => (path === "/slow" ? setTimeout(answer, 200) : answer()));
};

export function serverMuxContract(impl: ServerMuxImplementation): void {
  describe(`server-side mux contract: ${impl.name}`, () => {
    const listeners: Listener[] = [];
    const sockets: Socket[] = [];
    afterEach(() => {
      for (const l of listeners.splice(0)) l.close();
      for (const s of sockets.splice(0)) s.destroy();
    });

    async function setup(): Promise<{ port: number; seen: SeenRequest[] }> {
      const seen: SeenRequest[] = [];
      const listener = await bunRuntime.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
        sockets.push(socket);
        impl.serve(socket, app, seen);
      });
      listeners.push(listener);
      return { port: listener.port, seen };
    }

    test("a GET: the head carries method, target, authority and fields; the answer's head and body reach the client", async () => {
      const { port, seen } = await setup();
      const [r] = await impl.requests(port, [{ method: "GET", path: "/hello", headers: { "x-custom": "yes" } }]);
      expect(r!.status).toBe(200);
      expect(r!.body).toBe("hello");
      expect(r!.headers["content-type"]).toBe("text/plain");
      const h = seen[0]!.head;
      expect(h.method).toBe("GET");
      expect(h.target).toBe("/hello");
      expect(h.host).toBe(`127.0.0.1:${port}`);
      expect(h.get("x-custom")).toBe("yes");
      expect(h.bodyKind).toBe(BodyKind.None);
      expect(seen[0]!.ended).toBe(true);
    });

    test("a request body reaches the application byte-exact, with its length", async () => {
      const { port, seen } = await setup();
      const body = "y".repeat(100_000) + "end";
      const [r] = await impl.requests(port, [{ method: "POST", path: "/echo", headers: { "content-length": String(body.length) }, body }]);
      expect(seen[0]!.head.bodyKind).toBe(BodyKind.Length);
      expect(seen[0]!.head.contentLength).toBe(body.length);
      expect(seen[0]!.body).toBe(body);
      expect(r!.body).toBe(body);
      expect(r!.headers["x-method"]).toBe("POST");
    });

    test("request trailers reach the application; an answer of unknown length reaches the client with its trailers", async () => {
      const { port, seen } = await setup();
      const [r] = await impl.requests(port, [{ method: "POST", path: "/echo", body: "abc", trailers: { "x-sum": "7" } }]);
      expect(seen[0]!.trailers?.get("x-sum")).toBe("7");
      expect(r!.body).toBe("abc");
      expect(r!.trailers["x-t"]).toBe("done");
      expect(r!.trailers["x-got-x-sum"]).toBe("7");
    });

    test("an interim 103 reaches the client before the final answer", async () => {
      const { port } = await setup();
      const [r] = await impl.requests(port, [{ method: "GET", path: "/hints" }]);
      expect(r!.interim).toEqual([103]);
      expect(r!.status).toBe(200);
      expect(r!.body).toBe("ok");
    });

    test("a HEAD answer keeps its content-length and has no body", async () => {
      const { port } = await setup();
      const [r] = await impl.requests(port, [{ method: "HEAD", path: "/head" }]);
      expect(r!.status).toBe(200);
      expect(r!.headers["content-length"]).toBe("42");
      expect(r!.body).toBe("");
    });

    test("one connection carries several requests, each answered with its own, a slow one included", async () => {
      const { port, seen } = await setup();
      const replies = await impl.requests(port, [
        { method: "POST", path: "/slow", headers: { "content-length": "4" }, body: "slow" },
        { method: "GET", path: "/hello" },
        { method: "POST", path: "/echo", headers: { "content-length": "4" }, body: "fast" },
      ]);
      expect(replies.map((r) => r.body)).toEqual(["slow", "hello", "fast"]);
      expect(seen.length).toBe(3);
      expect(sockets.length).toBe(1);
    });

    test("bytesOut counts what each answer wrote", async () => {
      const { port, seen } = await setup();
      await impl.requests(port, [{ method: "GET", path: "/hello" }]);
      expect(seen[0]!.writer.bytesOut).toBeGreaterThan(5);
    });
  });
}
