// A server's TLS settings as the connector uses them: the options handed to
// the runtime, the SNI at the head of every reuse key (invariant 12 of
// connection-ownership.md: connections with another SNI are never reused),
// and ALPN h2 making the server's connections multiplexed ones.
import { expect, test } from "bun:test";
import { Server } from "../../../src/backend/server.ts";
import { ServerTlsSessions } from "../../../src/backend/tls-sessions.ts";
import { BUILTIN, type ServerConfig, type ServerTls } from "../../../src/config/types.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

/** The settings as written; resumption and tickets on unless said (the built-in defaults). */
type Written = Omit<ServerTls, "reuse" | "tickets"> & Partial<Pick<ServerTls, "reuse" | "tickets">>;

function server(ssl: Written | undefined, proto: "h1" | "h2" = "h1", sniOf?: ServerConfig["sniOf"]): Server {
  const config: ServerConfig = {
    name: "s1",
    host: "127.0.0.1",
    port: 9443,
    weight: 1,
    backup: false,
    disabled: false,
    poolMaxConn: -1,
    poolPurgeDelay: 5000,
    poolLowConn: 0,
    sendProxy: false,
    proto,
    maxReuse: -1,
    origin: { file: "t.cfg", line: 1 },
  };
  if (ssl !== undefined) config.ssl = { reuse: true, tickets: true, ...ssl };
  if (sniOf !== undefined) config.sniOf = sniOf;
  return new Server("be", config, new VirtualClock(), BUILTIN.global.h2BackendMaxConcurrentStreams);
}

test("TLS options: SNI, verification, CA, ALPN, client certificate", () => {
  const s = server({ verify: "required", ca: "CA", sni: "api.test", alpn: ["h2", "http/1.1"], clientCert: { cert: "C", key: "K" } });
  const sessions = expect.any(ServerTlsSessions);
  expect(s.tls).toEqual({ servername: "api.test", verify: true, ca: "CA", alpn: ["h2", "http/1.1"], clientCert: { cert: "C", key: "K" }, tickets: true, sessions });
  expect(server({ verify: "none", sni: "", alpn: [] }).tls).toEqual({ servername: "", verify: false, alpn: [], tickets: true, sessions });
  expect(server(undefined).tls).toBeUndefined();
});

test("TLS options: verifyhost, versions in the library's names, ciphers; no-ssl-reuse keeps no sessions, no-tls-tickets", () => {
  const s = server({
    verify: "required",
    sni: "",
    alpn: [],
    verifyHost: "api.test",
    minVersion: "TLSv1.0",
    maxVersion: "TLSv1.2",
    ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
    ciphersuites: "TLS_AES_128_GCM_SHA256",
    reuse: false,
    tickets: false,
  });
  expect(s.tls).toEqual({
    servername: "",
    verify: true,
    alpn: [],
    verifyHost: "api.test",
    minVersion: "TLSv1",
    maxVersion: "TLSv1.2",
    ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
    ciphersuites: "TLS_AES_128_GCM_SHA256",
    tickets: false,
  });
});

test("sni <expression>: each connection's name and reuse key from the name given; the server's own settings otherwise", () => {
  const s = server({ verify: "required", sni: "", alpn: ["http/1.1"], sniExpr: "req.hdr(host)" }, "h1", () => "unused");
  expect(s.reuseKey).toBe("");
  const a = s.tlsFor("a.test");
  expect(a.reuseKey).toBe("sni=a.test\n");
  expect(a.tls).toEqual({ ...s.tls!, servername: "a.test" });
  // The sessions are the server's, shared by every name (kept apart by name inside).
  expect(a.tls.sessions).toBe(s.tls!.sessions!);
  expect(s.tlsFor("")).toEqual({ tls: { ...s.tls!, servername: "" }, reuseKey: "" });
});

test("sessions are kept by name, the most recent 256 names", () => {
  const store = new ServerTlsSessions();
  const bytes = (n: number) => new Uint8Array([n]);
  for (let i = 0; i < 300; i++) store.set(`n${i}.test`, bytes(i));
  expect(store.get("n0.test")).toBeUndefined();
  expect(store.get("n43.test")).toBeUndefined();
  expect(store.get("n44.test")).toEqual(bytes(44));
  // Set again: the most recent, kept while 256 other names come.
  store.set("n44.test", bytes(1));
  for (let i = 300; i < 555; i++) store.set(`n${i}.test`, bytes(i));
  expect(store.get("n44.test")).toEqual(bytes(1));
  expect(store.get("n45.test")).toBeUndefined();
});

test("the reuse key starts with the SNI; no SNI, no prefix", () => {
  expect(server({ verify: "none", sni: "api.test", alpn: [] }).reuseKey).toBe("sni=api.test\n");
  expect(server({ verify: "none", sni: "other.test", alpn: [] }).reuseKey).toBe("sni=other.test\n");
  expect(server({ verify: "none", sni: "", alpn: [] }).reuseKey).toBe("");
  expect(server(undefined).reuseKey).toBe("");
});

test("multiplexed: proto h2, or ALPN offering h2", () => {
  expect(server(undefined).multiplexed).toBe(false);
  expect(server(undefined, "h2").multiplexed).toBe(true);
  expect(server({ verify: "none", sni: "", alpn: ["h2", "http/1.1"] }).multiplexed).toBe(true);
  expect(server({ verify: "none", sni: "", alpn: ["http/1.1"] }).multiplexed).toBe(false);
});
