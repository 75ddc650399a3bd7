import { describe, expect, test } from "bun:test";
import { formatAddress, parseAddress } from "../../../src/config/address.ts";

describe("parseAddress", () => {
  test.each(
    [
      ["127.0.0.1:80", "127.0.0.1", 80],
      [":8080", "0.0.0.0", 8080],
      ["*:8080", "0.0.0.0", 8080],
      ["0.0.0.0:1", "0.0.0.0", 1],
      ["[::1]:443", "::1", 443],
      ["[::]:443", "::", 443],
      // HAProxy's unbracketed forms: the port follows the last colon.
      [":::443", "::", 443],
      ["::1:80", "::1", 80],
      ["2001:db8::1:8443", "2001:db8::1", 8443],
      ["[2001:db8::1]:65535", "2001:db8::1", 65535],
      ["localhost:9000", "localhost", 9000],
      ["db-1.internal.example:5432", "db-1.internal.example", 5432],
      ["my_service:80", "my_service", 80],
      ["10.0.0.1:080", "10.0.0.1", 80],
    ] as const,
  )("%p", (text, host, port) => {
    expect(parseAddress(text)).toEqual({ ok: true, host, port });
  });

  const FORMS = "expected HOST:PORT, :PORT, *:PORT, [IPv6]:PORT or IPv6:PORT";
  test.each([
    ["127.0.0.1:99999", "port 99999 is out of range (1-65535)"],
    ["127.0.0.1:0", "port 0 is out of range (1-65535)"],
    ["127.0.0.1:65536", "port 65536 is out of range (1-65535)"],
    ["127.0.0.1", `missing port in '127.0.0.1' (${FORMS})`],
    ["127.0.0.1:", `missing port in '127.0.0.1:' (${FORMS})`],
    ["8080", `missing port in '8080' (${FORMS})`],
    ["", `missing port in '' (${FORMS})`],
    ["host:http", "invalid port 'http' in 'host:http' (expected a number from 1 to 65535)"],
    [":8080-8090", "port ranges are not supported yet (got '8080-8090' in ':8080-8090')"],
    ["a:b:80", `invalid IPv6 address 'a:b' in 'a:b:80' (${FORMS})`],
    [":::", `missing port in ':::' (${FORMS})`],
    ["[::1]", `missing port in '[::1]' (${FORMS})`],
    ["[::1:80", `missing ']' in '[::1:80' (${FORMS})`],
    ["[zz]:80", "invalid IPv6 address 'zz' in '[zz]:80'"],
    ["256.1.1.1:80", "invalid IPv4 address '256.1.1.1' in '256.1.1.1:80'"],
    ["1.2.3:80", "invalid IPv4 address '1.2.3' in '1.2.3:80'"],
    ["bad host:80", "invalid host 'bad host' in 'bad host:80'"],
    ["-bad:80", "invalid host '-bad' in '-bad:80'"],
  ])("rejects %p", (text, error) => {
    expect(parseAddress(text)).toEqual({ ok: false, error });
  });

  test("a server needs a host", () => {
    expect(parseAddress(":9001", "server")).toEqual({
      ok: false,
      error: "missing host in ':9001' (a server needs a host to connect to)",
    });
    expect(parseAddress("*:9001", "server").ok).toBe(false);
    expect(parseAddress("127.0.0.1:9001", "server")).toEqual({
      ok: true,
      host: "127.0.0.1",
      port: 9001,
    });
  });

  test("formatAddress puts IPv6 hosts back in brackets", () => {
    expect(formatAddress("::1", 80)).toBe("[::1]:80");
    expect(formatAddress("10.0.0.1", 80)).toBe("10.0.0.1:80");
  });
});

describe("a backend server's address (role backend-server)", () => {
  test("0.0.0.0, * or nothing: the client's destination; no port, 0 or +N/-N: its port, offset", () => {
    const r = (text: string) => parseAddress(text, "backend-server");
    expect(r("0.0.0.0")).toEqual({ ok: true, host: "0.0.0.0", port: 0, mapPorts: true });
    expect(r("0.0.0.0:0")).toEqual({ ok: true, host: "0.0.0.0", port: 0, mapPorts: true });
    expect(r("*")).toEqual({ ok: true, host: "0.0.0.0", port: 0, mapPorts: true });
    expect(r("*:80")).toEqual({ ok: true, host: "0.0.0.0", port: 80 });
    expect(r("10.0.0.1:+1000")).toEqual({ ok: true, host: "10.0.0.1", port: 1000, mapPorts: true });
    expect(r("10.0.0.1:-1")).toEqual({ ok: true, host: "10.0.0.1", port: -1, mapPorts: true });
    expect(r("[::1]")).toEqual({ ok: true, host: "::1", port: 0, mapPorts: true });
    expect(r("::1:80")).toEqual({ ok: true, host: "::1", port: 80 });
    expect(r("example.com")).toEqual({ ok: true, host: "example.com", port: 0, mapPorts: true });
    expect(r("10.0.0.1:80")).toEqual({ ok: true, host: "10.0.0.1", port: 80 });
  });

  test("what stays wrong", () => {
    const r = (text: string) => parseAddress(text, "backend-server");
    expect(r("10.0.0.1:99999")).toEqual({ ok: false, error: "port 99999 is out of range (1-65535)" });
    expect(r("10.0.0.1:+70000")).toEqual({ ok: false, error: "invalid port offset '+70000' in '10.0.0.1:+70000' (expected +N or -N, N up to 65535)" });
    expect(r("300.0.0.1")).toEqual({ ok: false, error: "invalid IPv4 address '300.0.0.1' in '300.0.0.1:1'" });
    // Elsewhere (a socket, init-addr) a server address still needs its port.
    expect(parseAddress("10.0.0.1", "server").ok).toBe(false);
  });
});
