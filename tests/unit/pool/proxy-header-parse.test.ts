import { describe, expect, test } from "bun:test";
import { crc32c, formatIpv6, parseProxyHeader, PROXY_V2_MAX_BYTES, ProxyHeaderError, type ProxyHeaderFailure } from "../../../src/conn/proxy-header-parse.ts";
import { proxyHeaderV1, PROXY_V2_SIGNATURE } from "../../../src/conn/proxy-header.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

function failure(bytes: Uint8Array): ProxyHeaderError {
  try {
    parseProxyHeader(bytes);
  } catch (e) {
    if (e instanceof ProxyHeaderError) return e;
    throw e;
  }
  throw new Error("parsed without error");
}

/** A v2 header: version/command byte, family/protocol byte, the rest after the length. */
function v2(verCmd: number, famProto: number, body: number[]): Uint8Array {
  return new Uint8Array([...PROXY_V2_SIGNATURE, verCmd, famProto, body.length >> 8, body.length & 0xff, ...body]);
}

describe("PROXY v1", () => {
  test("TCP4: addresses, ports and the bytes taken; the request after it is left", () => {
    const line = "PROXY TCP4 192.0.2.1 198.51.100.2 40000 80\r\n";
    const r = parseProxyHeader(ascii(`${line}GET / HTTP/1.1\r\n`));
    expect(r).toEqual({
      done: true,
      consumed: line.length,
      header: { version: 1, source: { address: "192.0.2.1", port: 40000 }, destination: { address: "198.51.100.2", port: 80 } },
    });
  });
  test("TCP6: canonical text (RFC 5952), mapped IPv4 kept dotted", () => {
    const r = parseProxyHeader(ascii("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:192.0.2.9 65535 0\r\n"));
    expect(r.done && r.header.source).toEqual({ address: "2001:db8::1", port: 65535 });
    expect(r.done && r.header.destination).toEqual({ address: "::ffff:192.0.2.9", port: 0 });
  });
  test("UNKNOWN, bare or with anything up to CRLF: the connection's own addresses stand", () => {
    expect(parseProxyHeader(ascii("PROXY UNKNOWN\r\n"))).toEqual({ done: true, consumed: 15, header: { version: 1 } });
    expect(parseProxyHeader(ascii("PROXY UNKNOWN ffff::1 ::1 1 2\r\n"))).toMatchObject({ done: true, header: { version: 1 } });
  });
  test("the longest line the spec allows (107 bytes) is read", () => {
    const a = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const line = `PROXY TCP6 ${a} ${a} 65535 65535\r\n`;
    expect(line.length).toBe(104);
    expect(parseProxyHeader(ascii(line)).done).toBe(true);
    const unknown = `PROXY UNKNOWN ${"x".repeat(107 - 16)}\r\n`;
    expect(unknown.length).toBe(107);
    expect(parseProxyHeader(ascii(unknown)).done).toBe(true);
  });
  test("round trip with the writer (send-proxy)", () => {
    const line = proxyHeaderV1("::ffff:10.0.0.1", 1234, "::ffff:10.0.0.2", 443);
    expect(parseProxyHeader(ascii(line))).toMatchObject({ header: { source: { address: "10.0.0.1", port: 1234 }, destination: { address: "10.0.0.2", port: 443 } } });
  });
  test("a prefix of a valid line asks for more", () => {
    for (const part of ["P", "PROXY", "PROXY ", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"]) expect(parseProxyHeader(ascii(part))).toEqual({ done: false });
    expect(parseProxyHeader(new Uint8Array())).toEqual({ done: false });
  });
  const bad: [string, ProxyHeaderFailure, string][] = [
    ["GET / HTTP/1.1\r\n", "not-header", "neither"],
    ["PROXx", "not-header", "not 'PROXY '"],
    ["proxy TCP4", "not-header", "neither"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bad-header", "LF without CR"],
    ["PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "bad-header", "family 'UDP4'"],
    ["PROXY UNKNOWNX\r\n", "bad-header", "family 'UNKNOWNX'"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "bad-header", "3 fields"],
    ["PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "bad-header", "5 fields"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "bad-header", "5 fields"],
    ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "bad-header", "'1.2.3.256' is not an IPv4"],
    ["PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", "bad-header", "not an IPv4"],
    ["PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "bad-header", "not an IPv4"],
    ["PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP6 1::2::3 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP6 1:2:3:4:5:6:7::8 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP6 12345::1 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP6 1.2.3.4::1 ::1 1 2\r\n", "bad-header", "not an IPv6"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "bad-header", "port '65536'"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "bad-header", "port '080'"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "bad-header", "port '-1'"],
    [`PROXY UNKNOWN ${"x".repeat(200)}`, "bad-header", "no CRLF in the first 107 bytes"],
  ];
  for (const [text, code, detail] of bad) {
    test(`${code}: ${JSON.stringify(text.slice(0, 40))}`, () => {
      const e = failure(ascii(text));
      expect(e.code).toBe(code);
      expect(e.detail).toContain(detail);
    });
  }
  test("a line one byte past 107 without CRLF is refused, one at 106 waits", () => {
    expect(parseProxyHeader(ascii(`PROXY UNKNOWN ${"x".repeat(92)}`))).toEqual({ done: false });
    expect(failure(ascii(`PROXY UNKNOWN ${"x".repeat(92)}\r\n`)).detail).toContain("no CRLF in the first 107");
  });
  test("HAProxy's reason texts", () => {
    expect(failure(ascii("GET")).reason).toBe("Received something which does not look like a PROXY protocol header");
    expect(failure(ascii("PROXY X\r\n")).reason).toBe("Received an invalid PROXY protocol header");
  });
});

describe("PROXY v2", () => {
  const tcp4 = [192, 0, 2, 1, 198, 51, 100, 2, 0x9c, 0x40, 0, 80];
  test("PROXY TCP over IPv4 (0x21 0x11): addresses and ports", () => {
    const h = v2(0x21, 0x11, tcp4);
    const r = parseProxyHeader(new Uint8Array([...h, 0x47]));
    expect(r).toEqual({
      done: true,
      consumed: 28,
      header: { version: 2, source: { address: "192.0.2.1", port: 40000 }, destination: { address: "198.51.100.2", port: 80 } },
    });
  });
  test("PROXY TCP over IPv6 (0x21 0x21)", () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
    const dst = [...new Array(15).fill(0), 1];
    const r = parseProxyHeader(v2(0x21, 0x21, [...src, ...dst, 0xff, 0xff, 0x01, 0xbb]));
    expect(r).toMatchObject({ header: { source: { address: "2001:db8::1", port: 65535 }, destination: { address: "::1", port: 443 } } });
  });
  test("TLVs are skipped when each fits; the header's length is what is consumed", () => {
    const tlvs = [0x01, 0, 2, 0x68, 0x32, 0x04, 0, 0];
    expect(parseProxyHeader(v2(0x21, 0x11, [...tcp4, ...tlvs]))).toMatchObject({ done: true, consumed: 16 + 12 + tlvs.length });
  });
  test("CRC-32C: the RFC 3720 check value", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  test("a CRC32C TLV that matches the header (its value zeroed) is taken; one that does not is refused", () => {
    const withCrc = (crc: number) => v2(0x21, 0x11, [...tcp4, 0x03, 0, 4, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
    const crc = crc32c(withCrc(0));
    expect(parseProxyHeader(withCrc(crc))).toMatchObject({ done: true, consumed: 35 });
    expect(failure(withCrc(crc ^ 1)).detail).toContain("does not match");
    expect(failure(v2(0x21, 0x11, [...tcp4, 0x03, 0, 3, 1, 2, 3])).detail).toContain("CRC32C TLV of 3 bytes");
  });
  test("AUTHORITY up to 255 bytes and UNIQUE_ID up to 128, as HAProxy", () => {
    const tlv = (type: number, n: number) => v2(0x21, 0x11, [...tcp4, type, n >> 8, n & 0xff, ...new Array(n).fill(0x61)]);
    expect(parseProxyHeader(tlv(0x02, 255)).done).toBe(true);
    expect(failure(tlv(0x02, 256)).detail).toContain("AUTHORITY TLV of 256 bytes");
    expect(parseProxyHeader(tlv(0x05, 128)).done).toBe(true);
    expect(failure(tlv(0x05, 129)).detail).toContain("UNIQUE_ID TLV of 129 bytes");
  });
  test("LOCAL keeps the connection's addresses, whatever the block says", () => {
    expect(parseProxyHeader(v2(0x20, 0x00, []))).toEqual({ done: true, consumed: 16, header: { version: 2 } });
    expect(parseProxyHeader(v2(0x20, 0x11, tcp4))).toEqual({ done: true, consumed: 28, header: { version: 2 } });
  });
  test("UNSPEC, UNIX and DGRAM families keep the connection's addresses (as HAProxy)", () => {
    for (const fam of [0x00, 0x31, 0x32, 0x12, 0x22, 0x10]) {
      const r = parseProxyHeader(v2(0x21, fam, new Array(fam >> 4 === 3 ? 216 : 12).fill(7)));
      expect(r).toEqual({ done: true, consumed: 16 + (fam >> 4 === 3 ? 216 : 12), header: { version: 2 } });
    }
  });
  test("every prefix asks for more", () => {
    const h = v2(0x21, 0x11, [...tcp4, 0x04, 0, 1, 9]);
    for (let n = 0; n < h.length; n++) expect(parseProxyHeader(h.subarray(0, n))).toEqual({ done: false });
  });
  const cases: [string, Uint8Array, ProxyHeaderFailure, string][] = [
    ["signature mismatch", new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x53]), "not-header", "v2 signature"],
    ["version 1 nibble", v2(0x11, 0x11, tcp4), "not-header", "version 1"],
    ["version 3 nibble", v2(0x31, 0x11, tcp4), "not-header", "version 3"],
    ["command 2", v2(0x22, 0x11, tcp4), "bad-header", "command 2"],
    ["family 4", v2(0x21, 0x41, tcp4), "bad-header", "family 4"],
    ["protocol 3", v2(0x21, 0x13, tcp4), "bad-header", "protocol 3"],
    ["IPv4 block too short", v2(0x21, 0x11, tcp4.slice(0, 11)), "bad-header", "12 needed"],
    ["IPv6 block too short", v2(0x21, 0x21, tcp4), "bad-header", "36 needed"],
    ["TLV shorter than its head", v2(0x21, 0x11, [...tcp4, 0x04, 0]), "bad-header", "shorter than its own type"],
    ["TLV past the end", v2(0x21, 0x11, [...tcp4, 0x04, 0, 5, 1]), "bad-header", "runs past the header"],
  ];
  for (const [name, bytes, code, detail] of cases) {
    test(`${code}: ${name}`, () => {
      const e = failure(bytes);
      expect(e.code).toBe(code);
      expect(e.detail).toContain(detail);
    });
  }
  test(`a header longer than ${PROXY_V2_MAX_BYTES} bytes is refused from its length alone`, () => {
    const head = new Uint8Array([...PROXY_V2_SIGNATURE, 0x21, 0x11, 0xff, 0xff]);
    expect(failure(head).detail).toContain(`more than ${PROXY_V2_MAX_BYTES}`);
    const fits = PROXY_V2_MAX_BYTES - 16;
    expect(parseProxyHeader(new Uint8Array([...PROXY_V2_SIGNATURE, 0x20, 0x00, fits >> 8, fits & 0xff]))).toEqual({ done: false });
  });
});

describe("formatIpv6", () => {
  const cases: [number[], string][] = [
    [new Array(16).fill(0), "::"],
    [[...new Array(15).fill(0), 1], "::1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0], "2001:db8:1:1:1:1:1:0"],
  ];
  for (const [bytes, text] of cases) test(text, () => expect(formatIpv6(new Uint8Array(bytes), 0)).toBe(text));
});
