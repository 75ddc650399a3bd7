import { describe, expect, test } from "bun:test";
import { type Network, parseNetwork } from "../../../src/rules/network.ts";

function net(text: string): Network {
  const r = parseNetwork(text);
  if (typeof r === "string") throw new Error(r);
  return r;
}

const FORMS =
  "expected an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.0/8, 10.1.2.3 or 2001:db8::/32";

describe("parseNetwork", () => {
  test.each([
    ["10.0.0.0/8", 4, 8],
    ["10.1.2.3", 4, 32],
    ["0.0.0.0/0", 4, 0],
    ["192.168.1.0/255.255.255.0", 4, 24],
    ["10.0.0.0/0.0.0.0", 4, 0],
    ["::1", 6, 128],
    ["::", 6, 128],
    ["2001:db8::/32", 6, 32],
    ["::/0", 6, 0],
    ["::ffff:10.0.0.0/104", 6, 104],
    ["fe80::1:2:3:4/64", 6, 64],
    ["1:2:3:4:5:6:7:8", 6, 128],
    ["1::", 6, 128],
  ])("%s", (text, family, prefix) => {
    expect(net(text)).toMatchObject({ family, prefix, text });
  });

  test.each([
    ["", `invalid network '' (${FORMS})`],
    ["10.0.0", `invalid network '10.0.0' (${FORMS})`],
    ["10.0.0.0.0", `invalid network '10.0.0.0.0' (${FORMS})`],
    ["256.0.0.0/8", `invalid network '256.0.0.0/8' (${FORMS})`],
    ["010.0.0.1", `invalid network '010.0.0.1' (${FORMS})`],
    ["10.0.0.-1", `invalid network '10.0.0.-1' (${FORMS})`],
    ["example.com", `invalid network 'example.com' (${FORMS})`],
    ["/8", `invalid network '/8' (${FORMS})`],
    [
      "10.0.0.0/33",
      "invalid prefix length '33' in '10.0.0.0/33' (expected 0-32 or a netmask such as 255.255.0.0)",
    ],
    [
      "10.0.0.0/",
      "invalid prefix length '' in '10.0.0.0/' (expected 0-32 or a netmask such as 255.255.0.0)",
    ],
    [
      "10.0.0.0/x",
      "invalid prefix length 'x' in '10.0.0.0/x' (expected 0-32 or a netmask such as 255.255.0.0)",
    ],
    [
      "10.0.0.0/255.0.255.0",
      "invalid netmask '255.0.255.0' in '10.0.0.0/255.0.255.0' (its one bits must all come first)",
    ],
    ["::1/129", "invalid prefix length '129' in '::1/129' (expected 0-128)"],
    ["::1/-1", "invalid prefix length '-1' in '::1/-1' (expected 0-128)"],
    [":::", `invalid network ':::' (${FORMS})`],
    ["1::2::3", `invalid network '1::2::3' (${FORMS})`],
    ["1:2:3:4:5:6:7", `invalid network '1:2:3:4:5:6:7' (${FORMS})`],
    ["1:2:3:4:5:6:7:8:9", `invalid network '1:2:3:4:5:6:7:8:9' (${FORMS})`],
    ["1:2:3:4:5:6:7:8::", `invalid network '1:2:3:4:5:6:7:8::' (${FORMS})`],
    ["12345::", `invalid network '12345::' (${FORMS})`],
    [":1", `invalid network ':1' (${FORMS})`],
    ["1:", `invalid network '1:' (${FORMS})`],
    ["g::1", `invalid network 'g::1' (${FORMS})`],
    ["::1.2.3", `invalid network '::1.2.3' (${FORMS})`],
    ["fe80::1%eth0", `invalid network 'fe80::1%eth0' (${FORMS})`],
    ["[::1]", `invalid network '[::1]' (${FORMS})`],
  ])("%p is refused", (text, message) => {
    expect(parseNetwork(text)).toBe(message);
  });
});

describe("contains", () => {
  test("IPv4 prefixes, /32 and /0", () => {
    const ten = net("10.0.0.0/8");
    expect(ten.contains("10.0.0.0")).toBe(true);
    expect(ten.contains("10.255.255.255")).toBe(true);
    expect(ten.contains("11.0.0.0")).toBe(false);
    expect(ten.contains("9.255.255.255")).toBe(false);

    const one = net("10.1.2.3");
    expect(one.contains("10.1.2.3")).toBe(true);
    expect(one.contains("10.1.2.4")).toBe(false);

    const all = net("0.0.0.0/0");
    expect(all.contains("0.0.0.0")).toBe(true);
    expect(all.contains("255.255.255.255")).toBe(true);
    expect(all.contains("::1")).toBe(false);

    const odd = net("172.16.0.0/12");
    expect(odd.contains("172.31.255.255")).toBe(true);
    expect(odd.contains("172.32.0.0")).toBe(false);
  });

  test("host bits of the network are ignored, as in HAProxy", () => {
    expect(net("10.1.2.3/8").contains("10.200.0.1")).toBe(true);
    expect(net("2001:db8::1/32").contains("2001:db8:ffff::")).toBe(true);
  });

  test("high addresses (the sign bit) compare right", () => {
    const n = net("255.255.255.0/24");
    expect(n.contains("255.255.255.255")).toBe(true);
    expect(n.contains("255.255.254.255")).toBe(false);
    expect(net("128.0.0.0/1").contains("200.1.1.1")).toBe(true);
    expect(net("128.0.0.0/1").contains("127.255.255.255")).toBe(false);
  });

  test("IPv4-mapped IPv6 addresses match IPv4 networks", () => {
    const ten = net("10.0.0.0/8");
    expect(ten.contains("::ffff:10.1.2.3")).toBe(true);
    expect(ten.contains("::FFFF:10.1.2.3")).toBe(true);
    expect(ten.contains("0:0:0:0:0:ffff:10.1.2.3")).toBe(true);
    expect(ten.contains("::ffff:a01:203")).toBe(true);
    expect(ten.contains("::ffff:11.1.2.3")).toBe(false);
    // Not mapped: IPv4-compatible (deprecated) and NAT64 forms are other addresses.
    expect(ten.contains("::10.1.2.3")).toBe(false);
    expect(ten.contains("64:ff9b::10.1.2.3")).toBe(false);
    expect(ten.contains("::1")).toBe(false);
  });

  test("IPv6 prefixes, /128, /0 and prefixes inside a group", () => {
    const doc = net("2001:db8::/32");
    expect(doc.contains("2001:db8::1")).toBe(true);
    expect(doc.contains("2001:0DB8:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(doc.contains("2001:db9::1")).toBe(false);
    expect(doc.contains("10.0.0.1")).toBe(false);

    const loop = net("::1");
    expect(loop.contains("::1")).toBe(true);
    expect(loop.contains("0:0:0:0:0:0:0:1")).toBe(true);
    expect(loop.contains("::2")).toBe(false);

    const all = net("::/0");
    expect(all.contains("::")).toBe(true);
    expect(all.contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(all.contains("10.1.2.3")).toBe(true);

    const odd = net("fe80::/10");
    expect(odd.contains("febf::1")).toBe(true);
    expect(odd.contains("fec0::1")).toBe(false);
  });

  test("a zone index on the address is ignored", () => {
    expect(net("fe80::/10").contains("fe80::1%eth0")).toBe(true);
  });

  test("IPv4 addresses match IPv6 networks through their mapped form", () => {
    const mapped = net("::ffff:10.0.0.0/104");
    expect(mapped.contains("10.9.9.9")).toBe(true);
    expect(mapped.contains("::ffff:10.9.9.9")).toBe(true);
    expect(mapped.contains("11.0.0.0")).toBe(false);
  });

  test("what is not an address is outside", () => {
    for (const n of [net("0.0.0.0/0"), net("::/0")]) {
      for (
        const bad of ["", "localhost", "10.0.0", "10.0.0.256", "1::2::3", "::ffff:", "::ffff:1.2.3"]
      ) {
        expect(n.contains(bad)).toBe(false);
      }
    }
  });

  test("one network serves many addresses (state does not leak between calls)", () => {
    const a = net("2001:db8::/32");
    const b = net("10.0.0.0/8");
    for (let i = 0; i < 1000; i++) {
      expect(a.contains(`2001:db8::${i.toString(16)}`)).toBe(true);
      expect(b.contains(`::ffff:10.0.${i % 256}.1`)).toBe(true);
      expect(a.contains(`2001:db9::${i.toString(16)}`)).toBe(false);
    }
  });
});
