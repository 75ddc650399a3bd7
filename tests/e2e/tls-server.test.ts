// TLS to servers end to end (`server ... ssl`), under each target: a
// node:https server that reports the SNI and ALPN it saw (verify ok, verify
// failing on an unknown CA, verify none, the system store without ca-file,
// a client certificate), and nginx `listen ssl http2` reached over HTTP/2 by
// ALPN. Certificates from tests/support/certs.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import tls from "node:tls";
import net from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { type Leaf, TestPki } from "../support/certs.ts";

interface TlsBackend {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/**
 * A TLS server speaking just enough HTTP/1.1 (keep-alive, bodiless GETs),
 * answering "sni=<name> alpn=<proto> client=<CN of the client certificate or ->"
 * (node:tls directly: Bun's node:https does not expose the peer certificate).
 */
async function httpsBackend(leaf: Leaf, ca?: string): Promise<TlsBackend> {
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
        const body = `sni=${servername || "-"} alpn=${s.alpnProtocol || "-"} client=${client}\n`;
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

/** nginx with `listen ssl http2`: answers its protocol, the SNI and the ALPN it saw. */
async function nginxTls(leaf: Leaf): Promise<{ port: number; close(): Promise<void> }> {
  const dir = tempDir();
  const port = await freePort();
  writeFileSync(join(dir, "nginx.conf"), `daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${leaf.cert};
    ssl_certificate_key ${leaf.key};
    location / {
      default_type text/plain;
      return 200 "proto=$server_protocol sni=$ssl_server_name alpn=$ssl_alpn_protocol\\n";
    }
  }
}
`);
  const proc = Bun.spawn(["nginx", "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "ignore" });
  const deadline = Date.now() + 5000;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (up) break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      throw new Error(`nginx did not start: ${readFileSync(join(dir, "error.log"), "utf8")}`);
    }
    await sleep(50);
  }
  return {
    port,
    close: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const proc = Bun.spawn(["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", `http://127.0.0.1:${port}${path}`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

/** Two requests on one client connection (curl reuses it): the second is a "later request". */
async function getTwice(port: number): Promise<string> {
  const proc = Bun.spawn(["curl", "-sS", "--max-time", "10", `http://127.0.0.1:${port}/1`, `http://127.0.0.1:${port}/2`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

for (const target of selectedTargets()) describe(`TLS to servers (${target.name})`, () => {
  let pki: TestPki;
  let srv: Leaf;
  let selfSigned: Leaf;
  let client: Leaf;
  let good: TlsBackend;
  let untrusted: TlsBackend;
  let mutual: TlsBackend;
  let nginx: { port: number; close(): Promise<void> };
  let sluice: Run;

  beforeAll(async () => {
    pki = new TestPki();
    srv = pki.leaf("srv", { names: ["srv.test"] });
    selfSigned = pki.leaf("self", { names: ["srv.test"], selfSigned: true });
    client = pki.leaf("client", { names: ["sluice.client"] });
    good = await httpsBackend(srv);
    untrusted = await httpsBackend(selfSigned);
    mutual = await httpsBackend(srv, readFileSync(pki.caFile, "utf8"));
    nginx = await nginxTls(srv);
    const config = ["defaults", "    mode http", "    retries 0", "    timeout connect 3s", ""].join("\n");
    // One listen section per case: each gets its own port.
    const cases: Record<string, string> = {
      ok: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test)`,
      nosni: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile}`,
      untrusted: `127.0.0.1:${untrusted.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test)`,
      loose: `127.0.0.1:${untrusted.port} ssl verify none sni str(srv.test)`,
      system: `127.0.0.1:${good.port} ssl sni str(srv.test)`,
      wrongname: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile} sni str(other.test)`,
      mutual: `127.0.0.1:${mutual.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) crt ${client.pem}`,
      h2: `127.0.0.1:${nginx.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) alpn h2,http/1.1`,
      h1: `127.0.0.1:${nginx.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) alpn http/1.1`,
      // Offers h2 to a server that only speaks HTTP/1.1: ALPN settles on http/1.1.
      fallback: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) alpn h2,http/1.1`,
    };
    ports = {};
    const sections: string[] = [config];
    for (const [name, server] of Object.entries(cases)) {
      ports[name] = await freePort();
      sections.push(`listen ${name}`, `    bind 127.0.0.1:${ports[name]}`, `    server s1 ${server}`, "");
    }
    sluice = await startSluice(target, sections.join("\n"));
  }, 60000);

  let ports: Record<string, number> = {};

  afterAll(async () => {
    if (sluice) await stopSluice(sluice);
    await Promise.all([good?.close(), untrusted?.close(), mutual?.close(), nginx?.close()]);
  });

  test("verify required with ca-file: SNI sent, certificate checked; keep-alive over one TLS connection", async () => {
    const r1 = await get(ports.ok!, "/1");
    expect(r1).toEqual({ status: 200, body: "sni=srv.test alpn=- client=-\n" });
    // Two requests of one client: one TLS connection to the server carries both.
    const before = good.connections;
    expect(await getTwice(ports.ok!)).toBe("sni=srv.test alpn=- client=-\n".repeat(2));
    expect(good.connections - before).toBe(1);
    // No SNI, chain checked only (HAProxy without sni/verifyhost).
    expect(await get(ports.nosni!, "/")).toEqual({ status: 200, body: "sni=- alpn=- client=-\n" });
  }, 20000);

  test("a certificate that does not verify is a connect failure (503), logged as such", async () => {
    for (const name of ["untrusted", "system", "wrongname"]) {
      const r = await get(ports[name]!, "/");
      expect(`${name} ${r.status}`).toBe(`${name} 503`);
    }
    await waitFor(() => sluice.errLines.filter((l) => l.includes("TLS connect failure")).length >= 3, 5000, "three failure lines");
    const lines = sluice.errLines.filter((l) => l.includes("TLS connect failure"));
    expect(lines.some((l) => l.startsWith("untrusted/s1: TLS connect failure: connect to 127.0.0.1:"))).toBe(true);
    expect(lines.some((l) => l.startsWith("wrongname/s1: TLS connect failure"))).toBe(true);
  }, 20000);

  test("verify none accepts any certificate", async () => {
    expect(await get(ports.loose!, "/")).toEqual({ status: 200, body: "sni=srv.test alpn=- client=-\n" });
  }, 10000);

  test("crt: a client certificate", async () => {
    expect(await get(ports.mutual!, "/")).toEqual({ status: 200, body: "sni=srv.test alpn=- client=sluice.client\n" });
  }, 10000);

  test("ALPN h2 offered, http/1.1 chosen by the server: an HTTP/1.1 connection, kept alive", async () => {
    expect(await get(ports.fallback!, "/")).toEqual({ status: 200, body: "sni=srv.test alpn=http/1.1 client=-\n" });
    // Two requests of one client: the HTTP/1.1 connection is kept and carries both.
    const before = good.connections;
    expect(await getTwice(ports.fallback!)).toBe("sni=srv.test alpn=http/1.1 client=-\n".repeat(2));
    expect(good.connections - before).toBe(1);
  }, 20000);

  test("ALPN h2 to nginx makes the connection HTTP/2; alpn http/1.1 keeps HTTP/1.1", async () => {
    expect(await get(ports.h2!, "/")).toEqual({ status: 200, body: "proto=HTTP/2.0 sni=srv.test alpn=h2\n" });
    expect(await get(ports.h2!, "/again")).toEqual({ status: 200, body: "proto=HTTP/2.0 sni=srv.test alpn=h2\n" });
    expect(await get(ports.h1!, "/")).toEqual({ status: 200, body: "proto=HTTP/1.1 sni=srv.test alpn=http/1.1\n" });
  }, 20000);
});
