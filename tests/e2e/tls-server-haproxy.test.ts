// TLS to servers beside HAProxy 2.6: the same haproxy.cfg on both, the same
// requests, the same answers from the TLS server behind: the SNI each
// connection sent (from the request's Host, `sni req.hdr(host),field(1,:)`,
// or the client's SNI in mode tcp, `sni ssl_fc_sni`), which names the
// certificate was checked against (`verifyhost`), how many connections the
// names took under `http-reuse always`, the TLS version (`ssl-max-ver`), and
// session resumption (HAProxy's `ssl-reuse`, on by default; `no-ssl-reuse`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort, sleep } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";
import { get, httpsBackend, type TlsBackend } from "./tls-backend.ts";
import { TestPki, type Leaf } from "../support/certs.ts";

interface Ports {
  dynamic: number;
  strict: number;
  nosni: number;
  resume: number;
  noreuse: number;
  tls12: number;
  tcpsni: number;
}

function configFor(p: Ports, backend: number, pki: TestPki, srv: Leaf): string {
  const ca = `ca-file ${pki.caFile}`;
  // One thread: HAProxy keeps a server's session per thread, and sluice runs one.
  return `
global
    nbthread 1

defaults
    mode http
    retries 0
    timeout connect 3s
    timeout client 5s
    timeout server 5s

listen dynamic
    bind 127.0.0.1:${p.dynamic}
    http-reuse always
    server s1 127.0.0.1:${backend} ssl verify none sni req.hdr(host),field(1,:) pool-low-conn 3

listen strict
    bind 127.0.0.1:${p.strict}
    server s1 127.0.0.1:${backend} ssl verify required ${ca} sni req.hdr(host),field(1,:) verifyhost a.test

listen nosni
    bind 127.0.0.1:${p.nosni}
    server s1 127.0.0.1:${backend} ssl verify required ${ca} verifyhost srv.test

listen resume
    bind 127.0.0.1:${p.resume}
    http-reuse never
    server s1 127.0.0.1:${backend} ssl verify required ${ca} sni str(srv.test)

listen noreuse
    bind 127.0.0.1:${p.noreuse}
    http-reuse never
    server s1 127.0.0.1:${backend} ssl verify required ${ca} sni str(srv.test) no-ssl-reuse

listen tls12
    bind 127.0.0.1:${p.tls12}
    server s1 127.0.0.1:${backend} ssl verify required ${ca} sni str(srv.test) ssl-max-ver TLSv1.2 no-tls-tickets

listen tcpsni
    mode tcp
    bind 127.0.0.1:${p.tcpsni} ssl crt ${srv.pem}
    server s1 127.0.0.1:${backend} ssl verify none sni ssl_fc_sni
`;
}

/** The answer without the cipher (the libraries' choices differ): status, SNI, version, resumed. */
function summary(r: { status: number; body: string }): string {
  if (r.status !== 200) return String(r.status);
  const m = /^sni=(\S+) alpn=\S+ client=\S+ ver=(\S+) cipher=\S+ resumed=(\w+)$/.exec(r.body.trim());
  return m === null ? `200 ${r.body.trim()}` : `200 sni=${m[1]} ${m[2]} resumed=${m[3]}`;
}

async function httpsThroughTcp(port: number, name: string): Promise<string> {
  const proc = Bun.spawn(["curl", "-sS", "--max-time", "10", "-k", "--resolve", `${name}:${port}:127.0.0.1`, "-w", "\n%{http_code}", `https://${name}:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cut = out.lastIndexOf("\n");
  return summary({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
}

describe("TLS to servers against HAProxy 2.6: sni expressions, verifyhost, versions, resumption", () => {
  let pki: TestPki;
  let srv: Leaf;
  const backends: TlsBackend[] = [];
  const answers = new Map<string, unknown>();

  beforeAll(() => {
    pki = new TestPki();
    srv = pki.leaf("srv", { names: ["srv.test"] });
  });

  afterAll(async () => {
    for (const b of backends) await b.close();
  });

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the same answers as HAProxy`, async () => {
      // A backend of its own: its connection count is this proxy's.
      const backend = await httpsBackend(srv, undefined, true);
      backends.push(backend);
      const p: Ports = { dynamic: await freePort(), strict: await freePort(), nosni: await freePort(), resume: await freePort(), noreuse: await freePort(), tls12: await freePort(), tcpsni: await freePort() };
      const running = await proxy.start(configFor(p, backend.port, pki, srv), Object.values(p));
      try {
        const dynamic: string[] = [];
        const counts: number[] = [];
        for (const host of ["srv.test", "srv.test:8443", "a.test", "a.test", "SRV.test"]) {
          dynamic.push(summary(await get(p.dynamic, "/", host)).replace(/ resumed=\w+/, ""));
          counts.push(backend.connections);
        }
        const strict = [summary(await get(p.strict, "/", "srv.test")).replace(/ resumed=\w+/, ""), summary(await get(p.strict, "/", "a.test"))];
        const nosni = summary(await get(p.nosni, "/")).replace(/ resumed=\w+/, "");
        const resumption = async (port: number) => {
          const first = summary(await get(port, "/"));
          // TLS 1.3 hands the session out after the handshake: the next connection has it.
          await sleep(100);
          return [first, summary(await get(port, "/"))];
        };
        const answer = {
          dynamic,
          connections: counts.map((c) => c - counts[0]! + 1),
          strict,
          nosni,
          resume: await resumption(p.resume),
          noreuse: await resumption(p.noreuse),
          tls12: summary(await get(p.tls12, "/")).replace(/ resumed=\w+/, ""),
          tcpsni: (await httpsThroughTcp(p.tcpsni, "b.test")).replace(/ resumed=\w+/, ""),
        };
        expect(answer).toEqual({
          dynamic: ["200 sni=srv.test TLSv1.3", "200 sni=srv.test TLSv1.3", "200 sni=a.test TLSv1.3", "200 sni=a.test TLSv1.3", "200 sni=SRV.test TLSv1.3"],
          connections: [1, 1, 2, 2, 3],
          // With an SNI the certificate must carry it: verifyhost is for connections without one.
          strict: ["200 sni=srv.test TLSv1.3", "503"],
          nosni: "200 sni=- TLSv1.3",
          // Deno's TLS library resumes no session (docs/tls.md).
          resume: ["200 sni=srv.test TLSv1.3 resumed=false", `200 sni=srv.test TLSv1.3 resumed=${proxy.name === "sluice deno" ? "false" : "true"}`],
          noreuse: ["200 sni=srv.test TLSv1.3 resumed=false", "200 sni=srv.test TLSv1.3 resumed=false"],
          tls12: "200 sni=srv.test TLSv1.2",
          tcpsni: "200 sni=b.test TLSv1.3",
        });
        answers.set(proxy.name, answer);
        const reference = answers.get("haproxy");
        if (reference !== undefined && proxy.name !== "sluice deno") expect(answer).toEqual(reference as typeof answer);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
