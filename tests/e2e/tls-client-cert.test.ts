// Client certificates on TLS binds beside HAProxy 2.6 (`bind … ssl crt …
// ca-file … verify optional|required [crt-ignore-err …]`): the same
// haproxy.cfg on both, curl with a certificate of the bind's CA, with none,
// and with one of another CA; the answers (an `http-request return` of the
// ssl_c_* fetches) and the refusals must be HAProxy's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, spawnSluice, TARGETS, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { TestPki, type Leaf } from "../support/certs.ts";

interface Ports {
  required: number;
  optional: number;
  ignored: number;
  listed: number;
  both: number;
  caonly: number;
}

const FIELDS = "used=%[ssl_c_used] hascrt=%[ssl_fc_has_crt] verify=%[ssl_c_verify] sdn=%[ssl_c_s_dn] cn=%[ssl_c_s_dn(cn)] idn=%[ssl_c_i_dn] " +
  "icn=%[ssl_c_i_dn(CN,-1)] ldap=%[ssl_c_s_dn(,0,rfc2253)] serial=%[ssl_c_serial,hex] nb=%[ssl_c_notbefore] na=%[ssl_c_notafter] ver=%[ssl_c_version] " +
  "sha1=%[ssl_c_sha1,hex] keyalg=%[ssl_c_key_alg] sigalg=%[ssl_c_sig_alg] der=%[ssl_c_der,hex,length]";

function configFor(p: Ports, pki: TestPki, srv: Leaf): string {
  const bind = `ssl crt ${srv.pem} ca-file ${pki.caFile}`;
  const reply = `http-request return status 200 content-type text/plain lf-string "${FIELDS}\\n"`;
  return `
global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend required
    bind 127.0.0.1:${p.required} ${bind} verify required
    ${reply}

frontend optional
    bind 127.0.0.1:${p.optional} ${bind} verify optional
    http-request deny deny_status 403 unless { ssl_c_used }
    ${reply}

frontend ignored
    bind 127.0.0.1:${p.ignored} ${bind} verify optional crt-ignore-err all ca-ignore-err all
    ${reply}

frontend listed
    bind 127.0.0.1:${p.listed} ${bind} verify required crt-ignore-err 10,21
    ${reply}

frontend both
    bind 127.0.0.1:${p.both} ${bind} verify required crt-ignore-err 20,21
    ${reply}

frontend caonly
    bind 127.0.0.1:${p.caonly} ${bind} verify optional ca-ignore-err all
    ${reply}
`;
}

/** curl's answer: the body, or `refused` when the handshake (or the connection right after it) failed. */
async function ask(port: number, cert: Leaf | undefined): Promise<string> {
  const files = cert === undefined ? [] : ["--cert", cert.cert, "--key", cert.key];
  const proc = Bun.spawn(["curl", "-sk", "--max-time", "5", ...files, "-w", "\n%{http_code}", `https://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cut = out.lastIndexOf("\n");
  const status = out.slice(cut + 1);
  return status === "000" ? "refused" : `${status} ${out.slice(0, cut).trim()}`;
}

describe("client certificates on TLS binds against HAProxy 2.6", () => {
  let pki: TestPki;
  let srv: Leaf;
  let client: Leaf;
  let stranger: Leaf;
  const answers = new Map<string, unknown>();

  beforeAll(() => {
    pki = new TestPki();
    srv = pki.leaf("srv", { names: ["srv.test"] });
    client = pki.leaf("client", { names: ["client.one"] });
    // Another CA's certificate: it does not verify against the bind's ca-file.
    stranger = new TestPki().leaf("stranger", { names: ["stranger.test"] });
  });

  afterAll(() => undefined);

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the same answers and refusals as HAProxy`, async () => {
      const p: Ports = { required: await freePort(), optional: await freePort(), ignored: await freePort(), listed: await freePort(), both: await freePort(), caonly: await freePort() };
      const running = await proxy.start(configFor(p, pki, srv), Object.values(p));
      try {
        const answer: Record<string, string> = {};
        for (const [name, port] of Object.entries(p)) {
          for (const [who, cert] of [["client", client], ["none", undefined], ["stranger", stranger]] as const) {
            answer[`${name} ${who}`] = await ask(port, cert);
          }
        }
        const fields = (cn: string, verify: number, issuer: string) => expect.stringMatching(new RegExp(
          `^200 used=1 hascrt=1 verify=${verify} sdn=/CN=${cn} cn=${cn} idn=/CN=${issuer} icn=${issuer} ldap=CN=${cn} serial=[0-9A-F]+ ` +
            `nb=\\d{12}Z na=\\d{12}Z ver=3 sha1=[0-9A-F]{40} keyalg=id-ecPublicKey sigalg=ecdsa-with-SHA256 der=\\d+$`,
        ));
        const none = "200 used=0 hascrt=0 verify=0 sdn= cn= idn= icn= ldap= serial= nb= na= ver= sha1= keyalg= sigalg= der=";
        expect(answer).toEqual({
          "required client": fields("client.one", 0, "sluice test CA"),
          "required none": "refused",
          "required stranger": "refused",
          "optional client": fields("client.one", 0, "sluice test CA"),
          // No certificate: served, and the rules see none.
          "optional none": expect.stringMatching(/^403 <html>/),
          "optional stranger": "refused",
          "ignored client": fields("client.one", 0, "sluice test CA"),
          "ignored none": none,
          // Not verified (X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE), served: the error is ignored.
          "ignored stranger": fields("stranger.test", 21, "sluice test CA"),
          // OpenSSL reports 20 (issuer not found locally) before 21: both must be listed.
          "listed client": fields("client.one", 0, "sluice test CA"),
          "listed none": "refused",
          "listed stranger": "refused",
          "both client": fields("client.one", 0, "sluice test CA"),
          "both none": "refused",
          "both stranger": fields("stranger.test", 21, "sluice test CA"),
          // The client's own certificate's errors are crt-ignore-err's, not ca-ignore-err's.
          "caonly client": fields("client.one", 0, "sluice test CA"),
          "caonly none": none,
          "caonly stranger": "refused",
        });
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});

/** A CRL of the test CA revoking `leaf` (openssl ca, as an operator would make one). */
function revoke(pki: TestPki, leaf: Leaf): string {
  const dir = pki.dir;
  const conf = join(dir, "crl.cnf");
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "crlnumber"), "01\n");
  writeFileSync(conf, `[ ca ]\ndefault_ca = test\n[ test ]\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n`);
  const ca = ["-config", conf, "-keyfile", join(dir, "ca.key"), "-cert", pki.caFile];
  execFileSync("openssl", ["ca", ...ca, "-revoke", leaf.cert], { stdio: "ignore" });
  const crl = join(dir, "ca.crl");
  execFileSync("openssl", ["ca", ...ca, "-gencrl", "-out", crl], { stdio: "ignore" });
  return crl;
}

describe("crl-file: a revoked client certificate, against HAProxy 2.6", () => {
  let pki: TestPki;
  let srv: Leaf;
  let client: Leaf;
  let revoked: Leaf;
  let crl: string;
  const config = (port: number) => `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend revocation
    bind 127.0.0.1:${port} ssl crt ${srv.pem} ca-file ${pki.caFile} verify required crl-file ${crl}
    http-request return status 200 content-type text/plain lf-string "cn=%[ssl_c_s_dn(cn)]\\n"
`;

  beforeAll(() => {
    pki = new TestPki();
    srv = pki.leaf("srv", { names: ["srv.test"] });
    client = pki.leaf("client", { names: ["client.one"] });
    revoked = pki.leaf("revoked", { names: ["revoked.one"] });
    crl = revoke(pki, revoked);
  });

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the revoked certificate is refused, the other served (Deno: refused at start)`, async () => {
      const port = await freePort();
      if (proxy.name === "sluice deno") {
        // Deno's TLS library ignores CRLs: the bind is refused rather than served without them.
        const dir = tempDir();
        writeFileSync(join(dir, "crl.cfg"), config(port));
        const run = spawnSluice(TARGETS.find((t) => t.name === "deno")!, ["-f", join(dir, "crl.cfg")]);
        expect(await run.exited).not.toBe(0);
        expect(run.errLines.join("\n")).toContain("crl-file cannot be applied under Deno");
        return;
      }
      const running = await proxy.start(config(port), [port]);
      try {
        expect([await ask(port, client), await ask(port, revoked)]).toEqual(["200 cn=client.one", "refused"]);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
