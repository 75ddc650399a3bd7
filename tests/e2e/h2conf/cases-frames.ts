// Conformance cases, RFC 9113 §6 (each frame type: DATA, HEADERS, PRIORITY,
// RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE,
// CONTINUATION). Data only: see case.ts for what the expectations mean.
import { ErrorCode, Flag, FrameType, SettingId } from "../../../src/http2/constants.ts";
import { type H2RawClient, sameBytes } from "../../support/h2-raw-client.ts";
import { concat, filler, frame, goawayPayload, latin1Bytes, literalBlock, priorityFields, settingsPayload, u32Payload } from "../../support/h2-raw-frames.ts";
import { alive, type Case, completeRequest, connError, custom, openStream, response, streamError } from "./case.ts";

const { PROTOCOL_ERROR, FRAME_SIZE_ERROR, FLOW_CONTROL_ERROR } = ErrorCode;
const MAX_WINDOW = 0x7fffffff;

const bodyLength = (n: number) =>
  response(1, (r) => (r.headers.some(([k, v]) => k === "x-body-length" && v === String(n)) ? undefined : `the backend did not get ${n} octets of body`), `a 2xx whose backend got ${n} octets of body`);

/** A SETTINGS ACK after `from`, then (when `then` is given) what it checks. */
const settingsAcked = (what = "SETTINGS ACK", then?: (c: H2RawClient, from: number) => Promise<void>) =>
  custom(what, async (c, from) => {
    const at = await c.until((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0, undefined, from);
    if (typeof at !== "number") throw c.failure("expected a SETTINGS ACK", from);
    await then?.(c, from);
  });

const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FRAME_CASES: Case[] = [
  // ---- 6.1 DATA ----
  {
    id: "6.1/1",
    rfc: "§6.1: If a DATA frame is received whose Stream Identifier field is 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "DATA on stream 0",
    run: (c) => c.sendFrame(FrameType.DATA, 0, 0, "x"),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.1/2",
    rfc: "§6.1: If the length of the padding is the length of the frame payload or greater, the recipient MUST treat this as a connection error of type PROTOCOL_ERROR.",
    sends: "a POST, then DATA with Pad Length 255 in a 2-octet payload",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "x", { padLength: 255, actualPadding: 0 })),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.1/3",
    rfc: "§6.1: Padding octets that contain no application semantic value. (PADDED: the Pad Length field and any padding that it describes are present.)",
    sends: "a POST whose DATA carries 4 octets and 8 octets of padding",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "body", { padLength: 8 })),
    expect: bodyLength(4),
  },
  {
    id: "6.1/4",
    rfc: "§6.1: If the length of the padding is the length of the frame payload or greater, the recipient MUST treat this as a connection error (so padding one octet shorter than the payload is valid).",
    sends: "a POST whose last DATA is all padding (Pad Length 10 in an 11-octet payload)",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "", { padLength: 10 })),
    expect: bodyLength(0),
    known: {
      haproxy: {
        why: "HAProxy 2.6 rejects a DATA frame whose padding fills all but the Pad Length octet with GOAWAY(PROTOCOL_ERROR); §6.1 makes padding an error only when it is the length of the frame payload or greater (here 10 < 11). nghttpx accepts it.",
        observed: connError(PROTOCOL_ERROR),
      },
    },
  },
  {
    id: "6.1/5",
    rfc: "§4.2: An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame ... is too small to contain mandatory frame data.",
    sends: "a POST, then DATA with the PADDED flag and an empty payload (no Pad Length octet)",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1)),
    expect: streamError(1, FRAME_SIZE_ERROR, PROTOCOL_ERROR),
  },

  // ---- 6.2 HEADERS ----
  {
    id: "6.2/1",
    rfc: "§6.2: If a HEADERS frame is received whose Stream Identifier field is 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a GET on stream 0",
    run: (c, ctx) => c.send(c.headersFrame(1, ctx.get()).fill(0, 5, 9)),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.2/2",
    rfc: "§6.2: If the length of the padding is the length of the frame payload or greater, the recipient MUST treat this as a connection error of type PROTOCOL_ERROR.",
    sends: "a GET whose HEADERS says Pad Length 255 and carries no padding",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { padLength: 255, actualPadding: 0 }),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.2/3",
    rfc: "§6.2: PADDED (0x08): When set, the PADDED flag indicates that the Pad Length field and any padding that it describes are present.",
    sends: "a GET whose HEADERS carries 16 octets of padding",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { padLength: 16 }),
    expect: response(1),
  },
  {
    id: "6.2/4",
    rfc: "§6.2: PRIORITY (0x20): When set, the PRIORITY flag indicates that the Exclusive, Stream Dependency, and Weight fields are present.",
    sends: "a GET whose HEADERS carries priority fields (exclusive, on stream 0, weight 256)",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { priority: { dependency: 0, weight: 256, exclusive: true } }),
    expect: response(1),
  },
  {
    id: "6.2/5",
    rfc: "§6.2: HEADERS Frame { [Pad Length (8)], [Exclusive (1)], [Stream Dependency (31)], [Weight (8)], Field Block Fragment (..), Padding (..2040) }",
    sends: "a GET whose HEADERS is both padded and prioritized",
    run: (c, ctx) => c.sendHeaders(1, ctx.get(), { padLength: 5, priority: { dependency: 0, weight: 1 } }),
    expect: response(1),
  },
  {
    id: "6.2/6",
    rfc: "§6.2: A HEADERS frame without the END_HEADERS flag set MUST be followed by a CONTINUATION frame for the same stream. A receiver MUST treat the receipt of any other type of frame ... as a connection error of type PROTOCOL_ERROR.",
    sends: "a POST's HEADERS without END_HEADERS, then DATA on the same stream",
    run: (c, ctx) => (c.sendHeaders(1, literalBlock(ctx.post()).subarray(0, 12), { endStream: false, endHeaders: false }), c.sendData(1, "x")),
    expect: connError(PROTOCOL_ERROR),
  },

  // ---- 6.3 PRIORITY ----
  {
    id: "6.3/1",
    rfc: "§6.3: If a PRIORITY frame is received with a stream identifier of 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "PRIORITY on stream 0",
    run: (c) => c.sendPriority(0, 1),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.3/2",
    rfc: "§6.3: A PRIORITY frame with a length other than 5 octets MUST be treated as a stream error of type FRAME_SIZE_ERROR.",
    sends: "a POST left open, then a 4-octet PRIORITY on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.PRIORITY, 0, 1, filler(4, 0))),
    expect: streamError(1, FRAME_SIZE_ERROR),
  },
  {
    id: "6.3/3",
    rfc: "§6.3: A PRIORITY frame with a length other than 5 octets MUST be treated as a stream error of type FRAME_SIZE_ERROR.",
    sends: "a POST left open, then a 6-octet PRIORITY on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.PRIORITY, 0, 1, filler(6, 0))),
    expect: streamError(1, FRAME_SIZE_ERROR),
  },
  {
    id: "6.3/4",
    rfc: "§6.3: The PRIORITY frame can be sent on a stream in any state, including \"idle\" or \"closed\". Sending or receiving a PRIORITY frame does not affect the state of any stream.",
    sends: "PRIORITY on idle stream 1, then a GET on stream 1",
    run: (c, ctx) => (c.sendPriority(1, 0, 32), c.sendHeaders(1, ctx.get())),
    expect: response(1),
  },
  {
    id: "6.3/5",
    rfc: "§6.3: The PRIORITY frame can be sent on a stream in any state. §5.1 half-closed (remote): frames other than WINDOW_UPDATE, PRIORITY, or RST_STREAM are errors (PRIORITY is not).",
    sends: "a GET, then at once PRIORITY on its half-closed stream",
    run: (c, ctx) => c.send(c.headersFrame(1, ctx.get()), frame(FrameType.PRIORITY, 0, 1, priorityFields(0, 200))),
    expect: response(1),
  },

  // ---- 6.4 RST_STREAM ----
  {
    id: "6.4/1",
    rfc: "§6.4: If a RST_STREAM frame is received with a stream identifier of 0x00, the recipient MUST treat this as a connection error of type PROTOCOL_ERROR.",
    sends: "RST_STREAM on stream 0",
    run: (c) => c.sendFrame(FrameType.RST_STREAM, 0, 0, u32Payload(ErrorCode.CANCEL)),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.4/2",
    rfc: "§6.4: If a RST_STREAM frame identifying an idle stream is received, the recipient MUST treat this as a connection error of type PROTOCOL_ERROR.",
    sends: "RST_STREAM on idle stream 1",
    run: (c) => c.sendRst(1, ErrorCode.CANCEL),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.4/3",
    rfc: "§6.4: A RST_STREAM frame with a length other than 4 octets MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a POST left open, then a 3-octet RST_STREAM on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.RST_STREAM, 0, 1, filler(3, 0))),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.4/4",
    rfc: "§6.4: A RST_STREAM frame with a length other than 4 octets MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a POST left open, then a 5-octet RST_STREAM on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.RST_STREAM, 0, 1, filler(5, 0))),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.4/5",
    rfc: "§6.4: After receiving a RST_STREAM on a stream, the receiver MUST NOT send additional frames for that stream, except for PRIORITY.",
    sends: "a GET and, in the same write, RST_STREAM(CANCEL) on it; then waits 300 ms",
    run: async (c, ctx) => {
      c.send(c.headersFrame(1, ctx.get()), frame(FrameType.RST_STREAM, 0, 1, u32Payload(ErrorCode.CANCEL)));
      await waitMs(300);
    },
    expect: custom("nothing more on stream 1 (no response, no RST_STREAM)", async (c, from) => {
      const ack = await c.roundTrip(undefined, from);
      const sent = c.frames.slice(from, ack).filter((f) => f.streamId === 1 && f.type !== FrameType.PRIORITY);
      if (sent.length > 0) throw c.failure("frames on stream 1 after our RST_STREAM", from);
    }),
  },

  // ---- 6.5 SETTINGS ----
  {
    id: "6.5/1",
    rfc: "§6.5: Receipt of a SETTINGS frame with the ACK flag set and a length field value other than 0 MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a SETTINGS ACK carrying one setting",
    run: (c) => c.sendFrame(FrameType.SETTINGS, Flag.ACK, 0, settingsPayload([[SettingId.ENABLE_PUSH, 0]])),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.5/2",
    rfc: "§6.5: If an endpoint receives a SETTINGS frame whose Stream Identifier field is anything other than 0x00, the endpoint MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "SETTINGS on stream 1",
    run: (c) => c.sendFrame(FrameType.SETTINGS, 0, 1, settingsPayload([[SettingId.ENABLE_PUSH, 0]])),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.5/3",
    rfc: "§6.5: A SETTINGS frame with a length other than a multiple of 6 octets MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a SETTINGS of 3 octets",
    run: (c) => c.sendFrame(FrameType.SETTINGS, 0, 0, filler(3, 0)),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.5/4",
    rfc: "§6.5.3: Once all values have been processed, the recipient MUST immediately emit a SETTINGS frame with the ACK flag set.",
    sends: "an empty SETTINGS after the handshake",
    run: (c) => c.sendSettings([]),
    expect: settingsAcked(),
  },
  {
    id: "6.5.2/1",
    rfc: "§6.5.2: The initial value of SETTINGS_ENABLE_PUSH is 1. Any value other than 0 or 1 MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "SETTINGS_ENABLE_PUSH = 2",
    run: (c) => c.sendSettings([[SettingId.ENABLE_PUSH, 2]]),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.5.2/2",
    rfc: "§6.5.2: SETTINGS_INITIAL_WINDOW_SIZE values above the maximum flow-control window size of 2^31-1 MUST be treated as a connection error of type FLOW_CONTROL_ERROR.",
    sends: "SETTINGS_INITIAL_WINDOW_SIZE = 2^31",
    run: (c) => c.sendSettings([[SettingId.INITIAL_WINDOW_SIZE, 2 ** 31]]),
    expect: connError(FLOW_CONTROL_ERROR),
  },
  {
    id: "6.5.2/3",
    rfc: "§6.5.2: The value advertised by an endpoint MUST be between this initial value and the maximum allowed frame size (2^24-1 or 16,777,215 octets), inclusive. Values outside this range MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "SETTINGS_MAX_FRAME_SIZE = 16383",
    run: (c) => c.sendSettings([[SettingId.MAX_FRAME_SIZE, 16383]]),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.5.2/4",
    rfc: "§6.5.2: SETTINGS_MAX_FRAME_SIZE values outside 2^14..2^24-1 MUST be treated as a connection error of type PROTOCOL_ERROR.",
    sends: "SETTINGS_MAX_FRAME_SIZE = 2^24",
    run: (c) => c.sendSettings([[SettingId.MAX_FRAME_SIZE, 2 ** 24]]),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.5.2/5",
    rfc: "§6.5: Implementations MUST support all of the settings defined by this specification. (SETTINGS_ENABLE_PUSH 0 is valid.)",
    sends: "SETTINGS_ENABLE_PUSH = 0, then a GET",
    run: (c, ctx) => (c.sendSettings([[SettingId.ENABLE_PUSH, 0]]), c.sendHeaders(1, ctx.get())),
    expect: response(1),
  },
  {
    id: "6.5.2/6",
    rfc: "§6.5.2: The value advertised by an endpoint MUST be between this initial value and the maximum allowed frame size (2^24-1), inclusive.",
    sends: "SETTINGS_MAX_FRAME_SIZE = 2^24-1 and SETTINGS_INITIAL_WINDOW_SIZE = 2^31-1 (both the largest valid), then a GET",
    run: (c, ctx) => (c.sendSettings([[SettingId.MAX_FRAME_SIZE, 2 ** 24 - 1], [SettingId.INITIAL_WINDOW_SIZE, MAX_WINDOW]]), c.sendHeaders(1, ctx.get())),
    expect: response(1),
  },
  {
    id: "6.5.3/1",
    rfc: "§6.5.3: The values in the SETTINGS frame MUST be processed in the order they appear, with no other frame processing between values. (§6.5: the value of a SETTINGS parameter is the last value that is seen by a receiver.)",
    sends: "one SETTINGS with INITIAL_WINDOW_SIZE 0 then 65535, then a GET",
    run: (c, ctx) => (c.sendSettings([[SettingId.INITIAL_WINDOW_SIZE, 0], [SettingId.INITIAL_WINDOW_SIZE, 65535]]), c.sendHeaders(1, ctx.get())),
    expect: response(1, (r) => (r.body.length === 2 ? undefined : `body of ${r.body.length} octets, expected "ok"`), "the response with its body (the window is the last value, 65535)"),
  },
  {
    id: "6.5.3/2",
    rfc: "§4.3.1: Once an endpoint acknowledges a change to SETTINGS_HEADER_TABLE_SIZE that reduces the maximum below the current size of the dynamic table, its HPACK encoder MUST start the next field block with a Dynamic Table Size Update instruction that sets the dynamic table to a size that is less than or equal to the reduced maximum.",
    sends: "a GET, SETTINGS_HEADER_TABLE_SIZE = 0, then (once acknowledged) a second GET",
    run: async (c, ctx) => {
      await completeRequest(c, ctx);
      const from = c.frames.length;
      c.sendSettings([[SettingId.HEADER_TABLE_SIZE, 0]]);
      if (typeof (await c.until((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0, undefined, from)) === "number") {
        // Only a non-empty table obliges the server to signal the reduction (§4.3.1).
        if (c.decoder.table.size > 0) c.decoder.setMaxTableSize(0);
      }
      c.sendHeaders(3, ctx.get());
    },
    expect: response(3),
  },

  // ---- 6.6 PUSH_PROMISE (from a client) ----
  {
    id: "6.6/1",
    rfc: "§8.4: A client cannot push. Thus, servers MUST treat the receipt of a PUSH_PROMISE frame as a connection error of type PROTOCOL_ERROR.",
    sends: "a POST left open, then PUSH_PROMISE on it promising stream 2",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, concat(u32Payload(2), literalBlock(ctx.get())))),
    expect: connError(PROTOCOL_ERROR),
  },

  // ---- 6.7 PING ----
  {
    id: "6.7/1",
    rfc: "§6.7: Receivers of a PING frame that does not include an ACK flag MUST send a PING frame with the ACK flag set in response, with an identical frame payload.",
    sends: "a PING",
    run: () => {},
    expect: alive(),
  },
  {
    id: "6.7/2",
    rfc: "§6.7: An endpoint MUST NOT respond to PING frames containing this flag (ACK).",
    sends: "an unsolicited PING ACK, then a PING",
    run: (c) => c.sendPing(latin1Bytes("unasked!"), true),
    expect: custom("only the second PING is answered", async (c, from) => {
      const ack = await c.roundTrip(undefined, from);
      const wrong = c.frames.slice(from, ack + 1).filter((f) => f.type === FrameType.PING && sameBytes(f.payload, latin1Bytes("unasked!")));
      if (wrong.length > 0) throw c.failure("the server answered a PING ACK", from);
    }),
  },
  {
    id: "6.7/3",
    rfc: "§6.7: If a PING frame is received with a Stream Identifier field value other than 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a PING on stream 1",
    run: (c) => c.sendFrame(FrameType.PING, 0, 1, filler(8)),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.7/4",
    rfc: "§6.7: Receipt of a PING frame with a length field value other than 8 MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a PING of 7 octets",
    run: (c) => c.sendFrame(FrameType.PING, 0, 0, filler(7)),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.7/5",
    rfc: "§6.7: Receipt of a PING frame with a length field value other than 8 MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a PING of 16 octets",
    run: (c) => c.sendFrame(FrameType.PING, 0, 0, filler(16)),
    expect: connError(FRAME_SIZE_ERROR),
  },

  // ---- 6.8 GOAWAY ----
  {
    id: "6.8/1",
    rfc: "§6.8: An endpoint MUST treat a GOAWAY frame with a stream identifier other than 0x00 as a connection error of type PROTOCOL_ERROR.",
    sends: "GOAWAY on stream 1",
    run: (c) => c.sendFrame(FrameType.GOAWAY, 0, 1, goawayPayload(0, ErrorCode.NO_ERROR)),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.8/2",
    rfc: "§4.2: An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame ... is too small to contain mandatory frame data; a frame size error in any frame with a stream identifier of 0 MUST be treated as a connection error.",
    sends: "a GOAWAY of 7 octets",
    run: (c) => c.sendFrame(FrameType.GOAWAY, 0, 0, filler(7, 0)),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.8/3",
    rfc: "§6.8: Activity on streams numbered lower than or equal to the last stream identifier might still complete successfully. (A client's GOAWAY names the server's streams: its own stream 1 is not affected.)",
    sends: "a GET, then at once GOAWAY(NO_ERROR, last stream 0)",
    run: (c, ctx) => (c.sendHeaders(1, ctx.get()), c.sendGoaway(0, ErrorCode.NO_ERROR)),
    expect: response(1),
  },

  // ---- 6.9 WINDOW_UPDATE ----
  {
    id: "6.9/1",
    rfc: "§6.9: A receiver MUST treat the receipt of a WINDOW_UPDATE frame with a flow-control window increment of 0 as a stream error of type PROTOCOL_ERROR; errors on the connection flow-control window MUST be treated as a connection error.",
    sends: "WINDOW_UPDATE with increment 0 on stream 0",
    run: (c) => c.sendWindowUpdate(0, 0),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.9/2",
    rfc: "§6.9: A receiver MUST treat the receipt of a WINDOW_UPDATE frame with a flow-control window increment of 0 as a stream error of type PROTOCOL_ERROR.",
    sends: "a POST left open, then WINDOW_UPDATE with increment 0 on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendWindowUpdate(1, 0)),
    expect: streamError(1, PROTOCOL_ERROR),
  },
  {
    id: "6.9/3",
    rfc: "§6.9: A WINDOW_UPDATE frame with a length other than 4 octets MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a 3-octet WINDOW_UPDATE on stream 0",
    run: (c) => c.sendFrame(FrameType.WINDOW_UPDATE, 0, 0, Uint8Array.of(0, 0, 1)),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.9/4",
    rfc: "§6.9: A WINDOW_UPDATE frame with a length other than 4 octets MUST be treated as a connection error of type FRAME_SIZE_ERROR.",
    sends: "a POST left open, then a 5-octet WINDOW_UPDATE on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendFrame(FrameType.WINDOW_UPDATE, 0, 1, Uint8Array.of(0, 0, 0, 1, 0))),
    expect: connError(FRAME_SIZE_ERROR),
  },
  {
    id: "6.9/5",
    rfc: "§6.9: A receiver could receive a WINDOW_UPDATE frame on a stream in a \"half-closed (remote)\" or \"closed\" state. A receiver MUST NOT treat this as an error.",
    sends: "a GET, then at once WINDOW_UPDATE on its half-closed stream",
    run: (c, ctx) => (c.sendHeaders(1, ctx.get()), c.sendWindowUpdate(1, 1000)),
    expect: response(1),
  },
  {
    id: "6.9.1/1",
    rfc: "§6.9.1: A sender MUST NOT allow a flow-control window to exceed 2^31-1 octets. If a sender receives a WINDOW_UPDATE that causes a flow-control window to exceed this maximum, it MUST terminate either the stream or the connection, as appropriate ... for the connection, a GOAWAY frame with an error code of FLOW_CONTROL_ERROR is sent.",
    sends: "WINDOW_UPDATE of 2^31-1 on stream 0 (window 65535 + 2^31-1)",
    run: (c) => c.sendWindowUpdate(0, MAX_WINDOW),
    expect: connError(FLOW_CONTROL_ERROR),
  },
  {
    id: "6.9.1/2",
    rfc: "§6.9.1: If a sender receives a WINDOW_UPDATE that causes a flow-control window to exceed this maximum, it MUST terminate either the stream or the connection ... For streams, the sender sends a RST_STREAM with an error code of FLOW_CONTROL_ERROR.",
    sends: "a POST left open, then WINDOW_UPDATE of 2^31-1 on it",
    run: (c, ctx) => (openStream(c, ctx), c.sendWindowUpdate(1, MAX_WINDOW)),
    expect: streamError(1, FLOW_CONTROL_ERROR),
  },
  {
    id: "6.9.1/3",
    rfc: "§6.9: The legal range for the increment to the flow-control window is 1 to 2^31-1 (2,147,483,647) octets. (A window of exactly 2^31-1 is allowed.)",
    sends: "WINDOW_UPDATE of 2^31-1-65535 on stream 0, reaching exactly 2^31-1",
    run: (c) => c.sendWindowUpdate(0, MAX_WINDOW - 65535),
    expect: alive(),
  },
  {
    id: "6.9.2/1",
    rfc: "§6.9.2: A sender MUST track the negative flow-control window and MUST NOT send new flow-controlled frames until it receives WINDOW_UPDATE frames that cause the flow-control window to become positive. (§5.2.1: A sender MUST respect flow-control limits imposed by a receiver.)",
    sends: "SETTINGS_INITIAL_WINDOW_SIZE = 0 and a GET; after 300 ms, WINDOW_UPDATE of 100 on the stream",
    run: async (c, ctx) => {
      c.sendSettings([[SettingId.INITIAL_WINDOW_SIZE, 0]]);
      c.sendHeaders(1, ctx.get());
      await waitMs(300);
      c.marks.set("window opened", c.frames.length);
      c.sendWindowUpdate(1, 100);
    },
    expect: custom("no DATA octets before the WINDOW_UPDATE, then the body", async (c, from) => {
      const early = c.frames.slice(from, c.marks.get("window opened")).filter((f) => f.type === FrameType.DATA && f.payload.length > 0);
      const r = await c.expectResponse(1, undefined, from);
      if (early.length > 0) throw c.failure("DATA sent into a zero window", from);
      if (r.body.length !== 2) throw c.failure(`body of ${r.body.length} octets, expected "ok"`, from);
    }),
  },
  {
    id: "6.9.2/2",
    rfc: "§6.9.2: An endpoint MUST treat a change to SETTINGS_INITIAL_WINDOW_SIZE that causes any flow-control window to exceed the maximum size as a connection error of type FLOW_CONTROL_ERROR.",
    sends: "a POST left open, WINDOW_UPDATE bringing its window to 2^31-1, then SETTINGS_INITIAL_WINDOW_SIZE = 65536",
    run: (c, ctx) => (openStream(c, ctx), c.sendWindowUpdate(1, MAX_WINDOW - 65535), c.sendSettings([[SettingId.INITIAL_WINDOW_SIZE, 65536]])),
    expect: connError(FLOW_CONTROL_ERROR),
    known: {
      haproxy: {
        why: "HAProxy 2.6 acknowledges the SETTINGS and goes on: it does not check that the new initial window pushes an open stream's window past 2^31-1, which §6.9.2 makes a connection error of type FLOW_CONTROL_ERROR.",
        observed: alive(),
      },
      nghttpx: {
        why: "nghttpx resets only the stream (RST_STREAM FLOW_CONTROL_ERROR); §6.9.2 makes it a connection error of type FLOW_CONTROL_ERROR.",
        observed: streamError(1, FLOW_CONTROL_ERROR),
      },
    },
  },

  // ---- 6.10 CONTINUATION ----
  {
    id: "6.10/1",
    rfc: "§6.10: Any number of CONTINUATION frames can be sent, as long as the preceding frame is on the same stream and is a HEADERS, PUSH_PROMISE, or CONTINUATION frame without the END_HEADERS flag set.",
    sends: "a GET split over HEADERS and two CONTINUATION frames",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 8), { endHeaders: false });
      c.sendContinuation(1, block.subarray(8, 20), false);
      c.sendContinuation(1, block.subarray(20));
    },
    expect: response(1),
  },
  {
    id: "6.10/2",
    rfc: "§6.10: A CONTINUATION frame MUST be preceded by a HEADERS, PUSH_PROMISE or CONTINUATION frame without the END_HEADERS flag set. A recipient that observes violation of this rule MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a POST's HEADERS with END_HEADERS, then a CONTINUATION on that stream",
    run: (c, ctx) => (openStream(c, ctx), c.sendContinuation(1, literalBlock([["x-more", "1"]]))),
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.10/3",
    rfc: "§6.10: If a CONTINUATION frame is received with a Stream Identifier field of 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS without END_HEADERS on stream 1, then CONTINUATION on stream 0",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 10), { endHeaders: false });
      c.sendContinuation(0, block.subarray(10));
    },
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.10/4",
    rfc: "§6.10: If the END_HEADERS flag is not set, this frame MUST be followed by another CONTINUATION frame. A receiver MUST treat the receipt of any other type of frame or a frame on a different stream as a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS without END_HEADERS on stream 1, then CONTINUATION on stream 3",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 10), { endHeaders: false });
      c.sendContinuation(3, block.subarray(10));
    },
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.10/5",
    rfc: "§6.10: If the END_HEADERS flag is not set, this frame MUST be followed by another CONTINUATION frame. A receiver MUST treat the receipt of any other type of frame ... as a connection error of type PROTOCOL_ERROR.",
    sends: "HEADERS and CONTINUATION, both without END_HEADERS, then DATA",
    run: (c, ctx) => {
      const block = literalBlock(ctx.post());
      c.sendHeaders(1, block.subarray(0, 10), { endStream: false, endHeaders: false });
      c.sendContinuation(1, block.subarray(10), false);
      c.sendData(1, "x");
    },
    expect: connError(PROTOCOL_ERROR),
  },
  {
    id: "6.10/6",
    rfc: "§6.2: A HEADERS frame with the END_STREAM flag set can be followed by CONTINUATION frames on the same stream. Logically, the CONTINUATION frames are part of the HEADERS frame.",
    sends: "a GET: HEADERS with END_STREAM but not END_HEADERS, then CONTINUATION with END_HEADERS",
    run: (c, ctx) => {
      const block = literalBlock(ctx.get());
      c.sendHeaders(1, block.subarray(0, 10), { endStream: true, endHeaders: false });
      c.sendContinuation(1, block.subarray(10));
    },
    expect: response(1),
  },
  {
    id: "6.10/7",
    rfc: "§6.10: A CONTINUATION frame MUST be preceded by a HEADERS, PUSH_PROMISE or CONTINUATION frame without the END_HEADERS flag set. A recipient that observes violation of this rule MUST respond with a connection error of type PROTOCOL_ERROR.",
    sends: "a POST, a DATA frame, then a CONTINUATION on that stream",
    run: (c, ctx) => (openStream(c, ctx), c.sendData(1, "x", { endStream: false }), c.sendContinuation(1, literalBlock([["x-more", "1"]]))),
    expect: connError(PROTOCOL_ERROR),
  },
];
