// The TLS settings the core consumes: a TLS bind's certificates and
// protocol choices, and a server's TLS (types.ts re-exports them).

/** HAProxy's names for TLS versions (`ssl-min-ver`, `ssl-max-ver`). */
export type TlsVersion = "TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** One certificate a TLS bind serves, read and checked at load. */
export interface TlsCertificate {
  /** The file it came from, as the process opens it. */
  file: string;
  /** The leaf then its chain, PEM. */
  cert: string;
  key: string;
  /** The names it answers for SNI: its crt-list filters, else its own SAN DNS names (or CN). Lower case. */
  names: string[];
  keyType: "ec" | "rsa" | "other";
}

/** `bind ADDR ssl ...`: TLS termination on this address. */
export interface BindTls {
  /** In configuration order (`crt` files, directories' files sorted, then `crt-list` lines). */
  certificates: TlsCertificate[];
  /** Index in `certificates` of the default one: `default-crt`, else the first. */
  defaultCertificate: number;
  /** `alpn h2,http/1.1`; empty: no ALPN. */
  alpn: string[];
  /** `ssl-min-ver` (else ssl-default-bind-options, else TLSv1.2 as HAProxy). */
  minVersion: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  ciphersuites?: string;
  curves?: string;
  /** `strict-sni`: a client without SNI, or with a name no certificate has, is refused. */
  strictSni: boolean;
  /** Session ticket keys are replaced this often, ms. */
  ticketKeyRotate: number;
  /** `tune.ssl.lifetime` (global): seconds a session stays resumable; absent: the TLS library's. */
  sessionLifetimeSec?: number;
  /** False with `no-tls-tickets` (on the bind or in ssl-default-bind-options): no session tickets are issued. */
  tlsTickets: boolean;
  /** `prefer-client-ciphers` (on the bind or in ssl-default-bind-options): the client's order picks the cipher, not the server's (HAProxy's default). */
  preferClientCiphers?: true;
  /** `verify optional|required` with `ca-file`: clients are asked for a certificate, verified against these CA certificates. */
  clientCertificates?: ClientCertificates;
}

/** A TLS bind's client certificates (HAProxy's bind `verify`, `ca-file`, `crt-ignore-err`, `ca-ignore-err`). */
export interface ClientCertificates {
  /** optional: a client without one is served; required: refused (in the handshake). */
  verify: "optional" | "required";
  /** The CA file's PEM text. */
  ca: string;
  /** `crl-file`: the PEM text of the CA's revocation lists (a revoked certificate is X509_V_ERR_CERT_REVOKED, 23). */
  crl?: string;
  /** X509_V_ERR codes that do not refuse a certificate (`all`: none does). */
  crtIgnoreErr?: "all" | number[];
  caIgnoreErr?: "all" | number[];
}

/** `server ... ssl ...`: TLS to this server. */
export interface ServerTls {
  /** `verify required` (default, as HAProxy) checks the certificate against `ca` or the system store. */
  verify: "none" | "required";
  /** `ca-file`: PEM text, read at load; undefined: the system store (no ca-file, or `ca-file @system-ca`). */
  ca?: string;
  /** `sni`: the name sent; "" sends none (HAProxy sends none unless told). */
  sni: string;
  /** `sni` with a sample expression, as written: the name comes per connection (`sni` is ""). */
  sniExpr?: string;
  /** `verifyhost`: the name the certificate must carry instead of the SNI. */
  verifyHost?: string;
  /** `ssl-min-ver` / `ssl-max-ver` / `no-tlsv1x` (else ssl-default-server-options): the versions offered. */
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** `ciphers` (TLS ≤ 1.2) and `ciphersuites` (TLS 1.3), else ssl-default-server-ciphers / -ciphersuites. */
  ciphers?: string;
  ciphersuites?: string;
  /** TLS sessions are resumed on later connections (HAProxy's default); false with `no-ssl-reuse`. */
  reuse: boolean;
  /** Resumption may use session tickets; false with `no-tls-tickets` (session IDs only). */
  tickets: boolean;
  /** `alpn`: offered protocols; h2 chosen makes the connection HTTP/2. Empty: none. */
  alpn: string[];
  /** `crt`: a client certificate (PEM with key). */
  clientCert?: { cert: string; key: string };
  /** `check-sni` / `check-alpn`: what the health checks send instead of sni / alpn. */
  checkSni?: string;
  checkAlpn?: string[];
}
