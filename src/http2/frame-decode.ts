// One frame's validation and decoding (RFC 9113 §4.1, §6), split in two:
// checkFrameHeader() rules on what the 9-octet header alone decides (stream id
// required or forbidden, fixed and minimum lengths), so that a bad frame is
// refused before its payload is waited for; decodePayload() turns a complete
// payload into a typed Frame. Only frame-local rules live here; stream states,
// flow-control windows and header block sequencing are other layers' business.
// Pure: no state, no runtime; payload fields are views of the given payload.

import { ErrorCode, Flag, FrameType, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, MIN_MAX_FRAME_SIZE, SettingId, frameTypeName, settingName } from "./constants.ts";
import { H2ConnectionError, H2StreamError, type H2Error } from "./errors.ts";
import type { Frame, HeadersFrame, Priority, SettingsFrame } from "./frames.ts";

/** Which end is reading: a server reads a client's frames. Undefined: the checks that depend on it are skipped. */
export type Role = "server" | "client" | undefined;

/** A view of b[at, at+n) on the same memory (cheaper than subarray, which looks up the species constructor). */
export function view(b: Uint8Array, at: number, n: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + at, n);
}

/** 31-bit unsigned at b[at], the reserved high bit ignored (§4.1). */
export function u31(b: Uint8Array, at: number): number {
  return ((b[at]! & 0x7f) << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

/** 32-bit unsigned at b[at]. */
export function u32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

function protocol(message: string): H2ConnectionError {
  return new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, message);
}

function frameSize(message: string): H2ConnectionError {
  return new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, message);
}

/**
 * The connection errors a frame's header alone shows (the frame size limit is
 * the reader's). Unknown types pass. Lengths checked: PRIORITY's is a stream
 * error, left to decodePayload().
 */
export function checkFrameHeader(type: number, flags: number, length: number, streamId: number, role: Role): H2ConnectionError | undefined {
  switch (type) {
    case FrameType.DATA:
      if (streamId === 0) return protocol("DATA frame on stream 0");
      if (flags & Flag.PADDED && length < 1) return frameSize("padded DATA frame without a Pad Length");
      return undefined;
    case FrameType.HEADERS: {
      if (streamId === 0) return protocol("HEADERS frame on stream 0");
      const min = (flags & Flag.PADDED ? 1 : 0) + (flags & Flag.PRIORITY ? 5 : 0);
      if (length < min) return frameSize(`HEADERS frame of ${length} octets, too short for its Pad Length and priority fields`);
      return undefined;
    }
    case FrameType.PRIORITY:
      if (streamId === 0) return protocol("PRIORITY frame on stream 0");
      return undefined;
    case FrameType.RST_STREAM:
      if (streamId === 0) return protocol("RST_STREAM frame on stream 0");
      if (length !== 4) return frameSize(`RST_STREAM frame of ${length} octets (must be 4)`);
      return undefined;
    case FrameType.SETTINGS:
      if (streamId !== 0) return protocol(`SETTINGS frame on stream ${streamId}`);
      if (flags & Flag.ACK) {
        if (length !== 0) return frameSize(`SETTINGS ACK with a ${length}-octet payload (must be empty)`);
      } else if (length % 6 !== 0) {
        return frameSize(`SETTINGS frame of ${length} octets (must be a multiple of 6)`);
      }
      return undefined;
    case FrameType.PUSH_PROMISE: {
      if (streamId === 0) return protocol("PUSH_PROMISE frame on stream 0");
      if (role === "server") return protocol("PUSH_PROMISE frame from a client");
      const min = (flags & Flag.PADDED ? 1 : 0) + 4;
      if (length < min) return frameSize(`PUSH_PROMISE frame of ${length} octets, too short for its Promised Stream ID`);
      return undefined;
    }
    case FrameType.PING:
      if (streamId !== 0) return protocol(`PING frame on stream ${streamId}`);
      if (length !== 8) return frameSize(`PING frame of ${length} octets (must be 8)`);
      return undefined;
    case FrameType.GOAWAY:
      if (streamId !== 0) return protocol(`GOAWAY frame on stream ${streamId}`);
      if (length < 8) return frameSize(`GOAWAY frame of ${length} octets (at least 8)`);
      return undefined;
    case FrameType.WINDOW_UPDATE:
      if (length !== 4) return frameSize(`WINDOW_UPDATE frame of ${length} octets (must be 4)`);
      return undefined;
    case FrameType.CONTINUATION:
      if (streamId === 0) return protocol("CONTINUATION frame on stream 0");
      return undefined;
    default:
      return undefined;
  }
}

/** A received setting's value checked (§6.5.2); unknown identifiers pass. */
export function checkSetting(id: number, value: number, role: Role): H2ConnectionError | undefined {
  switch (id) {
    case SettingId.ENABLE_PUSH:
      if (value > 1) return protocol(`${settingName(id)} = ${value} (must be 0 or 1)`);
      if (value === 1 && role === "client") return protocol(`${settingName(id)} = 1 from a server`);
      return undefined;
    case SettingId.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW_SIZE) return new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `${settingName(id)} = ${value} (above 2^31-1)`);
      return undefined;
    case SettingId.MAX_FRAME_SIZE:
      if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        return protocol(`${settingName(id)} = ${value} (must be within 2^14..2^24-1)`);
      }
      return undefined;
    case SettingId.NO_RFC7540_PRIORITIES:
      if (value > 1) return protocol(`${settingName(id)} = ${value} (must be 0 or 1, RFC 9218)`);
      return undefined;
    default:
      return undefined;
  }
}

function priorityAt(p: Uint8Array, at: number): Priority {
  return { exclusive: (p[at]! & 0x80) !== 0, dependency: u31(p, at), weight: p[at + 4]! + 1 };
}

/**
 * The Pad Length octet's check (§6.1, §6.2, §6.6): the padding must fit in
 * what the payload holds after the fixed fields. Returns the data length.
 */
function unpadded(type: number, padLength: number, room: number): number | H2ConnectionError {
  const n = room - padLength;
  if (n < 0) return protocol(`${frameTypeName(type)} frame's padding (${padLength} octets) exceeds its payload`);
  return n;
}

/**
 * Decodes the complete payload of a frame whose header passed
 * checkFrameHeader(). Known types only (the reader skips the others).
 * Returns a stream error for a frame to drop with RST_STREAM, a connection
 * error to end the connection with.
 *
 * A HEADERS frame whose priority depends on its own stream is returned as a
 * frame: its field block must still be decoded to keep the HPACK context in
 * step; see selfDependencyError().
 */
export function decodePayload(type: number, flags: number, streamId: number, p: Uint8Array, role: Role): Frame | H2Error {
  const length = p.length;
  switch (type) {
    case FrameType.DATA: {
      if (flags & Flag.PADDED) {
        const n = unpadded(type, p[0]!, length - 1);
        if (typeof n !== "number") return n;
        return { type, streamId, data: view(p, 1, n), endStream: (flags & Flag.END_STREAM) !== 0, flowLength: length };
      }
      return { type, streamId, data: p, endStream: (flags & Flag.END_STREAM) !== 0, flowLength: length };
    }
    case FrameType.HEADERS: {
      let at = 0;
      let pad = 0;
      if (flags & Flag.PADDED) {
        pad = p[0]!;
        at = 1;
      }
      let priority: Priority | undefined;
      if (flags & Flag.PRIORITY) {
        priority = priorityAt(p, at);
        at += 5;
      }
      let fragment = p;
      if (at !== 0) {
        const n = unpadded(type, pad, length - at);
        if (typeof n !== "number") return n;
        fragment = view(p, at, n);
      }
      return {
        type,
        streamId,
        fragment,
        endStream: (flags & Flag.END_STREAM) !== 0,
        endHeaders: (flags & Flag.END_HEADERS) !== 0,
        priority,
      };
    }
    case FrameType.PRIORITY: {
      if (length !== 5) return new H2StreamError(streamId, ErrorCode.FRAME_SIZE_ERROR, `PRIORITY frame of ${length} octets (must be 5)`);
      const priority = priorityAt(p, 0);
      if (priority.dependency === streamId) return new H2StreamError(streamId, ErrorCode.PROTOCOL_ERROR, "PRIORITY frame makes the stream depend on itself");
      return { type, streamId, priority };
    }
    case FrameType.RST_STREAM:
      return { type, streamId, errorCode: u32(p, 0) };
    case FrameType.SETTINGS: {
      const ack = (flags & Flag.ACK) !== 0;
      const settings: (readonly [number, number])[] = [];
      for (let at = 0; at < length; at += 6) {
        const id = (p[at]! << 8) | p[at + 1]!;
        const value = u32(p, at + 2);
        const bad = checkSetting(id, value, role);
        if (bad !== undefined) return bad;
        settings.push([id, value]);
      }
      const frame: SettingsFrame = { type, streamId: 0, ack, settings };
      return frame;
    }
    case FrameType.PUSH_PROMISE: {
      let at = 0;
      let pad = 0;
      if (flags & Flag.PADDED) {
        pad = p[0]!;
        at = 1;
      }
      const promisedId = u31(p, at);
      if (promisedId === 0) return protocol("PUSH_PROMISE frame promising stream 0");
      at += 4;
      const n = unpadded(type, pad, length - at);
      if (typeof n !== "number") return n;
      return { type, streamId, promisedId, fragment: view(p, at, n), endHeaders: (flags & Flag.END_HEADERS) !== 0 };
    }
    case FrameType.PING:
      return { type, streamId: 0, ack: (flags & Flag.ACK) !== 0, data: p };
    case FrameType.GOAWAY:
      return { type, streamId: 0, lastStreamId: u31(p, 0), errorCode: u32(p, 4), debug: view(p, 8, length - 8) };
    case FrameType.WINDOW_UPDATE: {
      const increment = u31(p, 0);
      if (increment === 0) {
        if (streamId === 0) return protocol("WINDOW_UPDATE of 0 on the connection");
        return new H2StreamError(streamId, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      }
      return { type, streamId, increment };
    }
    case FrameType.CONTINUATION:
      return { type, streamId, fragment: p, endHeaders: (flags & Flag.END_HEADERS) !== 0 };
    default:
      throw new Error(`decodePayload: unknown frame type ${type}`);
  }
}

/** A HEADERS frame's priority naming its own stream: a stream error (§5.3.1), reported once its field block is delivered. */
export function selfDependencyError(frame: HeadersFrame): H2StreamError | undefined {
  if (frame.priority === undefined || frame.priority.dependency !== frame.streamId) return undefined;
  return new H2StreamError(frame.streamId, ErrorCode.PROTOCOL_ERROR, "HEADERS frame makes the stream depend on itself");
}
