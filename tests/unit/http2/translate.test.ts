import { describe, expect, test } from "bun:test";
import { H1Parser } from "../../../src/http1/parser.ts";
import type { Head as ModelHead } from "../../../src/http/message.ts";
import { CHUNKED, KEEP, lengthOf, rewriteOf } from "../../../src/http1/rewrite-args.ts";
import { serializeResponseHead, serializeTrailers } from "../../../src/http1/serialize.ts";
import { BodyKind, type Head } from "../../../src/http1/types.ts";
import { MalformedFields, requestFields, responseHead, trailersHead } from "../../../src/http2/translate.ts";
import { bytes, text } from "../http1/harness.ts";

function requestHead(raw: string): Head {
  let head: Head | undefined;
  const p = new H1Parser("request", { head: (h) => (head = h), data() {}, trailers() {}, end() {}, error: (e) => { throw e; } });
  p.push(bytes(raw));
  return head!;
}

function fieldsOf(h: ModelHead): string[] {
  const out: string[] = [];
  for (let i = 0; i < h.fieldCount; i++) out.push(`${h.name(i)}: ${h.value(i)}`);
  return out;
}

describe("HTTP/1.1 request → HTTP/2 header list", () => {
  test("pseudo-headers first, Host as :authority, connection-specific fields dropped, te only as trailers", () => {
    const h = requestHead(
      "POST /up?x=1 HTTP/1.1\r\nHost: example.test:8080\r\nConnection: keep-alive, x-hop\r\nKeep-Alive: 5\r\nX-Hop: 1\r\n" +
        "TE: trailers\r\nTransfer-Encoding: chunked\r\nUser-Agent: t\r\nCookie: a=1\r\n\r\n",
    );
    expect(requestFields(h, [["X-Forwarded-For", "10.0.0.1"]], "http")).toEqual([
      [":method", "POST"],
      [":scheme", "http"],
      [":authority", "example.test:8080"],
      [":path", "/up?x=1"],
      ["te", "trailers"],
      ["user-agent", "t"],
      ["cookie", "a=1"],
      ["x-forwarded-for", "10.0.0.1"],
    ]);
  });

  test("an absolute-form target gives :authority and :path; te other than trailers is dropped", () => {
    const h = requestHead("GET http://a.test/p/q?z HTTP/1.1\r\nHost: a.test\r\nTE: gzip\r\n\r\n");
    expect(requestFields(h, [], "http")).toEqual([[":method", "GET"], [":scheme", "http"], [":authority", "a.test"], [":path", "/p/q?z"]]);
    const bare = requestHead("GET http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect(requestFields(bare, [], "http")[3]).toEqual([":path", "/"]);
  });

  test("a TE list that has trailers among other codings goes on as te: trailers, once (as HAProxy)", () => {
    for (const te of ["trailers, deflate", "deflate, trailers", "deflate;q=0.5, Trailers", "gzip\r\nTE: trailers"]) {
      const h = requestHead(`POST /g HTTP/1.1\r\nHost: g.test\r\nTE: ${te}\r\nContent-Length: 0\r\n\r\n`);
      expect(requestFields(h, [], "http").filter(([n]) => n === "te")).toEqual([["te", "trailers"]]);
    }
    // TE named in Connection, as RFC 9110 §10.1.4 asks of a client that sends it: still te: trailers.
    const named = requestHead("POST /g HTTP/1.1\r\nHost: g.test\r\nTE: trailers\r\nConnection: TE\r\nContent-Length: 0\r\n\r\n");
    expect(requestFields(named, [], "http").filter(([n]) => n === "te")).toEqual([["te", "trailers"]]);
    const twice = requestHead("POST /g HTTP/1.1\r\nHost: g.test\r\nTE: trailers\r\nTE: trailers, gzip\r\nContent-Length: 0\r\n\r\n");
    expect(requestFields(twice, [], "http").filter(([n]) => n === "te")).toEqual([["te", "trailers"]]);
  });
});

describe("HTTP/2 response header list → Head", () => {
  test("a final response with content-length keeps its framing; fields in order", () => {
    const h = responseHead([[":status", "200"], ["content-type", "text/plain"], ["content-length", "5"], ["x-a", "b c"]], "GET");
    expect(h.status).toBe(200);
    expect(h.bodyKind).toBe(BodyKind.Length);
    expect(h.contentLength).toBe(5);
    expect(fieldsOf(h)).toEqual(["content-type: text/plain", "content-length: 5", "x-a: b c"]);
    // Never HTTP/1.1 text on the way: an HTTP/1.1 client gets it written from the fields, with RFC 9110's reason phrase.
    expect("raw" in h).toBe(false);
    expect(text(serializeResponseHead(h, rewriteOf(lengthOf(5))))).toBe(
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-a: b c\r\nContent-Length: 5\r\n\r\n",
    );
    expect(text(serializeResponseHead(h, rewriteOf(KEEP, "close")))).toBe(
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nx-a: b c\r\nConnection: close\r\n\r\n",
    );
  });

  test("a response of unknown length is written chunked to an HTTP/1.1 client; a status without a phrase gets none", () => {
    const h = responseHead([[":status", "299"], ["x-b", "1"]], "GET");
    expect(text(serializeResponseHead(h, rewriteOf(CHUNKED)))).toBe("HTTP/1.1 299 \r\nx-b: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  });

  test("equal content-length values (also as a list) are one length; a value that is not a number is refused", () => {
    expect(responseHead([[":status", "200"], ["content-length", "7"], ["content-length", "7, 7"]], "GET").contentLength).toBe(7);
    expect(() => responseHead([[":status", "200"], ["content-length", "7x"]], "GET")).toThrow(MalformedFields);
    expect(() => responseHead([[":status", "200"], ["content-length", ""]], "GET")).toThrow(MalformedFields);
  });

  test("without content-length the body runs to the end of the stream; HEAD, 204, 304 and 1xx carry none", () => {
    expect(responseHead([[":status", "200"]], "GET").bodyKind).toBe(BodyKind.UntilClose);
    expect(responseHead([[":status", "200"], ["content-length", "10"]], "HEAD").bodyKind).toBe(BodyKind.None);
    expect(responseHead([[":status", "204"]], "GET").bodyKind).toBe(BodyKind.None);
    expect(responseHead([[":status", "103"], ["link", "</a>; rel=preload"]], "GET").status).toBe(103);
  });

  test("malformed lists are refused (RFC 9113 §8.2, §8.3.2)", () => {
    const bad: [string, [string, string][]][] = [
      ["no :status", [["content-length", "1"]]],
      ["two :status", [[":status", "200"], [":status", "200"]]],
      ["bad :status", [[":status", "20"]]],
      ["request pseudo-header", [[":status", "200"], [":path", "/"]]],
      ["pseudo after regular", [[":status", "200"], ["x", "1"], [":status", "200"]]],
      ["upper-case name", [[":status", "200"], ["X-A", "1"]]],
      ["connection field", [[":status", "200"], ["connection", "close"]]],
      ["transfer-encoding", [[":status", "200"], ["transfer-encoding", "chunked"]]],
      ["CR in a value", [[":status", "200"], ["x", "a\rb"]]],
      ["NUL in a value", [[":status", "200"], ["x", "a\0b"]]],
      ["leading space", [[":status", "200"], ["x", " a"]]],
      ["te", [[":status", "200"], ["te", "trailers"]]],
      ["two content-lengths", [[":status", "200"], ["content-length", "1"], ["content-length", "2"]]],
      ["char above 255", [[":status", "200"], ["x", "\u0100"]]],
    ];
    for (const [what, fields] of bad) expect(() => responseHead(fields, "GET"), what).toThrow(MalformedFields);
  });

  test("trailers: fields only, as a trailer Head", () => {
    const t = trailersHead([["x-sum", "42"], ["grpc-status", "0"]]);
    expect(fieldsOf(t)).toEqual(["x-sum: 42", "grpc-status: 0"]);
    expect(text(serializeTrailers(t))).toBe("0\r\nx-sum: 42\r\ngrpc-status: 0\r\n\r\n");
    expect(() => trailersHead([[":status", "200"]])).toThrow(MalformedFields);
  });
});
