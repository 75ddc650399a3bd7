// The keywords of issue 19's proxymisc group in both syntaxes: `source`,
// `socks4`/`check-via-socks4`, a server written 0.0.0.0 or without a port,
// and the refusals that say why (usesrc, interface, option http_proxy).
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (text: string) => ({ name: "sluice.yaml", text });
const backend = (...l: string[]) => cfg("backend b", "    mode http", ...l);

describe("source", () => {
  test("an address, with or without a port, on every server of the backend; defaults' when the backend has none", () => {
    const c = loadOk(cfg("defaults", "    source 127.0.0.2", "backend b", "    server s 127.0.0.1:80", "backend c", "    source [::1]:4000", "    server s 127.0.0.1:80"));
    expect(c.backends.map((b) => b.servers[0]!.source)).toEqual([{ host: "127.0.0.2", port: 0 }, { host: "::1", port: 4000 }]);
    // 0.0.0.0 without a port: the system's choice, as without the keyword.
    expect(loadOk(backend("    source 0.0.0.0", "    server s 127.0.0.1:80")).backends[0]!.servers[0]!.source).toBeUndefined();
  });

  test("YAML spells it the same", () => {
    const c = loadOk(yaml("backends:\n  b:\n    source: 127.0.0.2:5000\n    servers:\n      s: 127.0.0.1:80\n"));
    expect(c.backends[0]!.servers[0]!.source).toEqual({ host: "127.0.0.2", port: 5000 });
  });

  test("usesrc, interface and names are refused, saying why", () => {
    expect(errorsOf(backend("    source 0.0.0.0 usesrc client", "    server s 127.0.0.1:80"))[0]).toContain("'usesrc' (full transparent proxy");
    expect(errorsOf(backend("    source 0.0.0.0 usesrc client", "    server s 127.0.0.1:80"))[0]).toContain("IP_TRANSPARENT");
    expect(errorsOf(backend("    source 10.0.0.1 interface eth0", "    server s 127.0.0.1:80"))[0]).toContain("SO_BINDTODEVICE");
    expect(errorsOf(backend("    source example.com", "    server s 127.0.0.1:80"))).toEqual([
      "sluice.cfg:3: backend 'b': source: 'example.com' is not an IP address (HAProxy's source takes an address, not a name)",
    ]);
    expect(errorsOf(cfg("frontend f", "    bind :80", "    source 127.0.0.2"))[0]).toContain("source");
  });
});

describe("socks4", () => {
  test("server socks4 ADDR:PORT and check-via-socks4, in both syntaxes", () => {
    const c = loadOk(backend("    server s 192.0.2.1:25 socks4 127.0.0.1:1080 check-via-socks4"));
    expect([c.backends[0]!.servers[0]!.socks4, c.backends[0]!.servers[0]!.checkViaSocks4]).toEqual([{ host: "127.0.0.1", port: 1080 }, true]);
    const y = loadOk(yaml("backends:\n  b:\n    servers:\n      s: { address: 192.0.2.1:25, socks4: 127.0.0.1:1080 }\n"));
    expect(y.backends[0]!.servers[0]!.socks4).toEqual({ host: "127.0.0.1", port: 1080 });
  });

  test("the proxy needs its port", () => {
    expect(errorsOf(backend("    server s 192.0.2.1:25 socks4 127.0.0.1"))[0]).toContain("socks4: missing port in '127.0.0.1'");
  });
});

describe("a server that follows the client's destination", () => {
  test("0.0.0.0 and no port: mapped ports; a check needs its own port", () => {
    const s = loadOk(backend("    server s 0.0.0.0")).backends[0]!.servers[0]!;
    expect([s.host, s.port, s.mapPorts]).toEqual(["0.0.0.0", 0, true]);
    expect(errorsOf(backend("    server s 0.0.0.0 check"))).toEqual([
      "sluice.cfg:3: backend 'b': server 's': has neither service port nor check port (its port is the client's destination port: give its checks one with 'port N')",
    ]);
    expect(loadOk(backend("    server s 0.0.0.0 check port 80")).backends[0]!.servers[0]!.check?.port).toBe(80);
  });

  test("option http_proxy is refused with HAProxy 2.6's reason and what replaces it", () => {
    expect(errorsOf(backend("    option http_proxy", "    server s 0.0.0.0"))[0]).toContain("not supported any more since HAProxy 2.5");
  });
});
