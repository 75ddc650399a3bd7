// HAProxy's PEM layout read by src/tls/pem.ts: certificate + chain + key in any
// order; the names a certificate answers; the errors for broken files.
import { beforeAll, expect, test } from "bun:test";
import { parseCertificatePem } from "../../../src/tls/pem.ts";
import { type Leaf, TestPki } from "../../support/certs.ts";
import { readFileSync } from "node:fs";

let pki: TestPki;
let ec: Leaf;
let rsa: Leaf;
let cnOnly: Leaf;

beforeAll(() => {
  pki = new TestPki();
  ec = pki.leaf("ec", { names: ["a.test", "*.b.test"] });
  rsa = pki.leaf("rsa", { names: ["r.test"], key: "rsa" });
  cnOnly = pki.leaf("cn", { names: [] });
});

test("leaf, chain and key; SAN names; key type", () => {
  const r = parseCertificatePem(readFileSync(ec.pem, "utf8"));
  if (!r.ok) throw new Error(r.error);
  expect(r.file.names).toEqual(["a.test", "*.b.test"]);
  expect(r.file.keyType).toBe("ec");
  expect(r.file.cert.match(/BEGIN CERTIFICATE/g)?.length).toBe(2);
  const k = parseCertificatePem(rsa.keyPem + rsa.certPem);
  expect(k.ok && k.file.keyType).toBe("rsa");
});

test("without a SAN, the CN names it", () => {
  const r = parseCertificatePem(cnOnly.certPem + cnOnly.keyPem);
  expect(r.ok && r.file.names).toEqual(["cn"]);
});

test("errors: no certificate, no key, a key of another certificate, garbage", () => {
  expect(parseCertificatePem(ec.keyPem)).toEqual({ ok: false, error: "no certificate (expected a PEM 'BEGIN CERTIFICATE' block)" });
  expect(parseCertificatePem(ec.certPem)).toMatchObject({ ok: false, error: expect.stringContaining("no private key") });
  expect(parseCertificatePem(ec.certPem + rsa.keyPem)).toEqual({ ok: false, error: "the private key does not match the certificate" });
  const r = parseCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + ec.keyPem);
  expect(r.ok).toBe(false);
  expect(r.ok ? "" : r.error).toContain("unreadable certificate");
});
