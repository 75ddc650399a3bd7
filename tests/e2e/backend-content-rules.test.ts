// tcp-request content rules in backends, and SNI switching on a TLS
// ClientHello with req_ssl_hello_type / req_ssl_sni (issue 19: the
// harisekhon-*.cfg and haproxy-ingress-tcp-cr-example.cfg corpus files), end
// to end: HAProxy 2.6 and sluice under each target run the same
// configuration, real clients (node:net, curl, node:tls, openssl s_client)
// and real servers (a TCP echo, an HTTP server, two TLS servers) on loopback.
// Both proxies must close what a backend rejects, serve what it accepts, log
// a reject as PR against the backend with <NOSRV>, count it as a denied
// request of the frontend, and route each TLS client by the name it asks for.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { type Backend, echoBackend, exchange, freePort, sleep, waitFor } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { TestPki } from "../support/certs.ts";

async function curl(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = Bun.spawn(["curl", "-sS", "-i", "--max-time", "5", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { code, out: out.replace(/\r\n/g, "\n") };
}

/** The log line (stderr) that contains `needle`, once it is there. */
async function logLine(proxy: RunningProxy, needle: string): Promise<string> {
  await waitFor(() => proxy.errLines().some((l) => l.includes(needle)), 3000, `a log line with ${needle}`);
  return proxy.errLines().find((l) => l.includes(needle))!;
}

/** A frontend's `dreq` (denied requests) in the stats CSV. */
async function deniedRequests(statsPort: number, frontend: string): Promise<number> {
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text();
  const header = csv.split("\n")[0]!.replace(/^# /, "").split(",");
  const row = csv.split("\n").map((l) => l.split(",")).find((r) => r[0] === frontend && r[1] === "FRONTEND")!;
  return Number(row[header.indexOf("dreq")]);
}

for (const proxy of proxiesUnderTest()) {
  describe(`tcp-request content in backends (${proxy.name})`, () => {
    let echo: Backend;
    /** bk_internal's own server: nothing may ever reach it from 127.0.0.1. */
    let guarded: Backend;
    let web: http.Server;
    let webPort = 0;
    let running: RunningProxy;
    const ports = { tcpReject: 0, tcpAccept: 0, http: 0, h2: 0, frontReject: 0, stats: 0 };

    beforeAll(async () => {
      echo = await echoBackend();
      guarded = await echoBackend();
      web = http.createServer((req, res) => res.end(`web ${req.url} checked=${req.headers["x-checked"] ?? "-"}\n`));
      await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
      webPort = (web.address() as net.AddressInfo).port;
      for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
      running = await proxy.start(`global
    log stderr format raw local0
defaults
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend ft_tcp
    bind 127.0.0.1:${ports.tcpReject}
    mode tcp
    option tcplog
    default_backend bk_internal

frontend ft_tcp_ok
    bind 127.0.0.1:${ports.tcpAccept}
    mode tcp
    option tcplog
    default_backend bk_local

frontend ft_http
    bind 127.0.0.1:${ports.http}
    mode http
    option httplog
    use_backend bkh_internal if { path_beg /internal }
    default_backend bkh_local

frontend ft_frej
    bind 127.0.0.1:${ports.frontReject}
    mode tcp
    option tcplog
    tcp-request content reject if ! { src 10.0.0.0/8 }
    default_backend bk_local

frontend ft_h2
    bind 127.0.0.1:${ports.h2} proto h2
    mode http
    option httplog
    use_backend bkh_internal if { path_beg /internal }
    default_backend bkh_local

# As the harisekhon-*.cfg files: only private networks may reach the servers.
backend bk_internal
    mode tcp
    acl internal_networks src 192.168.0.0/16 172.16.0.0/12 10.0.0.0/8
    tcp-request content reject if ! internal_networks
    server echo 127.0.0.1:${guarded.port}

backend bk_local
    mode tcp
    tcp-request inspect-delay 2s
    tcp-request content accept if { src 127.0.0.1 } { req.len gt 0 }
    tcp-request content reject if { req.len gt 0 }
    server echo 127.0.0.1:${echo.port}

backend bkh_internal
    mode http
    tcp-request content reject if ! { src 10.0.0.0/8 }
    server web 127.0.0.1:${webPort}

backend bkh_local
    mode http
    tcp-request content accept if { src 127.0.0.0/8 }
    tcp-request content reject
    http-request set-header X-Checked yes
    server web 127.0.0.1:${webPort}

listen stats
    bind 127.0.0.1:${ports.stats}
    mode http
    stats enable
    stats uri /
`, Object.values(ports));
    });

    afterAll(async () => {
      await running?.stop();
      await echo?.close();
      await guarded?.close();
      await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    });

    test("mode tcp: the backend's reject closes the connection from 127.0.0.1 unanswered, logged PR against the backend with <NOSRV>", async () => {
      const ex = await exchange(ports.tcpReject, "hello", { end: false, timeoutMs: 3000 });
      expect(ex.how).not.toBe("timeout");
      expect(ex.data.length).toBe(0);
      expect(guarded.accepted).toBe(0);
      const line = await logLine(running, " ft_tcp bk_internal/<NOSRV> ");
      // Tw/Tc never reached; the termination state PR (HAProxy's "proxy refused, in the request").
      expect(line).toMatch(/ ft_tcp bk_internal\/<NOSRV> -1\/-1\/\d+ (\d+ )+PR /);
    });

    test("mode tcp: the backend's accept (after its inspect-delay wait for bytes) lets the connection through", async () => {
      const client = net.connect({ port: ports.tcpAccept, host: "127.0.0.1" });
      let got = "";
      client.on("data", (d) => (got += d.toString()));
      await new Promise<void>((r) => client.once("connect", () => r()));
      // Nothing sent yet: the rules wait (no server connection) rather than reject.
      await sleep(150);
      expect(client.destroyed).toBe(false);
      client.write("ping");
      await waitFor(() => got === "ping", 3000, "the echo");
      client.end();
      await new Promise<void>((r) => client.once("close", () => r()));
      // This client's line: its 4 bytes echoed (the start's readiness probe, which closed without a byte, has a CC line of its own).
      const served = / ft_tcp_ok bk_local\/echo \d+\/\d+\/\d+ 4 -- /;
      await waitFor(() => running.errLines().some((l) => served.test(l)), 3000, "the served connection's line");
    });

    test("mode http: the backend's reject closes without a response (curl: empty reply), logged PR-- with status -1; its accept reaches the server after its http-request rules", async () => {
      const refused = await curl([`http://127.0.0.1:${ports.http}/internal/x`]);
      expect(refused.code).toBe(52);
      expect(refused.out).toBe("");
      const served = await curl([`http://127.0.0.1:${ports.http}/page`]);
      expect(served.out).toContain("web /page checked=yes");
      const line = await logLine(running, '"GET /internal/x HTTP/1.1"');
      expect(line).toMatch(/ ft_http bkh_internal\/<NOSRV> -1\/-1\/-1\/-1\/\d+ -1 \d+ - - PR-- /);
      expect(await logLine(running, '"GET /page HTTP/1.1"')).toMatch(/ ft_http bkh_local\/web \d+\/\d+\/\d+\/\d+\/\d+ 200 /);
    });

    test("HTTP/2: the rejected stream is reset and the whole connection closed, both with ENHANCE_YOUR_CALM", async () => {
      // Two streams: nghttp reads on (and shows the GOAWAY) while the other one is open.
      const proc = Bun.spawn(["nghttp", "-v", `http://127.0.0.1:${ports.h2}/page`, `http://127.0.0.1:${ports.h2}/internal/h2`], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      await proc.exited;
      expect(out).toMatch(/recv RST_STREAM frame <length=4, flags=0x00, stream_id=15>\n\s*\(error_code=ENHANCE_YOUR_CALM\(0x0b\)\)/);
      expect(out).toMatch(/recv GOAWAY frame[^\n]*\n\s*\(last_stream_id=15, error_code=ENHANCE_YOUR_CALM\(0x0b\)/);
      const line = await logLine(running, "/internal/h2 HTTP/2.0");
      expect(line).toMatch(/ ft_h2 bkh_internal\/<NOSRV> -1\/-1\/-1\/-1\/\d+ -1 \d+ - - PR-- /);
    });

    test("the same rule in a frontend: the line names the frontend as its backend, PR", async () => {
      const ex = await exchange(ports.frontReject, "hello", { end: false, timeoutMs: 3000 });
      expect(ex.how).not.toBe("timeout");
      expect(ex.data.length).toBe(0);
      expect(await logLine(running, " ft_frej ft_frej/<NOSRV> ")).toMatch(/ ft_frej ft_frej\/<NOSRV> -1\/-1\/\d+ (\d+ )+PR /);
    });

    test("a backend's reject is a denied request of the frontend (stats dreq), as HAProxy counts it", async () => {
      const dreq = (fe: string) => deniedRequests(ports.stats, fe);
      const before = { tcp: await dreq("ft_tcp"), http: await dreq("ft_http"), ok: await dreq("ft_tcp_ok"), front: await dreq("ft_frej") };
      await exchange(ports.tcpReject, "again", { end: false, timeoutMs: 3000 });
      await exchange(ports.frontReject, "again", { end: false, timeoutMs: 3000 });
      await curl([`http://127.0.0.1:${ports.http}/internal/again`]);
      await exchange(ports.tcpAccept, "fine", { timeoutMs: 3000 });
      await logLine(running, '"GET /internal/again HTTP/1.1"');
      expect(await deniedRequests(ports.stats, "ft_tcp")).toBe(before.tcp + 1);
      expect(await deniedRequests(ports.stats, "ft_http")).toBe(before.http + 1);
      expect(await deniedRequests(ports.stats, "ft_tcp_ok")).toBe(before.ok);
      expect(await dreq("ft_frej")).toBe(before.front + 1);
    });
  });

  describe(`SNI switching on the ClientHello: req_ssl_hello_type, req_ssl_sni (${proxy.name})`, () => {
    const pki = new TestPki();
    const backends: { name: string; server: tls.Server; port: number }[] = [];
    let running: RunningProxy;
    let port = 0;
    let relayPort = 0;
    let relay: net.Server;

    /** A TLS server that sends its name once the handshake is done, then closes. */
    async function tlsBackend(name: string): Promise<void> {
      const leaf = pki.leaf(name, { names: [`${name}.example.com`] });
      const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => {
        s.on("error", () => {});
        s.end(`${name}\n`);
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      backends.push({ name, server, port: (server.address() as net.AddressInfo).port });
    }

    beforeAll(async () => {
      for (const name of ["backend0", "backend1", "fallback"]) await tlsBackend(name);
      port = await freePort();
      const at = (name: string) => backends.find((b) => b.name === name)!.port;
      // The frontend of haproxy-ingress-tcp-cr-example.cfg, its servers here.
      running = await proxy.start(`global
    log stderr format raw local0
defaults
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend tcpcr_tests_fe-http-echo
    mode tcp
    bind 127.0.0.1:${port} name v4
    option tcplog
    acl switch_be_0 req_ssl_sni -i backend0.example.com
    acl switch_be_1 req.ssl_sni -i backend1.example.com
    tcp-request inspect-delay 1000
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend be0 if switch_be_0
    use_backend be1 if switch_be_1
    default_backend be_default

backend be0
    mode tcp
    server SRV_1 127.0.0.1:${at("backend0")}
backend be1
    mode tcp
    server SRV_1 127.0.0.1:${at("backend1")}
backend be_default
    mode tcp
    server SRV_1 127.0.0.1:${at("fallback")}
`, [port]);
      // A relay that hands the proxy a client's first bytes in two pieces, 150 ms apart:
      // the rules must wait for the whole hello (within inspect-delay), not decide on a part.
      relay = net.createServer((client) => {
        const upstream = net.connect({ port, host: "127.0.0.1" });
        let first = true;
        client.on("data", (d: Buffer) => {
          if (!first) return void upstream.write(d);
          first = false;
          upstream.write(d.subarray(0, 7));
          setTimeout(() => upstream.write(d.subarray(7)), 150);
        });
        upstream.on("data", (d) => client.write(d));
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
        client.on("error", () => {});
        upstream.on("error", () => {});
      });
      await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
      relayPort = (relay.address() as net.AddressInfo).port;
    });

    afterAll(async () => {
      await running?.stop();
      relay?.close();
      for (const b of backends) b.server.close();
    });

    /** What a TLS client asking for `servername` gets through the proxy (or the relay). */
    function tlsAnswer(servername: string, via = port): Promise<string> {
      return new Promise((resolve) => {
        let got = "";
        const s = tls.connect({ port: via, host: "127.0.0.1", servername, rejectUnauthorized: false });
        s.on("data", (d) => (got += d.toString()));
        s.on("close", () => resolve(got.trim()));
        s.on("error", () => resolve(got.trim() || "error"));
        s.setTimeout(4000, () => s.destroy());
      });
    }

    test("node:tls clients reach the TLS server their SNI names; another name goes to the default backend", async () => {
      expect(await tlsAnswer("backend0.example.com")).toBe("backend0");
      expect(await tlsAnswer("BACKEND1.example.com")).toBe("backend1");
      expect(await tlsAnswer("other.example.com")).toBe("fallback");
    });

    test("openssl s_client -servername picks the backend, the handshake completes with that server's certificate", async () => {
      const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "backend1.example.com", "-ign_eof"], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = await new Response(proc.stdout).text();
      await proc.exited;
      expect(out).toContain("CN = backend1");
      expect(out).toMatch(/\nbackend1\n/);
    });

    test("a ClientHello that arrives in two pieces is routed by its whole SNI", async () => {
      expect(await tlsAnswer("backend0.example.com", relayPort)).toBe("backend0");
    });

    test("bytes that can never be a TLS hello take the default backend at once; a hello cut short waits for inspect-delay first", async () => {
      const fallback = backends.find((b) => b.name === "fallback")!;
      const reachedAfter = async (bytes: Uint8Array): Promise<number> => {
        let reached = false;
        fallback.server.once("connection", () => (reached = true));
        const started = Date.now();
        const client = net.connect({ port, host: "127.0.0.1" });
        client.on("error", () => {});
        client.write(bytes);
        await waitFor(() => reached, 4000, "the default backend's connection");
        client.destroy();
        return Date.now() - started;
      };
      // No rule can match plain text and none may change its mind: HAProxy accepts at once.
      expect(await reachedAfter(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toBeLessThan(500);
      // A record header announcing a handshake that never comes: req_ssl_hello_type cannot tell until inspect-delay.
      expect(await reachedAfter(new Uint8Array([0x16, 3, 1, 0, 200, 1, 0, 0, 196]))).toBeGreaterThanOrEqual(900);
    });
  });
}
