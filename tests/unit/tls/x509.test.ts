// The client-certificate reader (src/tls/x509.ts) against OpenSSL's own view
// of the same certificates, and the bind's verdict (src/tls/client-verify.ts).
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TestPki } from "../../support/certs.ts";
import { certificateFields, DerError, distinguishedName } from "../../../src/tls/x509.ts";
import { certificateRefusal, refusedInHandshake, x509ErrorCode } from "../../../src/tls/client-verify.ts";

function der(pemFile: string): Uint8Array {
  const pem = readFileSync(pemFile, "utf8");
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(b64, "base64"));
}

function openssl(file: string, ...args: string[]): string {
  return execFileSync("openssl", ["x509", "-in", file, "-noout", ...args], { encoding: "utf8" }).trim();
}

test("fields read as OpenSSL reads them: names, serial, dates, version, algorithms", () => {
  const pki = new TestPki();
  const leaf = pki.leaf("c", { names: ["client.one"], key: "rsa" });
  const f = certificateFields(der(leaf.cert));
  expect(distinguishedName(f.subject)).toBe(openssl(leaf.cert, "-subject", "-nameopt", "compat").replace(/^subject=/, ""));
  expect(distinguishedName(f.issuer)).toBe(openssl(leaf.cert, "-issuer", "-nameopt", "compat").replace(/^issuer=/, ""));
  expect([...f.serial].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("").toUpperCase()).toBe(openssl(leaf.cert, "-serial").replace(/^serial=/, "").padStart(2, "0"));
  expect(f.version).toBe(3);
  expect(f.notBefore).toMatch(/^\d{12}Z$/);
  expect(f.keyAlgorithm).toBe("rsaEncryption");
  expect(f.signatureAlgorithm).toBe("ecdsa-with-SHA256");
});

test("distinguished names: several attributes, an entry by occurrence, RFC 2253, bytes outside ASCII escaped", () => {
  const dir = new TestPki().dir;
  const key = join(dir, "m.key");
  const cert = join(dir, "m.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
    "-subj", "/C=FR/O=Acme, Inc./OU=one/OU=two/CN=Zoë Smith", "-utf8"], { stdio: "ignore" });
  const f = certificateFields(der(cert));
  // UTF-8 bytes outside ASCII as \xHH (X509_NAME_oneline's), the value itself as bytes.
  expect(distinguishedName(f.subject)).toBe("/C=FR/O=Acme, Inc./OU=one/OU=two/CN=Zo\\xC3\\xAB Smith");
  expect(distinguishedName(f.subject, "OU")).toBe("one");
  expect(distinguishedName(f.subject, "ou", 2)).toBe("two");
  expect(distinguishedName(f.subject, "OU", -1)).toBe("two");
  expect(distinguishedName(f.subject, "OU", 3)).toBeUndefined();
  expect(distinguishedName(f.subject, "L")).toBeUndefined();
  expect(distinguishedName(f.subject, "", 0, "rfc2253")).toBe("CN=Zo\xc3\xab Smith,OU=two,OU=one,O=Acme\\, Inc.,C=FR");
  expect(distinguishedName(f.issuer)).toBe(distinguishedName(f.subject));
});

test("bytes that are no certificate are refused, not misread", () => {
  expect(() => certificateFields(new Uint8Array([0x30, 0x82, 0xff]))).toThrow(DerError);
  expect(() => certificateFields(new Uint8Array([0x02, 0x01, 0x00]))).toThrow(DerError);
  expect(() => certificateFields(new Uint8Array(0))).toThrow(DerError);
});

test("verification errors: OpenSSL's codes; ignore lists as HAProxy applies them", () => {
  expect([x509ErrorCode(""), x509ErrorCode("CERT_HAS_EXPIRED"), x509ErrorCode("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), x509ErrorCode("SOMETHING_ELSE")]).toEqual([0, 10, 21, 1]);
  const required = { verify: "required" as const };
  const optional = { verify: "optional" as const };
  const stranger = { verifyError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" };
  expect(certificateRefusal(required, undefined)).toBe("SSL handshake failure (no client certificate)");
  expect(certificateRefusal(optional, undefined)).toBeUndefined();
  expect(certificateRefusal(optional, { verifyError: "" })).toBeUndefined();
  expect(certificateRefusal(optional, stranger)).toBe("SSL client certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)");
  // 20 comes before 21 in OpenSSL's verification: both must be ignored.
  expect(certificateRefusal({ ...optional, crtIgnoreErr: [21] }, stranger)).toBeDefined();
  expect(certificateRefusal({ ...optional, crtIgnoreErr: [20, 21] }, stranger)).toBeUndefined();
  expect(certificateRefusal({ ...optional, crtIgnoreErr: "all" }, stranger)).toBeUndefined();
  // The client's own certificate's errors are not ca-ignore-err's; a CA's are.
  expect(certificateRefusal({ ...optional, caIgnoreErr: "all" }, stranger)).toBeDefined();
  expect(certificateRefusal({ ...optional, caIgnoreErr: [19] }, { verifyError: "SELF_SIGNED_CERT_IN_CHAIN" })).toBeUndefined();
  expect(certificateRefusal({ ...optional, crtIgnoreErr: [10] }, { verifyError: "CERT_HAS_EXPIRED" })).toBeUndefined();
  expect([refusedInHandshake(required), refusedInHandshake(optional), refusedInHandshake({ ...required, crtIgnoreErr: [10] })]).toEqual([true, false, false]);
});
