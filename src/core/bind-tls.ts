// A TLS bind of the configuration → what the runtime's TLS listener serves:
// the certificate groups and the SNI choice (src/tls/sni.ts), versions in the
// TLS library's names, and `timeout client` as the handshake's deadline
// (HAProxy counts the handshake in the client's time).
import type { BindTls, TlsVersion } from "../config/types.ts";
import type { ServerTlsOptions } from "../runtime/types.ts";
import { planSni } from "../tls/sni.ts";

const LIBRARY_NAME: Record<TlsVersion, NonNullable<ServerTlsOptions["minVersion"]>> = {
  "TLSv1.0": "TLSv1",
  "TLSv1.1": "TLSv1.1",
  "TLSv1.2": "TLSv1.2",
  "TLSv1.3": "TLSv1.3",
};

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
    minVersion: LIBRARY_NAME[tls.minVersion],
    ticketKeyRotateMs: tls.ticketKeyRotate,
    tickets: tls.tlsTickets,
    handshakeTimeoutMs,
  };
  if (tls.maxVersion !== undefined) options.maxVersion = LIBRARY_NAME[tls.maxVersion];
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  if (tls.ciphersuites !== undefined) options.ciphersuites = tls.ciphersuites;
  if (tls.curves !== undefined) options.curves = tls.curves;
  if (tls.preferClientCiphers === true) options.preferClientCiphers = true;
  return options;
}
