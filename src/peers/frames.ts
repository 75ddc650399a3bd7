// The framing of HAProxy's peers protocol after the handshake: two bytes
// (class, type), and for the stick-table class's types ≥ 128 an encoded
// length and that many bytes of body. Control and error messages are the two
// bytes alone. Pure: bytes in, frames out.
import { pushVarint, readVarint } from "./varint.ts";

export const CLASS_CONTROL = 0;
export const CLASS_ERROR = 1;
export const CLASS_STICKTABLE = 10;
export const CLASS_RESERVED = 255;

/** Control messages (class 0). */
export const CTRL_RESYNC_REQUEST = 0;
export const CTRL_RESYNC_FINISHED = 1;
export const CTRL_RESYNC_PARTIAL = 2;
export const CTRL_RESYNC_CONFIRM = 3;
export const CTRL_HEARTBEAT = 4;

/** Error messages (class 1): the sender closes right after. */
export const ERR_PROTOCOL = 0;
export const ERR_SIZE_LIMIT = 1;

/** Stick-table messages (class 10); the high bit says a length and body follow. */
export const STKT_UPDATE = 0x80;
export const STKT_INCUPDATE = 0x81;
export const STKT_DEFINE = 0x82;
export const STKT_SWITCH = 0x83;
export const STKT_ACK = 0x84;
export const STKT_UPDATE_TIMED = 0x85;
export const STKT_INCUPDATE_TIMED = 0x86;

const HAS_BODY = 0x80;

export interface Frame {
  readonly cls: number;
  readonly type: number;
  /** The body (a view into the read buffer: copy before keeping it); empty without one. */
  readonly body: Uint8Array;
}

export type FrameRead =
  | { kind: "frame"; frame: Frame; next: number }
  /** The bytes end inside the frame: wait for more. */
  | { kind: "more" }
  /** A length past `maxBody` (answer with a size-limit error), or one that cannot be read. */
  | { kind: "too-big"; length: number }
  | { kind: "bad-length" };

const EMPTY = new Uint8Array(0);

/** Reads one frame at `at` in bytes[at, end). */
export function readFrame(bytes: Uint8Array, at: number, end: number, maxBody: number): FrameRead {
  if (end - at < 2) return { kind: "more" };
  const cls = bytes[at]!;
  const type = bytes[at + 1]!;
  if ((type & HAS_BODY) === 0) return { kind: "frame", frame: { cls, type, body: EMPTY }, next: at + 2 };
  const len = readVarint(bytes, at + 2, end);
  if (len === undefined) return end - at - 2 >= 10 ? { kind: "bad-length" } : { kind: "more" };
  if (len.value > maxBody) return { kind: "too-big", length: len.value };
  const stop = len.next + len.value;
  if (stop > end) return { kind: "more" };
  return { kind: "frame", frame: { cls, type, body: bytes.subarray(len.next, stop) }, next: stop };
}

/** A message of two bytes (control, error). */
export function shortFrame(cls: number, type: number): Uint8Array {
  return Uint8Array.of(cls, type);
}

/** A stick-table message with its body. */
export function bodyFrame(type: number, body: readonly number[]): Uint8Array {
  const out: number[] = [CLASS_STICKTABLE, type];
  pushVarint(out, body.length);
  const bytes = new Uint8Array(out.length + body.length);
  bytes.set(out, 0);
  bytes.set(body, out.length);
  return bytes;
}
