// Test certificates made with the openssl CLI in a temporary directory: a CA,
// leaf certificates signed by it (ECDSA P-256 or RSA-2048, any names,
// wildcards), each also written as one PEM in HAProxy's layout (certificate,
// chain, key). Runs under Bun and Deno alike (node:child_process), so the
// runtime conformance suite, the e2e tests and the benchmarks share it.
//
//   const pki = new TestPki();                 // a fresh dir and a CA
//   const a = pki.leaf("a", { names: ["a.test"] });
//   a.pem   → ".../a.pem" (cert + CA + key)    a.cert, a.key, a.certPem, a.keyPem
//   pki.caFile → the CA certificate, for clients (curl --cacert, -CAfile)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type KeyType = "ec" | "rsa";

export interface LeafOptions {
  /** DNS names (SAN). The first is also the subject's CN. Wildcards allowed ("*.w.test"). */
  names: string[];
  /** Default "ec" (P-256). */
  key?: KeyType;
  /** Signed by the test CA (default) or self-signed. */
  selfSigned?: boolean;
  /** Days of validity, default 30. */
  days?: number;
}

export interface Leaf {
  /** The certificate file (PEM, the leaf only). */
  cert: string;
  /** The private key file (PEM). */
  key: string;
  /** HAProxy's one-file layout: leaf, CA, key. */
  pem: string;
  certPem: string;
  keyPem: string;
  /** The subject's CN (the first name). */
  cn: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(file: string, type: KeyType, cwd: string): void {
  if (type === "ec") {
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file], cwd);
  } else {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file], cwd);
  }
}

export class TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly caKey: string;
  private serial = 1;

  constructor(dir = mkdtempSync(join(tmpdir(), "sluice-pki-")), caKey: KeyType = "ec") {
    this.dir = dir;
    this.caFile = join(dir, "ca.crt");
    this.caKey = join(dir, "ca.key");
    newKey(this.caKey, caKey, dir);
    openssl([
      "req", "-x509", "-new", "-key", this.caKey, "-out", this.caFile, "-days", "30",
      "-subj", "/CN=sluice test CA", "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
  }

  /** A certificate for `names`, written as `<base>.crt`, `<base>.key` and `<base>.pem`. */
  leaf(base: string, options: LeafOptions): Leaf {
    const dir = this.dir;
    const cn = options.names[0] ?? base;
    const key = join(dir, `${base}.key`);
    const cert = join(dir, `${base}.crt`);
    const csr = join(dir, `${base}.csr`);
    const ext = join(dir, `${base}.ext`);
    newKey(key, options.key ?? "ec", dir);
    const san = options.names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    writeFileSync(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n` +
        `extendedKeyUsage=serverAuth,clientAuth\n${san ? `subjectAltName=${san}\n` : ""}`,
    );
    openssl(["req", "-new", "-key", key, "-out", csr, "-subj", `/CN=${cn}`], dir);
    const validity = ["-days", String(options.days ?? 30)];
    if (options.selfSigned) {
      openssl(["x509", "-req", "-in", csr, "-key", key, "-out", cert, "-extfile", ext, ...validity], dir);
    } else {
      openssl([
        "x509", "-req", "-in", csr, "-CA", this.caFile, "-CAkey", this.caKey,
        "-set_serial", String(this.serial++), "-out", cert, "-extfile", ext, ...validity,
      ], dir);
    }
    const certPem = readFileSync(cert, "utf8");
    const keyPem = readFileSync(key, "utf8");
    const pem = join(dir, `${base}.pem`);
    const chain = options.selfSigned ? "" : readFileSync(this.caFile, "utf8");
    writeFileSync(pem, certPem + chain + keyPem);
    return { cert, key, pem, certPem, keyPem, cn };
  }
}
