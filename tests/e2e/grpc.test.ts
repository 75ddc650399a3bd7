// gRPC end to end: a grpc-js client, through the proxy, to a grpc-js server
// reached over cleartext HTTP/2 (`server … proto h2`). The client speaks h2c
// with prior knowledge (`bind … proto h2`) or TLS with ALPN h2 (`bind … ssl
// crt FILE alpn h2,http/1.1`). Every case runs against HAProxy 2.6, the
// reference, and against sluice under each target; a sluice target runs once
// it accepts the configuration (before the TLS and HTTP/2-server branches are
// merged it answers "not supported yet" for those bind options, and this file
// says so on stderr instead of registering its cases).
//
// Cases: unary (metadata both ways), concurrent calls on one connection,
// server streaming (many messages; 4 MiB), client streaming, bidirectional
// streaming (interleaved: each reply arrives before the next request is sent),
// trailers intact (grpc-status, grpc-message percent-encoded, custom text and
// binary trailers), an error status with its message, a server that resets
// its stream, and how `timeout server` / `timeout client` apply to a long
// stream (docs/http.md, "gRPC").
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import {
  type ChatMessage,
  type CountReply,
  grpcBackend,
  type GrpcBackend,
  h2cClient,
  rawGrpcCall,
  resetBackend,
  testCert,
  type TestClient,
  tlsClient,
} from "./grpc-peers.ts";
import type { BareServer } from "./h2-peers.ts";
import { freePort } from "./harness.ts";
import { haproxy, proxiesUnderTest, type ProxyUnderTest, type RunningProxy } from "./reference-proxy.ts";

const TIMEOUT = 30000;
const CERT = testCert("grpc.test");
const { status: Status } = grpc;

interface Ports { grpc: number; reset: number; slow: number; tls: number; grpcBe: number; resetBe: number }

// `slow` shows which timeout cuts a stream: the frontend's `timeout client`
// (1 s) is shorter than the backend's `timeout server` (2 s).
function h2cConfig(p: Ports): string {
  return `global
    hard-stop-after 3s

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend grpc_h2c
    bind 127.0.0.1:${p.grpc} proto h2
    default_backend grpc

frontend reset_h2c
    bind 127.0.0.1:${p.reset} proto h2
    default_backend reset

frontend slow_h2c
    bind 127.0.0.1:${p.slow} proto h2
    timeout client 1s
    default_backend slow

backend grpc
    server s 127.0.0.1:${p.grpcBe} proto h2

backend reset
    server s 127.0.0.1:${p.resetBe} proto h2

backend slow
    timeout server 2s
    server s 127.0.0.1:${p.grpcBe} proto h2
`;
}

function tlsConfig(p: Ports): string {
  return `global
    hard-stop-after 3s

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend grpc_tls
    bind 127.0.0.1:${p.tls} ssl crt ${CERT.pem} alpn h2,http/1.1
    default_backend grpc

backend grpc
    server s 127.0.0.1:${p.grpcBe} proto h2
`;
}

const PLACEHOLDER: Ports = { grpc: 10001, reset: 10002, slow: 10003, tls: 10004, grpcBe: 10005, resetBe: 10006 };

/** gRPC's mapping of a RST_STREAM code to the status a client reports (PROTOCOL-HTTP2.md, "Errors"). */
function statusOfReset(code: number): number {
  const byCode: Record<number, number> = { 7: Status.UNAVAILABLE, 8: Status.CANCELLED, 11: Status.RESOURCE_EXHAUSTED, 12: Status.PERMISSION_DENIED };
  return byCode[code] ?? Status.INTERNAL;
}

/** Metadata telling the resetting server how to reset the call. */
function resetBy(how: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("x-reset", how);
  return md;
}

interface StreamOutcome<T> { messages: T[]; code: number; details: string; metadata?: grpc.Metadata; ms: number }

/** Reads a server-streaming call to its end: the messages, then the status (OK or the error). */
function drain<T>(call: grpc.ClientReadableStream<T>): Promise<StreamOutcome<T>> {
  const t0 = Date.now();
  const messages: T[] = [];
  return new Promise((resolve) => {
    call.on("data", (m: T) => messages.push(m));
    call.on("error", (e: grpc.ServiceError) => resolve({ messages, code: e.code, details: e.details, metadata: e.metadata, ms: Date.now() - t0 }));
    call.on("status", (s: grpc.StatusObject) => {
      if (s.code === Status.OK) resolve({ messages, code: s.code, details: s.details, metadata: s.metadata, ms: Date.now() - t0 });
    });
  });
}

function unary(client: TestClient, req: Parameters<TestClient["echo"]>[0], md = new grpc.Metadata()) {
  return new Promise<{ err: grpc.ServiceError | null; res?: { text: string }; initial?: grpc.Metadata; status?: grpc.StatusObject }>((resolve) => {
    let initial: grpc.Metadata | undefined;
    let status: grpc.StatusObject | undefined;
    let answer: { err: grpc.ServiceError | null; res?: { text: string } } | undefined;
    const settle = () => answer && status && resolve({ ...answer, initial, status });
    const call = client.echo(req, md, (err, res) => {
      answer = { err, res };
      settle();
    });
    call.on("metadata", (m) => (initial = m));
    call.on("status", (s) => {
      status = s;
      settle();
    });
  });
}

function openssl(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => resolve(out));
  });
}

/** Registers the cases that run on both transports. */
function commonCases(client: () => TestClient, origin: () => { url: string; tls: Record<string, unknown> }) {
  test("unary: request, reply, metadata both ways", async () => {
    const md = new grpc.Metadata();
    md.set("x-client", "from-client");
    const r = await unary(client(), { text: "hello gRPC" }, md);
    expect(r.err).toBeNull();
    expect(r.res).toEqual({ text: "hello gRPC" });
    expect(r.initial?.get("x-initial")).toEqual(["head"]);
    expect(r.status?.code).toBe(Status.OK);
  }, TIMEOUT);

  test("50 concurrent unary calls on one channel each get their own answer", async () => {
    const c = client();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => unary(c, { text: `call ${i}` })));
    rs.forEach((r, i) => {
      expect(r.err).toBeNull();
      expect(r.res?.text).toBe(`call ${i}`);
    });
  }, TIMEOUT);

  test("server streaming: 1000 messages in order, then OK", async () => {
    const out = await drain(client().count({ n: 1000, pad: 100 }));
    expect(out.code).toBe(Status.OK);
    expect(out.messages.length).toBe(1000);
    expect(out.messages.every((m, i) => m.i === i && m.pad.length === 100)).toBe(true);
  }, TIMEOUT);

  test("server streaming: 64 messages of 64 KiB (4 MiB, flow control both hops)", async () => {
    const out = await drain(client().count({ n: 64, pad: 64 * 1024 }));
    expect(out.code).toBe(Status.OK);
    expect(out.messages.map((m) => m.i)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(out.messages.every((m) => m.pad.length === 64 * 1024)).toBe(true);
  }, TIMEOUT);

  test("client streaming: 1000 messages summed by the server", async () => {
    const res = await new Promise<{ sum: number; count: number }>((resolve, reject) => {
      const call = client().sum((err, r) => (err ? reject(err) : resolve(r!)));
      for (let i = 1; i <= 1000; i++) call.write({ value: i });
      call.end();
    });
    expect(res).toEqual({ sum: 500500, count: 1000 });
  }, TIMEOUT);

  test("bidirectional streaming, interleaved: each reply arrives before the next message is sent (50 rounds)", async () => {
    const call = client().chat();
    const replies: ChatMessage[] = [];
    const done = drain(call as unknown as grpc.ClientReadableStream<ChatMessage>);
    for (let seq = 0; seq < 50; seq++) {
      const reply = new Promise<ChatMessage>((r) => call.once("data", r));
      call.write({ seq, text: `m${seq}` });
      replies.push(await reply);
    }
    call.end();
    const out = await done;
    expect(out.code).toBe(Status.OK);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, seq) => ({ seq, text: `echo m${seq}` })));
  }, TIMEOUT);

  test("trailers intact: OK with custom text and binary trailing metadata", async () => {
    const r = await unary(client(), { text: "t", trailers: { "x-trailer": "last words", "x-blob-bin": "\u0000\u0001binary\u00ff" } });
    expect(r.err).toBeNull();
    expect(r.status?.code).toBe(Status.OK);
    expect(r.status?.metadata.get("x-trailer")).toEqual(["last words"]);
    expect(r.status?.metadata.get("x-blob-bin")).toEqual([Buffer.from("\u0000\u0001binary\u00ff")]);
  }, TIMEOUT);

  test("an error status reaches the client: NOT_FOUND with its message and trailing metadata", async () => {
    const message = "no such thing: ünïcode, 100% sure";
    const r = await unary(client(), { text: "x", fail: { code: Status.NOT_FOUND, message }, trailers: { "x-why": "missing" } });
    expect(r.err?.code).toBe(Status.NOT_FOUND);
    expect(r.err?.details).toBe(message);
    expect(r.err?.metadata.get("x-why")).toEqual(["missing"]);
  }, TIMEOUT);

  test("the trailer fields as they arrive: grpc-status, percent-encoded grpc-message, custom fields; no body", async () => {
    const { url, tls } = origin();
    const r = await rawGrpcCall(url, "/sluice.test.Test/Echo", { text: "x", fail: { code: 5, message: "gone: ü 100%" }, trailers: { "x-t": "v" } }, tls);
    expect(Number(r.headers[":status"])).toBe(200);
    expect(r.headers["content-type"]).toBe("application/grpc+proto");
    expect(r.trailers["grpc-status"]).toBe("5");
    expect(r.trailers["grpc-message"]).toBe("gone:%20%C3%BC%20100%25");
    expect(r.trailers["x-t"]).toBe("v");
    expect(r.body.length).toBe(0);
  }, TIMEOUT);
}

/** Every target must accept the configuration: a refusal is a failing test (and its cases are not registered). */
function accepted(proxy: ProxyUnderTest, what: string, config: string): boolean {
  const problem = proxy.loads(config);
  if (problem === undefined) return true;
  test(`${proxy.name} accepts the ${what} configuration`, () => expect(problem).toBeUndefined());
  return false;
}

for (const proxy of proxiesUnderTest()) {
  /** The proxy is still running and reported no crash or internal error. */
  const healthy = (run: RunningProxy) => {
    expect(run.alive()).toBe(true);
    expect(run.errLines().filter((l) => /violation|uncaught|TypeError|RangeError|FATAL/i.test(l))).toEqual([]);
  };

  if (accepted(proxy, "h2c", h2cConfig(PLACEHOLDER))) {
    describe(`gRPC over h2c (${proxy.name})`, () => {
      let be: GrpcBackend, rb: BareServer, run: RunningProxy, ports: Ports;
      const clients: TestClient[] = [];
      const client = (port = ports.grpc) => {
        const c = h2cClient(port);
        clients.push(c);
        return c;
      };
      beforeAll(async () => {
        [be, rb] = await Promise.all([grpcBackend(), resetBackend()]);
        const [grpcPort, reset, slow] = await Promise.all([freePort(), freePort(), freePort()]);
        ports = { grpc: grpcPort, reset, slow, tls: 0, grpcBe: be.port, resetBe: rb.port };
        run = await proxy.start(h2cConfig(ports), [grpcPort, reset, slow]);
      });
      afterAll(async () => {
        for (const c of clients) c.close();
        await run?.stop();
        rb?.close();
        await be?.close();
      });

      commonCases(client, () => ({ url: `http://127.0.0.1:${ports.grpc}`, tls: {} }));

      // A server that resets its stream after one message. HAProxy 2.6 passes
      // any such reset on to the client as RST_STREAM NO_ERROR (0), whatever
      // the server's code; passing the server's own code on is as valid. Either way the client's status must
      // be what gRPC maps the code it received to: NO_ERROR, INTERNAL_ERROR →
      // INTERNAL; CANCEL → CANCELLED; ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED.
      for (const [name, code] of [["CANCEL", 8], ["INTERNAL_ERROR", 2], ["ENHANCE_YOUR_CALM", 11]] as const) {
        test(`a server that resets its stream (${name}) after one message: the client gets that message, then the status gRPC maps the reset to`, async () => {
          const raw = await rawGrpcCall(`http://127.0.0.1:${ports.reset}`, "/sluice.test.Test/Reset", { text: name }, {}, { "x-reset": name });
          expect(Number(raw.headers[":status"])).toBe(200);
          expect(raw.trailers["grpc-status"]).toBeUndefined();
          expect(proxy === haproxy ? [0] : [0, code]).toContain(raw.rstCode);
          const out = await drain(client(ports.reset).reset({ text: name }, resetBy(name)));
          expect(out.messages).toEqual([{ i: 0, pad: "" }]);
          expect(out.code).toBe(statusOfReset(raw.rstCode));
          healthy(run);
        }, TIMEOUT);
      }

      // Before any response head the proxy has nothing to pass on: HAProxy 2.6
      // resets the client's stream with REFUSED_STREAM; a 502 answer would do
      // as well. gRPC maps both to UNAVAILABLE (a call the client may retry).
      test("a server that resets its stream before any response: UNAVAILABLE", async () => {
        const out = await drain(client(ports.reset).reset({ text: "" }, resetBy("before-headers:INTERNAL_ERROR")));
        expect(out.messages).toEqual([]);
        expect(out.code).toBe(Status.UNAVAILABLE);
        healthy(run);
      }, TIMEOUT);

      // How the timeouts apply to a gRPC stream (as HAProxy does it): `timeout
      // server` (2 s here) is the stream's inactivity limit; a message either
      // way restarts it. `timeout client` (1 s here) is the idle limit of the
      // client's HTTP/2 connection and does not cut a stream in progress.
      test("a server stream that keeps moving for 3 s (a message every 250 ms) is not cut by timeout server 2s or timeout client 1s", async () => {
        const out = await drain(client(ports.slow).count({ n: 13, everyMs: 250 }));
        expect(out.code).toBe(Status.OK);
        expect(out.messages.length).toBe(13);
        expect(out.ms).toBeGreaterThan(2900);
      }, TIMEOUT);

      test("a client stream that keeps sending for 3 s to a silent server is not cut", async () => {
        const t0 = Date.now();
        const res = await new Promise<{ sum: number; count: number }>((resolve, reject) => {
          const call = client(ports.slow).sum((err, r) => (err ? reject(err) : resolve(r!)));
          let i = 0;
          const timer = setInterval(() => {
            if (++i <= 13) return void call.write({ value: i });
            clearInterval(timer);
            call.end();
          }, 250);
        });
        expect(res).toEqual({ sum: 91, count: 13 });
        expect(Date.now() - t0).toBeGreaterThan(3000);
      }, TIMEOUT);

      // HAProxy resets the silent server stream with NO_ERROR (→ INTERNAL) and
      // the silent bidirectional one with CANCEL (→ CANCELLED); sluice as well.
      const cutStatuses = (reference: number) => [reference];

      test("a server stream that goes silent is cut by timeout server (2 s), not by timeout client (1 s)", async () => {
        const out = await drain(client(ports.slow).count({ n: 3, silentMs: 5000 }));
        expect(out.messages.map((m: CountReply) => m.i)).toEqual([0]);
        expect(cutStatuses(Status.INTERNAL)).toContain(out.code);
        expect(out.ms).toBeGreaterThan(1800);
        expect(out.ms).toBeLessThan(4000);
        healthy(run);
      }, TIMEOUT);

      test("a bidirectional stream silent both ways is cut by timeout server (2 s)", async () => {
        const call = client(ports.slow).chat();
        const out = drain(call as unknown as grpc.ClientReadableStream<ChatMessage>);
        call.write({ seq: 1, text: "only" });
        const r = await out;
        expect(r.messages).toEqual([{ seq: 1, text: "echo only" }]);
        expect(cutStatuses(Status.CANCELLED)).toContain(r.code);
        expect(r.ms).toBeGreaterThan(1800);
        expect(r.ms).toBeLessThan(4000);
        call.cancel();
        healthy(run);
      }, TIMEOUT);

      test("the proxy is still healthy after every case", () => healthy(run));
    });
  }

  if (accepted(proxy, "TLS", tlsConfig(PLACEHOLDER))) {
    describe(`gRPC over TLS, ALPN h2 (${proxy.name})`, () => {
      let be: GrpcBackend, run: RunningProxy, ports: Ports;
      const clients: TestClient[] = [];
      const client = () => {
        const c = tlsClient(ports.tls, CERT.caPem, CERT.name);
        clients.push(c);
        return c;
      };
      beforeAll(async () => {
        be = await grpcBackend();
        ports = { ...PLACEHOLDER, tls: await freePort(), grpcBe: be.port };
        run = await proxy.start(tlsConfig(ports), [ports.tls]);
      });
      afterAll(async () => {
        for (const c of clients) c.close();
        await run?.stop();
        await be?.close();
      });

      test("the TLS bind offers h2 by ALPN and presents the certificate for the SNI name", async () => {
        const out = await openssl(["s_client", "-connect", `127.0.0.1:${ports.tls}`, "-servername", CERT.name, "-alpn", "h2,http/1.1"]);
        expect(out).toMatch(/ALPN protocol: h2/);
        expect(out).toMatch(/subject=\s*CN ?= ?grpc\.test/);
      }, TIMEOUT);

      commonCases(client, () => ({ url: `https://127.0.0.1:${ports.tls}`, tls: { ca: CERT.caPem, servername: CERT.name } }));

      test("the proxy is still healthy after every case", () => healthy(run));
    });
  }
}
