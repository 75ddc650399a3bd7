// A TLS bind's verdict on a client's certificate (HAProxy's bind `verify
// optional|required`, `crt-ignore-err`, `ca-ignore-err`), once the handshake
// handed it over with the TLS library's verification result. With `verify
// required` and nothing ignored the library refuses in the handshake itself;
// the other cases come here.

/** What a bind says of clients' certificates (config/types-tls.ts's ClientCertificates). */
export interface ClientCertificatePolicy {
  readonly verify: "optional" | "required";
  readonly crtIgnoreErr?: "all" | readonly number[];
  readonly caIgnoreErr?: "all" | readonly number[];
}

/**
 * OpenSSL's X509_V_ERR codes by name (x509_vfy.h, OpenSSL 3.0), which the
 * TLS libraries report and `ssl_c_verify` and the ignore lists use.
 */
const X509_ERRORS: Readonly<Record<string, number>> = {
  UNSPECIFIED: 1,
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16,
  OUT_OF_MEM: 17,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  SUBJECT_ISSUER_MISMATCH: 29,
  AKID_SKID_MISMATCH: 30,
  AKID_ISSUER_SERIAL_MISMATCH: 31,
  KEYUSAGE_NO_CERTSIGN: 32,
  UNABLE_TO_GET_CRL_ISSUER: 33,
  UNHANDLED_CRITICAL_EXTENSION: 34,
  KEYUSAGE_NO_CRL_SIGN: 35,
  UNHANDLED_CRITICAL_CRL_EXTENSION: 36,
  INVALID_NON_CA: 37,
  PROXY_PATH_LENGTH_EXCEEDED: 38,
  KEYUSAGE_NO_DIGITAL_SIGNATURE: 39,
  PROXY_CERTIFICATES_NOT_ALLOWED: 40,
  INVALID_EXTENSION: 41,
  INVALID_POLICY_EXTENSION: 42,
  NO_EXPLICIT_POLICY: 43,
  DIFFERENT_CRL_SCOPE: 44,
  UNSUPPORTED_EXTENSION_FEATURE: 45,
  UNNESTED_RESOURCE: 46,
  PERMITTED_VIOLATION: 47,
  EXCLUDED_VIOLATION: 48,
  SUBTREE_MINMAX: 49,
  APPLICATION_VERIFICATION: 50,
  HOSTNAME_MISMATCH: 62,
  EMAIL_MISMATCH: 63,
  IP_ADDRESS_MISMATCH: 64,
};

/** The X509_V_ERR code of a verification error's name ("" verified: 0; a name not known: 1, X509_V_ERR_UNSPECIFIED). */
export function x509ErrorCode(name: string): number {
  return name === "" ? 0 : X509_ERRORS[name] ?? 1;
}

function ignores(list: "all" | readonly number[] | undefined, code: number): boolean {
  return list === "all" || (list !== undefined && list.includes(code));
}

/**
 * The errors OpenSSL's verification reports one after the other (each must be
 * ignored for it to go on) for the error the library hands over last: a leaf
 * whose issuer is unknown is X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY (20)
 * first, then UNABLE_TO_VERIFY_LEAF_SIGNATURE (21), the one reported.
 */
const REPORTED_BEFORE: Readonly<Record<number, readonly number[]>> = { 21: [20, 21] };

/**
 * Errors about a certificate above the client's in its chain (HAProxy's
 * `ca-ignore-err`, errors at depth > 0); the others are about the client's
 * own (`crt-ignore-err`, depth 0). The library does not say the depth, so
 * it is told by the error's nature.
 */
const CA_ERRORS: ReadonlySet<number> = new Set([2, 19, 22, 24, 25]);

/**
 * Why the bind refuses this client, as HAProxy logs it, or undefined when it
 * is served. `peer`: what the client presented (undefined: no certificate).
 */
export function certificateRefusal(policy: ClientCertificatePolicy, peer: { readonly verifyError: string } | undefined): string | undefined {
  if (peer === undefined) return policy.verify === "required" ? "SSL handshake failure (no client certificate)" : undefined;
  if (peer.verifyError === "") return undefined;
  const code = x509ErrorCode(peer.verifyError);
  const ignored = (REPORTED_BEFORE[code] ?? [code]).every((c) => ignores(CA_ERRORS.has(c) ? policy.caIgnoreErr : policy.crtIgnoreErr, c));
  return ignored ? undefined : `SSL client certificate not trusted (${peer.verifyError})`;
}

/** The library can refuse in the handshake itself: a certificate is required and no error is ignored. */
export function refusedInHandshake(policy: ClientCertificatePolicy): boolean {
  return policy.verify === "required" && policy.crtIgnoreErr === undefined && policy.caIgnoreErr === undefined;
}
