// Valibot schemas for TLS: the bind options of `bind ... ssl`, the server
// options of `server ... ssl`, and the global `ssl-default-bind-*` keywords.
// Values are checked here; the files they name are read by tls-files.ts.

import * as v from "valibot";
import { parseDuration } from "./duration.ts";
import { BIND_SOCKET_FIELDS, BIND_SOCKET_KEYS } from "./schema-bind.ts";
import { keywords } from "./schema-keywords.ts";
import { BIND_PROXY_FIELDS, BIND_PROXY_KEYS } from "./schema-proxy-protocol.ts";
import { describe, flag, integer } from "./schema-values.ts";
import { FETCHES } from "../rules/fetch/index.ts";
import { BUILTIN, type TlsVersion } from "./types.ts";

export const TLS_VERSIONS: readonly TlsVersion[] = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

function text(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      if (typeof x === "string" && x !== "") return x;
      addIssue({ message: `invalid ${name} ${describe(x)} (expected a string)` });
      return NEVER;
    }),
  );
}

/** One file name, or several (YAML list; haproxy.cfg repeats the keyword). */
function files(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const list = Array.isArray(x) ? x : [x];
      if (list.length > 0 && list.every((f) => typeof f === "string" && f !== "")) return list as string[];
      addIssue({ message: `invalid ${name} ${describe(x)} (expected a file name or a list of them)` });
      return NEVER;
    }),
  );
}

function version(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): TlsVersion => {
      const x = dataset.value;
      if ((TLS_VERSIONS as readonly unknown[]).includes(x)) return x as TlsVersion;
      addIssue({
        message: x === "SSLv3"
          ? `${name} SSLv3 is not supported (TLS libraries here have no SSLv3)`
          : `invalid ${name} ${describe(x)} (expected ${TLS_VERSIONS.join(", ")})`,
      });
      return NEVER;
    }),
  );
}

const ALPN_TOKEN = /^[\x21-\x7e]{1,255}$/;

/** `alpn h2,http/1.1`: the protocols in preference order. */
export const AlpnSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const x = dataset.value;
    const list = typeof x === "string" ? x.split(",") : Array.isArray(x) ? x : undefined;
    if (list !== undefined && list.length > 0 && list.every((p) => typeof p === "string" && ALPN_TOKEN.test(p))) {
      return list as string[];
    }
    addIssue({ message: `invalid alpn ${describe(x)} (expected a list like 'h2,http/1.1')` });
    return NEVER;
  }),
);

/** The `no-tlsv1x` flags HAProxy accepts on binds and in ssl-default-bind-options. */
export const NO_VERSION_FLAGS: Record<string, TlsVersion | "SSLv3"> = {
  "no-sslv3": "SSLv3",
  "no-tlsv10": "TLSv1.0",
  "no-tlsv11": "TLSv1.1",
  "no-tlsv12": "TLSv1.2",
  "no-tlsv13": "TLSv1.3",
};

/** A bind's `verify none|optional|required`: whether clients are asked for a certificate, and whether one must come. */
function clientVerify() {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): "none" | "optional" | "required" => {
      const x = dataset.value;
      if (x === "none" || x === "optional" || x === "required") return x;
      addIssue({ message: `unknown verify method ${describe(x)}, only 'none', 'optional', and 'required' are supported` });
      return NEVER;
    }),
  );
}

/** OpenSSL's X509_V_ERR codes HAProxy's lists take (1..94 in HAProxy 2.6). */
const MAX_X509_ERROR = 94;

/** `crt-ignore-err all|ID[,ID...]`: the certificate verification errors that do not refuse a client. */
function ignoredErrors(keyword: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): "all" | number[] => {
      const x = dataset.value;
      if (x === "all") return "all";
      const list = typeof x === "string" ? x.split(",") : typeof x === "number" ? [String(x)] : Array.isArray(x) ? x.map(String) : undefined;
      const ids = list?.map((id) => (/^\d+$/.test(id) ? Number(id) : 0));
      const bad = ids?.findIndex((id) => id < 1 || id > MAX_X509_ERROR);
      if (ids !== undefined && ids.length > 0 && bad === -1) return ids;
      addIssue({ message: `${keyword} ${describe(x)}: expected 'all' or error IDs (1..${MAX_X509_ERROR}) separated by commas` });
      return NEVER;
    }),
  );
}

/** Bind keywords (haproxy.cfg words, the same keys in YAML). */
export const BIND_FIELDS = {
  address: v.unknown(),
  /** Not TLS: the clients' protocol (`proto h2`: HTTP/2 without TLS, prior knowledge). */
  proto: v.optional(v.picklist(["h2"], (issue) => `invalid bind proto ${describe(issue.input)} (expected h2)`)),
  ssl: v.optional(flag("ssl")),
  crt: v.optional(files("crt")),
  "crt-list": v.optional(files("crt-list")),
  "default-crt": v.optional(text("default-crt")),
  alpn: v.optional(AlpnSchema),
  "ssl-min-ver": v.optional(version("ssl-min-ver")),
  "ssl-max-ver": v.optional(version("ssl-max-ver")),
  ciphers: v.optional(text("ciphers")),
  ciphersuites: v.optional(text("ciphersuites")),
  curves: v.optional(text("curves")),
  "strict-sni": v.optional(flag("strict-sni")),
  "no-sslv3": v.optional(flag("no-sslv3")),
  "no-tlsv10": v.optional(flag("no-tlsv10")),
  "no-tlsv11": v.optional(flag("no-tlsv11")),
  "no-tlsv12": v.optional(flag("no-tlsv12")),
  "no-tlsv13": v.optional(flag("no-tlsv13")),
  "no-tls-tickets": v.optional(flag("no-tls-tickets")),
  "prefer-client-ciphers": v.optional(flag("prefer-client-ciphers")),
  // Client certificates (HAProxy's bind verify / ca-file / crt-ignore-err / ca-ignore-err).
  verify: v.optional(clientVerify()),
  "ca-file": v.optional(text("ca-file")),
  "crl-file": v.optional(text("crl-file")),
  "crt-ignore-err": v.optional(ignoredErrors("crt-ignore-err")),
  "ca-ignore-err": v.optional(ignoredErrors("ca-ignore-err")),
  ...BIND_PROXY_FIELDS,
  ...BIND_SOCKET_FIELDS,
};

/** The TLS settings of one bind, as written; files not read yet. */
export interface BindSslPart {
  crt: string[];
  crtList: string[];
  defaultCrt?: string;
  alpn?: string[];
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  ciphersuites?: string;
  curves?: string;
  strictSni: boolean;
  /** `no-tls-tickets` on this bind (ssl-default-bind-options may say it for every bind). */
  noTlsTickets: boolean;
  /** `prefer-client-ciphers` on this bind (or in ssl-default-bind-options): the client's cipher order wins. */
  preferClientCiphers?: true;
  /** `verify optional|required` (none: clients are not asked for a certificate). */
  verify?: "optional" | "required";
  /** `ca-file`: what clients' certificates are verified against. */
  caFile?: string;
  /** `crl-file`: certificates revoked by the CA (with `verify`; unused without, as HAProxy). */
  crlFile?: string;
  crtIgnoreErr?: "all" | number[];
  caIgnoreErr?: "all" | number[];
}

export type BindFields = v.InferOutput<v.ObjectSchema<typeof BIND_FIELDS, undefined>>;

/** The versions left by `no-tlsv1x` flags: the lowest and highest not excluded. */
export function versionsLeft(excluded: ReadonlySet<string>): { min?: TlsVersion; max?: TlsVersion } {
  const left = TLS_VERSIONS.filter((ver) => !excluded.has(ver));
  const out: { min?: TlsVersion; max?: TlsVersion } = {};
  if (excluded.size === 0 || left.length === 0) return out;
  if (left[0] !== TLS_VERSIONS[0]) out.min = left[0]!;
  if (left.at(-1) !== TLS_VERSIONS.at(-1)) out.max = left.at(-1)!;
  return out;
}

/** A bind's TLS part, or an error message (ssl options without `ssl`, `ssl` without a certificate). */
export function bindSslPart(o: BindFields): BindSslPart | undefined | string {
  const tlsKeys = Object.keys(o).filter((k) => k !== "address" && k !== "ssl" && k !== "proto" && !BIND_PROXY_KEYS.has(k) && !BIND_SOCKET_KEYS.has(k) && o[k as keyof BindFields] !== undefined);
  if (o.ssl !== true) {
    return tlsKeys.length > 0 ? `bind option '${tlsKeys[0]}' needs 'ssl' on the same bind` : undefined;
  }
  const crt = o.crt ?? [];
  const crtList = o["crt-list"] ?? [];
  if (crt.length === 0 && crtList.length === 0) {
    return "'ssl' needs a certificate: 'crt FILE|DIR' or 'crt-list FILE'";
  }
  const excluded = new Set(Object.keys(NO_VERSION_FLAGS).filter((k) => o[k as keyof BindFields] === true).map((k) => NO_VERSION_FLAGS[k]!));
  const left = versionsLeft(excluded);
  const part: BindSslPart = { crt, crtList, strictSni: o["strict-sni"] ?? false, noTlsTickets: o["no-tls-tickets"] ?? false };
  if (o["default-crt"] !== undefined) part.defaultCrt = o["default-crt"];
  if (o.alpn !== undefined) part.alpn = o.alpn;
  const min = o["ssl-min-ver"] ?? left.min;
  const max = o["ssl-max-ver"] ?? left.max;
  if (min !== undefined) part.minVersion = min;
  if (max !== undefined) part.maxVersion = max;
  if (min !== undefined && max !== undefined && TLS_VERSIONS.indexOf(min) > TLS_VERSIONS.indexOf(max)) {
    return `ssl-min-ver ${min} is above ssl-max-ver ${max}`;
  }
  if (o.ciphers !== undefined) part.ciphers = o.ciphers;
  if (o.ciphersuites !== undefined) part.ciphersuites = o.ciphersuites;
  if (o.curves !== undefined) part.curves = o.curves;
  if (o["prefer-client-ciphers"] === true) part.preferClientCiphers = true;
  const verify = o.verify ?? "none";
  if (verify !== "none") {
    // HAProxy: "verify is enabled but no CA file specified".
    if (o["ca-file"] === undefined) return `'verify ${verify}' needs 'ca-file' (the CA certificates clients' certificates are verified against)`;
    part.verify = verify;
  }
  if (o["ca-file"] !== undefined) part.caFile = o["ca-file"];
  if (o["crl-file"] !== undefined) part.crlFile = o["crl-file"];
  if (o["crt-ignore-err"] !== undefined) part.crtIgnoreErr = o["crt-ignore-err"];
  if (o["ca-ignore-err"] !== undefined) part.caIgnoreErr = o["ca-ignore-err"];
  return part;
}

/** What `ssl-default-bind-options` / `ssl-default-server-options` say. */
export interface DefaultSslOptions {
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  noTlsTickets?: true;
  preferClientCiphers?: true;
}

/** The flag words each keyword takes besides the versions, and what each sets. */
const OPTION_FLAGS = {
  "ssl-default-bind-options": { "no-tls-tickets": "noTlsTickets", "prefer-client-ciphers": "preferClientCiphers" },
  // HAProxy 2.6 refuses no-ssl-reuse here ("unknown option"): a server line says it.
  "ssl-default-server-options": { "no-tls-tickets": "noTlsTickets" },
} as const;

/** `ssl-default-bind-options` / `ssl-default-server-options`: the version words HAProxy accepts there, and the flags. */
function defaultOptionsSchema(keyword: keyof typeof OPTION_FLAGS) {
  const flags: Readonly<Record<string, "noTlsTickets" | "preferClientCiphers">> = OPTION_FLAGS[keyword];
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      if (typeof x !== "string") {
        addIssue({ message: `invalid ${keyword} ${describe(x)} (expected words like 'ssl-min-ver TLSv1.2')` });
        return NEVER;
      }
      const words = x.split(/\s+/).filter((w) => w !== "");
      const excluded = new Set<string>();
      const out: DefaultSslOptions = {};
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (w === "ssl-min-ver" || w === "ssl-max-ver") {
          const ver = words[++i];
          if (!(TLS_VERSIONS as readonly (string | undefined)[]).includes(ver)) {
            addIssue({ message: `invalid ${w} '${ver ?? ""}' in ${keyword} (expected ${TLS_VERSIONS.join(", ")})` });
            return NEVER;
          }
          if (w === "ssl-min-ver") out.minVersion = ver as TlsVersion;
          else out.maxVersion = ver as TlsVersion;
        } else if (w in NO_VERSION_FLAGS) {
          excluded.add(NO_VERSION_FLAGS[w]!);
        } else if (Object.hasOwn(flags, w)) {
          out[flags[w]!] = true;
        } else {
          addIssue({ message: `${keyword} '${w}' is not supported yet (supported: ssl-min-ver, ssl-max-ver, ${Object.keys(NO_VERSION_FLAGS).join(", ")}, ${Object.keys(flags).join(", ")})` });
          return NEVER;
        }
      }
      const left = versionsLeft(excluded);
      if (out.minVersion === undefined && left.min !== undefined) out.minVersion = left.min;
      if (out.maxVersion === undefined && left.max !== undefined) out.maxVersion = left.max;
      return out;
    }),
  );
}

export const DefaultBindOptionsSchema = defaultOptionsSchema("ssl-default-bind-options");
export const DefaultServerOptionsSchema = defaultOptionsSchema("ssl-default-server-options");

/** A server's `verify`, or the global `ssl-server-verify` (what servers without `verify` do; HAProxy's default: required). */
function verifyLevel(keyword: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): "none" | "required" => {
      const x = dataset.value;
      if (x === "none" || x === "required") return x;
      addIssue({ message: `invalid ${keyword} ${describe(x)} (expected none or required)` });
      return NEVER;
    }),
  );
}

export const SslServerVerifySchema = verifyLevel("ssl-server-verify");
export const ServerCiphersSchema = text("ssl-default-server-ciphers");
export const ServerCiphersuitesSchema = text("ssl-default-server-ciphersuites");

export const CiphersSchema = text("ssl-default-bind-ciphers");

/**
 * `tune.ssl.cachesize N`: HAProxy's session-ID cache (20000 entries by default).
 * sluice has none to size (BUILTIN.tls.sessionCacheSize): node:tls on Bun and
 * Deno never fires 'newSession' or 'resumeSession' (checked with openssl
 * s_client -no_ticket), so a client without a ticket always makes a full
 * handshake. 0 (no cache) is what sluice does and is accepted; any other size
 * is refused rather than silently ignored.
 */
export const SslCacheSizeSchema = v.pipe(
  integer("tune.ssl.cachesize", 0),
  v.check(
    (n) => n === BUILTIN.tls.sessionCacheSize,
    (issue) => `tune.ssl.cachesize ${issue.input} cannot be applied: sluice keeps no TLS session-ID cache (node:tls on Bun and Deno offers no session store), so only 0 is accepted; clients resume through session tickets unless 'no-tls-tickets'`,
  ),
);
export const CiphersuitesSchema = text("ssl-default-bind-ciphersuites");

/**
 * `tune.ssl.lifetime TIME` (seconds unless a unit is written, as HAProxy's
 * TIME_UNIT_S): how long a TLS session stays resumable, the lifetime its
 * tickets say; 0: the TLS library's own (HAProxy sets none then either).
 */
export const SslLifetimeSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): number => {
    const x = dataset.value;
    const text = typeof x === "number" ? String(x) : typeof x === "string" ? x.trim() : "";
    if (/^\d+$/.test(text)) return Number(text);
    const r = parseDuration(text);
    if (text !== "" && r.ok) return Math.ceil(r.ms / 1000);
    addIssue({ message: `'tune.ssl.lifetime' expects a time (seconds unless a unit is given, e.g. 300 or 5m), got ${describe(x)}` });
    return NEVER;
  }),
);

/**
 * A server's `check-sni`: a constant name (str(NAME), or NAME). HAProxy takes a
 * string there too.
 */
function sniName(keyword: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const name = typeof x === "string" ? constantSni(x) : undefined;
      if (name !== undefined) return name;
      addIssue({
        message: `${keyword} ${describe(x)} is not supported (supported: a constant name, 'str(NAME)' or 'NAME')`,
      });
      return NEVER;
    }),
  );
}

const HOST_NAME = /^[A-Za-z0-9.-]+$/;

/** `str(NAME)` or a bare NAME: the constant it names (sent as written, as HAProxy), else undefined. */
function constantSni(text: string): string | undefined {
  const m = /^str\(([^()]*)\)$/.exec(text);
  const name = m ? m[1]! : text;
  return HOST_NAME.test(name) ? name : undefined;
}

/**
 * A server's `sni`: HAProxy's sample expression (`req.hdr(host)`,
 * `ssl_fc_sni`...), evaluated for each connection; the text is kept as
 * written and compiled with the backend's rules (config/server-sni.ts).
 */
const SniExpression = text("sni");

/** `ca-file @system-ca`: HAProxy's name for the system's trust store. */
export const SYSTEM_CA = "@system-ca";

/** `server ... ssl [verify none|required] [ca-file F] [sni STR] [alpn L] [crt F]`. */
export const SERVER_SSL_FIELDS = {
  ssl: v.optional(flag("ssl")),
  verify: v.optional(verifyLevel("verify")),
  "ca-file": v.optional(text("ca-file")),
  sni: v.optional(SniExpression),
  /** The name the certificate must carry when no SNI is sent (with an SNI, the SNI's; with neither, the chain alone). */
  verifyhost: v.optional(text("verifyhost")),
  alpn: v.optional(AlpnSchema),
  crt: v.optional(text("crt")),
  "ssl-min-ver": v.optional(version("ssl-min-ver")),
  "ssl-max-ver": v.optional(version("ssl-max-ver")),
  "no-sslv3": v.optional(flag("no-sslv3")),
  "no-tlsv10": v.optional(flag("no-tlsv10")),
  "no-tlsv11": v.optional(flag("no-tlsv11")),
  "no-tlsv12": v.optional(flag("no-tlsv12")),
  "no-tlsv13": v.optional(flag("no-tlsv13")),
  ciphers: v.optional(text("ciphers")),
  ciphersuites: v.optional(text("ciphersuites")),
  /** `no-ssl-reuse` writes false: every connection a full handshake (HAProxy resumes by default). */
  "ssl-reuse": v.optional(flag("ssl-reuse")),
  /** `no-tls-tickets` writes false: resumption by session ID only. */
  "tls-tickets": v.optional(flag("tls-tickets")),
  /** What the checks send instead of `sni` / `alpn` (HAProxy's check-sni, check-alpn). */
  "check-sni": v.optional(sniName("check-sni")),
  "check-alpn": v.optional(AlpnSchema),
};

export type ServerSslFields = v.InferOutput<v.ObjectSchema<typeof SERVER_SSL_FIELDS, undefined>>;

/** The TLS settings of one server, as written; files not read yet. */
export interface ServerSslPart {
  /** `ssl` written: the traffic speaks TLS. Without it the settings serve `check-ssl` only (HAProxy's). */
  traffic: boolean;
  verify?: "none" | "required";
  caFile?: string;
  /** `sni` naming a constant. */
  sni?: string;
  /** `sni` with a sample expression: evaluated per connection (config/server-sni.ts compiles it). */
  sniExpr?: string;
  verifyHost?: string;
  alpn?: string[];
  crt?: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  ciphersuites?: string;
  /** false: `no-ssl-reuse`; undefined: ssl-default-server-options, else resumed. */
  reuse?: boolean;
  /** false: `no-tls-tickets`. */
  tickets?: boolean;
  /** check-sni / check-alpn: what the checks send instead. */
  checkSni?: string;
  checkAlpn?: string[];
}

/** Server keywords that are TLS settings (any of them makes a TLS part, used by `ssl` or `check-ssl`). */
const SERVER_SSL_KEYS = Object.keys(SERVER_SSL_FIELDS).filter((k) => k !== "ssl") as (keyof ServerSslFields)[];

/**
 * HAProxy's `sni` is always an expression; sluice also takes a bare host name
 * (`sni example.com`), which is no fetch. A word that is a fetch's name
 * (`ssl_fc_sni`) is the fetch.
 */
function sniOf(text: string): { sni: string } | { sniExpr: string } {
  const name = FETCHES.has(text) ? undefined : constantSni(text);
  return name !== undefined ? { sni: name } : { sniExpr: text };
}

/**
 * The server's TLS settings, or undefined when it has none. HAProxy accepts
 * them without `ssl` (silently): they are the settings `check-ssl` uses, and
 * unused when the checks are plain too.
 */
export function serverSslPart(s: ServerSslFields): ServerSslPart | undefined {
  if (s.ssl !== true && !SERVER_SSL_KEYS.some((k) => s[k] !== undefined)) return undefined;
  const part: ServerSslPart = { traffic: s.ssl === true };
  if (s.verify !== undefined) part.verify = s.verify;
  if (s["ca-file"] !== undefined) part.caFile = s["ca-file"];
  if (s.sni !== undefined) Object.assign(part, sniOf(s.sni));
  if (s.verifyhost !== undefined) part.verifyHost = s.verifyhost;
  if (s.alpn !== undefined) part.alpn = s.alpn;
  if (s.crt !== undefined) part.crt = s.crt;
  const excluded = new Set(Object.keys(NO_VERSION_FLAGS).filter((k) => s[k as keyof ServerSslFields] === true).map((k) => NO_VERSION_FLAGS[k]!));
  const left = versionsLeft(excluded);
  const min = s["ssl-min-ver"] ?? left.min;
  const max = s["ssl-max-ver"] ?? left.max;
  if (min !== undefined) part.minVersion = min;
  if (max !== undefined) part.maxVersion = max;
  if (s.ciphers !== undefined) part.ciphers = s.ciphers;
  if (s.ciphersuites !== undefined) part.ciphersuites = s.ciphersuites;
  if (s["ssl-reuse"] !== undefined) part.reuse = s["ssl-reuse"];
  if (s["tls-tickets"] !== undefined) part.tickets = s["tls-tickets"];
  if (s["check-sni"] !== undefined) part.checkSni = s["check-sni"];
  if (s["check-alpn"] !== undefined) part.checkAlpn = s["check-alpn"];
  return part;
}

/** What is wrong with a server's TLS settings together, if anything. */
export function serverSslConflict(part: ServerSslPart): string | undefined {
  const { minVersion: min, maxVersion: max } = part;
  if (min !== undefined && max !== undefined && TLS_VERSIONS.indexOf(min) > TLS_VERSIONS.indexOf(max)) {
    return `ssl-min-ver ${min} is above ssl-max-ver ${max}`;
  }
  return undefined;
}

export const BindFieldsSchema = keywords(BIND_FIELDS, {
  expected: "an address or a mapping with an address and bind options",
  unknown: (key) => `bind option '${key}' is not supported yet (supported: ${Object.keys(BIND_FIELDS).filter((k) => k !== "address").join(", ")})`,
});
