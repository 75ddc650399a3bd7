// Request smuggling: every ambiguity in framing is refused, and what follows a
// refused or a legitimately framed body is never parsed as a second request.

import { describe, expect, test } from "bun:test";
import { bytes, type Case, drive, splits } from "./harness.ts";

const SMUGGLED = "GET /admin HTTP/1.1\r\nHost: internal\r\n\r\n";
const POST = "POST / HTTP/1.1\r\nHost: h\r\n";
const CHUNKED = POST + "Transfer-Encoding: chunked\r\n\r\n";
/** A chunked body whose payload is the smuggled request. */
const hidden = (sizeLine: string) => `${sizeLine}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
const SIZE = SMUGGLED.length.toString(16);

/** [name, input, refused with this code — or accepted with this body] */
type Entry = [string, string, { code: string } | { body: string }];

const corpus: Entry[] = [
  // CL.TE and TE.CL
  ["CL.TE", POST + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, { code: "cl-te" }],
  ["TE.CL", POST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + hidden(SIZE), { code: "cl-te" }],
  ["CL.TE with an unknown coding", POST + "Content-Length: 6\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED, { code: "cl-te" }],
  ["CL.TE in HTTP/1.0", "POST / HTTP/1.0\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, { code: "cl-te" }],
  ["TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + hidden(SIZE), { code: "te-http10" }],
  // TE.TE: obfuscated Transfer-Encoding
  ["TE: xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: chunkedx", POST + "Transfer-Encoding: chunkedx\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: quoted chunked", POST + 'Transfer-Encoding: "chunked"\r\n\r\n' + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: chunked;", POST + "Transfer-Encoding: chunked;\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: chunked, identity", POST + "Transfer-Encoding: chunked, identity\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: identity, chunked is fine", POST + "Transfer-Encoding: identity, chunked\r\n\r\n" + hidden(SIZE), { body: SMUGGLED }],
  ["TE: chunked twice in one field", POST + "Transfer-Encoding: chunked, chunked\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: duplicated fields", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: chunked then identity field", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: leading OWS is legal", POST + "Transfer-Encoding:   chunked\r\n\r\n" + hidden(SIZE), { body: SMUGGLED }],
  ["TE: trailing OWS is legal", POST + "Transfer-Encoding: chunked \t \r\n\r\n" + hidden(SIZE), { body: SMUGGLED }],
  ["TE: tab as OWS is legal", POST + "Transfer-Encoding:\tchunked\r\n\r\n" + hidden(SIZE), { body: SMUGGLED }],
  ["TE: upper case is legal", POST + "TRANSFER-ENCODING: Chunked\r\n\r\n" + hidden(SIZE), { body: SMUGGLED }],
  ["TE: leading OWS with CL", POST + "Content-Length: 4\r\nTransfer-Encoding:  chunked\r\n\r\n" + hidden(SIZE), { code: "cl-te" }],
  ["TE: space before colon", POST + "Transfer-Encoding : chunked\r\n\r\n" + hidden(SIZE), { code: "space-before-colon" }],
  ["TE: name folded onto a line", POST + " Transfer-Encoding: chunked\r\n\r\n" + hidden(SIZE), { code: "obs-fold" }],
  ["TE: obs-folded value", POST + "Transfer-Encoding:\r\n chunked\r\n\r\n" + hidden(SIZE), { code: "obs-fold" }],
  ["TE: obs-folded identity", POST + "Transfer-Encoding: chunked\r\n\tidentity\r\n\r\n" + hidden(SIZE), { code: "obs-fold" }],
  ["TE: bare LF before CL", POST + "Transfer-Encoding: chunked\nContent-Length: 4\r\n\r\n" + hidden(SIZE), { code: "bare-lf" }],
  ["TE: bare CR", POST + "Transfer-Encoding: chunked\rContent-Length: 4\r\n\r\n" + hidden(SIZE), { code: "bare-cr" }],
  ["TE: vertical tab", POST + "Transfer-Encoding: \x0bchunked\r\n\r\n" + hidden(SIZE), { code: "bad-value" }],
  ["TE: form feed", POST + "Transfer-Encoding: chunked\x0c\r\n\r\n" + hidden(SIZE), { code: "bad-value" }],
  ["TE: NUL", POST + "Transfer-Encoding: chunked\x00\r\n\r\n" + hidden(SIZE), { code: "bad-value" }],
  ["TE: NBSP is not OWS", POST + "Transfer-Encoding:\xa0chunked\r\n\r\n" + hidden(SIZE), { code: "te-not-chunked" }],
  ["TE: NUL in the name", POST + "Transfer-Encoding\x00: chunked\r\n\r\n" + hidden(SIZE), { code: "bad-name" }],
  // Content-Length oddities
  ["CL: +5", POST + "Content-Length: +5\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: -0", POST + "Content-Length: -0\r\n\r\n" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: 5, 6", POST + "Content-Length: 5, 6\r\n\r\nhello" + SMUGGLED, { code: "cl-dup" }],
  ["CL: two fields", POST + "Content-Length: 5\r\nContent-Length: 0\r\n\r\nhello" + SMUGGLED, { code: "cl-dup" }],
  ["CL: space inside", POST + "Content-Length: 1 5\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: hex", POST + "Content-Length: 0x5\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: exponent", POST + "Content-Length: 1e1\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: decimal point", POST + "Content-Length: 5.0\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: overflow", POST + "Content-Length: 18446744073709551621\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: trailing junk", POST + "Content-Length: 5x\r\n\r\nhello" + SMUGGLED, { code: "cl-invalid" }],
  ["CL: space before colon", POST + "Content-Length : 5\r\n\r\nhello" + SMUGGLED, { code: "space-before-colon" }],
  ["CL: leading zeros are a number", POST + `Content-Length: 000${SMUGGLED.length}\r\n\r\n` + SMUGGLED, { body: SMUGGLED }],
  // chunk framing
  ["chunk size 0x…", CHUNKED + hidden("0x" + SIZE), { code: "chunk-size" }],
  ["chunk size with a sign", CHUNKED + hidden("+" + SIZE), { code: "chunk-size" }],
  ["chunk size with a leading space", CHUNKED + hidden(" " + SIZE), { code: "chunk-size" }],
  ["chunk size with a trailing space", CHUNKED + hidden(SIZE + " "), { code: "chunk-size" }],
  ["chunk size with a trailing tab", CHUNKED + hidden(SIZE + "\t"), { code: "chunk-size" }],
  ["chunk size overflow", CHUNKED + hidden("ffffffffffffffffff" + SIZE), { code: "chunk-size" }],
  ["chunk size truncation to 0 would end the body", CHUNKED + hidden("10000000000000000"), { code: "chunk-size" }],
  ["chunk size with many leading zeros", CHUNKED + hidden("00000000000000000000" + SIZE), { body: SMUGGLED }],
  ["chunk ext with BWS before ';' (RFC 9112 §7.1.1)", CHUNKED + hidden(SIZE + " ;ext"), { body: SMUGGLED }],
  ["chunk ext with BWS around '='", CHUNKED + hidden(SIZE + ";a = b"), { body: SMUGGLED }],
  ["chunk ext: ';' alone", CHUNKED + hidden(SIZE + " ;"), { code: "chunk-ext" }],
  ["chunk ext: bare LF", CHUNKED + `${SIZE};ext\n${SMUGGLED}\r\n0\r\n\r\n`, { code: "bare-lf" }],
  ["chunk ext: bare CR", CHUNKED + `${SIZE};ext\r${SMUGGLED}\r\n0\r\n\r\n`, { code: "bare-cr" }],
  ["chunk ext: quoted CRLF", CHUNKED + `${SIZE};a="\r\n"\r\n${SMUGGLED}\r\n0\r\n\r\n`, { code: "chunk-ext" }],
  ["chunk ext: escaped LF", CHUNKED + `${SIZE};a="\\\n"\r\n${SMUGGLED}\r\n0\r\n\r\n`, { code: "chunk-ext" }],
  ["chunk ext: non-token byte", CHUNKED + hidden(SIZE + ";a@b"), { code: "chunk-ext" }],
  ["chunk size line with a bare LF", CHUNKED + `${SIZE}\n${SMUGGLED}\r\n0\r\n\r\n`, { code: "bare-lf" }],
  ["chunk data followed by LF only", CHUNKED + `${SIZE}\r\n${SMUGGLED}\n0\r\n\r\n`, { code: "bare-lf" }],
  ["chunk data longer than its size", CHUNKED + `5\r\nhello${SMUGGLED}\r\n0\r\n\r\n`, { code: "chunk-crlf" }],
  ["last chunk with a bare LF", CHUNKED + `0\n\r\n${SMUGGLED}`, { code: "bare-lf" }],
  ["trailer section with a bare LF", CHUNKED + `0\r\nX: y\n\r\n${SMUGGLED}`, { code: "bare-lf" }],
  ["trailer section ending with a bare LF", CHUNKED + `0\r\n\n${SMUGGLED}`, { code: "bare-lf" }],
];

describe("request smuggling corpus", () => {
  for (const [name, input, outcome] of corpus) {
    test(name, () => {
      const c: Case = { name, side: "request", input, expect: [] };
      const data = bytes(input);
      const whole = drive(c, [data.slice()], false);
      expect(whole.heads.length).toBeLessThanOrEqual(1);
      for (const h of whole.heads) expect(h.target).toBe("/");
      if ("code" in outcome) {
        expect(whole.errors.map((e) => `${e.status} ${e.code}`)).toEqual([`400 ${outcome.code}`]);
        expect(whole.short.at(-1)).toBe(`error 400 ${outcome.code}`);
      } else {
        expect(whole.errors).toEqual([]);
        expect(whole.short.slice(1)).toEqual([`body ${JSON.stringify(outcome.body)}`, "end"]);
      }
      for (const { label, pieces } of splits(data)) {
        const r = drive(c, pieces, true);
        if (r.full.join("\n") !== whole.full.join("\n")) expect({ label, events: r.full }).toEqual({ label, events: whole.full });
      }
    });
  }
});
