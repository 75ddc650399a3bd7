import { describe, expect, test } from "bun:test";
import { resolvConfNameservers } from "../../../src/config/schema-resolvers.ts";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

// `resolvers` sections and the server options `resolvers` and
// `resolve-prefer`, HAProxy 2.6's keywords, defaults and messages (checked
// with haproxy -c), in both syntaxes.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

const SECTION = [
  "resolvers dns",
  "    nameserver ns1 127.0.0.1:5353",
  "    nameserver ns2 udp@[::1]:53",
  "    resolve_retries 4",
  "    timeout resolve 2s",
  "    timeout retry 500ms",
  "    hold valid 5s",
  "    hold nx 1m",
  "    hold obsolete 30s",
  "    accepted_payload_size 8192",
];

describe("resolvers", () => {
  test("a section's settings, HAProxy's defaults for the rest; servers name it", () => {
    const c = loadOk(cfg(...SECTION, "backend b", "    server s app.test:80 resolvers dns resolve-prefer ipv4 init-addr none"));
    expect(c.resolvers).toEqual([{
      name: "dns",
      nameservers: [{ name: "ns1", host: "127.0.0.1", port: 5353 }, { name: "ns2", host: "::1", port: 53 }],
      resolveRetries: 4,
      timeoutResolve: 2000,
      timeoutRetry: 500,
      hold: { valid: 5000, other: 30000, refused: 30000, nx: 60000, timeout: 30000, obsolete: 30000 },
      acceptedPayloadSize: 8192,
      origin: { file: "sluice.cfg", line: 1 },
    }]);
    expect(c.backends[0]!.servers[0]).toMatchObject({ host: "app.test", resolvers: "dns", resolvePrefer: "ipv4", initAddr: ["none"] });
  });

  test("YAML twin", () => {
    const y = loadOk(yaml(
      "resolvers:",
      "  dns:",
      "    nameservers: [{ name: ns1, address: '127.0.0.1:5353' }, { name: ns2, address: 'udp@[::1]:53' }]",
      "    resolve_retries: 4",
      "    timeout: { resolve: 2s, retry: 500ms }",
      "    hold: { valid: 5s, nx: 1m, obsolete: 30s }",
      "    accepted_payload_size: 8192",
      "backends:",
      "  b:",
      "    servers: [{ name: s, address: 'app.test:80', resolvers: dns, resolve-prefer: ipv4, init-addr: none }]",
    ));
    const c = loadOk(cfg(...SECTION, "backend b", "    server s app.test:80 resolvers dns resolve-prefer ipv4 init-addr none"));
    expect(y.resolvers!.map(({ origin: _, ...r }) => r)).toEqual(c.resolvers!.map(({ origin: _, ...r }) => r));
    expect(y.backends[0]!.servers[0]).toMatchObject({ resolvers: "dns", resolvePrefer: "ipv4" });
  });

  test("parse-resolv-conf: the nameservers of resolv.conf, port 53", () => {
    expect(resolvConfNameservers("# a comment\nsearch example\nnameserver 10.0.0.53\nnameserver fe80::1\nnameserver not-an-ip\n")).toEqual([
      { name: "10.0.0.53", host: "10.0.0.53", port: 53 },
      { name: "fe80::1", host: "fe80::1", port: 53 },
    ]);
    const c = loadOk(cfg("resolvers k8s", "    parse-resolv-conf"));
    expect(c.resolvers === undefined || c.resolvers[0]!.name === "k8s").toBe(true);
  });

  test("HAProxy's refusals and warning", () => {
    expect(errorsOf(cfg("backend b", "    server s app.test:80 resolvers nosuch"))).toEqual([
      "sluice.cfg:2: backend 'b': server 's': unable to find required resolvers 'nosuch'",
    ]);
    expect(errorsOf(cfg("resolvers dns", "    nameserver ns1 dns.example:53"))[0]).toMatch(/nameserver ns1: invalid address 'dns.example:53'/);
    expect(errorsOf(cfg("resolvers dns", "    hold forever 1s"))).toEqual([
      "sluice.cfg:2: resolvers 'dns': 'hold forever' is not a resolvers setting (expected hold valid|other|refused|nx|timeout|obsolete <time>)",
    ]);
    expect(errorsOf(cfg("resolvers dns", "    bogus 1"))[0]).toMatch(/unknown keyword 'bogus' in a resolvers section/);
    expect(errorsOf(cfg("resolvers dns", "    accepted_payload_size 100"))[0]).toMatch(/invalid accepted_payload_size '100' \(expected an integer from 512 to 65535\)/);
    expect(errorsOf(cfg("backend b", "    server s app.test:80 resolve-prefer ipv5"))[0]).toMatch(/invalid resolve-prefer 'ipv5' \(expected ipv4 or ipv6\)/);
    expect(warningsOf(cfg("resolvers empty", "    timeout resolve 1s"))).toEqual(["sluice.cfg:1: resolvers 'empty': has no nameservers configured!"]);
  });
});
