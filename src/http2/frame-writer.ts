// HTTP/2 frame serializers (RFC 9113 §4.1, §6): each returns one buffer
// holding the frame header(s) and payload(s), allocated once (small ones
// carved out of the shared byte slab). Never padded; HEADERS carry priority
// fields only when asked. Flow control, stream states and SETTINGS
// semantics are the caller's: data() splits by frame size, not by window.
// Arguments that cannot make a valid frame (stream 0 where a stream is
// required, a PING payload other than 8 octets, ...) throw a RangeError:
// they are our bugs, never the peer's.

import { allocBytes } from "../http1/slab.ts";
import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LENGTH, Flag, FrameType, MAX_MAX_FRAME_SIZE, MAX_STREAM_ID, MAX_WINDOW_SIZE, MIN_MAX_FRAME_SIZE } from "./constants.ts";
import type { Priority } from "./frames.ts";

const HEADER = FRAME_HEADER_LENGTH;
const encoder = new TextEncoder();

/** Writes a 9-octet frame header at out[at] (the reserved bit sent as 0). */
export function writeFrameHeader(out: Uint8Array, at: number, length: number, type: number, flags: number, streamId: number): void {
  out[at] = length >>> 16;
  out[at + 1] = length >>> 8;
  out[at + 2] = length;
  out[at + 3] = type;
  out[at + 4] = flags;
  writeU32(out, at + 5, streamId & MAX_STREAM_ID);
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

function checkStream(streamId: number, connectionOk: boolean): void {
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID || (streamId === 0 && !connectionOk)) {
    throw new RangeError(`invalid stream id ${streamId}`);
  }
}

function checkFrameSize(maxFrameSize: number): void {
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`max frame size ${maxFrameSize} outside 2^14..2^24-1`);
  }
}

/** Any frame, extension types included, as given (no checks beyond the length field's range): a header and a copy of the payload. */
export function rawFrame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > MAX_MAX_FRAME_SIZE) throw new RangeError(`payload of ${payload.length} octets exceeds 2^24-1`);
  const out = allocBytes(HEADER + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, HEADER);
  return out;
}

/** SETTINGS with these [id, value] entries, in order (§6.5). Values are not checked. */
export function settings(list: readonly (readonly [id: number, value: number])[]): Uint8Array {
  const out = allocBytes(HEADER + 6 * list.length);
  writeFrameHeader(out, 0, 6 * list.length, FrameType.SETTINGS, 0, 0);
  let at = HEADER;
  for (const [id, value] of list) {
    out[at] = id >>> 8;
    out[at + 1] = id;
    writeU32(out, at + 2, value);
    at += 6;
  }
  return out;
}

/** The acknowledgement of the peer's SETTINGS (§6.5.3). */
export function settingsAck(): Uint8Array {
  const out = allocBytes(HEADER);
  writeFrameHeader(out, 0, 0, FrameType.SETTINGS, Flag.ACK, 0);
  return out;
}

/** PING with 8 octets of opaque data; ack echoes the peer's (§6.7). */
export function ping(data: Uint8Array, ack = false): Uint8Array {
  if (data.length !== 8) throw new RangeError(`PING data of ${data.length} octets (must be 8)`);
  const out = allocBytes(HEADER + 8);
  writeFrameHeader(out, 0, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
  out.set(data, HEADER);
  return out;
}

/** GOAWAY (§6.8); debug data as bytes or a string (UTF-8). */
export function goaway(lastStreamId: number, code: number, debug?: Uint8Array | string): Uint8Array {
  checkStream(lastStreamId, true);
  const extra = typeof debug === "string" ? encoder.encode(debug) : debug;
  const n = 8 + (extra?.length ?? 0);
  const out = allocBytes(HEADER + n);
  writeFrameHeader(out, 0, n, FrameType.GOAWAY, 0, 0);
  writeU32(out, HEADER, lastStreamId);
  writeU32(out, HEADER + 4, code);
  if (extra !== undefined) out.set(extra, HEADER + 8);
  return out;
}

/** RST_STREAM (§6.4). */
export function rstStream(streamId: number, code: number): Uint8Array {
  checkStream(streamId, false);
  const out = allocBytes(HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  writeU32(out, HEADER, code);
  return out;
}

/** WINDOW_UPDATE (§6.9); stream 0 for the connection's window; increment 1..2^31-1. */
export function windowUpdate(streamId: number, increment: number): Uint8Array {
  checkStream(streamId, true);
  if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW_SIZE) {
    throw new RangeError(`WINDOW_UPDATE increment ${increment} outside 1..2^31-1`);
  }
  const out = allocBytes(HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  writeU32(out, HEADER, increment);
  return out;
}

function writePriority(out: Uint8Array, at: number, p: Priority): void {
  if (!Number.isInteger(p.weight) || p.weight < 1 || p.weight > 256) throw new RangeError(`priority weight ${p.weight} outside 1..256`);
  writeU32(out, at, (p.dependency & MAX_STREAM_ID) | (p.exclusive ? 0x80000000 : 0));
  out[at + 4] = p.weight - 1;
}

/** PRIORITY (§6.3). */
export function priority(streamId: number, p: Priority): Uint8Array {
  checkStream(streamId, false);
  const out = allocBytes(HEADER + 5);
  writeFrameHeader(out, 0, 5, FrameType.PRIORITY, 0, streamId);
  writePriority(out, HEADER, p);
  return out;
}

/**
 * DATA (§6.1), split into frames of at most maxFrameSize octets (the peer's
 * SETTINGS_MAX_FRAME_SIZE) when longer, END_STREAM on the last one only.
 * Empty bytes make one empty frame. Flow control is the caller's: each
 * frame's payload length counts against the windows.
 */
export function data(streamId: number, bytes: Uint8Array, endStream: boolean, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Uint8Array {
  checkStream(streamId, false);
  checkFrameSize(maxFrameSize);
  const total = bytes.length;
  const frames = total === 0 ? 1 : Math.ceil(total / maxFrameSize);
  const out = allocBytes(HEADER * frames + total);
  let at = 0;
  let from = 0;
  for (let f = 0; f < frames; f++) {
    const n = Math.min(maxFrameSize, total - from);
    const last = f === frames - 1;
    writeFrameHeader(out, at, n, FrameType.DATA, last && endStream ? Flag.END_STREAM : 0, streamId);
    out.set(n === total ? bytes : bytes.subarray(from, from + n), at + HEADER);
    at += HEADER + n;
    from += n;
  }
  return out;
}

/** The 9-octet header of one DATA frame whose payload the caller writes after it (no copy of the data). */
export function dataFrameHeader(streamId: number, length: number, endStream: boolean): Uint8Array {
  checkStream(streamId, false);
  if (!Number.isInteger(length) || length < 0 || length > MAX_MAX_FRAME_SIZE) throw new RangeError(`DATA length ${length} outside 0..2^24-1`);
  const out = allocBytes(HEADER);
  writeFrameHeader(out, 0, length, FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId);
  return out;
}

/**
 * A field block as one frame of `type` (HEADERS or PUSH_PROMISE) whose
 * payload starts with `fixed` octets written by `prefix`, then as many
 * CONTINUATION frames as maxFrameSize requires; END_HEADERS on the last.
 */
function fieldBlock(
  type: number,
  flags: number,
  streamId: number,
  block: Uint8Array,
  maxFrameSize: number,
  fixed: number,
  prefix: ((out: Uint8Array, at: number) => void) | undefined,
): Uint8Array {
  checkStream(streamId, false);
  checkFrameSize(maxFrameSize);
  const total = block.length;
  const first = Math.min(total, maxFrameSize - fixed);
  const continuations = Math.ceil((total - first) / maxFrameSize);
  const out = allocBytes(HEADER * (1 + continuations) + fixed + total);
  writeFrameHeader(out, 0, fixed + first, type, flags | (continuations === 0 ? Flag.END_HEADERS : 0), streamId);
  prefix?.(out, HEADER);
  out.set(first === total ? block : block.subarray(0, first), HEADER + fixed);
  let at = HEADER + fixed + first;
  let from = first;
  for (let c = 0; c < continuations; c++) {
    const n = Math.min(maxFrameSize, total - from);
    writeFrameHeader(out, at, n, FrameType.CONTINUATION, c === continuations - 1 ? Flag.END_HEADERS : 0, streamId);
    out.set(block.subarray(from, from + n), at + HEADER);
    at += HEADER + n;
    from += n;
  }
  return out;
}

/**
 * HEADERS (§6.2) carrying a whole field block, followed by CONTINUATION
 * frames (§6.10) when the block does not fit in maxFrameSize (the peer's
 * SETTINGS_MAX_FRAME_SIZE), all in one buffer: nothing may come between
 * them on the connection. END_STREAM goes on the HEADERS frame.
 */
export function headers(
  streamId: number,
  block: Uint8Array,
  endStream: boolean,
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
  priority?: Priority,
): Uint8Array {
  const flags = (endStream ? Flag.END_STREAM : 0) | (priority !== undefined ? Flag.PRIORITY : 0);
  const prefix = priority !== undefined ? (out: Uint8Array, at: number) => writePriority(out, at, priority) : undefined;
  return fieldBlock(FrameType.HEADERS, flags, streamId, block, maxFrameSize, priority !== undefined ? 5 : 0, prefix);
}

/** PUSH_PROMISE (§6.6) on streamId reserving promisedId, with CONTINUATION frames as headers() does. */
export function pushPromise(streamId: number, promisedId: number, block: Uint8Array, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Uint8Array {
  checkStream(promisedId, false);
  return fieldBlock(FrameType.PUSH_PROMISE, 0, streamId, block, maxFrameSize, 4, (out, at) => writeU32(out, at, promisedId));
}
