import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileExpr } from "../../../src/rules/expr.ts";
import { clientHelloIncomplete, clientHelloServerName, sslHelloType } from "../../../src/rules/fetch/client-hello.ts";
import { Stage } from "../../../src/rules/types.ts";
import { env, txn } from "./txn.ts";

const u16 = (n: number) => [n >> 8, n & 255];
const u24 = (n: number) => [n >> 16, (n >> 8) & 255, n & 255];

function extension(type: number, data: number[]): number[] {
  return [...u16(type), ...u16(data.length), ...data];
}

function serverName(name: string, type = 0): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  const entry = [type, ...u16(bytes.length), ...bytes];
  return extension(0, [...u16(entry.length), ...entry]);
}

/** A TLS 1.2-style record holding a ClientHello with these extensions. */
function hello(extensions: number[][], sessionId = 32): Uint8Array {
  const ext = extensions.flat();
  const body = [
    3, 3,
    ...new Array(32).fill(7),
    sessionId, ...new Array(sessionId).fill(1),
    ...u16(4), 0x13, 0x01, 0xc0, 0x2f,
    1, 0,
    ...u16(ext.length), ...ext,
  ];
  const handshake = [1, ...u24(body.length), ...body];
  return new Uint8Array([0x16, 3, 1, ...u16(handshake.length), ...handshake]);
}

describe("ClientHello server name", () => {
  test("the host_name of the server_name extension, after other extensions", () => {
    const supportedGroups = extension(10, [0, 4, 0, 29, 0, 23]);
    expect(clientHelloServerName(hello([supportedGroups, serverName("www.example.com")]))).toBe("www.example.com");
    expect(clientHelloServerName(hello([serverName("a.test")], 0))).toBe("a.test");
  });

  test("no server_name, no extensions, another name type: no name", () => {
    expect(clientHelloServerName(hello([extension(10, [0, 2, 0, 29])]))).toBeUndefined();
    expect(clientHelloServerName(hello([]))).toBeUndefined();
    expect(clientHelloServerName(hello([serverName("x.test", 1)]))).toBeUndefined();
  });

  test("every truncation of a hello is no name, never a throw", () => {
    const full = hello([extension(10, [0, 2, 0, 29]), serverName("www.example.com")]);
    for (let n = 0; n < full.length; n++) expect(clientHelloServerName(full.subarray(0, n))).toBeUndefined();
    expect(clientHelloServerName(full)).toBe("www.example.com");
  });

  test("lengths that point past their container are no name", () => {
    const base = hello([serverName("www.example.com")]);
    // Each byte position in turn set to 0xff: some positions make a bad length; none may throw or read out of bounds.
    for (let k = 0; k < base.length; k++) {
      const bad = base.slice();
      bad[k] = 0xff;
      const name = clientHelloServerName(bad);
      expect(name === undefined || typeof name === "string").toBe(true);
    }
    const wrongRecord = base.slice();
    wrongRecord[0] = 0x17;
    expect(clientHelloServerName(wrongRecord)).toBeUndefined();
    const notHello = base.slice();
    notHello[5] = 2;
    expect(clientHelloServerName(notHello)).toBeUndefined();
  });

  // Recorded from a loopback listener that kept the first TLS record:
  // `openssl s_client -servername sni.sluice.test` (OpenSSL 3.0) and
  // `curl --connect-to www.curl.sluice.test:443:127.0.0.1:PORT https://www.curl.sluice.test/`.
  test.each([
    ["client-hello-openssl.bin", "sni.sluice.test"],
    ["client-hello-curl.bin", "www.curl.sluice.test"],
  ])("a recorded hello (tests/fixtures/%s): the name, and none from any prefix", (file, name) => {
    const bytes = new Uint8Array(readFileSync(join(import.meta.dir, "../../fixtures", file)));
    expect(clientHelloServerName(bytes)).toBe(name);
    expect(clientHelloIncomplete(bytes)).toBe(false);
    for (let n = 0; n < bytes.length; n++) {
      expect(clientHelloServerName(bytes.subarray(0, n))).toBeUndefined();
      expect(clientHelloIncomplete(bytes.subarray(0, n))).toBe(true);
    }
  });

  test("whether more bytes could complete the hello", () => {
    const full = hello([serverName("www.example.com")]);
    for (let n = 0; n < full.length; n++) expect(clientHelloIncomplete(full.subarray(0, n))).toBe(true);
    expect(clientHelloIncomplete(full)).toBe(false);
    expect(clientHelloIncomplete(new TextEncoder().encode("GET / HTTP/1.1\r\n"))).toBe(false);
    expect(clientHelloIncomplete(new Uint8Array([0x16, 2]))).toBe(false);
  });

  test("req.ssl_sni in tcp-request content rules", () => {
    const c = compileExpr("req.ssl_sni,lower", Stage.tcpContent, env());
    if (typeof c === "string") throw new Error(c);
    expect(c.one(txn({ payload: hello([serverName("WWW.Example.com")]) }))).toBe("www.example.com");
    expect(c.one(txn({ payload: new Uint8Array([0x16, 3]) }))).toBeUndefined();
    expect(c.one(txn())).toBeUndefined();
  });
});

describe("SSL hello type (req.ssl_hello_type, HAProxy's smp_fetch_ssl_hello_type)", () => {
  test("1 for a whole ClientHello; nothing while the handshake message is cut short", () => {
    const full = hello([serverName("www.example.com")]);
    expect(sslHelloType(full)).toBe(1);
    for (let n = 0; n < full.length; n++) expect(sslHelloType(full.subarray(0, n))).toBeUndefined();
  });

  test("the handshake type of any SSLv3-format record (a ServerHello is 2); other bytes are none", () => {
    const serverHello = new Uint8Array([0x16, 3, 3, 0, 8, 2, 0, 0, 4, 3, 3, 0, 0]);
    expect(sslHelloType(serverHello)).toBe(2);
    // Not SSLv3 or later, a record too short for a handshake header, plain text: no sample.
    expect(sslHelloType(new Uint8Array([0x16, 2, 0, 0, 8, 1, 0, 0, 0]))).toBeUndefined();
    expect(sslHelloType(new Uint8Array([0x16, 3, 1, 0, 3, 1, 0, 0, 0]))).toBeUndefined();
    expect(sslHelloType(new TextEncoder().encode("GET / HTTP/1.1\r\n"))).toBeUndefined();
  });

  test("both spellings in tcp-request content conditions", () => {
    for (const name of ["req.ssl_hello_type", "req_ssl_hello_type"]) {
      const c = compileExpr(name, Stage.tcpContent, env());
      if (typeof c === "string") throw new Error(c);
      expect(c.one(txn({ payload: hello([]) }))).toBe(1);
      expect(c.one(txn({ payload: new Uint8Array([0x16, 3, 1]) }))).toBeUndefined();
      expect(c.one(txn())).toBeUndefined();
    }
    expect(compileExpr("req_ssl_hello_type", Stage.httpRequest, env())).toMatch(/not available/);
  });
});
