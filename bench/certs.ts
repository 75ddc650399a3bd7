// Self-signed benchmark certificates made with the openssl CLI: ECDSA P-256 or
// RSA-2048, written as one PEM in HAProxy's layout (certificate, then key).
// Test-only keys in a temporary directory, never committed.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type KeyType = "ec" | "rsa";

export interface BenchCert {
  /** Certificate and key in one file, for `bind … ssl crt FILE`. */
  pem: string;
  /** The certificate alone (clients that verify trust it). */
  cert: string;
}

export function benchCert(dir: string, key: KeyType, name = "bench.test"): BenchCert {
  const keyFile = join(dir, `${key}.key`);
  const cert = join(dir, `${key}.crt`);
  const newKey = key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  execFileSync("openssl", [
    "req", "-x509", ...newKey, "-nodes", "-days", "2", "-subj", `/CN=${name}`,
    "-addext", `subjectAltName=DNS:${name},IP:127.0.0.1`, "-keyout", keyFile, "-out", cert,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  const pem = join(dir, `${key}.pem`);
  writeFileSync(pem, Buffer.concat([readFileSync(cert), readFileSync(keyFile)]));
  return { pem, cert };
}
