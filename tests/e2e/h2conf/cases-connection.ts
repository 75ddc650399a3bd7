// Conformance cases, RFC 9113 §3.4 (preface), §4 (frames, frame size, field
// section compression) and §5 (stream states, identifiers, concurrency,
// priority, error handling, extensions). Data only: see case.ts for what the
// expectations mean and h2-conformance.test.ts for the runner.
import { ErrorCode, Flag, FrameType, SettingId } from "../../../src/http2/constants.ts";
import { type H2RawClient, sameBytes } from "../../support/h2-raw-client.ts";
import { concat, errorCodeOf, filler, frame, getRequest, indexedField, indexedLiteralField, latin1Bytes, lastStreamIdOf, literalBlock, literalField, settingsPayload } from "../../support/h2-raw-frames.ts";
import { alive, type Case, completeRequest, connError, custom, type Expect, openStream, response, streamError } from "./case.ts";

const { PROTOCOL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR, STREAM_CLOSED, REFUSED_STREAM } = ErrorCode;
const prefaceError: Expect = { kind: "connectionError", codes: [PROTOCOL_ERROR], goawayOptional: true };
const UNKNOWN_TYPE = 0x20;

/** The server's SETTINGS_MAX_FRAME_SIZE (2^14 unless it said otherwise). */
const maxFrame = (c: H2RawClient) => c.serverSettings.get(SettingId.MAX_FRAME_SIZE) ?? 16384;

/** A field block of `fields` plus an x-fill field padding it to `size` octets (one more where a length prefix grows). */
function blockOfSize(fields: ReturnType<typeof getRequest>, size: number): Uint8Array {
  for (let v = Math.max(0, size - literalBlock(fields).length - 16); ; v++) {
    const block = literalBlock([...fields, ["x-fill", "a".repeat(v)]]);
    if (block.length >= size) return block;
  }
}

/** The ACK of a PING carrying `data` arrives. */
const pingAnswered = (data: Uint8Array) =>
  custom("PING ACK with the identical payload", async (c, from) => {
    const at = await c.until((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0, undefined, from);
    if (typeof at !== "number" || !sameBytes(c.frames[at]!.payload, data)) throw c.failure("expected PING ACK echoing our payload", from);
  });

const PING_DATA = latin1Bytes("h2conf!!");

export const CONNECTION_CASES: Case[] = [
  // ---- 3.4 HTTP/2 connection preface ----
  {
    id: "3.4/1",
    rfc: "§3.4: Clients and servers MUST treat an invalid connection preface as a connection error of type PROTOCOL_ERROR. A GOAWAY frame MAY be omitted in this case.",
    sends: "a preface with 'XX' in place of 'SM', then SETTINGS",
    handshake: false,
    run: (c) => c.send(latin1Bytes("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), frame(FrameType.SETTINGS, 0, 0)),
    expect: prefaceError,
  },
  {
    id: "3.4/2",
    rfc: "§3.4: This sequence MUST be followed by a SETTINGS frame, which MAY be empty. (An invalid preface: connection error PROTOCOL_ERROR, GOAWAY optional.)",
    sends: "the preface followed by a PING instead of SETTINGS",
    handshake: false,
    run: (c) => (c.sendPreface(), c.sendPing()),
    expect: prefaceError,
  },
  {
    id: "3.4/3",
    rfc: "§3.4: Clients and servers MUST treat an invalid connection preface as a connection error of type PROTOCOL_ERROR.",
    sends: "an HTTP/1.1 request in place of the preface",
    handshake: false,
    run: (c) => c.send(latin1Bytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")),
    expect: prefaceError,
    known: {
      nghttpx: {
        why: "nghttpx's cleartext frontend detects the protocol and serves HTTP/1.1 too; a bind that is HTTP/2 only (HAProxy's and sluice's `proto h2`) must refuse it as an invalid preface (§3.4).",
        observed: custom("an HTTP/1.1 response", async (c) => {
          await c.expectConnectionClosed().catch(() => undefined);
          if (!c.firstBytes.startsWith("HTTP/1.1 ")) throw c.failure(`expected an HTTP/1.1 answer, got '${c.firstBytes}'`);
        }),
      },
    },
  },
  {
    id: "3.4/4",
    rfc: "§3.4: The server connection preface consists of a potentially empty SETTINGS frame that MUST be the first frame the server sends. The SETTINGS frames received from a peer as part of the connection preface MUST be acknowledged.",
    sends: "the preface and an empty SETTINGS",
    handshake: false,
    run: (c) => c.send(latin1Bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(FrameType.SETTINGS, 0, 0)),
    expect: custom("a SETTINGS first, then the ACK of ours", async (c) => {
      const ack = await c.until((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
      const first = c.frames[0];
      if (first === undefined || first.type !== FrameType.SETTINGS || first.flags & Flag.ACK) throw c.failure("the server's first frame must be a SETTINGS without ACK");
      if (typeof ack !== "number") throw c.failure("our SETTINGS was not acknowledged");
    }),
  },
  {
    id: "3.4/5",
    rfc: "§3.4: To avoid unnecessary latency, clients are permitted to send additional frames to the server immediately after sending the client connection preface, without waiting to receive the server connection preface.",
    sends: "preface, SETTINGS and a GET in one write",
    handshake: false,
    run: (c, ctx) => c.send(latin1Bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(FrameType.SETTINGS, 0, 0), c.headersFrame(1, ctx.get())),
    expect: response(1),
  },

  // ---- 4.1 frame format ----
  {
    id: "4.1/1",
    rfc: "§4.1: Implementations MUST ignore and discard frames of unknown types.",
    sends: "a frame of unknown type 0x20 on stream 0",
    run: (c) => c.sendFrame(UNKNOWN_TYPE, 0, 0, filler(8)),
    expect: alive(),
  },
  {
    id: "4.1/2",
    rfc: "§4.1: Unused flags MUST be ignored on receipt and MUST be left unset (0x00) when sending.",
    sends: "a PING with every undefined flag set (0xfe)",
    run: (c) => c.sendFrame(FrameType.PING, 0xfe, 0, PING_DATA),
    expect: pingAnswered(PING_DATA),
  },
  {
    id: "4.1/3",
    rfc: "§4.1: Reserved: a reserved 1-bit field. The semantics of this bit are undefined, and the bit MUST remain unset (0x00) when sending and MUST be ignored when receiving.",
    sends: "a PING with the reserved bit of the stream identifier set",
    run: (c) => c.sendFrame(FrameType.PING, 0, 0x80000000, PING_DATA),
    expect: pingAnswered(PING_DATA),
  },
  {
    id: "4.1/4",
    rfc: "§4.1: Unused flags MUST be ignored on receipt.",
    sends: "a GET whose HEADERS has the undefined flags 0x02, 0x10, 0x40, 0x80 set",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { extraFlags: 0xd2 }),
    expect: response(1),
  },
  {
    id: "4.1/5",
    rfc: "§4.1: Unused flags MUST be ignored on receipt.",
    sends: "a POST whose DATA has the undefined flags 0x02, 0x04, 0x10, 0x20, 0x40, 0x80 set",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "body", { extraFlags: 0xf6 })),
    expect: response(1),
  },
  {
    id: "4.1/6",
    rfc: "§4.1: The reserved bit MUST be ignored when receiving.",
    sends: "a GET whose HEADERS frame has the reserved bit of its stream identifier set",
    run: (c, ctx) => c.send(frame(FrameType.HEADERS, Flag.END_STREAM | Flag.END_HEADERS, 0x80000001, literalBlock(ctx.get()))),
    expect: response(1),
  },
  {
    id: "4.1/7",
    rfc: "§4.1: Unused flags MUST be ignored on receipt. §6.5.3: Once all values have been processed, the recipient MUST immediately emit a SETTINGS frame with the ACK flag set.",
    sends: "a SETTINGS (not ACK) with the undefined flags 0xfe set",
    run: (c) => c.sendFrame(FrameType.SETTINGS, 0xfe, 0, settingsPayload([[SettingId.MAX_CONCURRENT_STREAMS, 100]])),
    expect: custom("SETTINGS ACK", async (c, from) => {
      const at = await c.until((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0, undefined, from);
      if (typeof at !== "number") throw c.failure("expected a SETTINGS ACK", from);
    }),
  },

  // ---- 4.2 frame size ----
  {
    id: "4.2/1",
    rfc: "§4.2: All implementations MUST be capable of receiving and minimally processing frames up to 2^14 octets in length, plus the 9-octet frame header.",
    sends: "a POST with one DATA frame of 16384 octets",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, filler(16384))),
    expect: response(1, (r) => (r.status === 200 && r.headers.some(([n, v]) => n === "x-body-length" && v === "16384") ? undefined : "the backend did not get the 16384 octets"), "a 200 carrying all 16384 octets"),
  },
  {
    id: "4.2/2",
    rfc: "§4.2: An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the size defined in SETTINGS_MAX_FRAME_SIZE.",
    sends: "a DATA frame one octet over the server's SETTINGS_MAX_FRAME_SIZE on an open stream",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, filler(maxFrame(c) + 1))),
    expect: streamError(1, FRAME_SIZE_ERROR),
  },
  {
    id: "4.2/3",
    rfc: "§4.2: A frame size error in a frame that could alter the state of the entire connection MUST be treated as a connection error; this includes any frame carrying a field block (HEADERS, PUSH_PROMISE, and CONTINUATION).",
    sends: "a HEADERS frame one octet over SETTINGS_MAX_FRAME_SIZE",
    run: (c, ctx) => c.sendHeaders(1, blockOfSize(ctx.get(), maxFrame(c) + 1)),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "4.2/4",
    rfc: "§4.2: A frame size error in a frame that could alter the state of the entire connection MUST be treated as a connection error; this includes any frame carrying a field block (HEADERS, PUSH_PROMISE, and CONTINUATION).",
    sends: "HEADERS without END_HEADERS, then a CONTINUATION one octet over SETTINGS_MAX_FRAME_SIZE",
    run: (c, ctx) => {
      const block = blockOfSize(ctx.get(), maxFrame(c) + 101);
      c.sendHeaders(1, block.subarray(0, 100), { endHeaders: false });
      c.sendContinuation(1, block.subarray(100));
    },
    expect: connError(FRAME_SIZE_ERROR),
    known: {
      haproxy: {
        why: "HAProxy 2.6 answers GOAWAY(INTERNAL_ERROR) when the field block overflows its buffer before it reads the frame's length, FRAME_SIZE_ERROR otherwise (it depends on how the bytes arrive). §4.2 names FRAME_SIZE_ERROR (§5.4 does let a generic code stand in for a specific one).",
        observed: connError(FRAME_SIZE_ERROR, ErrorCode.INTERNAL_ERROR),
      },
      nghttpx: {
        why: "nghttpx does not check a CONTINUATION frame's length against SETTINGS_MAX_FRAME_SIZE and forwards the request; §4.2 makes the oversized frame a connection error of type FRAME_SIZE_ERROR.",
        observed: response(1),
      },
    },
  },
  {
    id: "4.2/5",
    rfc: "§4.2: A frame size error in a frame that could alter the state of the entire connection MUST be treated as a connection error; this includes ... a SETTINGS frame.",
    sends: "a SETTINGS frame of 16386 octets (2731 unknown settings)",
    run: (c) => c.sendFrame(FrameType.SETTINGS, 0, 0, settingsPayload(Array.from({ length: Math.ceil((maxFrame(c) + 1) / 6) }, () => [0xf0f0, 1] as const))),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "4.2/6",
    rfc: "§4.2: A frame size error in a frame that could alter the state of the entire connection MUST be treated as a connection error; this includes ... any frame with a stream identifier of 0.",
    sends: "a frame of unknown type on stream 0, one octet over SETTINGS_MAX_FRAME_SIZE",
    run: (c) => c.sendFrame(UNKNOWN_TYPE, 0, 0, filler(maxFrame(c) + 1)),
    expect: connError(FRAME_SIZE_ERROR),
  },

  // ---- 4.3 field section compression ----
  {
    id: "4.3/1",
    rfc: "§4.3: A decoding error in a field block MUST be treated as a connection error of type COMPRESSION_ERROR.",
    sends: "a HEADERS whose field block ends inside a string literal (length 10, 1 octet present)",
    run: (c) => c.sendHeaders(1, Uint8Array.of(0x00, 0x0a, 0x61)),
    expect: connError(COMPRESSION_ERROR),
  },
  {
    id: "4.3/2",
    rfc: "§4.3: Field blocks MUST be transmitted as a contiguous sequence of frames, with no interleaved frames of any other type or from any other stream. §6.2: A receiver MUST treat the receipt of any other type of frame ... as a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS without END_HEADERS, a PRIORITY on the same stream, then CONTINUATION",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 10), { endHeaders: false });
      c.sendPriority(1, 0);
      c.sendContinuation(1, block.subarray(10));
    },
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "4.3/3",
    rfc: "§6.2: A HEADERS frame without the END_HEADERS flag set MUST be followed by a CONTINUATION frame for the same stream. A receiver MUST treat the receipt of ... a frame on a different stream as a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS without END_HEADERS on stream 1, then a whole HEADERS on stream 3",
    run: (c, ctx) => {
      c.sendHeaders(1, literalBlock(ctx.get()).subarray(0, 10), { endHeaders: false });
      c.sendHeaders(3, ctx.get());
    },
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "4.3/4",
    rfc: "§4.3: An endpoint receiving HEADERS, PUSH_PROMISE, or CONTINUATION frames needs to reassemble field blocks and perform decompression even if the frames are to be discarded.",
    sends: "a malformed GET on stream 1 (uppercase name) whose block adds an entry to the dynamic table, then a GET on stream 3 naming that entry by index 62",
    run: (c, ctx) => {
      c.sendHeaders(1, concat(literalBlock(ctx.get()), indexedLiteralField("x-h2conf", "kept"), literalField("X-Upper", "1")));
      c.sendHeaders(3, concat(literalBlock(ctx.get()), indexedField(62)));
    },
    expect: custom("a response on stream 3 (or stream 1's error as a connection error PROTOCOL_ERROR before stream 3)", async (c, from) => {
      const at = await c.until((f) => f.type === FrameType.GOAWAY || (f.streamId === 3 && (f.flags & Flag.END_STREAM) !== 0) || (f.streamId === 3 && f.type === FrameType.RST_STREAM), undefined, from);
      const f = typeof at === "number" ? c.frames[at]! : undefined;
      if (f?.type === FrameType.GOAWAY && errorCodeOf(f) === PROTOCOL_ERROR && lastStreamIdOf(f) < 3) return;
      await c.expectResponse(3, undefined, from);
    }),
  },

  // ---- 5.1 stream states ----
  {
    id: "5.1/1",
    rfc: "§5.1 idle: Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "DATA on idle stream 1",
    run: (c) => c.sendData(1, "x"),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "5.1/2",
    rfc: "§5.1 idle: Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "WINDOW_UPDATE on idle stream 1",
    run: (c) => c.sendWindowUpdate(1, 100),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "5.1/3",
    rfc: "§5.1 idle: Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "CONTINUATION on idle stream 1",
    run: (c, ctx) => c.sendContinuation(1, literalBlock(ctx.get())),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "5.1/4",
    rfc: "§5.1 half-closed (remote): If an endpoint receives additional frames, other than WINDOW_UPDATE, PRIORITY, or RST_STREAM, for a stream that is in this state, it MUST respond with a stream error of type STREAM_CLOSED.",
    sends: "a GET with END_STREAM, then at once DATA on the same stream",
    run: (c, ctx) => c.send(c.headersFrame(1, ctx.get()), c.dataFrame(1, "late")),
    expect: streamError(1, STREAM_CLOSED),
  },
  {
    id: "5.1/5",
    rfc: "§5.1 half-closed (remote): If an endpoint receives additional frames, other than WINDOW_UPDATE, PRIORITY, or RST_STREAM, for a stream that is in this state, it MUST respond with a stream error of type STREAM_CLOSED.",
    sends: "a GET with END_STREAM, then at once a second HEADERS (END_STREAM) on the same stream",
    run: (c, ctx) => c.send(c.headersFrame(1, ctx.get()), c.headersFrame(1, [["x-trailer", "1"]])),
    expect: streamError(1, STREAM_CLOSED),
    known: {
      haproxy: {
        why: "HAProxy 2.6 ends the whole connection with GOAWAY(PROTOCOL_ERROR); §5.1 asks for a stream error of type STREAM_CLOSED (a connection error would be allowed by §5.4, but with that code).",
        observed: connError(PROTOCOL_ERROR),
      },
    },
  },
  {
    id: "5.1/6",
    rfc: "§6.1: If a DATA frame is received whose stream is not in the \"open\" or \"half-closed (local)\" state, the recipient MUST respond with a stream error of type STREAM_CLOSED.",
    sends: "a complete GET and its response, then DATA on that closed stream",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendData(1, "late")),
    expect: streamError(1, STREAM_CLOSED),
    known: {
      nghttpx: {
        why: "nghttp2 discards frames on closed streams (the minimal processing §5.1 allows for frames a peer sent before it learnt of the close), but here the client itself had closed the stream, so nothing was in flight: §6.1 asks for a stream error of type STREAM_CLOSED.",
        observed: alive(),
      },
    },
  },
  {
    id: "5.1/7",
    rfc: "§5.1 closed: An endpoint MAY treat receipt of any other type of frame on a closed stream as a connection error of type STREAM_CLOSED. §5.1.1: An endpoint that receives an unexpected stream identifier MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a complete GET and its response, then a new HEADERS on that closed stream",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendHeaders(1, ctx.get())),
    expect: streamError(1, STREAM_CLOSED, PROTOCOL_ERROR),
    known: {
      nghttpx: {
        why: "nghttp2 discards frames on closed streams (the minimal processing §5.1 allows for frames a peer sent before it learnt of the close), but here the client itself had closed the stream, so nothing was in flight: a HEADERS reusing a closed stream's identifier is an error (§5.1.1: PROTOCOL_ERROR; §5.1: STREAM_CLOSED).",
        observed: alive(),
      },
    },
  },
  {
    id: "5.1/8",
    rfc: "§6.9: A receiver could receive a WINDOW_UPDATE frame on a stream in a \"half-closed (remote)\" or \"closed\" state. A receiver MUST NOT treat this as an error.",
    sends: "a complete GET and its response, then WINDOW_UPDATE on that closed stream",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendWindowUpdate(1, 100)),
    expect: alive(),
  },
  {
    id: "5.1/9",
    rfc: "§6.3: The PRIORITY frame can be sent on a stream in any state, including \"idle\" or \"closed\".",
    sends: "a complete GET and its response, then PRIORITY on that closed stream",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendPriority(1, 0)),
    expect: alive(),
  },
  {
    id: "5.1/10",
    rfc: "§5.1 closed: An endpoint that sends a frame with the END_STREAM flag set or a RST_STREAM frame might receive a WINDOW_UPDATE or RST_STREAM frame from its peer in the time before the peer receives and processes the frame that closes the stream.",
    sends: "a complete GET and its response, then RST_STREAM on that closed stream",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendRst(1, ErrorCode.CANCEL)),
    expect: alive(),
  },
  {
    id: "5.1/11",
    rfc: "§6.1: If a DATA frame is received whose stream is not in the \"open\" or \"half-closed (local)\" state, the recipient MUST respond with a stream error of type STREAM_CLOSED.",
    sends: "a POST left open, RST_STREAM(CANCEL) on it, then DATA on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendRst(1, ErrorCode.CANCEL), c.sendData(1, "late")),
    expect: streamError(1, STREAM_CLOSED),
    known: {
      nghttpx: {
        why: "nghttp2 discards frames on closed streams (the minimal processing §5.1 allows for frames a peer sent before it learnt of the close), but here the client itself had closed the stream, so nothing was in flight: §6.1 asks for a stream error of type STREAM_CLOSED.",
        observed: alive(),
      },
    },
  },

  // ---- 5.1.1 stream identifiers ----
  {
    id: "5.1.1/1",
    rfc: "§5.1.1: Streams initiated by a client MUST use odd-numbered stream identifiers. An endpoint that receives an unexpected stream identifier MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a GET on stream 2",
    run: (c, ctx) => c.sendHeaders(2, ctx.get()),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "5.1.1/2",
    rfc: "§5.1.1: The identifier of a newly established stream MUST be numerically greater than all streams that the initiating endpoint has opened or reserved. An endpoint that receives an unexpected stream identifier MUST respond with a connection error of type PROTOCOL_ERROR. (Stream 3, skipped, is closed: §5.1 lets a frame on a closed stream be a connection error of type STREAM_CLOSED.)",
    sends: "a GET on stream 5, then a GET on stream 3",
    run: async (c, ctx) => {
      c.sendHeaders(5, ctx.get());
      await c.expectResponse(5);
      c.sendHeaders(3, ctx.get());
    },
    expect: connError(PROTOCOL_ERROR, STREAM_CLOSED),
    known: {
      nghttpx: {
        why: "nghttpx silently drops the HEADERS on stream 3 (lower than stream 5, so never to be opened); §5.1.1 says an endpoint that receives an unexpected stream identifier MUST respond with a connection error of type PROTOCOL_ERROR.",
        observed: alive(),
      },
    },
  },
  {
    id: "5.1.1/3",
    rfc: "§5.1.1: An endpoint may skip a stream identifier, with the effect being that the skipped stream is immediately closed.",
    sends: "a GET on stream 1, then a GET on stream 7",
    run: (c, ctx) => (c.sendHeaders(1, ctx.get()), c.sendHeaders(7, ctx.get())),
    expect: custom("responses on streams 1 and 7", async (c, from) => {
      await c.expectResponse(1, undefined, from);
      await c.expectResponse(7, undefined, from);
    }),
  },

  // ---- 5.1.2 stream concurrency ----
  {
    id: "5.1.2/1",
    rfc: "§5.1.2: An endpoint that receives a HEADERS frame that causes its advertised concurrent stream limit to be exceeded MUST treat this as a stream error of type PROTOCOL_ERROR or REFUSED_STREAM.",
    sends: "SETTINGS_MAX_CONCURRENT_STREAMS + 1 POSTs left open",
    run: (c, ctx) => {
      const max = c.serverSettings.get(SettingId.MAX_CONCURRENT_STREAMS) ?? 0;
      const frames: Uint8Array[] = [];
      for (let i = 0; i <= max; i++) frames.push(c.headersFrame(2 * i + 1, ctx.post(), { endStream: false }));
      c.send(...frames);
    },
    expect: (c) => {
      const max = c.serverSettings.get(SettingId.MAX_CONCURRENT_STREAMS);
      if (max === undefined) {
        return custom("a SETTINGS_MAX_CONCURRENT_STREAMS to exceed", async (client) => {
          throw client.failure("the server advertised no SETTINGS_MAX_CONCURRENT_STREAMS");
        });
      }
      return streamError(2 * max + 1, PROTOCOL_ERROR, REFUSED_STREAM);
    },
  },

  // ---- 5.3.1 stream dependencies ----
  {
    id: "5.3.1/1",
    rfc: "RFC 7540 §5.3.1 (whose priority fields RFC 9113 §5.3.2 keeps parsing): A stream cannot depend on itself. An endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
    sends: "a GET whose HEADERS depends on its own stream 1",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { priority: { dependency: 1 } }),
    expect: streamError(1, PROTOCOL_ERROR),
  },
  {
    id: "5.3.1/2",
    rfc: "RFC 7540 §5.3.1: A stream cannot depend on itself. An endpoint MUST treat this as a stream error of type PROTOCOL_ERROR.",
    sends: "a PRIORITY on idle stream 3 depending on stream 3",
    run: (c) => c.sendPriority(3, 3),
    expect: streamError(3, PROTOCOL_ERROR),
  },

  // ---- 5.4 error handling ----
  {
    id: "5.4.1/1",
    rfc: "§5.4.1: An endpoint that encounters a connection error SHOULD first send a GOAWAY frame with the stream identifier of the last stream that it successfully received from its peer. After sending the GOAWAY frame for an error condition, the endpoint MUST close the TCP connection.",
    sends: "a GET answered, then DATA on stream 0",
    run: async (c, ctx) => (await completeRequest(c, ctx), c.sendFrame(FrameType.DATA, 0, 0, "x")),
    expect: custom("GOAWAY(PROTOCOL_ERROR) naming stream 1 as the last processed, then the close", async (c, from) => {
      const goaway = await c.expectGoaway(PROTOCOL_ERROR, undefined, from);
      const last = lastStreamIdOf(goaway);
      if (last !== 1) throw c.failure(`GOAWAY's last stream id is ${last}, stream 1 was processed`, from);
      await c.expectConnectionClosed();
    }),
  },
  {
    id: "5.4.2/1",
    rfc: "§5.4.2: To avoid looping, an endpoint MUST NOT send a RST_STREAM in response to a RST_STREAM frame.",
    sends: "a POST left open, then RST_STREAM(CANCEL) on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendRst(1, ErrorCode.CANCEL)),
    expect: alive(),
  },
  {
    id: "5.4.2/2",
    rfc: "§7: Unknown or unsupported error codes MUST NOT trigger any special behavior.",
    sends: "a POST left open, then RST_STREAM with the unknown code 0xff",
    run: (c, ctx) => (openStream(c, ctx), c.sendRst(1, 0xff)),
    expect: alive(),
  },

  // ---- 5.5 extending HTTP/2 ----
  {
    id: "5.5/1",
    rfc: "§5.5: Implementations MUST ignore unknown or unsupported values in all extensible protocol elements. §6.5.2: An endpoint that receives a SETTINGS frame with any unknown or unsupported identifier MUST ignore that setting.",
    sends: "SETTINGS with the unknown identifier 0xff, then a GET",
    run: (c, ctx) => (c.sendSettings([[0xff, 42]]), c.sendHeaders(1, ctx.get())),
    expect: response(1),
  },
  {
    id: "5.5/2",
    rfc: "§5.5: Implementations MUST discard frames that have unknown or unsupported types.",
    sends: "a POST, a frame of unknown type on its stream, then the body",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(UNKNOWN_TYPE, 0xff, 1, filler(16)), c.sendData(1, "body")),
    expect: response(1),
  },
  {
    id: "5.5/3",
    rfc: "§5.5: Extension frames that appear in the middle of a field block are not permitted; these MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS without END_HEADERS, a frame of unknown type, then CONTINUATION",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 10), { endHeaders: false });
      c.sendFrame(UNKNOWN_TYPE, 0, 1, filler(8));
      c.sendContinuation(1, block.subarray(10));
    },
    expect: connError(PROTOCOL_ERROR),
  },
];
