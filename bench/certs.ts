// Benchmark certificates: ECDSA P-256 or RSA-2048, self-signed (one
// certificate in the handshake, as before the shared helper), made by
// tests/support/certs.ts with the openssl CLI and written as one PEM in
// HAProxy's layout (certificate, then key). Test-only keys in a temporary
// directory, never committed.
import { type KeyType, TestPki } from "../tests/support/certs.ts";

export type { KeyType };

export interface BenchCert {
  /** Certificate and key in one file, for `bind … ssl crt FILE`. */
  pem: string;
  /** The certificate alone (clients that verify trust it). */
  cert: string;
}

/** Files `<key>.crt`, `<key>.key`, `<key>.pem` in `dir`, for `name` and 127.0.0.1. */
export function benchCert(dir: string, key: KeyType, name = "bench.test"): BenchCert {
  // TestPki makes its CA in `dir` too; a self-signed leaf does not use it.
  const leaf = new TestPki(dir).leaf(key, { names: [name, "127.0.0.1"], key, selfSigned: true, days: 2 });
  return { pem: leaf.pem, cert: leaf.cert };
}
