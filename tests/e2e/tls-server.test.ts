// TLS to servers end to end (`server ... ssl`), under each target: a
// node:https server that reports the SNI and ALPN it saw (verify ok, verify
// failing on an unknown CA, verify none, the system store without ca-file,
// a client certificate), and nginx `listen ssl http2` reached over HTTP/2 by
// ALPN. Certificates from tests/support/certs.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, spawnSluice, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { TestPki, type Leaf } from "../support/certs.ts";
import { get, httpsBackend, type TlsBackend } from "./tls-backend.ts";

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
  /** Reports its TLS version, cipher and whether the session was resumed. */
  let detailed: TlsBackend;
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
    detailed = await httpsBackend(srv, undefined, true);
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
      // The SNI from each request's Host (verify none: any name).
      // pool-low-conn 3: every name's idle connection is kept (past the estimate of what the server needs, HAProxy closes them too).
      dynamic: `127.0.0.1:${detailed.port} ssl verify none sni req.hdr(host),field(1,:) pool-low-conn 3`,
      // The SNI from the Host, the name the certificate must carry (verifyhost is for connections without SNI).
      dynamicstrict: `127.0.0.1:${detailed.port} ssl verify required ca-file ${pki.caFile} sni req.hdr(host),field(1,:) verifyhost a.test`,
      verifyhost: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile} verifyhost srv.test`,
      wronghost: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.caFile} verifyhost other.test`,
      systemca: `127.0.0.1:${good.port} ssl verify required ca-file @system-ca sni str(srv.test)`,
      resume: `127.0.0.1:${detailed.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test)`,
      noreuse: `127.0.0.1:${detailed.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) no-ssl-reuse`,
      tls12: `127.0.0.1:${detailed.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) ssl-max-ver TLSv1.2`,
      notls13: `127.0.0.1:${detailed.port} ssl verify required ca-file ${pki.caFile} sni str(srv.test) no-tlsv13 no-tls-tickets`,
    };
    // Each case's own lines besides its server: dynamic SNI shares connections by name; resumption needs new server connections.
    const extra: Record<string, string[]> = { dynamic: ["http-reuse always"], resume: ["http-reuse never"], noreuse: ["http-reuse never"] };
    ports = {};
    const sections: string[] = [config];
    for (const [name, server] of Object.entries(cases)) {
      ports[name] = await freePort();
      sections.push(`listen ${name}`, `    bind 127.0.0.1:${ports[name]}`, ...(extra[name] ?? []).map((l) => `    ${l}`), `    server s1 ${server}`, "");
    }
    // mode tcp behind a TLS bind: the client's SNI passed on (HAProxy's `sni ssl_fc_sni`).
    ports.tcpsni = await freePort();
    sections.push("listen tcpsni", "    mode tcp", `    bind 127.0.0.1:${ports.tcpsni} ssl crt ${srv.pem}`, `    server s1 127.0.0.1:${detailed.port} ssl verify none sni ssl_fc_sni`, "");
    sluice = await startSluice(target, sections.join("\n"));
  }, 60000);

  let ports: Record<string, number> = {};

  afterAll(async () => {
    if (sluice) await stopSluice(sluice);
    await Promise.all([good?.close(), untrusted?.close(), mutual?.close(), nginx?.close(), detailed?.close()]);
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

  test("sni <expression>: each request's Host names its connection, as it comes; connections are shared by name only", async () => {
    const before = detailed.connections;
    const body = (name: string) => expect.stringMatching(new RegExp(`^sni=${name.replace(".", "\\.")} alpn=- client=- ver=TLSv1\\.3 `));
    expect(await get(ports.dynamic!, "/", "srv.test")).toEqual({ status: 200, body: body("srv.test") });
    // A port in the Host: the same name, the same connection (http-reuse always).
    expect(await get(ports.dynamic!, "/", "srv.test:8443")).toEqual({ status: 200, body: body("srv.test") });
    expect(detailed.connections - before).toBe(1);
    // Another name: a connection of its own, then shared by that name. Case counts (HAProxy's: SRV.test is sent as it is).
    expect(await get(ports.dynamic!, "/", "a.test")).toEqual({ status: 200, body: body("a.test") });
    expect(await get(ports.dynamic!, "/", "a.test")).toEqual({ status: 200, body: body("a.test") });
    expect(await get(ports.dynamic!, "/", "SRV.test")).toEqual({ status: 200, body: body("SRV.test") });
    expect(detailed.connections - before).toBe(3);
    // verify required: the name sent is the name checked (verifyhost a.test is for connections without SNI): a.test is not on the certificate.
    expect(await get(ports.dynamicstrict!, "/", "srv.test")).toEqual({ status: 200, body: body("srv.test") });
    expect((await get(ports.dynamicstrict!, "/", "a.test")).status).toBe(503);
  }, 20000);

  test("verifyhost: without SNI, the name the certificate must carry; ca-file @system-ca is the system store", async () => {
    expect(await get(ports.verifyhost!, "/")).toEqual({ status: 200, body: "sni=- alpn=- client=-\n" });
    expect((await get(ports.wronghost!, "/")).status).toBe(503);
    expect((await get(ports.systemca!, "/")).status).toBe(503);
    await waitFor(() => sluice.errLines.some((l) => l.startsWith("wronghost/s1: TLS connect failure")), 5000, "the wronghost failure line");
    await waitFor(() => sluice.errLines.some((l) => l.startsWith("systemca/s1: TLS connect failure")), 5000, "the systemca failure line");
  }, 20000);

  test("sessions are resumed on later connections (Bun; Deno's TLS library resumes none), not with no-ssl-reuse", async () => {
    const resumed = async (name: string) => {
      const r = await get(ports[name]!, "/");
      expect(r.status).toBe(200);
      return /resumed=(\w+)/.exec(r.body)![1];
    };
    expect(await resumed("resume")).toBe("false");
    // TLS 1.3 hands the session out after the handshake: the next connection has it.
    await sleep(100);
    expect(await resumed("resume")).toBe(target.name === "deno" ? "false" : "true");
    expect(await resumed("noreuse")).toBe("false");
    await sleep(100);
    expect(await resumed("noreuse")).toBe("false");
  }, 20000);

  test("ssl-max-ver and no-tlsv13 keep the connection to TLS 1.2", async () => {
    expect((await get(ports.tls12!, "/")).body).toContain(" ver=TLSv1.2 ");
    expect((await get(ports.notls13!, "/")).body).toContain(" ver=TLSv1.2 ");
  }, 20000);

  test("mode tcp: sni ssl_fc_sni sends the client's SNI on", async () => {
    const proc = Bun.spawn([
      "curl", "-sS", "--max-time", "10", "-k", "--resolve", `b.test:${ports.tcpsni}:127.0.0.1`, `https://b.test:${ports.tcpsni}/`,
    ], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    expect(out).toMatch(/^sni=b\.test alpn=- client=- ver=TLSv1\.3 /);
  }, 20000);
});

for (const target of selectedTargets()) describe(`TLS to servers: ssl-server-verify and ssl-default-server-* (${target.name})`, () => {
  let pki: TestPki;
  let backend: TlsBackend;
  const runs: Run[] = [];

  beforeAll(async () => {
    pki = new TestPki();
    backend = await httpsBackend(pki.leaf("self", { names: ["srv.test"], selfSigned: true }), undefined, true);
  }, 30000);

  afterAll(async () => {
    for (const run of runs) await stopSluice(run);
    await backend?.close();
  });

  test("ssl-server-verify none and ssl-default-server-options: a server with bare `ssl` takes them", async () => {
    const port = await freePort();
    const run = await startSluice(target, [
      "global",
      "    ssl-server-verify none",
      "    ssl-default-server-options ssl-max-ver TLSv1.2 no-tls-tickets",
      "defaults",
      "    mode http",
      "    timeout connect 3s",
      "    http-reuse never",
      "listen plain",
      `    bind 127.0.0.1:${port}`,
      `    server s1 127.0.0.1:${backend.port} ssl sni str(srv.test) no-ssl-reuse`,
      "",
    ].join("\n"));
    runs.push(run);
    // A self-signed certificate passes (verify none); TLS 1.2; no session kept, so none resumed.
    for (let i = 0; i < 2; i++) {
      const r = await get(port, "/");
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^sni=srv\.test alpn=- client=- ver=TLSv1\.2 cipher=\S+ resumed=false$/m);
    }
  }, 30000);

  test("ciphers: the cipher offered under Bun; refused at start under Deno (its TLS library ignores it)", async () => {
    const port = await freePort();
    const config = [
      "global",
      "    ssl-default-server-ciphers ECDHE-ECDSA-AES128-GCM-SHA256",
      "defaults",
      "    mode http",
      "    timeout connect 3s",
      "listen ciphered",
      `    bind 127.0.0.1:${port}`,
      `    server s1 127.0.0.1:${backend.port} ssl verify none ssl-max-ver TLSv1.2`,
      "",
    ].join("\n");
    if (target.name === "deno") {
      const dir = tempDir();
      writeFileSync(join(dir, "c.cfg"), config);
      const run = spawnSluice(target, ["-f", join(dir, "c.cfg")]);
      expect(await run.exited).not.toBe(0);
      expect(run.errLines.join("\n")).toContain("backend 'ciphered' server 's1': ciphers cannot be applied under Deno (its TLS library ignores them); remove them or run sluice on Bun");
      return;
    }
    const run = await startSluice(target, config);
    runs.push(run);
    expect((await get(port, "/")).body).toContain(" ver=TLSv1.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 ");
  }, 30000);
});
