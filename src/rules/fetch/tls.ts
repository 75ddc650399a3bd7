// Fetches of the TLS the frontend terminated (HAProxy 2.6 §7.3.4): known once
// the handshake is done, so not in `tcp-request connection` rules (which run
// at accept). On a plain connection ssl_fc is false and the others give no
// sample.
import { createHash } from "node:crypto";
import { type CertificateFields, certificateFields, distinguishedName, latin1 } from "../../tls/x509.ts";
import { x509ErrorCode } from "../../tls/client-verify.ts";
import { ANY_STAGE, Stage, type FetchDef, type Sample, type Txn } from "../types.ts";
import { define, intArg, simple } from "./define.ts";

const AFTER_HANDSHAKE = ANY_STAGE & ~Stage.tcpConnection;

/** "" (nothing negotiated) is no sample. */
function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

type Peer = NonNullable<NonNullable<Txn["client"]["tls"]>["peer"]>;

/** Each certificate read once, however many fetches ask (null: bytes that are no certificate). */
const readCertificates = new WeakMap<Peer, CertificateFields | null>();

function certificate(t: Txn): CertificateFields | undefined {
  const peer = t.client.tls?.peer;
  if (peer === undefined) return undefined;
  let fields = readCertificates.get(peer);
  if (fields === undefined) {
    try {
      fields = certificateFields(peer.der);
    } catch {
      fields = null;
    }
    readCertificates.set(peer, fields);
  }
  return fields ?? undefined;
}

/** A fetch of the client's certificate: no sample on a plain connection or without one. */
function clientCert(name: string, out: "str" | "int" | "bin", read: (c: CertificateFields, t: Txn) => Sample | undefined): FetchDef {
  return simple(name, out, AFTER_HANDSHAKE, out === "int" ? "int" : "str", (t) => {
    const c = certificate(t);
    return c === undefined ? undefined : read(c, t);
  });
}

/** ssl_c_s_dn / ssl_c_i_dn([entry[,occ[,format]]]): HAProxy's arguments, checked at load. */
function dnFetch(name: string, pick: (c: CertificateFields) => CertificateFields["subject"]): FetchDef {
  return define(name, 0, 3, "str", AFTER_HANDSHAKE, "str", (args) => {
    const [entry = "", occText = "", format = ""] = args;
    const occurrence = occText === "" ? 1 : intArg(occText);
    if (occurrence === undefined) return `${name}: invalid occurrence '${occText}' (expected an integer)`;
    if (format !== "" && format !== "rfc2253") return `${name}: invalid format '${format}' (expected rfc2253)`;
    if (entry !== "" && occurrence === 0) return `${name}: occurrence 0 names no entry (1: the first, -1: the last)`;
    return {
      one: (t) => {
        const c = certificate(t);
        return c === undefined ? undefined : distinguishedName(pick(c), entry, occurrence, format);
      },
    };
  });
}

export const TLS_FETCHES: readonly FetchDef[] = [
  simple("ssl_fc", "bool", AFTER_HANDSHAKE, "bool", (t) => t.client.tls !== undefined),
  simple("ssl_fc_sni", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.sni)),
  simple("ssl_fc_protocol", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.version)),
  simple("ssl_fc_cipher", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.cipher)),
  simple("ssl_fc_alpn", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.alpn)),
  // The client's certificate (binds with `verify optional|required`).
  simple("ssl_c_used", "bool", AFTER_HANDSHAKE, "bool", (t) => (t.client.tls === undefined ? undefined : t.client.tls.peer !== undefined)),
  simple("ssl_fc_has_crt", "bool", AFTER_HANDSHAKE, "bool", (t) => (t.client.tls === undefined ? undefined : t.client.tls.peer !== undefined)),
  // X509_V_ERR code of the verification (0: verified, or no certificate), as HAProxy's.
  simple("ssl_c_verify", "int", AFTER_HANDSHAKE, "int", (t) => (t.client.tls === undefined ? undefined : x509ErrorCode(t.client.tls.peer?.verifyError ?? ""))),
  dnFetch("ssl_c_s_dn", (c) => c.subject),
  dnFetch("ssl_c_i_dn", (c) => c.issuer),
  clientCert("ssl_c_serial", "bin", (c) => c.serial),
  clientCert("ssl_c_notbefore", "str", (c) => c.notBefore),
  clientCert("ssl_c_notafter", "str", (c) => c.notAfter),
  clientCert("ssl_c_version", "int", (c) => c.version),
  clientCert("ssl_c_sig_alg", "str", (c) => c.signatureAlgorithm),
  clientCert("ssl_c_key_alg", "str", (c) => c.keyAlgorithm),
  clientCert("ssl_c_der", "bin", (_c, t) => latin1(t.client.tls!.peer!.der)),
  clientCert("ssl_c_sha1", "bin", (_c, t) => latin1(createHash("sha1").update(t.client.tls!.peer!.der).digest())),
];
