// A server's TLS settings as the connector uses them: the options handed to
// the runtime, the SNI at the head of every reuse key (invariant 12 of
// connection-ownership.md: connections with another SNI are never reused),
// and ALPN h2 making the server's connections multiplexed ones.
import { expect, test } from "bun:test";
import { Server } from "../../../src/backend/server.ts";
import { BUILTIN, type ServerConfig } from "../../../src/config/types.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

function server(ssl: ServerConfig["ssl"], proto: "h1" | "h2" = "h1"): Server {
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
  if (ssl !== undefined) config.ssl = ssl;
  return new Server("be", config, new VirtualClock(), BUILTIN.global.h2BackendMaxConcurrentStreams);
}

test("TLS options: SNI, verification, CA, ALPN, client certificate", () => {
  const s = server({ verify: "required", ca: "CA", sni: "api.test", alpn: ["h2", "http/1.1"], clientCert: { cert: "C", key: "K" } });
  expect(s.tls).toEqual({ servername: "api.test", verify: true, ca: "CA", alpn: ["h2", "http/1.1"], clientCert: { cert: "C", key: "K" } });
  expect(server({ verify: "none", sni: "", alpn: [] }).tls).toEqual({ servername: "", verify: false, alpn: [] });
  expect(server(undefined).tls).toBeUndefined();
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
