// A server's `socks4 ADDR:PORT` (the corpus file haproxy-example-socks4.cfg):
// connections to the server go through a SOCKS4 proxy, here a small one in
// this file on loopback that records each request and grants or refuses it.
// HAProxy 2.6 and sluice alike: the request's bytes (CONNECT, the server's
// port and IPv4 address, the user id "HAProxy"), a server that speaks first
// (its banner comes right behind the grant), TLS through the tunnel, a
// refusal (503 in mode http, the connection closed in mode tcp), and
// `check-via-socks4` (checks go through the proxy only with it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { type Backend, exchange, freePort, selectedTargets, sleep, tcpBackend, waitFor } from "./harness.ts";
import { proxiesUnderTest, sluiceUnderTest } from "./reference-proxy.ts";
import { TestPki } from "../support/certs.ts";

interface Socks4Proxy {
  port: number;
  /** Each CONNECT request as received (hex), in order. */
  requests: string[];
  /** The reply code the next requests get (90 grants). */
  code: number;
  close(): Promise<void>;
}

/** A SOCKS4 proxy: reads the request up to the user id's NUL, answers `code`, then pipes both ways. */
async function socks4Proxy(): Promise<Socks4Proxy> {
  const sockets = new Set<net.Socket>();
  const proxy: Socks4Proxy = {
    port: 0,
    requests: [],
    code: 90,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const nul = got.indexOf(0, 8);
      if (got.length < 9 || nul < 0) return;
      client.off("data", onData);
      const request = got.subarray(0, nul + 1);
      proxy.requests.push(request.toString("hex"));
      const reply = Buffer.from([0, proxy.code, 0, 0, 0, 0, 0, 0]);
      if (proxy.code !== 90) {
        client.end(reply);
        return;
      }
      const port = request.readUInt16BE(2);
      const host = [...request.subarray(4, 8)].join(".");
      const upstream = net.connect({ port, host, allowHalfOpen: true }, () => {
        client.write(reply);
        const rest = got.subarray(nul + 1);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
    };
    client.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}

/** What HAProxy (and sluice) send to connect to 127.0.0.1:`port`: 04 01, the port, the address, "HAProxy" NUL. */
function expectedRequest(port: number): string {
  return Buffer.concat([Buffer.from([4, 1, port >> 8, port & 255, 127, 0, 0, 1]), Buffer.from("HAProxy\0")]).toString("hex");
}

/** An HTTP/1.1 server that answers every request with its name. */
function httpBackend(name: string): Promise<Backend> {
  return tcpBackend((s) => {
    s.on("data", () => s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\n\r\n${name}`));
  });
}

let pki: TestPki;
const backends: Backend[] = [];
const proxies: Socks4Proxy[] = [];
const tlsServers: tls.Server[] = [];
beforeAll(() => {
  pki = new TestPki();
});
afterAll(async () => {
  for (const b of backends) await b.close();
  for (const p of proxies) await p.close();
  for (const t of tlsServers) t.close();
});

describe("server socks4", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: tcp and http through the proxy, its request's bytes, a banner, TLS inside, a refusal`, async () => {
      const socks = await socks4Proxy();
      const refusing = await socks4Proxy();
      refusing.code = 91;
      proxies.push(socks, refusing);
      const banner = await tcpBackend((s) => {
        s.write("220 smtp ready\r\n");
        s.on("data", (d) => s.write(`echo ${d.toString()}`));
        s.on("end", () => s.end());
      });
      const web = await httpBackend("web");
      backends.push(banner, web);
      const leaf = pki.leaf("socks-srv", { names: ["srv.test"] });
      const tlsServer = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => {
        s.on("data", () => s.write("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\ntls"));
        s.on("error", () => {});
      });
      tlsServers.push(tlsServer);
      await new Promise<void>((r) => tlsServer.listen(0, "127.0.0.1", () => r()));
      const tlsPort = (tlsServer.address() as net.AddressInfo).port;
      const [smtp, http, https, refusedHttp, refusedTcp] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "listen smtp",
        "    mode tcp",
        `    bind 127.0.0.1:${smtp}`,
        `    server s 127.0.0.1:${banner.port} socks4 127.0.0.1:${socks.port}`,
        "listen http",
        "    mode http",
        `    bind 127.0.0.1:${http}`,
        `    server s 127.0.0.1:${web.port} socks4 127.0.0.1:${socks.port}`,
        "listen https",
        "    mode http",
        `    bind 127.0.0.1:${https}`,
        `    server s 127.0.0.1:${tlsPort} ssl verify none socks4 127.0.0.1:${socks.port}`,
        "listen refused-http",
        "    mode http",
        "    retries 0",
        `    bind 127.0.0.1:${refusedHttp}`,
        `    server s 127.0.0.1:${web.port} socks4 127.0.0.1:${refusing.port}`,
        "listen refused-tcp",
        "    mode tcp",
        "    retries 0",
        `    bind 127.0.0.1:${refusedTcp}`,
        `    server s 127.0.0.1:${banner.port} socks4 127.0.0.1:${refusing.port}`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [smtp, http, https, refusedHttp, refusedTcp]);
      try {
        // The start-up probes of the tcp ports went through the proxies too: what follows is counted after them.
        await sleep(300);
        socks.requests.length = 0;
        refusing.requests.length = 0;
        const mail = await exchange(smtp, "HELO x\r\n", { end: false, timeoutMs: 1500 });
        expect(mail.data.toString()).toBe("220 smtp ready\r\necho HELO x\r\n");
        expect(socks.requests).toEqual([expectedRequest(banner.port)]);

        const page = await exchange(http, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        expect(page.data.toString()).toEndWith("\r\n\r\nweb");
        const secure = await exchange(https, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        expect(secure.data.toString()).toEndWith("\r\n\r\ntls");
        expect(socks.requests.slice(1)).toEqual([expectedRequest(web.port), expectedRequest(tlsPort)]);
        expect(web.accepted).toBe(1);

        const refused = await exchange(refusedHttp, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
        expect(refused.data.toString()).toStartWith("HTTP/1.1 503 ");
        const cut = await exchange(refusedTcp, "", { end: false, timeoutMs: 3000 });
        expect([cut.how, cut.data.toString()]).toEqual(["end", ""]);
        expect(refusing.requests).toEqual([expectedRequest(web.port), expectedRequest(banner.port)]);
        // Nothing reached the servers behind the refusing proxy.
        expect(web.accepted).toBe(1);
      } finally {
        await run.stop();
      }
    }, 30000);

  }
});

// HAProxy 2.6.12 is left out here: run on this very configuration, neither
// of its servers saw a check connection within 5 s (0 and 0 accepted, one
// request at the SOCKS4 proxy), where its checks without socks4 run at once.
describe("check-via-socks4", () => {
  for (const proxy of selectedTargets().map(sluiceUnderTest)) {
    test(`${proxy.name}: checks go through the proxy with check-via-socks4 only`, async () => {
      const socks = await socks4Proxy();
      proxies.push(socks);
      const [via, direct] = [await tcpBackend((s) => s.end("+PONG\r\n")), await tcpBackend((s) => s.end("+PONG\r\n"))];
      backends.push(via, direct);
      const port = await freePort();
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "listen checked",
        `    bind 127.0.0.1:${port}`,
        "    option tcp-check",
        `    server via 127.0.0.1:${via.port} socks4 127.0.0.1:${socks.port} check-via-socks4 check inter 200`,
        `    server direct 127.0.0.1:${direct.port} socks4 127.0.0.1:${socks.port} check inter 200`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [port]);
      try {
        await waitFor(() => via.accepted >= 2 && direct.accepted >= 2, 5000, `two checks of each server (${via.accepted}, ${direct.accepted}, ${socks.requests.length})`);
        // Every request the proxy saw was for `via`: `direct` was checked straight.
        expect(socks.requests.length).toBeGreaterThanOrEqual(2);
        expect(new Set(socks.requests)).toEqual(new Set([expectedRequest(via.port)]));
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
