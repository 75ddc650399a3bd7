import { describe, expect, test } from "bun:test";
import { proxyHeaderV1 } from "../../../src/conn/proxy-header.ts";

describe("proxyHeaderV1 (the PROXY v1 line, also the reuse key)", () => {
  test("TCP4", () => {
    expect(proxyHeaderV1("192.0.2.1", 40000, "198.51.100.2", 80)).toBe("PROXY TCP4 192.0.2.1 198.51.100.2 40000 80\r\n");
  });

  test("TCP6", () => {
    expect(proxyHeaderV1("2001:db8::1", 40001, "2001:db8::2", 443)).toBe("PROXY TCP6 2001:db8::1 2001:db8::2 40001 443\r\n");
  });

  test("TCP6 loopback", () => {
    expect(proxyHeaderV1("::1", 1, "::1", 2)).toBe("PROXY TCP6 ::1 ::1 1 2\r\n");
  });

  test("IPv4-mapped IPv6 on both ends is normalised to TCP4", () => {
    expect(proxyHeaderV1("::ffff:192.0.2.1", 40000, "::ffff:127.0.0.1", 8080)).toBe("PROXY TCP4 192.0.2.1 127.0.0.1 40000 8080\r\n");
  });

  test("IPv4-mapped source with a plain IPv4 destination is TCP4", () => {
    expect(proxyHeaderV1("::ffff:10.0.0.7", 5, "10.0.0.1", 6)).toBe("PROXY TCP4 10.0.0.7 10.0.0.1 5 6\r\n");
  });

  test("the same client through a mapped and a plain address gives the same key", () => {
    expect(proxyHeaderV1("::ffff:10.0.0.7", 5, "::ffff:10.0.0.1", 6)).toBe(proxyHeaderV1("10.0.0.7", 5, "10.0.0.1", 6));
  });

  test("mixed families → PROXY UNKNOWN", () => {
    expect(proxyHeaderV1("192.0.2.1", 1, "2001:db8::2", 2)).toBe("PROXY UNKNOWN\r\n");
    expect(proxyHeaderV1("2001:db8::1", 1, "198.51.100.2", 2)).toBe("PROXY UNKNOWN\r\n");
    expect(proxyHeaderV1("::ffff:192.0.2.1", 1, "::1", 2)).toBe("PROXY UNKNOWN\r\n");
  });

  test("a UNIX socket's client (no IP address) → PROXY UNKNOWN, as HAProxy", () => {
    expect(proxyHeaderV1("unix", 1, "unix", 1)).toBe("PROXY UNKNOWN\r\n");
  });

  test("two clients give two different keys", () => {
    expect(proxyHeaderV1("10.0.0.1", 40000, "10.0.0.9", 80)).not.toBe(proxyHeaderV1("10.0.0.2", 40000, "10.0.0.9", 80));
    expect(proxyHeaderV1("10.0.0.1", 40000, "10.0.0.9", 80)).not.toBe(proxyHeaderV1("10.0.0.1", 40001, "10.0.0.9", 80));
  });
});
