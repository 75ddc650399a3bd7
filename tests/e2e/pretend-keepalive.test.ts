// option http-pretend-keepalive beside HAProxy 2.6, over real sockets: under
// option http-server-close the server is told `Connection: close`, unless
// http-pretend-keepalive is set in the backend (a frontend's changes nothing); then the
// request goes without it, and the proxy still closes the server connection
// after the answer (the next request comes on a new one).
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** An HTTP/1.1 server that records each request's Connection field and the connection it came on. */
async function recordingServer() {
  const seen: { connection: string; conn: number }[] = [];
  let conns = 0;
  const server = net.createServer((s) => {
    const conn = ++conns;
    let text = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      text += d;
      let end: number;
      while ((end = text.indexOf("\r\n\r\n")) >= 0) {
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        seen.push({ connection: /\r\nconnection:\s*([^\r]*)/i.exec(head)?.[1]?.toLowerCase() ?? "", conn });
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { seen, port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** Two requests on one keep-alive client connection; both statuses. */
async function twoRequests(port: number): Promise<number[]> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const statuses: number[] = [];
    let text = "";
    const request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\nok/.exec(text);
      if (m === null) return;
      statuses.push(Number(m[1]));
      text = text.slice(m.index + m[0].length);
      if (statuses.length === 2) {
        socket.destroy();
        resolve(statuses);
      } else socket.write(request);
    });
    socket.on("error", () => resolve(statuses));
    setTimeout(() => {
      socket.destroy();
      resolve(statuses);
    }, 5000);
  });
}

const config = (port: number, backendPort: number, frontendLine: string, backendLine: string) => `defaults
    mode http
    option http-server-close
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
${frontendLine}
    default_backend b
backend b
${backendLine}
    server s 127.0.0.1:${backendPort}
`;

describe("option http-pretend-keepalive", () => {
  for (const proxy of proxiesUnderTest()) {
    for (const [where, frontendLine, backendLine, told] of [
      ["nowhere", "", "", "close"],
      ["in the backend", "", "    option http-pretend-keepalive", ""],
      // HAProxy reads the option on the backend only.
      ["in the frontend only", "    option http-pretend-keepalive", "", "close"],
    ] as const) {
      test(`${proxy.name}: server-close, pretend-keepalive ${where}: the server is told '${told}'; each request on a new server connection`, async () => {
        const server = await recordingServer();
        const port = await freePort();
        const running = await proxy.start(config(port, server.port, frontendLine, backendLine), [port]);
        try {
          expect(await twoRequests(port)).toEqual([200, 200]);
          expect(server.seen.map((s) => s.connection)).toEqual([told, told]);
          expect(new Set(server.seen.map((s) => s.conn)).size).toBe(2);
        } finally {
          await running.stop();
          server.close();
        }
      });
    }
  }
});
