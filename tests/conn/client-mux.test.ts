// The client-side mux contract run against both implementations: HTTP/1.1
// to a node:http server, HTTP/2 (cleartext, prior knowledge) to a node:http2
// server, each on loopback.
import { createServer as createH1 } from "node:http";
import { createServer as createH2, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { clientMuxContract, type ContractServer, type SeenRequest } from "./client-mux-contract.ts";

clientMuxContract({
  name: "HTTP/1.1",
  proto: "h1",
  multiplexed: false,
  async server(): Promise<ContractServer> {
    const seen: SeenRequest[] = [];
    let connections = 0;
    const srv = createH1((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, path: req.url!, headers: req.headers, body, trailers: {} });
        switch (req.url) {
          case "/drop":
            return req.socket.destroy();
          case "/bad":
            // Two differing lengths: a response the strict codec refuses.
            req.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab");
            return;
          case "/trailers":
            res.writeHead(200, { "Transfer-Encoding": "chunked", Trailer: "x-t" });
            res.write("t");
            res.addTrailers({ "x-t": "done" });
            return res.end();
          case "/slow":
            return setTimeout(() => res.end("slow"), 300);
          case "/echo":
            return res.end(body);
          default:
            return res.end("hello");
        }
      });
    });
    srv.on("connection", () => connections++);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return {
      port: (srv.address() as AddressInfo).port,
      seen,
      get connections() {
        return connections;
      },
      close: () => new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
    };
  },
});

clientMuxContract({
  name: "HTTP/2",
  proto: "h2",
  multiplexed: true,
  async server(): Promise<ContractServer> {
    const seen: SeenRequest[] = [];
    let connections = 0;
    const srv = createH2();
    srv.on("session", () => connections++);
    srv.on("stream", (s: ServerHttp2Stream, headers) => {
      const chunks: Buffer[] = [];
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        const path = String(headers[":path"]);
        seen.push({ method: String(headers[":method"]), path, headers, body, trailers: {} });
        switch (path) {
          case "/drop":
            return s.session?.destroy();
          case "/bad":
            // DATA that does not add up to its content-length (RFC 9113 §8.1.1).
            s.respond({ ":status": 200, "content-length": "5" });
            return s.end("ab");
          case "/trailers":
            s.respond({ ":status": 200 }, { waitForTrailers: true });
            s.on("wantTrailers", () => s.sendTrailers({ "x-t": "done" }));
            return s.end("t");
          case "/slow":
            return setTimeout(() => {
              if (s.closed) return;
              s.respond({ ":status": 200 });
              s.end("slow");
            }, 300);
          case "/echo":
            s.respond({ ":status": 200 });
            return s.end(body);
          default:
            s.respond({ ":status": 200 });
            return s.end("hello");
        }
      });
    });
    const sessions = new Set<{ destroy(): void }>();
    srv.on("session", (sess) => sessions.add(sess));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return {
      port: (srv.address() as AddressInfo).port,
      seen,
      get connections() {
        return connections;
      },
      close: () => new Promise<void>((r) => {
        for (const sess of sessions) sess.destroy();
        srv.close(() => r());
      }),
    };
  },
});
