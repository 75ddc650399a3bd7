// Peers for the gRPC end-to-end tests (grpc.test.ts): a test service defined
// without .proto files (JSON messages through grpc-js's generic client and
// custom serializers), its grpc-js server (cleartext HTTP/2, what a `server …
// proto h2` line reaches), a bare HTTP/2 server that speaks gRPC framing and
// resets its streams on purpose, a raw node:http2 gRPC call that shows the
// response's trailer fields and reset code exactly as they arrived, and a
// certificate for the TLS bind (signed by a test CA, tests/support/certs.ts).
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { ErrorCode } from "../../src/http2/constants.ts";
import { type BareServer, bareH2Server } from "./h2-peers.ts";
import { tempDir } from "./harness.ts";
import { TestPki } from "../support/certs.ts";

// ---- the service ----

export interface EchoRequest {
  text: string;
  /** Answer with this status instead of OK. */
  fail?: { code: number; message: string };
  /** Trailing metadata to send with the status (keys ending in -bin carry base64 of the bytes). */
  trailers?: Record<string, string>;
}
export interface EchoReply { text: string }
export interface CountRequest {
  n: number;
  /** Bytes of padding in each message. */
  pad?: number;
  /** Pause between messages. */
  everyMs?: number;
  /** Silence after the first message, before the others. */
  silentMs?: number;
}
export interface CountReply { i: number; pad: string }
export interface SumRequest { value: number }
export interface SumReply { sum: number; count: number }
export interface ChatMessage { seq: number; text: string }

function json<T>() {
  return {
    serialize: (v: T): Buffer => Buffer.from(JSON.stringify(v)),
    deserialize: (b: Buffer): T => JSON.parse(b.toString()) as T,
  };
}

function method<Req, Res>(name: string, requestStream: boolean, responseStream: boolean) {
  const req = json<Req>();
  const res = json<Res>();
  return {
    path: `/sluice.test.Test/${name}`,
    requestStream,
    responseStream,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  };
}

export const TestService = {
  echo: method<EchoRequest, EchoReply>("Echo", false, false),
  count: method<CountRequest, CountReply>("Count", false, true),
  sum: method<SumRequest, SumReply>("Sum", true, false),
  chat: method<ChatMessage, ChatMessage>("Chat", true, true),
  /** Answered only by the resetting server (resetBackend). */
  reset: method<EchoRequest, CountReply>("Reset", false, true),
} satisfies grpc.ServiceDefinition;

export interface TestClient extends grpc.Client {
  echo(req: EchoRequest, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: EchoReply) => void): grpc.ClientUnaryCall;
  count(req: CountRequest): grpc.ClientReadableStream<CountReply>;
  sum(cb: (err: grpc.ServiceError | null, res?: SumReply) => void): grpc.ClientWritableStream<SumRequest>;
  chat(): grpc.ClientDuplexStream<ChatMessage, ChatMessage>;
  reset(req: EchoRequest, md: grpc.Metadata): grpc.ClientReadableStream<CountReply>;
}

const ClientCtor = grpc.makeGenericClientConstructor(TestService, "sluice.test.Test");

/** Channel options: no transparent retries (a retried call would hide what the proxy did) and a fresh channel per client. */
const CHANNEL = { "grpc.enable_retries": 0, "grpc.use_local_subchannel_pool": 1 };

export function h2cClient(port: number): TestClient {
  return new ClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL) as unknown as TestClient;
}

/** Over TLS, trusting `caPem`, asking for `name` by SNI (and checking the certificate against it). */
export function tlsClient(port: number, caPem: Buffer, name: string): TestClient {
  return new ClientCtor(`127.0.0.1:${port}`, grpc.credentials.createSsl(caPem), {
    ...CHANNEL,
    "grpc.ssl_target_name_override": name,
    "grpc.default_authority": name,
  }) as unknown as TestClient;
}

// ---- the grpc-js server ----

export interface GrpcBackend {
  port: number;
  /** Metadata of every call the server received (by method name), to see what the proxy passed on. */
  readonly seen: { method: string; metadata: grpc.Metadata }[];
  close(): Promise<void>;
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

function trailerMetadata(trailers: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(trailers)) md.set(k, k.endsWith("-bin") ? Buffer.from(v) : v);
  return md;
}

/** The test service's grpc-js server on 127.0.0.1:`port` (0: any free port). */
export async function grpcBackend(port = 0): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const seen: GrpcBackend["seen"] = [];
  const impl: grpc.UntypedServiceImplementation = {
    echo(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      seen.push({ method: "echo", metadata: call.metadata });
      const initial = new grpc.Metadata();
      initial.set("x-initial", "head");
      call.sendMetadata(initial);
      const { text, fail, trailers } = call.request;
      if (fail) cb({ code: fail.code, details: fail.message, metadata: trailerMetadata(trailers) });
      else cb(null, { text }, trailerMetadata(trailers));
    },
    async count(call: grpc.ServerWritableStream<CountRequest, CountReply>) {
      seen.push({ method: "count", metadata: call.metadata });
      const { n, pad = 0, everyMs = 0, silentMs = 0 } = call.request;
      for (let i = 0; i < n && !call.cancelled; i++) {
        if (i === 1 && silentMs) await sleepMs(silentMs);
        else if (i > 0 && everyMs) await sleepMs(everyMs);
        if (call.cancelled) break;
        // Waits for the write to drain: a slow reader holds the server back instead of filling its memory.
        const more = call.write({ i, pad: "x".repeat(pad) });
        if (!more) await new Promise((r) => call.once("drain", r));
      }
      if (!call.cancelled) call.end();
    },
    sum(call: grpc.ServerReadableStream<SumRequest, SumReply>, cb: grpc.sendUnaryData<SumReply>) {
      seen.push({ method: "sum", metadata: call.metadata });
      let sum = 0;
      let count = 0;
      call.on("data", (m: SumRequest) => {
        sum += m.value;
        count++;
      });
      call.on("end", () => cb(null, { sum, count }));
    },
    chat(call: grpc.ServerDuplexStream<ChatMessage, ChatMessage>) {
      seen.push({ method: "chat", metadata: call.metadata });
      call.on("data", (m: ChatMessage) => call.write({ seq: m.seq, text: `echo ${m.text}` }));
      call.on("end", () => call.end());
    },
  };
  server.addService(TestService, impl);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)))
  );
  return {
    port: bound,
    seen,
    close: () => new Promise<void>((r) => server.tryShutdown(() => r())).then(() => server.forceShutdown()),
  };
}

// ---- a server that resets its gRPC streams ----

/** One gRPC message on the wire: compressed flag 0, 4-byte length, the JSON. */
export function grpcFrame(v: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(v));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/**
 * A bare HTTP/2 server (sluice's frame layer: it sends exactly the RST_STREAM
 * codes it is told to, which node:http2 under Bun does not) that answers every
 * gRPC call by the request's `x-reset` field: "CODE" sends response headers
 * and one message, then resets the stream with that HTTP/2 error code;
 * "before-headers:CODE" resets before any response header.
 */
export async function resetBackend(): Promise<BareServer> {
  return await bareH2Server((s) => {
    const how = s.fields.find(([n]) => n === "x-reset")?.[1] ?? "INTERNAL_ERROR";
    const [when, name] = how.includes(":") ? how.split(":") : ["after-message", how];
    const code = ErrorCode[name as keyof typeof ErrorCode] ?? ErrorCode.INTERNAL_ERROR;
    if (when === "before-headers") return s.reset(code);
    s.headers([[":status", "200"], ["content-type", "application/grpc"]], false);
    s.data(grpcFrame({ i: 0, pad: "" }), false);
    setTimeout(() => s.reset(code), 50);
  });
}

// ---- a raw gRPC call, to see trailer fields and reset codes as they arrived ----

export interface RawGrpcReply {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** The RST_STREAM code that closed the stream, when one did (0 when it ended normally). */
  rstCode: number;
}

/**
 * POSTs one gRPC message with node:http2 to `origin` ("http://…" for h2c,
 * "https://…" with `tls` options) and resolves, once the stream has closed,
 * with the response's headers, body and trailers as received.
 */
export function rawGrpcCall(
  origin: string,
  path: string,
  message: unknown,
  tls: http2.SecureClientSessionOptions = {},
  fields: Record<string, string> = {},
): Promise<RawGrpcReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin, tls);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...fields });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("error", () => {}); // a reset shows as rstCode below
    req.on("close", () => {
      session.close();
      resolve({ headers, trailers, body: Buffer.concat(chunks), rstCode: req.rstCode ?? 0 });
    });
    req.end(grpcFrame(message));
  });
}

// ---- a certificate for the TLS bind ----

export interface TestCert {
  /** HAProxy's layout: certificate, chain, key, one file. */
  pem: string;
  /** The CA that signed it, trusted by the client. */
  caPem: Buffer;
  name: string;
}

/** An ECDSA P-256 certificate for `name` (and 127.0.0.1), signed by a fresh test CA (tests/support/certs.ts). */
export function testCert(name: string): TestCert {
  const pki = new TestPki(tempDir());
  const leaf = pki.leaf(name, { names: [name, "127.0.0.1"] });
  return { pem: leaf.pem, caPem: readFileSync(pki.caFile), name };
}
