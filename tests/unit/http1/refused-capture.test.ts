// The bytes a refused head leaves for `show errors`: the head from its first
// byte (across reads too), copied, with the refused byte's offset; the dump
// as HAProxy prints it.
import { describe, expect, test } from "bun:test";
import { dumpText } from "../../../src/control/text-dump.ts";
import { H1Parser } from "../../../src/http1/parser.ts";
import type { H1Error, H1Events } from "../../../src/http1/types.ts";
import { bytes, text } from "./harness.ts";

function refusal(side: "request" | "response", chunks: string[]): H1Error {
  let error: H1Error | undefined;
  let ended = 0;
  const events: H1Events = { head() {}, data() {}, trailers() {}, end: () => ended++, error: (e) => (error = e) };
  const p = new H1Parser(side, events);
  for (const c of chunks) p.push(bytes(c));
  // A pipelined request is parsed once the one before it is done with.
  if (ended > 0) p.next();
  if (error === undefined) throw new Error("not refused");
  return error;
}

describe("refused heads keep their bytes", () => {
  test("a bad field name: the head, the bytes after it, the offset of the space", () => {
    const e = refusal("request", ["GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"]);
    expect(e.code).toBe("space-before-colon");
    expect(text(e.capture!.bytes)).toBe("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expect(e.capture!.position).toBe(28);
  });

  test("a head split over three reads: every piece, the offset from the head's first byte", () => {
    const e = refusal("request", ["GET / HT", "TP/1.1\r\nHo", "st: x\r\nB\x01d: y\r\n\r\n"]);
    expect(text(e.capture!.bytes)).toBe("GET / HTTP/1.1\r\nHost: x\r\nB\x01d: y\r\n\r\n");
    expect(e.capture!.position).toBe(26);
  });

  test("a second request on the connection: from its own first byte", () => {
    const e = refusal("request", ["GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost x\r\n\r\n"]);
    expect(text(e.capture!.bytes)).toBe("GET /b HTTP/1.1\r\nHost x\r\n\r\n");
    expect(e.capture!.position).toBe(21);
  });

  test("a head refused as a whole: the head, and its end as the position", () => {
    const e = refusal("request", ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"]);
    expect(e.code).toBe("host-dup");
    expect(e.capture!.position).toBe(e.capture!.bytes.length);
  });

  test("a response; a truncated message keeps nothing", () => {
    const e = refusal("response", ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\r\n\r\nok"]);
    expect(e.capture!.position).toBe(39);
    let truncated: H1Error | undefined;
    const p = new H1Parser("request", { head() {}, data() {}, trailers() {}, end() {}, error: (x) => (truncated = x) });
    p.push(bytes("GET / HTTP/1.1\r\nHost: x\r\n"));
    p.finish();
    expect(truncated?.code).toBe("truncated");
    expect(truncated?.capture).toBeUndefined();
  });
});

describe("dumpText: HAProxy's show errors dump", () => {
  test("offsets per line, escapes, long lines going on with '+' before column 80", () => {
    const b = new Uint8Array([...bytes("GET /" + "a".repeat(100)), 0x01, 0x7f, 0xff, ...bytes('"\\ HTTP/1.1\r\nok')]);
    expect(dumpText(b)).toBe(
      "  00000  GET /" + "a".repeat(65) + "\n" +
        "  00070+ " + "a".repeat(35) + '\\x01\\x7F\\xFF"\\\\ HTTP/1.1\\r\\n\n' +
        "  00121  ok\n",
    );
  });
});
