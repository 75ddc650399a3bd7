// `bind ... accept-proxy` over real sockets: HAProxy 2.6 in front (mode tcp,
// `send-proxy` and `send-proxy-v2`, as an L4 load balancer would be) and the
// receiver behind it, HAProxy itself and sluice under each target with the
// same configuration. The receiver must see the real client (its address and
// port: src, X-Forwarded-For, the log line) and the address the client
// reached (dst: the front's bind), and close a connection without a valid
// header with the same log line as HAProxy's.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { TestPki } from "../support/certs.ts";
import { type Backend, type Client, freePort, openClient, sleep, tcpBackend, waitFor } from "./harness.ts";
import { haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

/** An HTTP server that answers every request with the request's head as its body. */
function headEcho(): Promise<Backend> {
  return tcpBackend((s) => {
    let text = "";
    s.on("data", (d) => {
      text += d.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = text.slice(0, end);
      s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${head.length}\r\nconnection: close\r\n\r\n${head}`);
    });
  });
}

function header(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

async function get(port: number): Promise<{ clientPort: number; body: string }> {
  const client = await openClient(port);
  const clientPort = client.localPort!;
  client.write("GET /who HTTP/1.1\r\nhost: example\r\nconnection: close\r\n\r\n");
  await client.finished;
  const text = client.received();
  return { clientPort, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

const servers: Backend[] = [];
const fronts: RunningProxy[] = [];
afterAll(async () => {
  for (const f of fronts) await f.stop();
  for (const s of servers) await s.close();
});

describe("accept-proxy behind HAProxy's send-proxy and send-proxy-v2", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the real client and destination, from v1, v2 and v2 with a CRC32C TLV`, async () => {
      const app = await headEcho();
      servers.push(app);
      const [r1, r2, r3, f1, f2, f3] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      const receiver = await proxy.start(
        [
          "global",
          "    log stderr format raw local0",
          "defaults",
          "    mode http",
          "    log global",
          "    option httplog",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          "frontend recv",
          `    bind 127.0.0.1:${r1} accept-proxy`,
          `    bind 127.0.0.1:${r2} accept-proxy`,
          `    bind 127.0.0.1:${r3} accept-proxy`,
          "    option forwardfor",
          "    http-request set-header x-src %[src]:%[src_port]",
          "    http-request set-header x-dst %[dst]:%[dst_port]",
          "    default_backend app",
          "backend app",
          `    server a 127.0.0.1:${app.port}`,
          "",
        ].join("\n"),
        [],
      );
      // The front: an L4 balancer; started once the receiver listens (its probes are not PROXY headers).
      await sleep(300);
      const front = await haproxy.start(
        [
          "defaults",
          "    mode tcp",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          "listen v1",
          `    bind 127.0.0.1:${f1}`,
          `    server r 127.0.0.1:${r1} send-proxy`,
          "listen v2",
          `    bind 127.0.0.1:${f2}`,
          `    server r 127.0.0.1:${r2} send-proxy-v2`,
          "listen v2crc",
          `    bind 127.0.0.1:${f3}`,
          `    server r 127.0.0.1:${r3} send-proxy-v2 proxy-v2-options crc32c`,
          "",
        ].join("\n"),
        [f1, f2, f3],
      );
      fronts.push(front);
      try {
        for (const [port, bind] of [[f1, 1], [f2, 2], [f3, 3]] as const) {
          const { clientPort, body } = await get(port);
          expect(header(body, "x-src")).toBe(`127.0.0.1:${clientPort}`);
          expect(header(body, "x-dst")).toBe(`127.0.0.1:${port}`);
          expect(header(body, "x-forwarded-for")).toBe("127.0.0.1");
          // The log line names the real client's port, not the front's.
          await waitFor(() => receiver.errLines().some((l) => l.startsWith(`127.0.0.1:${clientPort} [`) && l.includes("GET /who")), 5000, `the log line of bind ${bind}`);
        }
      } finally {
        await front.stop();
        fronts.pop();
        await receiver.stop();
      }
    }, 30000);
  }
});

describe("accept-proxy: connections without a valid header, logged as HAProxy logs them", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: not a header, an invalid one, a timeout (timeout client)`, async () => {
      const app = await headEcho();
      servers.push(app);
      const port = await freePort();
      const receiver = await proxy.start(
        [
          "global",
          "    log stderr format raw local0",
          "defaults",
          "    mode http",
          "    log global",
          "    option httplog",
          "    timeout connect 2s",
          "    timeout client 1s",
          "    timeout server 5s",
          "frontend recv",
          `    bind 127.0.0.1:${port} accept-proxy`,
          "    default_backend app",
          "backend app",
          `    server a 127.0.0.1:${app.port}`,
          "",
        ].join("\n"),
        [port],
      );
      try {
        const lineOf = async (clientPort: number, reason: string) => {
          const prefix = `127.0.0.1:${clientPort} [`;
          await waitFor(() => receiver.errLines().some((l) => l.startsWith(prefix)), 5000, `a log line for ${reason} in ${receiver.errLines().join("\n")}`);
          const line = receiver.errLines().find((l) => l.startsWith(prefix))!;
          expect(line).toMatch(/^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] recv\/1: /);
          expect(line.slice(line.indexOf("recv/1: ") + 8)).toBe(reason);
        };
        const plain = await openClient(port);
        const plainPort = plain.localPort!;
        plain.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
        await plain.finished;
        expect(plain.received()).toBe("");
        await lineOf(plainPort, "Received something which does not look like a PROXY protocol header");

        const invalid = await openClient(port);
        const invalidPort = invalid.localPort!;
        invalid.write("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n");
        await invalid.finished;
        expect(invalid.received()).toBe("");
        await lineOf(invalidPort, "Received an invalid PROXY protocol header");

        const silent = await openClient(port);
        const silentPort = silent.localPort!;
        const started = Date.now();
        await silent.finished;
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(Date.now() - started).toBeLessThan(4000);
        await lineOf(silentPort, "Timeout while waiting for PROXY protocol header");

        // Other connections go on meanwhile.
        const ok = await openClient(port);
        ok.write("PROXY TCP4 192.0.2.7 198.51.100.1 4242 80\r\nGET /who HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        await ok.finished;
        expect(ok.received()).toStartWith("HTTP/1.1 200");
        await waitFor(() => receiver.errLines().some((l) => l.startsWith("192.0.2.7:4242 [")), 5000, "the proxied request's log line");
        for (const c of [plain, invalid, silent, ok]) c.destroy();
      } finally {
        await receiver.stop();
      }
    }, 30000);
  }
});

describe("accept-proxy in mode tcp: connection rules see the real peer, send-proxy passes the header's client on", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the server's PROXY line names the client of the received header`, async () => {
      const firstBytes: string[] = [];
      const server = await tcpBackend((s) => {
        let got = "";
        s.on("data", (d) => {
          got += d.toString("latin1");
          if (got.endsWith("hello")) {
            firstBytes.push(got);
            s.end("bye");
          }
        });
      });
      servers.push(server);
      const port = await freePort();
      const receiver = await proxy.start(
        [
          "defaults",
          "    mode tcp",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          "listen recv",
          `    bind 127.0.0.1:${port} accept-proxy`,
          // Before the header is read: the real peer (127.0.0.1), never 192.0.2.7.
          "    tcp-request connection reject if !{ src 127.0.0.1 }",
          `    server s 127.0.0.1:${server.port} send-proxy`,
          "",
        ].join("\n"),
        [port],
      );
      try {
        const whole = await openClient(port);
        whole.write("PROXY TCP4 192.0.2.7 198.51.100.1 4242 80\r\nhello");
        await waitFor(() => whole.received() === "bye", 5000, "the server's answer");
        expect(firstBytes).toEqual(["PROXY TCP4 192.0.2.7 198.51.100.1 4242 80\r\nhello"]);
        const v6 = await openClient(port);
        v6.write("PROXY TCP6 2001:db8::7 2001:db8::1 4243 443\r\nhello");
        await waitFor(() => v6.received() === "bye", 5000, "the server's answer (TCP6)");
        expect(firstBytes[1]).toBe("PROXY TCP6 2001:db8::7 2001:db8::1 4243 443\r\nhello");
        // HAProxy 2.6 reads the header with one peek and calls a header cut across
        // reads "Truncated"; sluice waits for the rest (until timeout client).
        if (proxy !== haproxy) {
          const split = await openClient(port);
          split.write("PROXY TCP4 192.0.2.8 198.51");
          await sleep(150);
          split.write(".100.1 4244 80\r\nhel");
          await sleep(50);
          split.write("lo");
          await waitFor(() => split.received() === "bye", 5000, "the server's answer (split header)");
          expect(firstBytes[2]).toBe("PROXY TCP4 192.0.2.8 198.51.100.1 4244 80\r\nhello");
          split.destroy();
        }
        whole.destroy();
        v6.destroy();
      } finally {
        await receiver.stop();
      }
    }, 30000);
  }
});

describe("tcp-request connection expect-proxy layer4 if COND", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a header is required where the condition holds, not elsewhere`, async () => {
      // Answers once the client's byte "x" came (after the PROXY line, in one read or two).
      const server = await tcpBackend((s) => {
        let got = "";
        s.on("data", (d) => {
          got += d.toString("latin1");
          if (got.endsWith("x")) s.end(`seen ${got}`);
        });
      });
      servers.push(server);
      const [proxied, direct] = [await freePort(), await freePort()];
      const receiver = await proxy.start(
        [
          "defaults",
          "    mode tcp",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          "listen recv",
          `    bind 127.0.0.1:${proxied}`,
          `    bind 127.0.0.1:${direct}`,
          `    tcp-request connection expect-proxy layer4 if { dst_port ${proxied} }`,
          `    server s 127.0.0.1:${server.port} send-proxy`,
          "",
        ].join("\n"),
        [],
      );
      try {
        await sleep(300);
        const a = await openClient(proxied);
        a.write("PROXY TCP4 192.0.2.9 198.51.100.1 4245 80\r\nx");
        await a.finished;
        expect(a.received()).toBe("seen PROXY TCP4 192.0.2.9 198.51.100.1 4245 80\r\nx");
        const b = await openClient(direct);
        const bPort = b.localPort!;
        b.write("x");
        await b.finished;
        expect(b.received()).toBe(`seen PROXY TCP4 127.0.0.1 127.0.0.1 ${bPort} ${direct}\r\nx`);
        const c = await openClient(proxied);
        c.write("x");
        await c.finished;
        expect(c.received()).toBe("");
        for (const client of [a, b, c]) client.destroy();
      } finally {
        await receiver.stop();
      }
    }, 30000);
  }
});

describe("accept-proxy with ssl on the same bind: the header, then the TLS handshake", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: TLS with SNI and ALPN behind send-proxy-v2; the real client in the request (Deno: refused at start)`, async () => {
      const pki = new TestPki();
      const a = pki.leaf("a", { names: ["a.test"] });
      const b = pki.leaf("b", { names: ["b.test"] });
      const app = await headEcho();
      servers.push(app);
      const [r, f] = [await freePort(), await freePort()];
      const config = [
          "defaults",
          "    mode http",
          "    timeout connect 2s",
          "    timeout client 5s",
          "    timeout server 5s",
          "frontend recv",
          `    bind 127.0.0.1:${r} accept-proxy ssl crt ${a.pem} crt ${b.pem} alpn h2,http/1.1`,
          "    http-request set-header x-src %[src]:%[src_port]",
          "    http-request set-header x-sni %[ssl_fc_sni]",
          "    default_backend app",
          "backend app",
          `    server a 127.0.0.1:${app.port}`,
          "",
        ].join("\n");
      // Deno's adapter offers no TLS over an accepted connection (its node:tls crashes on a bad handshake there).
      if (proxy.name === "sluice deno") {
        await expect(proxy.start(config, [r])).rejects.toThrow("accept-proxy with ssl needs TLS over accepted connections, which the deno runtime adapter does not offer");
        return;
      }
      const receiver = await proxy.start(config, []);
      await sleep(300);
      const front = await haproxy.start(
        ["defaults", "    mode tcp", "    timeout connect 2s", "    timeout client 5s", "    timeout server 5s", "listen lb", `    bind 127.0.0.1:${f}`, `    server r 127.0.0.1:${r} send-proxy-v2`, ""].join("\n"),
        [f],
      );
      fronts.push(front);
      try {
        const result = await new Promise<{ localPort: number; text: string; alpn: string | false; subject: string }>((resolve, reject) => {
          const socket = tls.connect({ host: "127.0.0.1", port: f, servername: "b.test", ca: readFileSync(pki.caFile), ALPNProtocols: ["http/1.1"] }, () => {
            socket.write("GET /who HTTP/1.1\r\nhost: b.test\r\nconnection: close\r\n\r\n");
          });
          let text = "";
          let localPort = 0;
          socket.on("secureConnect", () => (localPort = socket.localPort ?? 0));
          socket.on("data", (d) => (text += d.toString("latin1")));
          socket.on("end", () => resolve({ localPort, text, alpn: socket.alpnProtocol ?? false, subject: String(socket.getPeerCertificate().subject?.CN ?? "") }));
          socket.on("error", reject);
        });
        expect(result.text).toStartWith("HTTP/1.1 200");
        expect(result.alpn).toBe("http/1.1");
        expect(result.subject).toBe("b.test");
        const body = result.text.slice(result.text.indexOf("\r\n\r\n") + 4);
        expect(header(body, "x-src")).toBe(`127.0.0.1:${result.localPort}`);
        expect(header(body, "x-sni")).toBe("b.test");
        // ALPN h2: the HTTP/2 session, behind the header too.
        // Not spawnSync: the server answering is in this process.
        const curl = Bun.spawn(["curl", "-s", "--http2", "--cacert", pki.caFile, "--resolve", `a.test:${f}:127.0.0.1`, `https://a.test:${f}/who`, "-w", "\n%{http_version}"], { stdout: "pipe" });
        const out = await new Response(curl.stdout).text();
        expect(out.slice(-40)).toEndWith("\n2");
        const h2Body = out.slice(0, out.lastIndexOf("\n"));
        expect(header(h2Body, "x-sni")).toBe("a.test");
        expect(header(h2Body, "x-src")).toMatch(/^127\.0\.0\.1:\d+$/);
        // Not TLS after the header: a handshake failure, logged with the header's client; a header alone then silence: the same at timeout.
        if (proxy !== haproxy) {
          const bad = await openClient(r);
          bad.write("PROXY TCP4 192.0.2.44 198.51.100.1 4444 443\r\nGET / HTTP/1.1\r\n\r\n");
          await bad.finished;
          expect(bad.received()).toBe("");
          await waitFor(() => receiver.errLines().some((l) => l.startsWith("192.0.2.44:4444 [") && l.includes("SSL handshake failure")), 5000, `the handshake failure's log line in ${receiver.errLines().join("\n")}`);
          bad.destroy();
        }
      } finally {
        await front.stop();
        fronts.pop();
        await receiver.stop();
      }
    }, 30000);
  }
});
