// The one certificate transaction of the process (`set ssl cert` opens or
// updates it, `commit ssl cert` applies it, `abort ssl cert` drops it):
// HAProxy allows one at a time, whichever connection opened it.
import type { CertificateFile } from "../tls/pem.ts";

export class CertTransactions {
  open: { file: string; pem: CertificateFile } | undefined;
}
