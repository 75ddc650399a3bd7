// A `mode tcp` frontend whose backend is `mode http` (the corpus file
// haproxy-example-transparent_proxy.cfg): HAProxy accepts it and upgrades
// the connection to HTTP when it enters the backend ("TCP to HTTP upgrade",
// in place for HTTP/1). The backend's HTTP processing applies to every
// request of the connection: its http-request rules, option forwardfor, its
// keep-alive. HAProxy 2.6 and sluice alike, over real sockets.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, freePort, tcpBackend } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** An HTTP/1.1 server that answers each request with the head it received (lower-cased field names, sorted). */
function headEcho(): Promise<Backend> {
  return tcpBackend((s) => {
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      for (let end = got.indexOf("\r\n\r\n"); end >= 0; end = got.indexOf("\r\n\r\n")) {
        const [line, ...fields] = got.slice(0, end).split("\r\n");
        got = got.slice(end + 4);
        const names = fields.map((f) => f.slice(0, f.indexOf(":")).toLowerCase() + ":" + f.slice(f.indexOf(":") + 1).trim()).sort();
        const body = [line, ...names].join("\n");
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
}

/** Sends `requests` one after the other on one connection; each response's body. */
async function keepAlive(port: number, requests: string[]): Promise<string[]> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise<void>((r, j) => {
    socket.once("connect", () => r());
    socket.once("error", j);
  });
  let got = "";
  const bodies: string[] = [];
  try {
    for (const request of requests) {
      socket.write(request);
      const body = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response (got ${JSON.stringify(got)})`)), 5000);
        const check = () => {
          const end = got.indexOf("\r\n\r\n");
          const length = Number(/content-length: *(\d+)/i.exec(got)?.[1] ?? -1);
          if (end < 0 || length < 0 || got.length < end + 4 + length) return;
          clearTimeout(timer);
          socket.off("data", onData);
          const b = got.slice(end + 4, end + 4 + length);
          got = got.slice(end + 4 + length);
          resolve(b);
        };
        const onData = (d: Buffer) => {
          got += d.toString("latin1");
          check();
        };
        socket.on("data", onData);
        check();
      });
      bodies.push(body);
    }
  } finally {
    socket.destroy();
  }
  return bodies;
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("tcp frontend, http backend", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the connection becomes HTTP in the backend: its rules and forwardfor on each request, keep-alive`, async () => {
      const server = await headEcho();
      backends.push(server);
      const port = await freePort();
      const config = [
        "defaults",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "frontend raw",
        "    mode tcp",
        `    bind 127.0.0.1:${port}`,
        "    default_backend web",
        "backend web",
        "    mode http",
        "    option forwardfor",
        "    http-request set-header x-upgraded %[method]",
        `    server s 127.0.0.1:${server.port}`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [port]);
      try {
        const bodies = await keepAlive(port, [
          "GET /one HTTP/1.1\r\nhost: a\r\n\r\n",
          "POST /two HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n",
        ]);
        expect(bodies).toEqual([
          "GET /one HTTP/1.1\nhost:a\nx-forwarded-for:127.0.0.1\nx-upgraded:GET",
          "POST /two HTTP/1.1\ncontent-length:0\nhost:a\nx-forwarded-for:127.0.0.1\nx-upgraded:POST",
        ]);
        // Both requests on one client connection; the proxy kept one to the server too.
        expect(server.accepted).toBe(1);
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
