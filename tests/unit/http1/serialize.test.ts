import { describe, expect, test } from "bun:test";
import { H1Parser } from "../../../src/http1/parser.ts";
import {
  chunkPrefix,
  CRLF,
  type HeadRewrite,
  serializeRequestHead,
  serializeResponseHead,
  serializeTrailers,
  simpleResponse,
} from "../../../src/http1/serialize.ts";
import type { Head } from "../../../src/http1/types.ts";
import { bytes, text } from "./harness.ts";

function parse(side: "request" | "response", input: string, method = "GET"): { head: Head; trailers?: Head } {
  let head: Head | undefined;
  let trailers: Head | undefined;
  const p = new H1Parser(side, {
    head: (h) => (head = h),
    data: () => {},
    trailers: (t) => (trailers = t),
    end: () => {},
    error: (e) => {
      throw e;
    },
  });
  p.setRequestMethod(method);
  p.push(bytes(input));
  return { head: head!, trailers };
}

const req = (input: string, rewrite: HeadRewrite) => text(serializeRequestHead(parse("request", input).head, rewrite));
const res = (input: string, rewrite: HeadRewrite, minor?: 0 | 1, method = "GET") =>
  text(serializeResponseHead(parse("response", input, method).head, rewrite, minor));

describe("serializeRequestHead", () => {
  test("drops hop-by-hop fields, and those named by Connection; keeps the rest byte for byte", () => {
    const input =
      "GET /p?q HTTP/1.1\r\nHost: Example.com\r\nConnection: keep-alive, X-Trace\r\nKeep-Alive: timeout=5\r\nX-Trace: abc\r\n" +
      "User-Agent: ua\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nx-trace: again\r\nAccept:  */* \t\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n";
    expect(req(input, { framing: { kind: "none" }, connection: "keep-alive", add: [["X-Forwarded-For", "1.2.3.4"]] })).toBe(
      "GET /p?q HTTP/1.1\r\nHost: Example.com\r\nUser-Agent: ua\r\nAccept:  */* \t\r\nTE: trailers\r\nConnection: keep-alive\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
    );
  });

  test("TE: only `trailers` is passed on (as `TE: trailers`); other codings, and a TE without it, are dropped", () => {
    const none = { framing: { kind: "none" } } as const;
    expect(req("GET / HTTP/1.1\r\nHost: h\r\nTE: gzip, Trailers;q=0.5\r\nConnection: TE\r\n\r\n", none)).toBe("GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n");
    expect(req("GET / HTTP/1.1\r\nHost: h\r\nTE: gzip\r\n\r\n", none)).toBe("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    expect(req("GET / HTTP/1.1\r\nHost: h\r\nTE: trailersx\r\n\r\n", none)).toBe("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    // Responses carry no TE.
    expect(res("HTTP/1.1 200 OK\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n", { framing: { kind: "keep" } })).toBe("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });

  test("declares the framing it is told to, after the kept fields", () => {
    const input = "POST /up HTTP/1.1\r\nhost: h\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n";
    expect(req(input, { framing: { kind: "length", length: 5 } })).toBe("POST /up HTTP/1.1\r\nhost: h\r\nX-A: 1\r\nContent-Length: 5\r\n\r\n");
    expect(req(input, { framing: { kind: "chunked" }, connection: "close" })).toBe(
      "POST /up HTTP/1.1\r\nhost: h\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    expect(req(input, { framing: { kind: "length", length: 1234567890123 } })).toContain("\r\nContent-Length: 1234567890123\r\n");
    expect(req(input, { framing: { kind: "keep" } })).toBe("POST /up HTTP/1.1\r\nhost: h\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n");
  });

  test("HTTP/1.0 requests go out as HTTP/1.1", () => {
    expect(req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", { framing: { kind: "none" } })).toBe("GET / HTTP/1.1\r\n\r\n");
  });

  test("keepUpgrade keeps Upgrade in place for a WebSocket handshake", () => {
    const input = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n";
    expect(req(input, { framing: { kind: "none" }, connection: "upgrade", keepUpgrade: true })).toBe(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\nConnection: upgrade\r\n\r\n",
    );
    expect(req(input, { framing: { kind: "none" } })).toBe("GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\n\r\n");
  });

  test("drop list, a rewritten target, added fields in order", () => {
    const input = "GET http://h/x?y HTTP/1.1\r\nHost: h\r\nCookie: c\r\nX-Forwarded-For: spoofed\r\nAccept: a\r\n\r\n";
    expect(
      req(input, {
        framing: { kind: "none" },
        drop: ["x-forwarded-for", "cookie"],
        target: "/x?y",
        add: [["X-Forwarded-For", "10.0.0.1"], ["Via", "1.1 sluice"]],
      }),
    ).toBe("GET /x?y HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.1 sluice\r\n\r\n");
  });

  test("Connection cannot strip Host", () => {
    expect(req("GET / HTTP/1.1\r\nHost: h\r\nConnection: host, x\r\nX: 1\r\n\r\n", { framing: { kind: "none" } })).toBe(
      "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    );
  });

  test("transfer codings before chunked are carried over", () => {
    expect(req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", { framing: { kind: "chunked" } })).toBe(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    );
    expect(
      req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nX: 1\r\ntransfer-encoding: Chunked\r\n\r\n", { framing: { kind: "chunked" } }),
    ).toBe("POST / HTTP/1.1\r\nHost: h\r\nX: 1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
    expect(req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n", { framing: { kind: "chunked" } })).toBe(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
  });

  test("refuses to write fields that would break the head", () => {
    const { head } = parse("request", "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    expect(() => serializeRequestHead(head, { framing: { kind: "none" }, add: [["X", "a\r\nInjected: 1"]] })).toThrow();
    expect(() => serializeRequestHead(head, { framing: { kind: "none" }, add: [["Bad Name", "v"]] })).toThrow();
    expect(() => serializeRequestHead(head, { framing: { kind: "none" }, add: [["", "v"]] })).toThrow();
    expect(() => serializeRequestHead(head, { framing: { kind: "none" }, target: "/a b" })).toThrow();
    expect(() => serializeRequestHead(head, { framing: { kind: "length", length: -1 } })).toThrow();
  });

  test("works from any Head implementation, not only the parser's", () => {
    const { head } = parse("request", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: x-a\r\nX-A: 1\r\nX-B: 2\r\n\r\n");
    const foreign: Head = {
      isRequest: true,
      raw: head.raw.slice(),
      method: head.method,
      target: head.target,
      status: 0,
      versionMinor: 1,
      fieldCount: head.fieldCount,
      fieldOffsets: head.fieldOffsets.slice(),
      bodyKind: head.bodyKind,
      contentLength: -1,
      keepAlive: true,
      connectionTokens: head.connectionTokens,
      upgrade: undefined,
      host: "h",
      hasHost: true,
      expectContinue: false,
      originalName: (i) => head.originalName(i),
      name: (i) => head.name(i),
      value: (i) => head.value(i),
      nameIs: (i, n) => head.nameIs(i, n),
      get: (n) => head.get(n),
    };
    expect(text(serializeRequestHead(foreign, { framing: { kind: "none" } }))).toBe("GET /x HTTP/1.1\r\nHost: h\r\nX-B: 2\r\n\r\n");
  });

  test("outputs are never overwritten by later ones", () => {
    const { head } = parse("request", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    const outs = Array.from({ length: 2000 }, (_, i) =>
      serializeRequestHead(head, { framing: { kind: "length", length: i }, add: [["X-I", String(i)]] }),
    );
    outs.forEach((o, i) => expect(text(o)).toBe(`GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: ${i}\r\nX-I: ${i}\r\n\r\n`));
  });

  test("output parses back to the same request", () => {
    const input = "PUT /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nConnection: close\r\nX-B:  2 \r\nContent-Length: 3\r\n\r\n";
    const out = serializeRequestHead(parse("request", input).head, { framing: { kind: "length", length: 3 }, connection: "close" });
    const back = parse("request", text(out) + "abc").head;
    expect([back.method, back.target, back.host, back.contentLength, back.keepAlive]).toEqual(["PUT", "/a", "h", 3, false]);
    expect(Array.from({ length: back.fieldCount }, (_, i) => `${back.name(i)}=${back.value(i)}`)).toEqual([
      "host=h",
      "x-a=1",
      "x-b=2",
      "content-length=3",
      "connection=close",
    ]);
  });
});

describe("serializeResponseHead", () => {
  test("status line as received, version as asked", () => {
    const input = "HTTP/1.1 404 Not Found\r\nServer: s\r\nContent-Length: 9\r\nConnection: keep-alive\r\n\r\n";
    expect(res(input, { framing: { kind: "length", length: 9 } })).toBe("HTTP/1.1 404 Not Found\r\nServer: s\r\nContent-Length: 9\r\n\r\n");
    expect(res(input, { framing: { kind: "length", length: 9 }, connection: "close" }, 0)).toBe(
      "HTTP/1.0 404 Not Found\r\nServer: s\r\nContent-Length: 9\r\nConnection: close\r\n\r\n",
    );
    expect(res("HTTP/1.0 200\r\nContent-Length: 0\r\n\r\n", { framing: { kind: "length", length: 0 } })).toBe(
      "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    );
  });

  test("framing keep for a bodiless response to HEAD", () => {
    const input = "HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 1234\r\nETag: \"e\"\r\n\r\n";
    expect(res(input, { framing: { kind: "keep" } }, 1, "HEAD")).toBe(input);
    expect(res(input, { framing: { kind: "none" } }, 1, "HEAD")).toBe("HTTP/1.1 200 OK\r\nDate: d\r\nETag: \"e\"\r\n\r\n");
  });

  test("101 with Upgrade kept", () => {
    const input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
    expect(res(input, { framing: { kind: "none" }, connection: "upgrade", keepUpgrade: true })).toBe(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\nConnection: upgrade\r\n\r\n",
    );
  });

  test("field case, order and odd bytes are preserved", () => {
    const input = "HTTP/1.1 200 OK\r\nset-COOKIE: a=1\r\nX-Latin: caf\xe9\r\nSet-Cookie: b=2\r\nx-empty:\r\nContent-Length: 0\r\n\r\n";
    expect(res(input, { framing: { kind: "length", length: 0 } })).toBe(
      "HTTP/1.1 200 OK\r\nset-COOKIE: a=1\r\nX-Latin: caf\xe9\r\nSet-Cookie: b=2\r\nx-empty:\r\nContent-Length: 0\r\n\r\n",
    );
  });
});

describe("chunks and trailers", () => {
  test("serializeTrailers", () => {
    expect(text(serializeTrailers(undefined))).toBe("0\r\n\r\n");
    const { trailers } = parse("request", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 12\r\nx-other:  v w \r\n\r\n");
    expect(text(serializeTrailers(trailers))).toBe("0\r\nX-Sum: 12\r\nx-other:  v w \r\n\r\n");
  });

  test("chunkPrefix", () => {
    expect(text(chunkPrefix(0))).toBe("0\r\n");
    expect(text(chunkPrefix(0x1a2))).toBe("1a2\r\n");
    expect(text(chunkPrefix(65536))).toBe("10000\r\n");
    expect(text(chunkPrefix(2 ** 53 - 1))).toBe("1fffffffffffff\r\n");
    expect(chunkPrefix(100)).toBe(chunkPrefix(100));
    expect(text(CRLF)).toBe("\r\n");
    expect(() => chunkPrefix(-1)).toThrow();
  });
});

describe("simpleResponse", () => {
  test("status line, fields, Content-Length, body", () => {
    expect(text(simpleResponse(503, "Service Unavailable", [["Content-Type", "text/plain"], ["Cache-Control", "no-cache"]], "down\n"))).toBe(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\nContent-Length: 5\r\n\r\ndown\n",
    );
    expect(text(simpleResponse(200, "OK", [], bytes("\x00\xff")))).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\x00\xff");
    expect(text(simpleResponse(200, "OK", [["content-length", "0"]], ""))).toBe("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    expect(text(simpleResponse(204, "No Content", [], ""))).toBe("HTTP/1.1 204 No Content\r\n\r\n");
    expect(text(simpleResponse(100, "Continue", [], ""))).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    expect(text(simpleResponse(200, "OK", [], "é"))).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\xc3\xa9");
    expect(() => simpleResponse(304, "Not Modified", [], "x")).toThrow();
    expect(() => simpleResponse(200, "O\r\nK", [], "")).toThrow();
  });
});
