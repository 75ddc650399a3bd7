// HAProxy's certificate files: one PEM holding the certificate, its chain and
// the private key, in any order. Pure over the text (the config reads the
// files); node:crypto checks that the pieces are what they claim to be and
// that the key matches the certificate, and names the certificate's DNS names.
import { createPrivateKey, X509Certificate } from "node:crypto";

export type KeyType = "ec" | "rsa" | "other";

export interface CertificateFile {
  /** The leaf then its chain, PEM. */
  readonly cert: string;
  readonly key: string;
  /** DNS names from the subjectAltName, else the subject's CN; lower case, wildcards kept ("*.a.test"). */
  readonly names: readonly string[];
  readonly keyType: KeyType;
}

export type PemResult = { ok: true; file: CertificateFile } | { ok: false; error: string };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Parses and checks one PEM text. The error says what is wrong, not which file (the caller knows). */
export function parseCertificatePem(text: string): PemResult {
  const certs: string[] = [];
  let key: string | undefined;
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    if (label === "CERTIFICATE") certs.push(m[0]);
    else if (label.endsWith("PRIVATE KEY")) {
      if (key !== undefined) return { ok: false, error: "more than one private key" };
      key = m[0];
    }
  }
  if (certs.length === 0) return { ok: false, error: "no certificate (expected a PEM 'BEGIN CERTIFICATE' block)" };
  if (key === undefined) return { ok: false, error: "no private key (HAProxy's layout: certificate, chain and key in one file)" };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0]!);
  } catch (e) {
    return { ok: false, error: `unreadable certificate (${(e as Error).message})` };
  }
  let keyType: KeyType;
  try {
    const k = createPrivateKey(key);
    keyType = k.asymmetricKeyType === "ec" ? "ec" : k.asymmetricKeyType === "rsa" ? "rsa" : "other";
    if (!leaf.checkPrivateKey(k)) return { ok: false, error: "the private key does not match the certificate" };
  } catch (e) {
    return { ok: false, error: `unreadable private key (${(e as Error).message})` };
  }
  return { ok: true, file: { cert: certs.join("\n") + "\n", key: key + "\n", names: namesOf(leaf), keyType } };
}

/** SAN DNS names, else the CN, as HAProxy indexes a certificate for SNI. */
export function namesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san !== undefined && san !== "") {
    const names = san.split(/,\s*/).filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4).toLowerCase());
    if (names.length > 0) return names;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn === undefined ? [] : [cn.toLowerCase()];
}
