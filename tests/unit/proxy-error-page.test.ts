// The proxy's page for an error status: the backend's, else the frontend's;
// a page built per transaction only when there is one.
import { expect, test } from "bun:test";
import { proxyErrorPage } from "../../src/session/proxy-error-page.ts";
import type { Txn } from "../../src/rules/types.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const txn = {} as Txn;

test("the backend's page, else the frontend's; fixed or built per transaction", () => {
  const frontend = { errorFiles: { 503: bytes("fe 503"), 502: bytes("fe 502") }, errorFormats: { 404: { build: () => bytes("fe 404 built") } } };
  const backend = { errorFiles: { 502: bytes("be 502") }, errorFormats: { 503: { build: () => bytes("be 503 built") } } };
  const text = (page: Uint8Array | undefined) => (page === undefined ? undefined : new TextDecoder().decode(page));
  expect(text(proxyErrorPage(502, backend, frontend, txn))).toBe("be 502");
  expect(text(proxyErrorPage(503, backend, frontend, txn))).toBe("be 503 built");
  expect(text(proxyErrorPage(404, backend, frontend, txn))).toBe("fe 404 built");
  expect(text(proxyErrorPage(500, backend, frontend, txn))).toBeUndefined();
  // No transaction (a request that could not be read): fixed pages only.
  expect(text(proxyErrorPage(503, backend, frontend, undefined))).toBe("fe 503");
  expect(text(proxyErrorPage(404, undefined, frontend, undefined))).toBeUndefined();
});
