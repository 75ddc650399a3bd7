// A TLS bind of the configuration → what the runtime's TLS listener serves:
// the certificate groups and the SNI choice (src/tls/sni.ts), versions in the
// TLS library's names, and `timeout client` as the handshake's deadline
// (HAProxy counts the handshake in the client's time).
import type { BindTls } from "../config/types.ts";
import type { ServerTlsOptions } from "../runtime/types.ts";
import { refusedInHandshake } from "../tls/client-verify.ts";
import { planSni } from "../tls/sni.ts";
import { libraryTlsVersion } from "../tls/versions.ts";

export function serverTlsOptions(tls: BindTls, handshakeTimeoutMs: number): ServerTlsOptions {
  const plan = planSni(
    tls.certificates.map((c) => ({ pair: { cert: c.cert, key: c.key }, names: c.names, keyType: c.keyType })),
    tls.defaultCertificate,
    tls.strictSni,
  );
  const options: {
    -readonly [K in keyof ServerTlsOptions]: ServerTlsOptions[K];
  } = {
    groups: plan.groups,
    select: plan.select,
    alpn: tls.alpn,
    minVersion: libraryTlsVersion(tls.minVersion),
    ticketKeyRotateMs: tls.ticketKeyRotate,
    tickets: tls.tlsTickets,
    handshakeTimeoutMs,
  };
  if (tls.maxVersion !== undefined) options.maxVersion = libraryTlsVersion(tls.maxVersion);
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  if (tls.ciphersuites !== undefined) options.ciphersuites = tls.ciphersuites;
  if (tls.curves !== undefined) options.curves = tls.curves;
  if (tls.preferClientCiphers === true) options.preferClientCiphers = true;
  if (tls.sessionLifetimeSec !== undefined) options.sessionLifetimeSec = tls.sessionLifetimeSec;
  const clients = tls.clientCertificates;
  if (clients !== undefined) {
    options.clientCertificates = { ca: clients.ca, rejectInHandshake: refusedInHandshake(clients), ...(clients.crl === undefined ? {} : { crl: clients.crl }) };
  }
  return options;
}
