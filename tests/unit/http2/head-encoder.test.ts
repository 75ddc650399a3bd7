// ResponseHeadEncoder: an HTTP/1.1 response head encoded straight from its
// bytes must decode to exactly the header list responseFields() makes from
// it (the list HpackEncoder.encode takes), share one dynamic table with
// encode() in both directions, and follow the same policy (indexed pairs,
// never-indexed credentials, no indexing of per-response values).
import { describe, expect, test } from "bun:test";
import { H1Head } from "../../../src/http1/head.ts";
import { H1Parser } from "../../../src/http1/parser.ts";
import { ResponseHeadEncoder } from "../../../src/http2/head-encoder.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../src/http2/hpack/index.ts";
import { responseFields } from "../../../src/http2/translate.ts";
import { bytes } from "../http1/harness.ts";

function responseOf(raw: string): H1Head {
  let head: H1Head | undefined;
  const p = new H1Parser("response", { head: (h) => (head ??= h as H1Head), data() {}, trailers() {}, end() {}, error: (e) => { throw e; } });
  p.push(bytes(raw));
  if (!(head instanceof H1Head)) throw new Error("no H1Head");
  return head;
}

class Pair {
  readonly hpack = new HpackEncoder();
  readonly heads = new ResponseHeadEncoder(this.hpack);
  readonly decoder = new HpackDecoder();

  /** The block of one head, and what it decodes to. */
  head(raw: string): { block: Uint8Array; fields: HeaderField[]; expected: HeaderField[] } {
    const head = responseOf(raw);
    const bound = this.heads.bound(head);
    const out = new Uint8Array(bound + 8).fill(0xee);
    const end = this.heads.encode(head, out, 3);
    expect(end - 3).toBeLessThanOrEqual(bound);
    expect(out[end]).toBe(0xee);
    const block = out.slice(3, end);
    return { block, fields: this.decoder.decode(block), expected: responseFields(head) };
  }

  list(fields: HeaderField[]): HeaderField[] {
    return this.decoder.decode(this.hpack.encode(fields));
  }
}

const NGINX = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n";

describe("ResponseHeadEncoder", () => {
  test("decodes to responseFields(): :status first, names lower-cased, connection-specific fields and those Connection lists dropped", () => {
    const p = new Pair();
    const r = p.head(
      "HTTP/1.1 302 Found\r\nLocation: /there\r\nCONNECTION: x-hop, Keep-Alive\r\nKeep-Alive: 5\r\nX-Hop: 1\r\nTransfer-Encoding: chunked\r\n" +
        "Upgrade: h2c\r\nProxy-Connection: close\r\nX-Custom-Thing: \xe9t\xe9\r\nVary: Accept-Encoding\r\n\r\n",
    );
    expect(r.fields).toEqual(r.expected);
    expect(r.fields).toEqual([[":status", "302"], ["location", "/there"], ["x-custom-thing", "\xe9t\xe9"], ["vary", "Accept-Encoding"]]);
  });

  test("a server's repeated fields become one index each from the second response on; per-response values stay literals", () => {
    const p = new Pair();
    const first = p.head(NGINX);
    expect(first.fields).toEqual(first.expected);
    const second = p.head(NGINX);
    expect(second.fields).toEqual(second.expected);
    // :status 200 (static), server, date, content-type (dynamic), content-length literal "13" with static name 28
    expect([...second.block]).toEqual([0x88, 0xc0, 0xbf, 0xbe, 0x0f, 0x0d, 0x02, 0x31, 0x33]);
    expect(p.hpack.table.entries().map(([n]) => n)).toEqual(["content-type", "date", "server"]);
  });

  test("static :status indexes for the seven the table has, a literal for others, 1xx included", () => {
    const p = new Pair();
    for (const [status, reason] of [[200, "OK"], [204, "No Content"], [206, "Partial"], [304, "Not Modified"], [400, "Bad"], [404, "Not Found"], [500, "Oops"], [103, "Early Hints"], [418, "Teapot"], [599, "X"]] as const) {
      const r = p.head(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\n\r\n`);
      expect(r.fields).toEqual(r.expected);
      expect(r.fields[0]).toEqual([":status", String(status)]);
    }
  });

  test("set-cookie and short cookies are never-indexed literals, long cookies indexed; a value over a quarter of the table is not indexed", () => {
    const p = new Pair();
    const long = "v".repeat(1100);
    const r = p.head(`HTTP/1.1 200 OK\r\nSet-Cookie: id=1\r\nCookie: short\r\nCookie: ${"c".repeat(30)}\r\nX-Big: ${long}\r\nX-Small: s\r\n\r\n`);
    expect(r.fields).toEqual(r.expected);
    expect(p.decoder.neverIndexed).toEqual(["set-cookie", "cookie"]);
    expect(p.hpack.table.entries()).toEqual([["x-small", "s"], ["cookie", "c".repeat(30)]]);
    const again = p.head(`HTTP/1.1 200 OK\r\nX-Small: s\r\nX-Big: ${long}\r\n\r\n`);
    expect(again.fields).toEqual(again.expected);
    // x-small indexed; x-big a literal naming nothing in the tables
    expect(again.block[1]).toBe(0x80 | 62);
  });

  test("one table with encode(): entries of either are used by the other, in both orders", () => {
    const p = new Pair();
    expect(p.list([[":status", "200"], ["server", "nginx/1.22.1"], ["x-a", "1"]])).toEqual([[":status", "200"], ["server", "nginx/1.22.1"], ["x-a", "1"]]);
    const r = p.head("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nX-A: 1\r\nX-A: 2\r\n\r\n");
    expect(r.fields).toEqual(r.expected);
    // server and x-a: 1 found in the table encode() filled (x-a's name is dynamic for x-a: 2)
    expect(p.hpack.table.entries()).toEqual([["x-a", "2"], ["x-a", "1"], ["server", "nginx/1.22.1"]]);
    const block = p.hpack.encode([["x-a", "2"], ["server", "nginx/1.22.1"]]);
    expect([...block]).toEqual([0x80 | 62, 0x80 | 64]);
    expect(p.decoder.decode(block)).toEqual([["x-a", "2"], ["server", "nginx/1.22.1"]]);
  });

  test("evictions and the peer's table size: stale pairs are never sent as indexes, size updates lead the block", () => {
    const p = new Pair();
    for (let i = 0; i < 300; i++) {
      // dates change: the table turns over many times
      const r = p.head(`HTTP/1.1 200 OK\r\nServer: s\r\nDate: ${i}-${"d".repeat(40)}\r\nX-N: ${i % 7}\r\n\r\n`);
      expect(r.fields).toEqual(r.expected);
    }
    p.hpack.setPeerMaxTableSize(100);
    const small = p.head(NGINX);
    expect(small.block[0]! & 0xe0).toBe(0x20);
    expect(small.fields).toEqual(small.expected);
    expect(p.hpack.table.size).toBeLessThanOrEqual(100);
    p.hpack.setPeerMaxTableSize(0);
    for (let i = 0; i < 3; i++) {
      const none = p.head(NGINX);
      expect(none.fields).toEqual(none.expected);
      expect(p.hpack.table.length).toBe(0);
    }
    p.hpack.setPeerMaxTableSize(4096);
    for (let i = 0; i < 3; i++) {
      const back = p.head(NGINX);
      expect(back.fields).toEqual(back.expected);
    }
    expect(p.hpack.table.length).toBe(3);
  });

  test("more distinct names than the per-connection numbers: the others go through the table's own index, still one index when repeated", () => {
    const p = new Pair();
    const many = Array.from({ length: 90 }, (_, i) => `X-Name-${i}: v${i % 3}\r\n`).join("");
    const first = p.head(`HTTP/1.1 200 OK\r\n${many}\r\n`);
    expect(first.fields).toEqual(first.expected);
    const second = p.head(`HTTP/1.1 200 OK\r\n${many}\r\n`);
    expect(second.fields).toEqual(second.expected);
    // :status, then 90 indexes of one or two octets
    expect(second.block.length).toBeLessThanOrEqual(1 + 90 * 2);
    // alternating values of one name
    for (const v of ["text/html", "image/png", "text/html", "image/png"]) {
      const r = p.head(`HTTP/1.1 200 OK\r\nContent-Type: ${v}\r\n\r\n`);
      expect(r.fields).toEqual(r.expected);
    }
    expect(p.head("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n").block.length).toBe(2);
  });

  test("after encode() refused a list (a char above U+00FF) the table restarts empty, and the head encoder follows", () => {
    const p = new Pair();
    p.head(NGINX);
    expect(() => p.hpack.encode([["x-bad", "\u0100"]])).toThrow(TypeError);
    const r = p.head(NGINX);
    expect(r.fields).toEqual(r.expected);
  });
});
