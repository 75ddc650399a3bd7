// TLS keywords in both syntaxes: bind ssl options, crt/crt-list/default-crt
// files read at load (errors name the file), global ssl-default-bind-*, and
// server ssl options.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withoutOrigins } from "./helpers.ts";
import { loadConfigFiles } from "../../../src/config/load.ts";
import { type Leaf, TestPki } from "../../support/certs.ts";

let pki: TestPki;
let a: Leaf;
let aRsa: Leaf;
let wild: Leaf;

beforeAll(() => {
  pki = new TestPki();
  a = pki.leaf("a", { names: ["a.test", "www.a.test"] });
  aRsa = pki.leaf("a-rsa", { names: ["a.test"], key: "rsa" });
  wild = pki.leaf("wild", { names: ["*.w.test"] });
  mkdirSync(join(pki.dir, "dir"));
  writeFileSync(join(pki.dir, "dir", "1-wild.pem"), `${wild.certPem}${wild.keyPem}`);
  writeFileSync(join(pki.dir, "dir", "2-a.pem"), `${a.certPem}${a.keyPem}`);
  writeFileSync(join(pki.dir, "list.txt"), "# comment\na.pem a.test other.test\nwild.pem\na-rsa.pem !a.test\n");
  writeFileSync(join(pki.dir, "nokey.pem"), a.certPem);
  writeFileSync(join(pki.dir, "wrongkey.pem"), a.certPem + aRsa.keyPem);
});

function write(name: string, text: string): string {
  const path = join(pki.dir, name);
  writeFileSync(path, text);
  return path;
}

function load(name: string, text: string) {
  return loadConfigFiles([write(name, text)]);
}

describe("bind ssl", () => {
  test("crt files, alpn, versions, ciphers, curves, strict-sni; YAML twin gives the same model", () => {
    const cfg = load("a.cfg", [
      "global",
      "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tlsv13",
      "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256",
      "frontend fe",
      "    mode http",
      "    bind 127.0.0.1:8443 ssl crt a.pem crt a-rsa.pem alpn h2,http/1.1 curves X25519:P-256 strict-sni",
      "    bind 127.0.0.1:8444 ssl crt dir ssl-max-ver TLSv1.3 ciphersuites TLS_AES_128_GCM_SHA256 default-crt dir/2-a.pem",
      "    default_backend be",
      "backend be",
      "    mode http",
      "    server s1 127.0.0.1:9000",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const yaml = load("a.yaml", [
      "global:",
      "  ssl-default-bind-options: ssl-min-ver TLSv1.2 no-tlsv13",
      "  ssl-default-bind-ciphers: ECDHE-ECDSA-AES128-GCM-SHA256",
      "frontends:",
      "  fe:",
      "    mode: http",
      "    bind:",
      "      - { address: '127.0.0.1:8443', ssl: true, crt: [a.pem, a-rsa.pem], alpn: 'h2,http/1.1', curves: 'X25519:P-256', strict-sni: true }",
      "      - { address: '127.0.0.1:8444', ssl: true, crt: dir, ssl-max-ver: TLSv1.3, ciphersuites: TLS_AES_128_GCM_SHA256, default-crt: dir/2-a.pem }",
      "    default_backend: be",
      "backends:",
      "  be: { mode: http, servers: { s1: '127.0.0.1:9000' } }",
    ].join("\n") + "\n");
    if (!yaml.ok) throw new Error(yaml.errors.join("\n"));
    expect(withoutOrigins(yaml.config)).toEqual(withoutOrigins(cfg.config));
    const [b1, b2] = cfg.config.frontends[0]!.binds;
    const t1 = b1!.ssl!;
    expect(t1.certificates.map((c) => [c.file, c.names, c.keyType])).toEqual([
      [a.pem, ["a.test", "www.a.test"], "ec"],
      [aRsa.pem, ["a.test"], "rsa"],
    ]);
    expect(t1.alpn).toEqual(["h2", "http/1.1"]);
    expect(t1.minVersion).toBe("TLSv1.2");
    expect(t1.maxVersion).toBe("TLSv1.2"); // no-tlsv13 from the global options
    expect(t1.ciphers).toBe("ECDHE-ECDSA-AES128-GCM-SHA256");
    expect(t1.curves).toBe("X25519:P-256");
    expect(t1.strictSni).toBe(true);
    expect(t1.defaultCertificate).toBe(0);
    const t2 = b2!.ssl!;
    // A directory: its PEM files by name; default-crt named one of them.
    expect(t2.certificates.map((c) => c.names)).toEqual([["*.w.test"], ["a.test", "www.a.test"]]);
    expect(t2.defaultCertificate).toBe(1);
    expect(t2.maxVersion).toBe("TLSv1.3");
    expect(t2.ciphersuites).toBe("TLS_AES_128_GCM_SHA256");
    expect(t2.alpn).toEqual([]);
    expect(t2.strictSni).toBe(false);
    expect(cfg.config.frontends[0]!.binds.length).toBe(2);
  });

  test("crt-list: files relative to the config, SNI filters replace the certificate's names", () => {
    const r = load("l.cfg", "frontend fe\n    bind :8443 ssl crt-list list.txt\n    default_backend be\nbackend be\n    server s 127.0.0.1:1\n");
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const t = r.config.frontends[0]!.binds[0]!.ssl!;
    expect(t.certificates.map((c) => [c.file, c.names])).toEqual([
      [a.pem, ["a.test", "other.test"]],
      [wild.pem, ["*.w.test"]],
      [aRsa.pem, []], // its own names minus the excluded one
    ]);
    expect(t.minVersion).toBe("TLSv1.2");
  });

  test("no-tls-tickets on a bind or in ssl-default-bind-options; tune.ssl.cachesize 0; YAML twin", () => {
    const tail = ["    default_backend be", "backend be", "    mode http", "    server s1 127.0.0.1:9000"];
    const onBind = load("t.cfg", [
      "global",
      "    tune.ssl.cachesize 0",
      "frontend fe",
      "    mode http",
      "    bind 127.0.0.1:8443 ssl crt a.pem no-tls-tickets",
      "    bind 127.0.0.1:8444 ssl crt a.pem",
      ...tail,
    ].join("\n") + "\n");
    if (!onBind.ok) throw new Error(onBind.errors.join("\n"));
    expect(onBind.config.frontends[0]!.binds.map((b) => b.ssl!.tlsTickets)).toEqual([false, true]);
    const yaml = load("t.yaml", [
      "global: { tune.ssl.cachesize: 0 }",
      "frontends:",
      "  fe:",
      "    mode: http",
      "    bind:",
      "      - { address: '127.0.0.1:8443', ssl: true, crt: a.pem, no-tls-tickets: true }",
      "      - { address: '127.0.0.1:8444', ssl: true, crt: a.pem }",
      "    default_backend: be",
      "backends:",
      "  be: { mode: http, servers: { s1: '127.0.0.1:9000' } }",
    ].join("\n") + "\n");
    if (!yaml.ok) throw new Error(yaml.errors.join("\n"));
    expect(withoutOrigins(yaml.config)).toEqual(withoutOrigins(onBind.config));
    const global = load("g.cfg", [
      "global",
      "    ssl-default-bind-options no-tls-tickets ssl-min-ver TLSv1.2",
      "frontend fe",
      "    mode http",
      "    bind 127.0.0.1:8443 ssl crt a.pem",
      ...tail,
    ].join("\n") + "\n");
    if (!global.ok) throw new Error(global.errors.join("\n"));
    expect(global.config.frontends[0]!.binds[0]!.ssl!.tlsTickets).toBe(false);
    expect(global.config.global.sslDefaultBind).toEqual({ minVersion: "TLSv1.2", noTlsTickets: true });
  });

  test("tune.ssl.cachesize other than 0 is refused with the reason; bad values name the line", () => {
    const messagesOf = (r: ReturnType<typeof load>) => (r.ok ? [] : r.errors.map((e) => e.message.replace(pki.dir + "/", "")));
    const cfg = load("c.cfg", ["global", "    tune.ssl.cachesize 20000", "    tune.ssl.cachesize"].join("\n") + "\n");
    expect(messagesOf(cfg)).toEqual([
      "c.cfg:2: global: tune.ssl.cachesize 20000 cannot be applied: sluice keeps no TLS session-ID cache (node:tls on Bun and Deno offers no session store), so only 0 is accepted; clients resume through session tickets unless 'no-tls-tickets'",
      "c.cfg:3: global: missing argument for 'tune.ssl.cachesize' (usage: tune.ssl.cachesize <number>)",
    ]);
    expect(messagesOf(load("c.yaml", "global: { tune.ssl.cachesize: -1 }\n"))).toEqual([
      "c.yaml:1:31: global: tune.ssl.cachesize -1 is out of range (at least 0)",
    ]);
  });

  test("client certificates: verify, ca-file, crt-ignore-err, ca-ignore-err; YAML twin; ca-file alone asks for none", () => {
    const cfg = load("m.cfg", [
      "frontend fe",
      "    bind 127.0.0.1:8443 ssl crt a.pem ca-file ca.crt verify required",
      "    bind 127.0.0.1:8444 ssl crt a.pem ca-file ca.crt verify optional crt-ignore-err 10,21 ca-ignore-err all",
      "    bind 127.0.0.1:8445 ssl crt a.pem ca-file ca.crt",
      "    bind 127.0.0.1:8446 ssl crt a.pem verify none",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const yaml = load("m.yaml", [
      "frontends:",
      "  fe:",
      "    bind:",
      "      - { address: '127.0.0.1:8443', ssl: true, crt: a.pem, ca-file: ca.crt, verify: required }",
      "      - { address: '127.0.0.1:8444', ssl: true, crt: a.pem, ca-file: ca.crt, verify: optional, crt-ignore-err: '10,21', ca-ignore-err: all }",
      "      - { address: '127.0.0.1:8445', ssl: true, crt: a.pem, ca-file: ca.crt }",
      "      - { address: '127.0.0.1:8446', ssl: true, crt: a.pem, verify: none }",
    ].join("\n") + "\n");
    if (!yaml.ok) throw new Error(yaml.errors.join("\n"));
    expect(withoutOrigins(yaml.config)).toEqual(withoutOrigins(cfg.config));
    const [b1, b2, b3, b4] = cfg.config.frontends[0]!.binds;
    expect(b1!.ssl!.clientCertificates).toEqual({ verify: "required", ca: expect.stringContaining("BEGIN CERTIFICATE") });
    expect(b2!.ssl!.clientCertificates).toEqual({ verify: "optional", ca: expect.stringContaining("BEGIN CERTIFICATE"), crtIgnoreErr: [10, 21], caIgnoreErr: "all" });
    // HAProxy: ca-file without verify asks clients for nothing.
    expect([b3!.ssl!.clientCertificates, b4!.ssl!.clientCertificates]).toEqual([undefined, undefined]);
    const bad = load("mbad.cfg", [
      "frontend fe",
      "    bind 127.0.0.1:8443 ssl crt a.pem verify required",
      "    bind 127.0.0.1:8444 ssl crt a.pem ca-file ca.crt verify sometimes",
      "    bind 127.0.0.1:8445 ssl crt a.pem ca-file ca.crt verify optional crt-ignore-err foo",
      "    bind 127.0.0.1:8447 ca-file ca.crt verify optional",
    ].join("\n") + "\n");
    expect(bad.ok ? [] : bad.errors.map((e) => e.message.replace(pki.dir + "/", "").replace(pki.dir + "/", ""))).toEqual([
      "mbad.cfg:2: frontend 'fe': bind: 'verify required' needs 'ca-file' (the CA certificates clients' certificates are verified against)",
      "mbad.cfg:3: frontend 'fe': bind: unknown verify method 'sometimes', only 'none', 'optional', and 'required' are supported",
      "mbad.cfg:4: frontend 'fe': bind: crt-ignore-err 'foo': expected 'all' or error IDs (1..94) separated by commas",
      "mbad.cfg:5: frontend 'fe': bind: bind option 'verify' needs 'ssl' on the same bind",
    ]);
    const missing = load("mmissing.cfg", "frontend fe\n    bind 127.0.0.1:8446 ssl crt a.pem ca-file nothere.crt verify optional\n");
    expect(missing.ok ? [] : missing.errors.map((e) => e.message.replace(pki.dir + "/", "").replace(pki.dir + "/", ""))).toEqual([
      "mmissing.cfg:2: frontend 'fe': ca-file 'nothere.crt': cannot read it (ENOENT)",
    ]);
  });

  test("errors name the config file and line, and the certificate file", () => {
    const r = load("bad.cfg", [
      "frontend fe",
      "    bind :8446 ssl",
      "    bind :8447 crt a.pem",
      "    bind :8448 ssl crt a.pem ssl-min-ver TLSv9",
      "    bind :8449 ssl crt a.pem frobnicate",
      "    bind :8450 ssl crt a.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2",
      "    default_backend be",
      "backend be",
      "    server s 127.0.0.1:1 verify none",
      "    server u 127.0.0.1:1 ssl verify none no-tlsv13 ssl-min-ver TLSv1.3",
      "    server v 127.0.0.1:1 ssl verify none send-proxy",
    ].join("\n") + "\n");
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.errors.map((e) => e.message.replace(pki.dir + "/", "").replace(pki.dir + "/", ""));
    expect(messages).toEqual([
      "bad.cfg:2: frontend 'fe': bind: 'ssl' needs a certificate: 'crt FILE|DIR' or 'crt-list FILE'",
      "bad.cfg:3: frontend 'fe': bind: bind option 'crt' needs 'ssl' on the same bind",
      "bad.cfg:4: frontend 'fe': bind: invalid ssl-min-ver 'TLSv9' (expected TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3)",
      "bad.cfg:5: frontend 'fe': bind option 'frobnicate' is not supported yet (supported: ssl, strict-sni, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, no-tls-tickets, prefer-client-ciphers, accept-proxy, v4v6, v6only, proto, crt, crt-list, default-crt, alpn, ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, curves, verify, ca-file, crl-file, crt-ignore-err, ca-ignore-err, name, mode, user, uid, group, gid)",
      "bad.cfg:6: frontend 'fe': bind: ssl-min-ver TLSv1.3 is above ssl-max-ver TLSv1.2",
      "bad.cfg:10: backend 'be': server 'u': ssl-min-ver TLSv1.3 is above ssl-max-ver TLSv1.2",
      "bad.cfg:11: backend 'be': server 'v': send-proxy with ssl is not supported yet",
    ]);
  });
});

test("certificate files: a bad PEM, a missing key or file is an error naming it (every file is read)", () => {
  const r = load("files.cfg", [
    "frontend fe",
    "    bind :8443 ssl crt nokey.pem",
    "    bind :8444 ssl crt wrongkey.pem",
    "    bind :8445 ssl crt missing.pem",
    "    default_backend be",
    "backend be",
    "    server t 127.0.0.1:1 ssl ca-file nothere.pem",
  ].join("\n") + "\n");
  expect(r.ok).toBe(false);
  const messages = r.ok ? [] : r.errors.map((e) => e.message.split(pki.dir + "/").join(""));
  expect(messages).toEqual([
    "files.cfg:2: frontend 'fe': certificate 'nokey.pem': no private key (HAProxy's layout: certificate, chain and key in one file)",
    "files.cfg:3: frontend 'fe': certificate 'wrongkey.pem': the private key does not match the certificate",
    "files.cfg:4: frontend 'fe': certificate 'missing.pem': cannot read it (ENOENT)",
    "files.cfg:7: backend 'be': server 't': ca-file 'nothere.pem': cannot read it (ENOENT)",
  ]);
});

describe("server ssl", () => {
  test("verify, ca-file, sni, alpn, crt; YAML twin; verify required by default", () => {
    const cfg = load("s.cfg", [
      "backend be",
      "    mode http",
      "    server s1 127.0.0.1:9000 ssl verify required ca-file ca.crt sni str(api.test) alpn h2,http/1.1 crt a.pem",
      "    server s2 127.0.0.1:9001 ssl verify none",
      "    server s3 127.0.0.1:9002 ssl",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const yaml = load("s.yaml", [
      "backends:",
      "  be:",
      "    mode: http",
      "    servers:",
      "      s1: { address: '127.0.0.1:9000', ssl: true, verify: required, ca-file: ca.crt, sni: api.test, alpn: 'h2,http/1.1', crt: a.pem }",
      "      s2: { address: '127.0.0.1:9001', ssl: true, verify: none }",
      "      s3: { address: '127.0.0.1:9002', ssl: true }",
    ].join("\n") + "\n");
    if (!yaml.ok) throw new Error(yaml.errors.join("\n"));
    expect(withoutOrigins(yaml.config)).toEqual(withoutOrigins(cfg.config));
    const [s1, s2, s3] = cfg.config.backends[0]!.servers;
    expect(s1!.ssl!.verify).toBe("required");
    expect(s1!.ssl!.ca).toContain("BEGIN CERTIFICATE");
    expect(s1!.ssl!.sni).toBe("api.test");
    expect(s1!.ssl!.alpn).toEqual(["h2", "http/1.1"]);
    expect(s1!.ssl!.clientCert?.key).toContain("PRIVATE KEY");
    expect(s2!.ssl).toEqual({ verify: "none", sni: "", alpn: [], reuse: true, tickets: true });
    expect(s3!.ssl).toEqual({ verify: "required", sni: "", alpn: [], reuse: true, tickets: true });
  });

  test("versions, ciphers, verifyhost, ca-file @system-ca, no-ssl-reuse, no-tls-tickets; YAML twin", () => {
    const cfg = load("v.cfg", [
      "backend be",
      "    mode http",
      "    server s1 127.0.0.1:9000 ssl verifyhost API.test ca-file @system-ca ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2 ciphers ECDHE-ECDSA-AES128-GCM-SHA256 ciphersuites TLS_AES_128_GCM_SHA256 no-ssl-reuse no-tls-tickets",
      "    server s2 127.0.0.1:9001 ssl verify none no-sslv3 no-tlsv10 no-tlsv11 no-tlsv13",
      "    server s3 127.0.0.1:9002 ssl verify none no-tlsv12 no-tlsv13",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const yaml = load("v.yaml", [
      "backends:",
      "  be:",
      "    mode: http",
      "    servers:",
      "      s1: { address: '127.0.0.1:9000', ssl: true, verifyhost: API.test, ca-file: '@system-ca', ssl-min-ver: TLSv1.2, ssl-max-ver: TLSv1.2, ciphers: ECDHE-ECDSA-AES128-GCM-SHA256, ciphersuites: TLS_AES_128_GCM_SHA256, ssl-reuse: false, tls-tickets: false }",
      "      s2: { address: '127.0.0.1:9001', ssl: true, verify: none, no-sslv3: true, no-tlsv10: true, no-tlsv11: true, no-tlsv13: true }",
      "      s3: { address: '127.0.0.1:9002', ssl: true, verify: none, no-tlsv12: true, no-tlsv13: true }",
    ].join("\n") + "\n");
    if (!yaml.ok) throw new Error(yaml.errors.join("\n"));
    expect(withoutOrigins(yaml.config)).toEqual(withoutOrigins(cfg.config));
    const [s1, s2, s3] = cfg.config.backends[0]!.servers;
    expect(s1!.ssl).toEqual({
      verify: "required",
      sni: "",
      alpn: [],
      verifyHost: "API.test",
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
      ciphersuites: "TLS_AES_128_GCM_SHA256",
      reuse: false,
      tickets: false,
    });
    expect([s2!.ssl!.minVersion, s2!.ssl!.maxVersion]).toEqual(["TLSv1.2", "TLSv1.2"]);
    expect([s3!.ssl!.minVersion, s3!.ssl!.maxVersion]).toEqual([undefined, "TLSv1.1"]);
  });

  test("global ssl-default-server-options / -ciphers / -ciphersuites and ssl-server-verify: what servers take unless they say", () => {
    const cfg = load("g.cfg", [
      "global",
      "    ssl-server-verify none",
      "    ssl-default-server-options ssl-min-ver TLSv1.3 no-tls-tickets",
      "    ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256",
      "    ssl-default-server-ciphersuites TLS_AES_256_GCM_SHA384",
      "backend be",
      "    server s1 127.0.0.1:9000 ssl",
      "    server s2 127.0.0.1:9001 ssl verify required ssl-min-ver TLSv1.2 ciphers AES128-SHA ssl-reuse tls-tickets",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const [s1, s2] = cfg.config.backends[0]!.servers;
    expect(s1!.ssl).toEqual({
      verify: "none",
      sni: "",
      alpn: [],
      minVersion: "TLSv1.3",
      ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
      ciphersuites: "TLS_AES_256_GCM_SHA384",
      reuse: true,
      tickets: false,
    });
    expect(s2!.ssl).toEqual({
      verify: "required",
      sni: "",
      alpn: [],
      minVersion: "TLSv1.2",
      ciphers: "AES128-SHA",
      ciphersuites: "TLS_AES_256_GCM_SHA384",
      reuse: true,
      tickets: true,
    });
    const bad = load("gbad.cfg", [
      "global",
      "    ssl-server-verify maybe",
      "    ssl-default-server-options no-ssl-reuse",
      "backend be",
      "    server s1 127.0.0.1:9000 ssl ssl-min-ver SSLv3",
    ].join("\n") + "\n");
    expect(bad.ok ? [] : bad.errors.map((e) => e.message.replace(pki.dir + "/", ""))).toEqual([
      "gbad.cfg:2: global: invalid ssl-server-verify 'maybe' (expected none or required)",
      "gbad.cfg:3: global: ssl-default-server-options 'no-ssl-reuse' is not supported yet (supported: ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, no-tls-tickets)",
      "gbad.cfg:5: backend 'be': server 's1': ssl-min-ver SSLv3 is not supported (TLS libraries here have no SSLv3)",
    ]);
  });

  test("sni: a constant (NAME, str(NAME)) or a sample expression, compiled with the backend's rules", () => {
    const cfg = load("n.cfg", [
      "defaults",
      "    mode http",
      "frontend fe",
      "    bind :8450",
      "    default_backend be",
      "backend be",
      "    server s1 127.0.0.1:9000 ssl verify none sni str(API.test)",
      "    server s2 127.0.0.1:9001 ssl verify none sni api.test",
      "    server s3 127.0.0.1:9002 ssl verify none sni req.hdr(host),field(1,:)",
      "    server s4 127.0.0.1:9003 ssl verify none sni ssl_fc_sni",
    ].join("\n") + "\n");
    if (!cfg.ok) throw new Error(cfg.errors.join("\n"));
    const [s1, s2, s3, s4] = cfg.config.backends[0]!.servers;
    // Sent as written, as HAProxy.
    expect([s1!.ssl!.sni, s1!.ssl!.sniExpr, s1!.sniOf]).toEqual(["API.test", undefined, undefined]);
    expect([s2!.ssl!.sni, s2!.ssl!.sniExpr, s2!.sniOf]).toEqual(["api.test", undefined, undefined]);
    expect([s3!.ssl!.sni, s3!.ssl!.sniExpr, typeof s3!.sniOf]).toEqual(["", "req.hdr(host),field(1,:)", "function"]);
    expect([s4!.ssl!.sni, s4!.ssl!.sniExpr, typeof s4!.sniOf]).toEqual(["", "ssl_fc_sni", "function"]);
    // The frontend builds a transaction for the expression to read, rules or not.
    expect(cfg.config.frontends[0]!.rules).toBeDefined();
    const bad = load("nbad.cfg", [
      "backend be",
      "    mode http",
      "    server s1 127.0.0.1:9000 ssl verify none sni req.hdrx(host)",
      "    server s2 127.0.0.1:9001 ssl verify none sni res.hdr(x)",
    ].join("\n") + "\n");
    expect(bad.ok ? [] : bad.errors.map((e) => e.message.replace(pki.dir + "/", ""))).toEqual([
      "nbad.cfg:3: backend 'be': server 's1': sni 'req.hdrx(host)': unknown fetch 'req.hdrx' (did you mean 'req.hdr'?)",
      "nbad.cfg:4: backend 'be': server 's2': sni 'res.hdr(x)': 'res.hdr' is not available in http-request rules",
    ]);
  });
});
