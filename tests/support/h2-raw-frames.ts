// Byte builders for a misbehaving HTTP/2 client (tests only): frames with any
// type, flags, stream and payload, padded payloads, priority fields, SETTINGS
// payloads of any length, and HPACK field blocks written as plain literals so
// that a test controls every octet (uppercase names, duplicated or misplaced
// pseudo-header fields, values with CR or NUL) and no dynamic-table state is
// created behind its back. Valid frames come from sluice's own frame writer
// (src/http2/frame-writer.ts) where it can make them; it refuses invalid
// arguments by design, so invalid frames are built here.
import { ErrorCode, FRAME_HEADER_LENGTH, FrameType, errorCodeName, frameTypeName, settingName } from "../../src/http2/constants.ts";
import { writeFrameHeader } from "../../src/http2/frame-writer.ts";
import { writeInteger } from "../../src/http2/hpack/integer.ts";
import type { HeaderField } from "../../src/http2/hpack/index.ts";

export { ErrorCode, Flag, FrameType, SettingId } from "../../src/http2/constants.ts";
export type { HeaderField };

const HEADER = FRAME_HEADER_LENGTH;

/** One frame exactly as given: `streamId` is written whole (the reserved bit too, when set), `length` may lie about the payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array | string = new Uint8Array(0), length?: number): Uint8Array {
  const body = typeof payload === "string" ? latin1Bytes(payload) : payload;
  const out = new Uint8Array(HEADER + body.length);
  writeFrameHeader(out, 0, length ?? body.length, type, flags, 0);
  u32(out, 5, streamId >>> 0);
  out.set(body, HEADER);
  return out;
}

/** Octets of a byte string (one char per octet, as HPACK carries them). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** A 32-bit big-endian payload (RST_STREAM code, WINDOW_UPDATE increment: no range checks). */
export function u32Payload(v: number): Uint8Array {
  const out = new Uint8Array(4);
  u32(out, 0, v >>> 0);
  return out;
}

/** `n` octets of a repeating pattern. */
export function filler(n: number, octet = 0x61): Uint8Array {
  return new Uint8Array(n).fill(octet);
}

/** A Pad Length octet, the content, then `padLength` zero octets (§6.1): pass a padLength that lies to build an invalid frame. */
export function padded(content: Uint8Array, padLength: number, actualPadding = padLength): Uint8Array {
  const out = new Uint8Array(1 + content.length + actualPadding);
  out[0] = padLength;
  out.set(content, 1);
  return out;
}

/** The five octets of RFC 7540 priority fields (§6.2, §6.3): E, stream dependency, weight-1. */
export function priorityFields(dependency: number, weight = 16, exclusive = false): Uint8Array {
  const out = new Uint8Array(5);
  u32(out, 0, (dependency & 0x7fffffff) | (exclusive ? 0x80000000 : 0));
  out[4] = weight - 1;
  return out;
}

/** A SETTINGS payload of [id, value] entries (values unchecked). */
export function settingsPayload(list: readonly (readonly [number, number])[]): Uint8Array {
  const out = new Uint8Array(6 * list.length);
  list.forEach(([id, value], i) => {
    out[6 * i] = id >>> 8;
    out[6 * i + 1] = id;
    u32(out, 6 * i + 2, value >>> 0);
  });
  return out;
}

/** A GOAWAY payload. */
export function goawayPayload(lastStreamId: number, code: number, debug = ""): Uint8Array {
  return concat(u32Payload(lastStreamId), u32Payload(code), latin1Bytes(debug));
}

// ---- HPACK (RFC 7541) by hand ----

/** §5.2 string literal without Huffman coding. */
export function hpackString(s: string): Uint8Array {
  const head = new Uint8Array(6);
  const n = writeInteger(head, 0, s.length, 7, 0x00);
  return concat(head.subarray(0, n), latin1Bytes(s));
}

/** §6.2.2 literal field line without indexing, new name: leaves both dynamic tables as they were. */
export function literalField(name: string, value: string): Uint8Array {
  return concat(Uint8Array.of(0x00), hpackString(name), hpackString(value));
}

/** §6.2.1 literal with incremental indexing, new name: adds (name, value) to the decoder's dynamic table. */
export function indexedLiteralField(name: string, value: string): Uint8Array {
  return concat(Uint8Array.of(0x40), hpackString(name), hpackString(value));
}

/** §6.1 indexed field line (index 0 and indexes past the tables included). */
export function indexedField(index: number): Uint8Array {
  const out = new Uint8Array(6);
  return out.subarray(0, writeInteger(out, 0, index, 7, 0x80));
}

/** §6.3 dynamic table size update. */
export function tableSizeUpdate(size: number): Uint8Array {
  const out = new Uint8Array(6);
  return out.subarray(0, writeInteger(out, 0, size, 5, 0x20));
}

/** A field block of plain literals, in the order given, names and values as they are (no lowercasing, no checks). */
export function literalBlock(fields: readonly HeaderField[]): Uint8Array {
  return concat(...fields.map(([n, v]) => literalField(n, v)));
}

/** A well-formed GET's pseudo-header fields, then `extra` regular fields. */
export function getRequest(authority = "localhost", path = "/", extra: readonly HeaderField[] = []): HeaderField[] {
  return [[":method", "GET"], [":scheme", "http"], [":path", path], [":authority", authority], ...extra];
}

/** A POST whose body the test sends in DATA frames. */
export function postRequest(authority = "localhost", path = "/", extra: readonly HeaderField[] = []): HeaderField[] {
  return [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", authority], ...extra];
}

// ---- describing what was received ----

/** A frame as read off the wire, with the field block decoded when it ends in this frame. */
export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Uint8Array;
  /** HEADERS / PUSH_PROMISE / CONTINUATION ending a field block: the decoded fields. */
  fields?: HeaderField[];
  /** The field block could not be decoded: why (a COMPRESSION_ERROR of the server's). */
  hpackError?: string;
}

export function readU32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

/** The error code of a GOAWAY or RST_STREAM frame (undefined when the payload is too short to hold one). */
export function errorCodeOf(f: RawFrame): number | undefined {
  if (f.type === FrameType.GOAWAY) return f.payload.length >= 8 ? readU32(f.payload, 4) : undefined;
  if (f.type === FrameType.RST_STREAM) return f.payload.length >= 4 ? readU32(f.payload, 0) : undefined;
  return undefined;
}

/** GOAWAY's last stream id. */
export function lastStreamIdOf(f: RawFrame): number {
  return readU32(f.payload, 0) & 0x7fffffff;
}

/** SETTINGS entries of a frame. */
export function settingsOf(f: RawFrame): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at + 6 <= f.payload.length; at += 6) out.push([(f.payload[at]! << 8) | f.payload[at + 1]!, readU32(f.payload, at + 2)]);
  return out;
}

export const codeName = (code: number | undefined): string => (code === undefined ? "no code" : errorCodeName(code));

/** "GOAWAY(last=1, PROTOCOL_ERROR, 'debug')", "HEADERS#1[END_STREAM,END_HEADERS](:status=200)": for failure messages. */
export function describeFrame(f: RawFrame): string {
  const name = frameTypeName(f.type);
  const p = f.payload;
  switch (f.type) {
    case FrameType.GOAWAY: {
      const debug = new TextDecoder().decode(p.subarray(8)).slice(0, 80);
      return `GOAWAY(last=${lastStreamIdOf(f)}, ${codeName(errorCodeOf(f))}${debug ? `, '${debug}'` : ""})`;
    }
    case FrameType.RST_STREAM:
      return `RST_STREAM#${f.streamId}(${codeName(errorCodeOf(f))})`;
    case FrameType.SETTINGS:
      return f.flags & 1 ? "SETTINGS(ACK)" : `SETTINGS(${settingsOf(f).map(([id, v]) => `${settingName(id)}=${v}`).join(", ")})`;
    case FrameType.PING:
      return `PING${f.flags & 1 ? "(ACK)" : ""}`;
    case FrameType.WINDOW_UPDATE:
      return `WINDOW_UPDATE#${f.streamId}(+${p.length >= 4 ? readU32(p, 0) & 0x7fffffff : "?"})`;
    case FrameType.DATA:
      return `DATA#${f.streamId}(${p.length} octets${f.flags & 1 ? ", END_STREAM" : ""})`;
    case FrameType.HEADERS: {
      const status = f.fields?.find(([n]) => n === ":status")?.[1];
      const end = f.flags & 1 ? ", END_STREAM" : "";
      return `HEADERS#${f.streamId}(${status !== undefined ? `:status=${status}` : f.hpackError ? `HPACK error: ${f.hpackError}` : "fragment"}${end})`;
    }
    default:
      return `${name}#${f.streamId}(${p.length} octets)`;
  }
}

/** Everything `frames` holds, one line. */
export function describeFrames(frames: readonly RawFrame[]): string {
  return frames.length === 0 ? "no frames" : frames.map(describeFrame).join(", ");
}
