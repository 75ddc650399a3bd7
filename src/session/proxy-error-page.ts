// Which page answers an error status of the proxy: the backend's, else the
// frontend's (HAProxy's order), each either a fixed page (errorfile,
// errorloc, http-error with constant parts, http-errors imports) or one
// built per transaction (http-error with log-format parts). Without a
// transaction (a request that could not be read, a timeout between
// requests) only fixed pages apply, as HAProxy's multiplexer sends only
// those at that stage.
import type { Txn } from "../rules/types.ts";

/** What a proxy (frontend or backend) answers for the error statuses. */
export interface ErrorPageSource {
  readonly errorFiles: Readonly<Record<number, Uint8Array>>;
  readonly errorFormats?: Readonly<Record<number, { readonly build?: (t: Txn) => Uint8Array }>> | undefined;
}

/** The proxy's page for `status`, if it has one (else the caller sends sluice's own). */
export function proxyErrorPage(status: number, backend: ErrorPageSource | undefined, frontend: ErrorPageSource, txn: Txn | undefined): Uint8Array | undefined {
  return pageOf(status, backend, txn) ?? pageOf(status, frontend, txn);
}

function pageOf(status: number, source: ErrorPageSource | undefined, txn: Txn | undefined): Uint8Array | undefined {
  if (source === undefined) return undefined;
  const fixed = source.errorFiles[status];
  if (fixed !== undefined) return fixed;
  const build = source.errorFormats?.[status]?.build;
  return build === undefined || txn === undefined ? undefined : build(txn);
}
