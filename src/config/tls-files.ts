// The files TLS keywords name, read and checked at load, found as
// schema-paths.ts says (crt-base, ca-base, default-path; by default next to
// the config file that names them): `crt FILE|DIR` (a directory:
// every PEM in it, sorted), `crt-list FILE` (lines `FILE [sni filters]`,
// HAProxy's layout, `#` comments; `[...]` SSL options per line are not
// supported), `default-crt`, and for servers `ca-file` and `crt`. An error
// names the file and says what is wrong with it.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseCertificatePem } from "../tls/pem.ts";
import type { FilePaths } from "./schema-paths.ts";
import { type BindSslPart, type ServerSslPart, SYSTEM_CA } from "./schema-tls.ts";
import { BUILTIN, type BindTls, type ServerTls, type TlsCertificate } from "./types.ts";

export type Loaded<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function readText(path: string): string | { error: string } {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { error: `cannot read it (${typeof code === "string" ? code : String(e)})` };
  }
}

function certificate(path: string, filters: string[] | undefined, errors: string[]): TlsCertificate | undefined {
  const text = readText(path);
  if (typeof text !== "string") {
    errors.push(`certificate '${path}': ${text.error}`);
    return undefined;
  }
  const r = parseCertificatePem(text);
  if (!r.ok) {
    errors.push(`certificate '${path}': ${r.error}`);
    return undefined;
  }
  // crt-list filters: the names listed replace the certificate's own; "!name" removes one.
  const wanted = (filters ?? []).filter((f) => !f.startsWith("!")).map((f) => f.toLowerCase());
  const removed = new Set((filters ?? []).filter((f) => f.startsWith("!")).map((f) => f.slice(1).toLowerCase()));
  const names = (wanted.length > 0 ? wanted : [...r.file.names]).filter((n) => !removed.has(n));
  return { file: path, cert: r.file.cert, key: r.file.key, names, keyType: r.file.keyType };
}

/** `crt FILE|DIR`: one file, or every `.pem`/`.crt` file of a directory, by name. */
function crtEntry(path: string, errors: string[]): TlsCertificate[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // not there: certificate() reports it
  }
  if (!isDir) {
    const c = certificate(path, undefined, errors);
    return c === undefined ? [] : [c];
  }
  const names = readdirSync(path).filter((n) => /\.(pem|crt)$/i.test(n)).sort();
  if (names.length === 0) errors.push(`crt directory '${path}': no .pem or .crt file in it`);
  const out: TlsCertificate[] = [];
  for (const n of names) {
    const c = certificate(join(path, n), undefined, errors);
    if (c !== undefined) out.push(c);
  }
  return out;
}

/** `crt-list FILE`: `CERT [sni filter...]` per line; CERT relative to the config file as HAProxy. */
function crtList(path: string, paths: FilePaths, errors: string[]): TlsCertificate[] {
  const text = readText(path);
  if (typeof text !== "string") {
    errors.push(`crt-list '${path}': ${text.error}`);
    return [];
  }
  const out: TlsCertificate[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const [file, ...filters] = line.split(/\s+/) as [string, ...string[]];
    if (filters[0]?.startsWith("[")) {
      errors.push(`crt-list '${path}' line ${i + 1}: per-certificate SSL options ('[...]') are not supported yet`);
      continue;
    }
    const c = certificate(paths.crt(file), filters, errors);
    if (c !== undefined) out.push(c);
  }
  return out;
}

export function loadBindTls(
  part: BindSslPart,
  paths: FilePaths,
  defaults: { minVersion?: BindTls["minVersion"]; maxVersion?: BindTls["maxVersion"]; ciphers?: string; ciphersuites?: string },
): Loaded<BindTls> {
  const errors: string[] = [];
  const certificates: TlsCertificate[] = [];
  for (const crt of part.crt) certificates.push(...crtEntry(paths.crt(crt), errors));
  for (const list of part.crtList) certificates.push(...crtList(paths.near(list), paths, errors));
  let defaultCertificate = 0;
  if (part.defaultCrt !== undefined) {
    const path = paths.crt(part.defaultCrt);
    const at = certificates.findIndex((c) => c.file === path);
    if (at >= 0) {
      defaultCertificate = at;
    } else {
      const c = certificate(path, undefined, errors);
      if (c !== undefined) {
        defaultCertificate = certificates.length;
        certificates.push(c);
      }
    }
  }
  const ca = part.verify === undefined || part.caFile === undefined ? undefined : caText(paths.ca(part.caFile), errors);
  const crl = part.verify === undefined || part.crlFile === undefined ? undefined : pemText("crl-file", paths.ca(part.crlFile), "X509 CRL", errors);
  if (errors.length > 0) return { ok: false, errors };
  if (certificates.length === 0) return { ok: false, errors: ["no certificate loaded"] };
  const tls: BindTls = {
    certificates,
    defaultCertificate,
    alpn: part.alpn ?? [],
    minVersion: part.minVersion ?? defaults.minVersion ?? BUILTIN.tls.minVersion,
    strictSni: part.strictSni,
    ticketKeyRotate: BUILTIN.tls.ticketKeyRotate,
    tlsTickets: part.noTlsTickets ? false : BUILTIN.tls.tlsTickets,
  };
  const maxVersion = part.maxVersion ?? defaults.maxVersion;
  if (maxVersion !== undefined) tls.maxVersion = maxVersion;
  const ciphers = part.ciphers ?? defaults.ciphers;
  if (ciphers !== undefined) tls.ciphers = ciphers;
  const ciphersuites = part.ciphersuites ?? defaults.ciphersuites;
  if (ciphersuites !== undefined) tls.ciphersuites = ciphersuites;
  if (part.curves !== undefined) tls.curves = part.curves;
  if (part.verify !== undefined && ca !== undefined) {
    const clients: NonNullable<BindTls["clientCertificates"]> = { verify: part.verify, ca };
    if (crl !== undefined) clients.crl = crl;
    if (part.crtIgnoreErr !== undefined) clients.crtIgnoreErr = part.crtIgnoreErr;
    if (part.caIgnoreErr !== undefined) clients.caIgnoreErr = part.caIgnoreErr;
    tls.clientCertificates = clients;
  }
  return { ok: true, value: tls };
}

export function loadServerTls(part: ServerSslPart, paths: FilePaths): Loaded<ServerTls> {
  const errors: string[] = [];
  // Defaults (BUILTIN, ssl-server-verify, ssl-default-server-*) apply in build.ts.
  const tls: ServerTls = {
    verify: part.verify ?? BUILTIN.tls.serverVerify,
    sni: part.sni ?? "",
    alpn: part.alpn ?? [],
    reuse: part.reuse ?? true,
    tickets: part.tickets ?? true,
  };
  if (part.sniExpr !== undefined) tls.sniExpr = part.sniExpr;
  if (part.verifyHost !== undefined) tls.verifyHost = part.verifyHost;
  if (part.minVersion !== undefined) tls.minVersion = part.minVersion;
  if (part.maxVersion !== undefined) tls.maxVersion = part.maxVersion;
  if (part.ciphers !== undefined) tls.ciphers = part.ciphers;
  if (part.ciphersuites !== undefined) tls.ciphersuites = part.ciphersuites;
  if (part.checkSni !== undefined) tls.checkSni = part.checkSni;
  if (part.checkAlpn !== undefined) tls.checkAlpn = part.checkAlpn;
  if (part.caFile !== undefined && part.caFile !== SYSTEM_CA) {
    const text = caText(paths.ca(part.caFile), errors);
    if (text !== undefined) tls.ca = text;
  }
  if (part.crt !== undefined) {
    const c = certificate(paths.crt(part.crt), undefined, errors);
    if (c !== undefined) tls.clientCert = { cert: c.cert, key: c.key };
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: tls };
}

/** A CA file's PEM text, or undefined with what is wrong added to `errors`. */
function caText(path: string, errors: string[]): string | undefined {
  return pemText("ca-file", path, "CERTIFICATE", errors);
}

/** A PEM file holding at least one `label` block, or undefined with what is wrong added to `errors`. */
function pemText(keyword: string, path: string, label: string, errors: string[]): string | undefined {
  const text = readText(path);
  if (typeof text !== "string") errors.push(`${keyword} '${path}': ${text.error}`);
  else if (!text.includes(`-----BEGIN ${label}-----`)) errors.push(`${keyword} '${path}': no PEM ${label === "CERTIFICATE" ? "certificate" : label} in it`);
  else return text;
  return undefined;
}
