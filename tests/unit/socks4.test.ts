// The SOCKS4 exchange a server's `socks4` makes (conn/socks4.ts): the bytes of
// the CONNECT request and the reading of the proxy's reply.
import { describe, expect, test } from "bun:test";
import { SOCKS4_REPLY_LENGTH, socks4Hop, socks4Refusal, socks4Request } from "../../src/conn/socks4.ts";

describe("SOCKS4", () => {
  test("CONNECT for an IPv4 address and port, user id HAProxy, NUL-terminated", () => {
    const r = socks4Request("192.0.2.1", 443);
    expect(r).toEqual(new Uint8Array([4, 1, 1, 187, 192, 0, 2, 1, ...new TextEncoder().encode("HAProxy"), 0]));
  });

  test("no request for what SOCKS4 cannot carry", () => {
    expect(socks4Request("2001:db8::1", 80)).toBe("SOCKS4 reaches IPv4 addresses only (the server's address is '2001:db8::1')");
    expect(socks4Request("example.com", 80)).toBe("SOCKS4 reaches IPv4 addresses only (the server's address is 'example.com')");
    expect(socks4Hop({ host: "127.0.0.1", port: 1080 }, "::1", 80)).toBe("SOCKS4 reaches IPv4 addresses only (the server's address is '::1')");
  });

  test("the reply: 90 grants, 91-93 and anything else refuse, saying which", () => {
    const reply = (vn: number, cd: number) => new Uint8Array([vn, cd, 0, 0, 0, 0, 0, 0]);
    expect(SOCKS4_REPLY_LENGTH).toBe(8);
    expect(socks4Refusal(reply(0, 90))).toBeUndefined();
    expect(socks4Refusal(reply(0, 91))).toBe("SOCKS4 request rejected or failed (91)");
    expect(socks4Refusal(reply(0, 92))).toContain("identd");
    expect(socks4Refusal(reply(0, 93))).toContain("identd");
    expect(socks4Refusal(reply(0, 7))).toBe("SOCKS4 request refused (reply code 7)");
    expect(socks4Refusal(reply(5, 90))).toBe("not a SOCKS4 reply (version byte 5)");
  });

  test("the hop goes to the proxy and carries the request", () => {
    const hop = socks4Hop({ host: "127.0.0.1", port: 1080 }, "10.0.0.1", 25);
    if (typeof hop === "string") throw new Error(hop);
    expect([hop.hostname, hop.port, hop.replyLength, [...hop.request.subarray(0, 8)]]).toEqual(["127.0.0.1", 1080, 8, [4, 1, 0, 25, 10, 0, 0, 1]]);
  });
});
