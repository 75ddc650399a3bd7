// HAProxy's names for TLS versions (`ssl-min-ver TLSv1.0`) → the TLS
// library's (node:tls says `TLSv1`), for binds and servers alike.

/** HAProxy's spelling (config/types-tls.ts's TlsVersion). */
type TlsVersion = "TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
export type LibraryTlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

const LIBRARY_NAME: Record<TlsVersion, LibraryTlsVersion> = {
  "TLSv1.0": "TLSv1",
  "TLSv1.1": "TLSv1.1",
  "TLSv1.2": "TLSv1.2",
  "TLSv1.3": "TLSv1.3",
};

export function libraryTlsVersion(version: TlsVersion): LibraryTlsVersion {
  return LIBRARY_NAME[version];
}
