// A proxy that routes by where the request says it goes, as HAProxy's
// example of `option http_proxy` does it since 2.5 (the corpus file
// haproxy-example-option-http_proxy.cfg): `url_ip`/`url_port` read the
// absolute URI, `http-request set-dst`/`set-dst-port` make them the
// destination, and a server written `0.0.0.0` (no port) connects there.
// Also a server without a port (the client's destination port) and with an
// offset (`-1`). Run against HAProxy 2.6 and sluice alike, over real sockets.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, freePort, tcpBackend } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** An HTTP server that answers with its name and the request line it got. */
function requestLineBackend(name: string, port = 0): Promise<Backend> {
  return tcpBackend((s) => {
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      const body = `${name} ${got.slice(0, got.indexOf("\r\n"))}`;
      got = got.slice(end + 4);
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
  }, port);
}

/** Sends one request on a new connection; the status and the body. */
function request(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(text)} (got ${JSON.stringify(got)})`));
    }, 5000);
    socket.on("connect", () => socket.write(text));
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      const length = Number(/content-length: *(\d+)/i.exec(got)?.[1] ?? -1);
      if (end < 0 || length < 0 || got.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(got.slice(9, 12)), body: got.slice(end + 4, end + 4 + length) });
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Nothing listens on the port now (the one after a backend's: the offset's listener). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("destination from the request (url_ip, set-dst, server 0.0.0.0)", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: each absolute URI reaches its own address and port; url_ip ACLs deny; no port follows the client's`, async () => {
      const [a, b] = [await requestLineBackend("a"), await requestLineBackend("b")];
      backends.push(a, b);
      const [front, mapped] = [await freePort(), await freePort()];
      // `:-1` sends a client of port P to P-1: a backend there.
      let next = await requestLineBackend("next");
      for (let tries = 0; tries < 20 && !(await isFree(next.port + 1)); tries++) {
        await next.close();
        next = await requestLineBackend("next");
      }
      backends.push(next);
      const offset = next.port + 1;
      const config = [
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "frontend proxy",
        `    bind 127.0.0.1:${front}`,
        "    acl forbidden_dst url_ip 10.0.0.0/8",
        "    acl forbidden_dst url_ip 192.168.0.0/16",
        "    http-request deny if forbidden_dst",
        "    default_backend next-hop",
        "backend next-hop",
        "    http-request set-dst url_ip",
        "    http-request set-dst-port url_port",
        "    http-request set-uri %[pathq]",
        "    server next-hop 0.0.0.0",
        // The client's destination port (dst_port): set-dst-port moves it.
        "listen mapped",
        `    bind 127.0.0.1:${mapped}`,
        `    http-request set-dst-port int(${b.port})`,
        "    server s 127.0.0.1",
        "listen offset",
        `    bind 127.0.0.1:${offset}`,
        "    server s 127.0.0.1:-1",
        "",
      ].join("\n");
      const run = await proxy.start(config, [front, mapped, offset]);
      try {
        expect(await request(front, `GET http://127.0.0.1:${a.port}/x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:${a.port}\r\n\r\n`))
          .toEqual({ status: 200, body: "a GET /x?y=1 HTTP/1.1" });
        expect(await request(front, `GET http://127.0.0.1:${b.port}/other HTTP/1.1\r\nhost: 127.0.0.1:${b.port}\r\n\r\n`))
          .toEqual({ status: 200, body: "b GET /other HTTP/1.1" });
        expect((await request(front, `GET http://10.1.2.3:${a.port}/ HTTP/1.1\r\nhost: 10.1.2.3:${a.port}\r\n\r\n`)).status).toBe(403);
        expect((await request(front, `GET http://192.168.7.7/ HTTP/1.1\r\nhost: 192.168.7.7\r\n\r\n`)).status).toBe(403);
        expect(await request(mapped, "GET /m HTTP/1.1\r\nhost: x\r\n\r\n")).toEqual({ status: 200, body: "b GET /m HTTP/1.1" });
        expect(await request(offset, "GET /o HTTP/1.1\r\nhost: x\r\n\r\n")).toEqual({ status: 200, body: "next GET /o HTTP/1.1" });
        // Every request went on its own connection to its own server (two to b).
        expect([a.accepted, b.accepted, next.accepted]).toEqual([1, 2, 1]);
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
