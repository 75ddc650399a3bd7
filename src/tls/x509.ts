// What the `ssl_c_*` fetches read of a client certificate, from its DER
// bytes: the subject and issuer names, the serial number, the validity dates,
// the version and the two algorithms. A reader of just the X.509 structure
// they need (RFC 5280 §4.1), not a verifier: the TLS library verified the
// certificate already. Names are written as OpenSSL's X509_NAME_oneline
// writes them (`/C=FR/O=Acme/CN=client one`), which is what HAProxy returns.

/** One attribute of a distinguished name: its short name (`CN`) or dotted OID, and its value's bytes (latin1: UTF-8 stays as bytes, as HAProxy returns it). */
export interface NameEntry {
  readonly type: string;
  readonly value: string;
}

export interface CertificateFields {
  /** 1, 2 or 3 (X.509 v3). */
  readonly version: number;
  /** The serial number's DER content octets, one latin1 character per byte (HAProxy's binary sample). */
  readonly serial: string;
  readonly issuer: readonly NameEntry[];
  readonly subject: readonly NameEntry[];
  /** The dates as the certificate writes them: UTCTime `YYMMDDhhmmssZ` or GeneralizedTime `YYYYMMDDhhmmssZ`. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** The signature algorithm's OpenSSL name (`ecdsa-with-SHA256`), else its dotted OID. */
  readonly signatureAlgorithm: string;
  /** The public key's algorithm (`id-ecPublicKey`, `rsaEncryption`), else its dotted OID. */
  readonly keyAlgorithm: string;
}

/** A malformed certificate (it cannot be, once the TLS library took it, but the reader must not trust that). */
export class DerError extends Error {}

interface Element {
  readonly tag: number;
  /** Where the content starts and ends in the buffer. */
  readonly start: number;
  readonly end: number;
}

function element(der: Uint8Array, at: number, limit: number): Element {
  if (at + 2 > limit) throw new DerError("truncated element");
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError("bad length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  if (start + length > limit) throw new DerError("element past its container");
  return { tag, start, end: start + length };
}

/** The elements directly inside a constructed one. */
function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const e = element(der, at, parent.end);
    out.push(e);
    at = e.end;
  }
  return out;
}

/** Bytes as text, one latin1 character per byte (HAProxy's binary samples). */
export function latin1(bytes: Uint8Array, e: { readonly start: number; readonly end: number } = { start: 0, end: bytes.length }): string {
  let s = "";
  for (let i = e.start; i < e.end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function oid(der: Uint8Array, e: Element): string {
  if (e.tag !== 0x06 || e.end === e.start) throw new DerError("expected an OID");
  const first = der[e.start]!;
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let value = 0;
  for (let i = e.start + 1; i < e.end; i++) {
    const b = der[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** OpenSSL's short names of the attributes certificates carry. */
const ATTRIBUTES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.17": "postalCode",
  "2.5.4.42": "GN",
  "2.5.4.43": "initials",
  "2.5.4.46": "dnQualifier",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** OpenSSL's names of the algorithms (signature and public key) a certificate names. */
const ALGORITHMS: Readonly<Record<string, string>> = {
  "1.2.840.10045.2.1": "id-ecPublicKey",
  "1.2.840.113549.1.1.1": "rsaEncryption",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "RSASSA-PSS",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
};

function name(der: Uint8Array, e: Element): NameEntry[] {
  if (e.tag !== 0x30) throw new DerError("expected a Name");
  const out: NameEntry[] = [];
  for (const rdn of children(der, e)) {
    for (const attribute of children(der, rdn)) {
      const [type, value] = children(der, attribute);
      if (type === undefined || value === undefined) throw new DerError("bad attribute");
      const id = oid(der, type);
      out.push({ type: ATTRIBUTES[id] ?? id, value: latin1(der, value) });
    }
  }
  return out;
}

function algorithm(der: Uint8Array, e: Element): string {
  const id = oid(der, children(der, e)[0] ?? e);
  return ALGORITHMS[id] ?? id;
}

/** Reads the fields; throws DerError on bytes that are no certificate. */
export function certificateFields(der: Uint8Array): CertificateFields {
  const cert = element(der, 0, der.length);
  const [tbs] = children(der, cert);
  if (cert.tag !== 0x30 || tbs === undefined || tbs.tag !== 0x30) throw new DerError("not a certificate");
  const parts = children(der, tbs);
  let i = 0;
  let version = 1;
  // [0] EXPLICIT Version, absent for v1.
  if (parts[0]?.tag === 0xa0) {
    const v = children(der, parts[0])[0];
    if (v === undefined || v.tag !== 0x02) throw new DerError("bad version");
    version = der[v.end - 1]! + 1;
    i = 1;
  }
  const [serial, signature, issuer, validity, subject, keyInfo] = parts.slice(i, i + 6);
  if (serial === undefined || signature === undefined || issuer === undefined || validity === undefined || subject === undefined || keyInfo === undefined) {
    throw new DerError("truncated certificate");
  }
  const [notBefore, notAfter] = children(der, validity);
  if (notBefore === undefined || notAfter === undefined) throw new DerError("bad validity");
  return {
    version,
    serial: latin1(der, serial),
    issuer: name(der, issuer),
    subject: name(der, subject),
    notBefore: latin1(der, notBefore),
    notAfter: latin1(der, notAfter),
    signatureAlgorithm: algorithm(der, signature),
    keyAlgorithm: algorithm(der, children(der, keyInfo)[0] ?? keyInfo),
  };
}

/** Bytes outside printable ASCII as `\xHH`, as X509_NAME_oneline writes them. */
function oneline(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const byte = value.charCodeAt(i);
    out += byte >= 0x20 && byte < 0x7f ? value[i] : `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** RFC 2253's escapes: `,+"\<>;` and a leading `#` or space, a trailing space. */
function rfc2253(value: string): string {
  return value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[# ]/, (c) => `\\${c}`).replace(/ $/, "\\ ");
}

/**
 * HAProxy's ssl_c_s_dn / ssl_c_i_dn: the whole name (`/C=FR/CN=x`, or with
 * format `rfc2253` `CN=x,C=FR`, last attribute first), or with `entry` the
 * value of its `occurrence`-th attribute of that type (1: the first from the
 * start, -1: the first from the end); undefined: no such attribute.
 */
export function distinguishedName(entries: readonly NameEntry[], entry = "", occurrence = 1, format = ""): string | undefined {
  if (entry === "") {
    if (format === "rfc2253") return [...entries].reverse().map((e) => `${e.type}=${rfc2253(e.value)}`).join(",");
    return entries.map((e) => `/${e.type}=${oneline(e.value)}`).join("");
  }
  const matching = entries.filter((e) => e.type.toLowerCase() === entry.toLowerCase());
  const picked = occurrence > 0 ? matching[occurrence - 1] : occurrence < 0 ? matching[matching.length + occurrence] : undefined;
  return picked?.value;
}
