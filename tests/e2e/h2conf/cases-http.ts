// Conformance cases, RFC 9113 §8 (HTTP message exchange: framing, content
// length, field validity, connection-specific fields, pseudo-header fields,
// :authority and Host, CONNECT) and RFC 7541 (HPACK decoding errors and
// state). Data only: see case.ts for what the expectations mean.
import { ErrorCode, FrameType } from "../../../src/http2/constants.ts";
import type { H2Response } from "../../support/h2-raw-client.ts";
import { concat, errorCodeOf, type HeaderField, hpackString, indexedField, indexedLiteralField, literalBlock, literalField, tableSizeUpdate } from "../../support/h2-raw-frames.ts";
import { type Case, type CaseContext, connError, type Deviation, custom, malformed, openStream, response, streamError } from "./case.ts";

const { COMPRESSION_ERROR, PROTOCOL_ERROR } = ErrorCode;

const header = (r: H2Response, name: string) => r.headers.find(([n]) => n === name)?.[1];
const saw = (name: string, want: string) => (r: H2Response) => (header(r, name) === want ? undefined : `the backend saw ${name.slice(7)} '${header(r, name)}', expected '${want}'`);

const forwards = (who: string, what: string, rule: string, also = ""): Deviation => ({
  why: `${who} forwards ${what}; ${rule}${also}`,
  observed: response(1),
});

/** Known deviations of the references among the malformed GETs below (each checked as observed). */
const KNOWN_MALFORMED: Record<string, Case["known"]> = {
  "8.1.1/4": { haproxy: forwards("HAProxy 2.6", "a request whose content-length (5) differs from its content (none: END_STREAM on HEADERS)", "§8.1.1 makes it malformed and an intermediary MUST NOT forward it", " (nghttpx refuses it).") },
  "8.2.1/7": { haproxy: forwards("HAProxy 2.6", "a field value with leading whitespace", "§8.2.1 makes the request malformed", " (nghttpx refuses it).") },
  "8.2.1/8": { haproxy: forwards("HAProxy 2.6", "a field value with trailing whitespace", "§8.2.1 makes the request malformed", " (nghttpx refuses it).") },
  "8.3.1/10": {
    haproxy: forwards("HAProxy 2.6", "an :authority carrying userinfo", "§8.3.1 forbids userinfo in :authority for http URIs and §8.3 makes an invalid pseudo-header field malformed."),
    nghttpx: forwards("nghttpx", "an :authority carrying userinfo", "§8.3.1 forbids userinfo in :authority for http URIs and §8.3 makes an invalid pseudo-header field malformed."),
  },
  "8441.4/1": { haproxy: forwards("HAProxy 2.6", "a GET carrying :protocol (as a plain GET)", "RFC 8441 §4 allows :protocol on CONNECT only and RFC 9113 §8.3 makes an undefined request pseudo-header malformed") },
  "8.3.1/11": { nghttpx: forwards("nghttpx", "a :path with a fragment", "§8.3.1 gives :path the path and query only, and §8.3 makes an invalid pseudo-header field malformed", " (HAProxy resets the stream).") },
};

/** A case whose GET carries `fields` (built from the case's context) and must be refused as malformed before it reaches the backend. */
function malformedGet(id: string, rfc: string, sends: string, fields: (ctx: CaseContext) => HeaderField[]): Case {
  return { id, rfc, sends, run: (c, ctx) => c.sendHeaders(1, fields(ctx)), expect: malformed(1), known: KNOWN_MALFORMED[id] };
}

/** The pseudo-header fields of the case's GET without `name`. */
const without = (ctx: CaseContext, name: string) => ctx.get().filter(([n]) => n !== name);

/** A field block: the case's GET, then the raw representations in `tail`. */
const getThen = (ctx: CaseContext, ...tail: Uint8Array[]) => concat(literalBlock(ctx.get()), ...tail);

/** A literal field whose value is Huffman-coded as the octets given (RFC 7541 §5.2, H bit set). */
const huffmanValue = (name: string, octets: number[]) => concat(Uint8Array.of(0x00), hpackString(name), Uint8Array.of(0x80 | octets.length, ...octets));

const FIELD_RULES = "§8.2.1: A request or response that contains a field that violates any of these conditions MUST be treated as malformed.";
const CONNECTION_SPECIFIC = "§8.2.2: An endpoint MUST NOT generate an HTTP/2 message containing connection-specific header fields. Any message containing connection-specific header fields MUST be treated as malformed.";
const PSEUDO_RULES = "§8.3: Endpoints MUST treat a request or response that contains undefined or invalid pseudo-header fields as malformed.";
const REPEATED = "§8.3: The same pseudo-header field name MUST NOT appear more than once in a field block. A field block for an HTTP request or response that contains a repeated pseudo-header field name MUST be treated as malformed.";
const MANDATORY = "§8.3.1: All HTTP/2 requests MUST include exactly one valid value for the :method, :scheme, and :path pseudo-header fields, unless they are CONNECT requests. An HTTP request that omits mandatory pseudo-header fields is malformed.";
const DECODING_ERROR = "§4.3: A decoding error in a field block MUST be treated as a connection error of type COMPRESSION_ERROR.";

export const HTTP_CASES: Case[] = [
  // ---- 8.1 HTTP message framing ----
  {
    id: "8.1/1",
    rfc: "§8.1: An HTTP message consists of one HEADERS frame, zero or more DATA frames containing the message content, and optionally a trailer section.",
    sends: "a POST whose body comes in two DATA frames",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "hello ", { endStream: false }), c.sendData(1, "world")),
    expect: response(1, saw("x-body-length", "11"), "a 2xx whose backend got the 11 octets"),
  },
  {
    id: "8.1/2",
    rfc: "§8.1: Trailer fields are carried in a field block that also terminates the stream.",
    sends: "a POST with a body and a trailer section (HEADERS with END_STREAM)",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "body", { endStream: false }), c.sendHeaders(1, [["x-trailer", "done"]])),
    expect: response(1),
  },
  {
    id: "8.1/3",
    rfc: "§8.1: An endpoint that receives a HEADERS frame without the END_STREAM flag set after receiving the HEADERS frame that opens a request ... MUST treat the corresponding request or response as malformed.",
    sends: "a POST, then a second HEADERS without END_STREAM",
    run: (c, ctx) => (openStream(c, ctx), c.sendHeaders(1, [["x-trailer", "1"]], { endStream: false })),
    expect: malformed(1, false),
  },
  {
    id: "8.1/4",
    rfc: "§8.1: Trailers MUST NOT include pseudo-header fields. An endpoint that receives pseudo-header fields in trailers MUST treat the request or response as malformed.",
    sends: "a POST with a body and trailers holding :path",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "body", { endStream: false }), c.sendHeaders(1, [[":path", "/other"]])),
    expect: malformed(1, false),
    known: {
      haproxy: {
        why: "HAProxy 2.6 resets the stream with INTERNAL_ERROR; §8.1.1 says a detected malformed request MUST be treated as a stream error of type PROTOCOL_ERROR.",
        observed: streamError(1, ErrorCode.INTERNAL_ERROR),
      },
    },
  },
  {
    id: "8.1.1/1",
    rfc: "§8.1.1: A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content.",
    sends: "a POST with content-length 10 and 5 octets of body",
    run: (c, ctx) => (c.sendHeaders(1, ctx.post([["content-length", "10"]]), { endStream: false }), c.sendData(1, "12345")),
    expect: malformed(1, false),
  },
  {
    id: "8.1.1/2",
    rfc: "§8.1.1: A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content.",
    sends: "a POST with content-length 2 and 5 octets of body",
    run: (c, ctx) => (c.sendHeaders(1, ctx.post([["content-length", "2"]]), { endStream: false }), c.sendData(1, "12345")),
    expect: malformed(1, false),
  },
  {
    id: "8.1.1/3",
    rfc: "§8.1.1: A request or response that includes message content can include a content-length header field.",
    sends: "a POST with content-length 10 and its body in two DATA frames of 5",
    run: (c, ctx) => (c.sendHeaders(1, ctx.post([["content-length", "10"]]), { endStream: false }), c.sendData(1, "12345", { endStream: false }), c.sendData(1, "67890")),
    expect: response(1, saw("x-body-length", "10"), "a 2xx whose backend got the 10 octets"),
  },
  malformedGet(
    "8.1.1/4",
    "§8.1.1: A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content.",
    "a POST with content-length 5 and END_STREAM on its HEADERS (no content)",
    (ctx) => ctx.post([["content-length", "5"]]),
  ),

  // ---- 8.2 fields ----
  malformedGet("8.2/1", "§8.2: Field names MUST be converted to lowercase when constructing an HTTP/2 message. §8.1.1: malformed ... the inclusion of uppercase field names.", "a GET with the field X-Upper", (ctx) => ctx.get([["X-Upper", "1"]])),
  malformedGet("8.2.1/1", `§8.2.1: A field name MUST NOT contain characters in the ranges 0x00-0x20, 0x41-0x5a, or 0x7f-0xff. ${FIELD_RULES}`, "a GET with the field name 'x y'", (ctx) => ctx.get([["x y", "1"]])),
  malformedGet("8.2.1/2", `§8.2.1: With the exception of pseudo-header fields, field names MUST NOT include a colon. ${FIELD_RULES}`, "a GET with the field name 'x:y'", (ctx) => ctx.get([["x:y", "1"]])),
  malformedGet("8.2.1/3", `§8.2.1: A field name MUST NOT contain characters in the ranges 0x00-0x20, 0x41-0x5a, or 0x7f-0xff. ${FIELD_RULES}`, "a GET with the octet 0xe9 in a field name", (ctx) => ctx.get([["x-caf\u00e9", "1"]])),
  malformedGet("8.2.1/4", `§8.2.1: A field value MUST NOT contain the zero value (NUL), line feed (LF), or carriage return (CR) at any position. ${FIELD_RULES}`, "a GET with LF inside a field value", (ctx) => ctx.get([["x-v", "a\nb"]])),
  malformedGet("8.2.1/5", `§8.2.1: A field value MUST NOT contain the zero value (NUL), line feed (LF), or carriage return (CR) at any position. ${FIELD_RULES}`, "a GET with CR inside a field value", (ctx) => ctx.get([["x-v", "a\rb"]])),
  malformedGet("8.2.1/6", `§8.2.1: A field value MUST NOT contain the zero value (NUL), line feed (LF), or carriage return (CR) at any position. ${FIELD_RULES}`, "a GET with NUL inside a field value", (ctx) => ctx.get([["x-v", "a\u0000b"]])),
  malformedGet("8.2.1/7", `§8.2.1: A field value MUST NOT start or end with an ASCII whitespace character (SP or HTAB). ${FIELD_RULES}`, "a GET with a field value starting with a space", (ctx) => ctx.get([["x-v", " a"]])),
  malformedGet("8.2.1/8", `§8.2.1: A field value MUST NOT start or end with an ASCII whitespace character (SP or HTAB). ${FIELD_RULES}`, "a GET with a field value ending with a tab", (ctx) => ctx.get([["x-v", "a\t"]])),
  malformedGet("8.2.2/1", CONNECTION_SPECIFIC, "a GET with connection: keep-alive", (ctx) => ctx.get([["connection", "keep-alive"]])),
  malformedGet("8.2.2/2", CONNECTION_SPECIFIC, "a GET with keep-alive: timeout=5", (ctx) => ctx.get([["keep-alive", "timeout=5"]])),
  malformedGet("8.2.2/3", CONNECTION_SPECIFIC, "a GET with proxy-connection: keep-alive", (ctx) => ctx.get([["proxy-connection", "keep-alive"]])),
  malformedGet("8.2.2/4", CONNECTION_SPECIFIC, "a GET with transfer-encoding: chunked", (ctx) => ctx.get([["transfer-encoding", "chunked"]])),
  malformedGet("8.2.2/5", CONNECTION_SPECIFIC, "a GET with upgrade: websocket", (ctx) => ctx.get([["upgrade", "websocket"]])),
  {
    id: "8.2.2/6",
    rfc: "§8.2.2: The only exception to this is the TE header field, which MAY be present in an HTTP/2 request; when it is, it MUST NOT contain any value other than \"trailers\".",
    sends: "a GET with te: trailers",
    run: (c, ctx) => c.sendHeaders(1, ctx.get([["te", "trailers"]])),
    expect: response(1),
  },
  malformedGet("8.2.2/7", "§8.2.2: The TE header field MAY be present in an HTTP/2 request; when it is, it MUST NOT contain any value other than \"trailers\". (A message carrying it otherwise is malformed, §8.1.1.)", "a GET with te: gzip", (ctx) => ctx.get([["te", "gzip"]])),
  {
    id: "8.2.3/1",
    rfc: "§8.2.3: If there are multiple Cookie header fields after decompression, these MUST be concatenated into a single octet string using the two-octet delimiter of 0x3b, 0x20 (the ASCII string \"; \") before being passed into a non-HTTP/2 context, such as an HTTP/1.1 connection.",
    sends: "a GET with cookie: a=b and cookie: c=d",
    run: (c, ctx) => c.sendHeaders(1, ctx.get([["cookie", "a=b"], ["cookie", "c=d"]])),
    expect: response(1, saw("x-seen-cookie", "a=b; c=d"), "the backend gets one cookie field 'a=b; c=d'"),
  },

  // ---- 8.3 pseudo-header fields ----
  malformedGet("8.3/1", `§8.3: Endpoints MUST NOT generate pseudo-header fields other than those defined in this document. ${PSEUDO_RULES}`, "a GET with the pseudo-header field :foo", (ctx) => ctx.get([[":foo", "bar"]])),
  malformedGet("8.3/2", `§8.3: Pseudo-header fields defined for responses MUST NOT appear in requests. ${PSEUDO_RULES}`, "a GET with :status", (ctx) => ctx.get([[":status", "200"]])),
  malformedGet(
    "8.3/3",
    "§8.3: All pseudo-header fields MUST appear in a field block before all regular field lines. Any request or response that contains a pseudo-header field that appears in a field block after a regular field line MUST be treated as malformed.",
    "a GET whose :authority comes after a regular field",
    (ctx) => [...without(ctx, ":authority"), ["x-first", "1"], [":authority", ctx.authority]],
  ),
  malformedGet("8.3/4", REPEATED, "a GET with :path twice", (ctx) => [...ctx.get(), [":path", ctx.path]]),
  malformedGet("8.3/5", REPEATED, "a GET with :method twice", (ctx) => [[":method", "GET"], ...ctx.get()]),
  malformedGet("8.3/6", REPEATED, "a GET with :scheme twice", (ctx) => [[":scheme", "http"], ...ctx.get()]),
  malformedGet("8.3/7", REPEATED, "a GET with :authority twice", (ctx) => [[":authority", ctx.authority], ...ctx.get()]),

  // ---- 8.3.1 request pseudo-header fields ----
  malformedGet("8.3.1/1", MANDATORY, "a request without :method", (ctx) => without(ctx, ":method")),
  malformedGet("8.3.1/2", MANDATORY, "a GET without :scheme", (ctx) => without(ctx, ":scheme")),
  malformedGet("8.3.1/3", MANDATORY, "a GET without :path", (ctx) => without(ctx, ":path")),
  malformedGet("8.3.1/4", "§8.3.1: This pseudo-header field MUST NOT be empty for \"http\" or \"https\" URIs.", "a GET with an empty :path", (ctx) => [...without(ctx, ":path"), [":path", ""]]),
  malformedGet("8.3.1/5", `§8.3.1: :path includes the path and query parts of the target URI (the absolute-path production ...). ${PSEUDO_RULES}`, "a GET with :path 'h2conf' (no leading slash)", (ctx) => [...without(ctx, ":path"), [":path", "h2conf"]]),
  malformedGet(
    "8.3.1/11",
    `§8.3.1: :path includes the path and query parts of the target URI (the absolute-path production and optionally a '?' character followed by the query production): a fragment ('#') is neither. ${PSEUDO_RULES}`,
    "a GET whose :path ends in a fragment (#frag)",
    (ctx) => [...without(ctx, ":path"), [":path", `${ctx.path}#frag`]],
  ),
  {
    id: "8.3.1/6",
    rfc: "§8.3.1: A request in asterisk form (for OPTIONS) includes the value '*' for the :path pseudo-header field.",
    sends: "OPTIONS with :path '*'",
    run: (c, ctx) => c.sendHeaders(1, [[":method", "OPTIONS"], [":scheme", "http"], [":path", "*"], [":authority", ctx.authority]]),
    expect: response(1),
  },
  {
    id: "8.3.1/7",
    rfc: "§8.3.1: An intermediary that needs to generate a Host header field (which might be necessary to construct an HTTP/1.1 request) MUST use the value from the :authority pseudo-header field as the value of the Host field.",
    sends: "a GET with :authority and a Host field of the same value",
    run: (c, ctx) => c.sendHeaders(1, ctx.get([["host", ctx.authority]])),
    expect: response(1, saw("x-seen-host", "localhost"), "a 2xx; the backend sees Host: localhost"),
  },
  {
    id: "8.3.1/8",
    rfc: "§8.3.1: Clients that generate HTTP/2 requests directly MUST use the :authority pseudo-header field to convey authority information, unless there is no authority information to convey. (A request with Host and no :authority is valid; its Host is the authority.)",
    sends: "a GET with Host: example.test and no :authority",
    run: (c, ctx) => c.sendHeaders(1, [...without(ctx, ":authority"), ["host", "example.test"]]),
    expect: response(1, saw("x-seen-host", "example.test"), "a 2xx; the backend sees Host: example.test"),
  },
  {
    id: "8.3.1/9",
    rfc: "§8.3.1: A server SHOULD treat a request as malformed if it contains a Host header field that identifies an entity that differs from the entity in the :authority pseudo-header field. An intermediary that needs to generate a Host header field MUST use the value from the :authority pseudo-header field ... This replaces any existing Host field.",
    sends: "a GET with :authority localhost and Host: other.test",
    run: (c, ctx) => c.sendHeaders(1, ctx.get([["host", "other.test"]])),
    expect: custom("malformed, or forwarded with Host: localhost (from :authority)", async (c, from, ctx) => {
      const at = await c.until((f) => f.streamId === 1 && (f.type === FrameType.RST_STREAM || f.type === FrameType.HEADERS), undefined, from);
      const f = typeof at === "number" ? c.frames[at]! : undefined;
      if (f?.type === FrameType.RST_STREAM && errorCodeOf(f) === PROTOCOL_ERROR) return;
      const r = await c.expectResponse(1, undefined, from);
      if (r.status >= 400 && r.status < 500 && !ctx.backend.seen.has(ctx.path)) return;
      const wrong = saw("x-seen-host", "localhost")(r);
      if (wrong !== undefined) throw c.failure(wrong, from);
    }),
  },
  malformedGet("8.3.1/10", `§8.3.1: :authority MUST NOT include the deprecated userinfo subcomponent for \"http\" or \"https\" schemed URIs. ${PSEUDO_RULES}`, "a GET with :authority 'user@localhost'", (ctx) => [...without(ctx, ":authority"), [":authority", "user@localhost"]]),

  // ---- 8.5 CONNECT ----
  malformedGet(
    "8.5/1",
    "§8.5: The :scheme and :path pseudo-header fields MUST be omitted. A CONNECT request that does not conform to these restrictions is malformed.",
    "CONNECT with :scheme and :path",
    (ctx) => [[":method", "CONNECT"], [":scheme", "http"], [":path", ctx.path], [":authority", "localhost:80"]],
  ),
  malformedGet(
    "8.5/2",
    "§8.5: The :authority pseudo-header field contains the host and port to connect to. A CONNECT request that does not conform to these restrictions is malformed.",
    "CONNECT without :authority",
    () => [[":method", "CONNECT"]],
  ),
  {
    id: "8.5/3",
    rfc: "§8.5: In HTTP/2, the CONNECT method establishes a tunnel over a single HTTP/2 stream to a remote host. (A well-formed CONNECT is not malformed: a proxy answers it with a status, 2xx once the tunnel is up, or refuses the stream; never PROTOCOL_ERROR.)",
    sends: "a well-formed CONNECT to localhost:9 (left open)",
    run: (c) => c.sendHeaders(1, [[":method", "CONNECT"], [":authority", "localhost:9"]], { endStream: false }),
    expect: custom("a final status on stream 1, or RST_STREAM with another code than PROTOCOL_ERROR", async (c, from) => {
      const at = await c.until((f) => f.streamId === 1 || f.type === FrameType.GOAWAY, undefined, from);
      const f = typeof at === "number" ? c.frames[at]! : undefined;
      if (f?.type === FrameType.RST_STREAM && errorCodeOf(f) !== PROTOCOL_ERROR) return;
      const status = Number(f?.fields?.find(([n]) => n === ":status")?.[1] ?? 0);
      if (f?.type !== FrameType.HEADERS || status < 200) throw c.failure("expected a final response to the CONNECT or its refusal", from);
    }),
  },

  // ---- RFC 8441 extended CONNECT (sluice sends SETTINGS_ENABLE_CONNECT_PROTOCOL) ----
  malformedGet(
    "8441.4/1",
    "RFC 8441 §4: A CONNECT request with a :protocol pseudo-header MUST include :scheme and :path; requests that contain the :protocol pseudo-header but are not CONNECT are malformed (RFC 9113 §8.3: pseudo-headers not defined for requests).",
    "a GET with :protocol websocket",
    (ctx) => [[":protocol", "websocket"], ...ctx.get()],
  ),
  malformedGet(
    "8441.4/2",
    "RFC 8441 §4: On requests bearing the :protocol pseudo-header, the :scheme and :path pseudo-header fields of the target URI MUST also be included.",
    "an extended CONNECT without :path",
    () => [[":method", "CONNECT"], [":protocol", "websocket"], [":scheme", "http"], [":authority", "localhost"]],
  ),

  // ---- HPACK, RFC 7541 ----
  {
    id: "hpack/1",
    rfc: "RFC 7541 §6.1: The index value of 0 is not used. It MUST be treated as a decoding error if found in an indexed header field representation.",
    sends: "a GET whose block holds an indexed field with index 0",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, indexedField(0))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/2",
    rfc: "RFC 7541 §2.3.3: Indices strictly greater than the sum of the lengths of both tables MUST be treated as a decoding error.",
    sends: "a GET whose block holds index 70 with an empty dynamic table",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, indexedField(70))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/3",
    rfc: "RFC 7541 §2.3.3: Indices strictly greater than the sum of the lengths of both tables MUST be treated as a decoding error.",
    sends: "a GET whose block holds a literal naming its field by index 70",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, Uint8Array.of(0x0f, 70 - 15), hpackString("v"))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/4",
    rfc: "RFC 7541 §4.2: This dynamic table size update MUST occur at the beginning of the first header block following the change to the dynamic table size. (An update after a field line is a decoding error; RFC 9113 §4.3: COMPRESSION_ERROR.)",
    sends: "a GET whose block ends with a dynamic table size update",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, tableSizeUpdate(0))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/5",
    rfc: "RFC 7541 §6.3: The new maximum size MUST be lower than or equal to the limit determined by the protocol using HPACK. A value that exceeds this limit MUST be treated as a decoding error.",
    sends: "a GET whose block starts with a size update to 4097 (SETTINGS_HEADER_TABLE_SIZE is 4096)",
    run: (c, ctx) => c.sendHeaders(1, concat(tableSizeUpdate(4097), literalBlock(ctx.get()))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/6",
    rfc: "RFC 7541 §4.2: Multiple updates to the maximum table size can occur between the transmission of two header blocks ... the smallest maximum table size ... MUST be signaled in a dynamic table size update, followed by the final maximum size.",
    sends: "a GET whose block starts with size updates to 0 then 4096",
    run: (c, ctx) => c.sendHeaders(1, concat(tableSizeUpdate(0), tableSizeUpdate(4096), literalBlock(ctx.get()))),
    expect: response(1),
  },
  {
    id: "hpack/7",
    rfc: "RFC 7541 §5.2: A padding not corresponding to the most significant bits of the code for the EOS symbol MUST be treated as a decoding error.",
    sends: "a GET with a Huffman value of one octet 0x00 ('0' then 3 zero bits of padding)",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, huffmanValue("x-h", [0x00]))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/8",
    rfc: "RFC 7541 §5.2: A padding strictly longer than 7 bits MUST be treated as a decoding error.",
    sends: "a GET with a Huffman value of one octet 0xff (8 bits of padding)",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, huffmanValue("x-h", [0xff]))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/9",
    rfc: "RFC 7541 §5.2: A Huffman-encoded string literal containing the EOS symbol MUST be treated as a decoding error.",
    sends: "a GET with a Huffman value of 0xff 0xff 0xff 0xff (the 30-bit EOS code)",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, huffmanValue("x-h", [0xff, 0xff, 0xff, 0xff]))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/10",
    rfc: "RFC 7541 §5.1: Integer encodings that exceed implementation limits -- in value or octet length -- MUST be treated as decoding errors.",
    sends: "a GET whose block holds an index encoded with 10 continuation octets",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "hpack/11",
    rfc: "RFC 9113 §4.3.1: Each endpoint has an HPACK encoder context and an HPACK decoder context that are used for encoding and decoding all field blocks on a connection. (RFC 7541 §2.3.2: the dynamic table.)",
    sends: "a GET on stream 1 adding x-h2conf to the dynamic table, then a GET on stream 3 naming it by index 62",
    run: async (c, ctx) => {
      c.sendHeaders(1, getThen(ctx, indexedLiteralField("x-h2conf", "kept")));
      await c.expectResponse(1);
      c.sendHeaders(3, getThen(ctx, indexedField(62)));
    },
    expect: response(3),
  },
  {
    id: "hpack/12",
    rfc: "RFC 7541 §4.3: Whenever the maximum size for the dynamic table is reduced, entries are evicted from the end of the dynamic table until the size of the dynamic table is less than or equal to the maximum size. (§2.3.3: a later index past the tables is a decoding error.)",
    sends: "a GET adding an entry, then a GET whose block starts with a size update to 0 and names index 62",
    run: async (c, ctx) => {
      c.sendHeaders(1, getThen(ctx, indexedLiteralField("x-h2conf", "kept")));
      await c.expectResponse(1);
      c.sendHeaders(3, concat(tableSizeUpdate(0), literalBlock(ctx.get()), indexedField(62)));
    },
    expect: connError(COMPRESSION_ERROR),
    known: {
      haproxy: {
        why: "HAProxy 2.6 still resolves index 62 after a dynamic table size update to 0, which RFC 7541 §4.3 says evicts every entry (so index 62 is past the tables, a decoding error). nghttpx answers COMPRESSION_ERROR.",
        observed: response(3),
      },
    },
  },
  {
    id: "hpack/13",
    rfc: "RFC 7541 §6.2.3: A literal header field never-indexed representation results in appending a header field to the decoded header list without altering the dynamic table.",
    sends: "a GET with a never-indexed literal field",
    run: (c, ctx) => c.sendHeaders(1, getThen(ctx, concat(Uint8Array.of(0x10), hpackString("x-secret"), hpackString("1")))),
    expect: response(1),
  },
  {
    id: "hpack/14",
    rfc: "RFC 7541 §5.2: String literals ... can be encoded directly or using a static Huffman code.",
    sends: "a GET encoded by a full HPACK encoder (Huffman, indexing)",
    run: (c, ctx) => c.sendHeaders(1, c.encoder.encode(ctx.get([["user-agent", "h2conf"]]))),
    expect: response(1),
  },
  {
    id: "hpack/15",
    rfc: "RFC 7541 §6.2.2: A literal header field without indexing representation results in appending a header field to the decoded header list without altering the dynamic table. (§2.3.3: index 62 then names nothing.)",
    sends: "a GET with a literal without indexing, then a GET naming index 62",
    run: async (c, ctx) => {
      c.sendHeaders(1, getThen(ctx, literalField("x-h2conf", "not kept")));
      await c.expectResponse(1);
      c.sendHeaders(3, getThen(ctx, indexedField(62)));
    },
    expect: connError(COMPRESSION_ERROR),
  },
];
