// A server stream's HEADERS and DATA frames, framed in place into the
// connection's FrameOutput (one staging buffer per turn, frame-output.ts).
// Each records where the stream's last frame went, so that END_STREAM can
// still be set on it while its turn's output is unwritten (no empty DATA
// frame to end a response).
import type { Head } from "../http/message.ts";
import { H1Head } from "../http1/head.ts";
import { Flag, FRAME_HEADER_LENGTH, FrameType } from "./constants.ts";
import type { FrameOutput } from "./frame-output.ts";
import * as write from "./frame-writer.ts";
import type { ResponseHeadEncoder } from "./head-encoder.ts";
import type { HpackEncoder } from "./hpack/index.ts";
import type { H2ServerStream } from "./server-stream.ts";
import { responseFields } from "./translate.ts";

/** A response head (final or 1xx) as HEADERS (+ CONTINUATION when above `maxFrame`), without END_STREAM. */
export function queueHead(o: FrameOutput, s: H2ServerStream, head: Head, final: boolean, heads: ResponseHeadEncoder, hpack: HpackEncoder, maxFrame: number): void {
  const mark = o.mark;
  if (head instanceof H1Head) {
    // From an HTTP/1.1 server: encoded from the head's bytes, in place after the frame header.
    const out = o.reserve(FRAME_HEADER_LENGTH + heads.bound(head));
    const at = o.end;
    const end = heads.encode(head, out, at + FRAME_HEADER_LENGTH);
    const n = end - at - FRAME_HEADER_LENGTH;
    if (n <= maxFrame) {
      write.writeFrameHeader(out, at, n, FrameType.HEADERS, Flag.END_HEADERS, s.id);
      o.commit(end);
      s.countOut(end - at);
    } else queueBlock(o, s, out.slice(at + FRAME_HEADER_LENGTH, end), false, maxFrame);
  } else queueBlock(o, s, hpack.encode(responseFields(head)), false, maxFrame);
  // END_STREAM may go on a final head (a bodyless answer), never on a 1xx.
  s.lastFrameTurn = final ? o.turn : -1;
  s.lastFrameMark = mark;
}

/** A field block as HEADERS (+ CONTINUATION when above `maxFrame`). */
export function queueBlock(o: FrameOutput, s: H2ServerStream, block: Uint8Array, endStream: boolean, maxFrame: number): void {
  if (block.length > maxFrame) {
    const frames = write.headers(s.id, block, endStream, maxFrame);
    s.countOut(frames.length);
    return o.send(frames);
  }
  const out = o.reserve(FRAME_HEADER_LENGTH + block.length);
  const at = o.end;
  write.writeFrameHeader(out, at, block.length, FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), s.id);
  out.set(block, at + FRAME_HEADER_LENGTH);
  o.commit(at + FRAME_HEADER_LENGTH + block.length);
  s.countOut(FRAME_HEADER_LENGTH + block.length);
}

/** One DATA frame of `chunk` (at most the client's frame size); the windows are the caller's. */
export function queueData(o: FrameOutput, s: H2ServerStream, chunk: Uint8Array, end: boolean): void {
  const n = chunk.length;
  const mark = o.mark;
  const out = o.reserve(FRAME_HEADER_LENGTH + n);
  const at = o.end;
  write.writeFrameHeader(out, at, n, FrameType.DATA, end ? Flag.END_STREAM : 0, s.id);
  out.set(chunk, at + FRAME_HEADER_LENGTH);
  o.commit(at + FRAME_HEADER_LENGTH + n);
  s.lastFrameTurn = o.turn;
  s.lastFrameMark = mark;
  s.countOut(FRAME_HEADER_LENGTH + n);
}

/** Sets END_STREAM on the stream's last final HEADERS or DATA frame if its turn's output is still unwritten. */
export function endOnLastFrame(o: FrameOutput, s: H2ServerStream): boolean {
  return s.lastFrameTurn >= 0 && o.setFlags(s.lastFrameTurn, s.lastFrameMark, Flag.END_STREAM);
}
