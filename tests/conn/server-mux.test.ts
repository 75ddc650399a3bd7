// The server-side mux contract run against both implementations: HTTP/1.1
// (H1ServerMux) with a plain client on a socket, HTTP/2 (H2ServerConnection,
// cleartext, prior knowledge) with a node:http2 client, each on loopback.
import http2 from "node:http2";
import net from "node:net";
import type { Head } from "../../src/http/message.ts";
import { H1Parser } from "../../src/http1/parser.ts";
import type { RequestSink } from "../../src/conn/server-mux.ts";
import { H1ServerMux } from "../../src/http1/server-mux.ts";
import { DEFAULT_LIMITS } from "../../src/http1/types.ts";
import { H2ServerConnection } from "../../src/http2/server-connection.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import { type ClientReply, type ClientRequest, SeenRequest, serverMuxContract } from "./server-mux-contract.ts";

function flat(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(":") && v !== undefined) out[k] = String(v);
  return out;
}

serverMuxContract({
  name: "HTTP/1.1",
  serve(socket, app, seen) {
    let current: SeenRequest | undefined;
    const mux: H1ServerMux = new H1ServerMux(socket, DEFAULT_LIMITS, {
      clientBytes() {},
      requestHead(head) {
        const req = new SeenRequest(head, mux);
        current = req;
        seen.push(req);
        app(req, () => {
          // The session's part: write the answer, then the next pipelined request may start.
          mux.flush();
          current = undefined;
          mux.next();
        });
      },
      requestData: (c) => current?.data(c),
      requestTrailers: (t) => {
        if (current) current.trailers = t;
      },
      requestEnd: () => current?.end(),
      requestError: () => socket.destroy(),
      clientChunkDone: () => void mux.flush(),
      clientDrain() {},
      clientEnd: () => mux.finish(),
      clientClose() {},
    });
  },
  async requests(port, requests) {
    // A plain client on one connection, one request at a time (HTTP/1.1 does not multiplex), answers read by sluice's own parser.
    const socket = net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const replies: ClientReply[] = [];
    for (const r of requests) replies.push(await h1Request(socket, r));
    socket.destroy();
    return replies;
  },
});

function h1Request(socket: net.Socket, r: ClientRequest): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const reply: ClientReply = { status: 0, interim: [], headers: {}, body: "", trailers: {} };
    const fields = (h: Head) => {
      const out: Record<string, string> = {};
      for (let i = 0; i < h.fieldCount; i++) out[h.name(i)] = h.value(i);
      return out;
    };
    const parser = new H1Parser("response", {
      head: (h) => {
        if (h.status < 200) return void reply.interim.push(h.status);
        reply.status = h.status;
        reply.headers = fields(h);
      },
      data: (c) => (reply.body += Buffer.from(c).toString()),
      trailers: (t) => (reply.trailers = fields(t)),
      end: () => {
        socket.off("data", onData);
        resolve(reply);
      },
      error: (e) => reject(new Error(e.message)),
    }, DEFAULT_LIMITS);
    parser.setRequestMethod(r.method);
    const onData = (d: Buffer) => parser.push(new Uint8Array(d));
    socket.on("data", onData);
    const lines = [`${r.method} ${r.path} HTTP/1.1`, `host: 127.0.0.1:${socket.remotePort}`];
    for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
    if (r.trailers !== undefined) {
      lines.push("transfer-encoding: chunked", "", `${(r.body ?? "").length.toString(16)}`, r.body ?? "", "0");
      for (const [k, v] of Object.entries(r.trailers)) lines.push(`${k}: ${v}`);
      socket.write(lines.join("\r\n") + "\r\n\r\n");
    } else {
      socket.write(lines.join("\r\n") + "\r\n\r\n" + (r.body ?? ""));
    }
  });
}

serverMuxContract({
  name: "HTTP/2",
  serve(socket, app, seen) {
    const conn = new H2ServerConnection(socket, {
      maxConcurrentStreams: 100,
      headerTableSize: 4096,
      initialWindowSize: 65535,
      maxHeaderListSize: 16384,
      maxFields: 101,
      threshold: 1000,
      controlFramesPerSec: 100,
    }, {
      clientBytes() {},
      streamOpened(head, stream): RequestSink {
        const req = new SeenRequest(head, stream);
        seen.push(req);
        app(req, () => {});
        return {
          requestData: (c) => req.data(c),
          requestTrailers: (t) => (req.trailers = t),
          requestEnd: () => req.end(),
          requestBroken() {},
          streamAborted() {},
          streamDrain() {},
        };
      },
      streamRefused() {},
      clientChunkDone() {},
      connectionError() {},
      clientClose() {},
    }, bunRuntime);
    conn.start([]);
  },
  async requests(port, requests) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    await new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("error", reject);
    });
    // All at once on one connection.
    const replies = await Promise.all(requests.map((r) => h2Request(session, r)));
    session.close();
    return replies;
  },
});

function h2Request(session: http2.ClientHttp2Session, r: ClientRequest): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const withBody = r.body !== undefined || r.trailers !== undefined;
    const req = session.request({ ":method": r.method, ":path": r.path, ...r.headers }, { endStream: !withBody, waitForTrailers: r.trailers !== undefined });
    const interim: number[] = [];
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    req.on("headers", (h) => interim.push(Number(h[":status"])));
    req.on("response", (h) => {
      status = Number(h[":status"]);
      headers = flat(h);
    });
    req.on("trailers", (t) => (trailers = flat(t)));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status, interim, headers, body: Buffer.concat(chunks).toString(), trailers }));
    req.on("error", reject);
    if (r.trailers !== undefined) req.on("wantTrailers", () => req.sendTrailers(r.trailers!));
    if (withBody) req.end(r.body ?? "");
  });
}
