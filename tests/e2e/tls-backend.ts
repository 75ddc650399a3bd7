// A TLS server for tests of TLS to servers: just enough HTTP/1.1 to answer
// what it saw of the handshake (SNI, ALPN, client certificate; with
// `details`, the version, cipher and whether the session was resumed), and
// curl as the client in front of the proxy.
import tls from "node:tls";
import type net from "node:net";
import type { Leaf } from "../support/certs.ts";

export interface TlsBackend {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/**
 * A TLS server speaking just enough HTTP/1.1 (keep-alive, bodiless GETs),
 * answering "sni=<name> alpn=<proto> client=<CN of the client certificate or ->"
 * (node:tls directly: Bun's node:https does not expose the peer certificate).
 */
export async function httpsBackend(leaf: Leaf, ca?: string, details = false): Promise<TlsBackend> {
  const b: TlsBackend = { port: 0, connections: 0, close: async () => {} };
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    cert: leaf.certPem,
    key: leaf.keyPem,
    ALPNProtocols: ["http/1.1"],
    ...(ca === undefined ? {} : { ca, requestCert: true, rejectUnauthorized: false }),
  }, (s) => {
    b.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    let buffered = "";
    s.on("data", (d: Buffer) => {
      buffered += d.toString("latin1");
      let end: number;
      while ((end = buffered.indexOf("\r\n\r\n")) >= 0) {
        buffered = buffered.slice(end + 4);
        const servername = (s as tls.TLSSocket & { servername?: string | false }).servername;
        const peer = ca === undefined ? undefined : s.getPeerCertificate();
        const client = peer?.subject?.CN ?? "-";
        const more = details ? ` ver=${s.getProtocol()} cipher=${s.getCipher()?.name} resumed=${s.isSessionReused()}` : "";
        const body = `sni=${servername || "-"} alpn=${s.alpnProtocol || "-"} client=${client}${more}\n`;
        s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return b;
}

export async function get(port: number, path: string, host?: string): Promise<{ status: number; body: string }> {
  const hostHeader = host === undefined ? [] : ["-H", `Host: ${host}`];
  const proc = Bun.spawn(["curl", "-sS", "--max-time", "10", ...hostHeader, "-o", "-", "-w", "\n%{http_code}", `http://127.0.0.1:${port}${path}`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

