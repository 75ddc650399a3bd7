// Field block sequencing (RFC 9113 §4.3, §6.10): a HEADERS or PUSH_PROMISE
// frame without END_HEADERS must be followed, with nothing in between, by
// CONTINUATION frames of the same stream up to one with END_HEADERS. Used by
// FrameReader; in join mode the fragments are joined into one block (one
// copy, at the end; a block in a single frame is never copied).
//
// Size limit: the block's octets (fragments summed, as compressed) above
// `maxSize` are a connection error of type ENHANCE_YOUR_CALM. Not a stream
// error: a refused block can no longer be decoded, and an undecoded block
// leaves the HPACK context out of step with the peer's (§4.3), so the
// connection cannot go on. Peers that respect our SETTINGS_MAX_HEADER_LIST_SIZE
// stay below it when maxSize is at least that setting (a field costs as much
// or more in the list size, 32 octets of overhead each, as it does
// compressed); a larger block is also how CONTINUATION floods look.

import { ErrorCode, FrameType, frameTypeName } from "./constants.ts";
import { H2ConnectionError } from "./errors.ts";
import type { ContinuationFrame, HeadersFrame, PushPromiseFrame } from "./frames.ts";

export type BlockStart = HeadersFrame | PushPromiseFrame;

export class HeaderBlockAssembler {
  /** The stream whose block awaits CONTINUATION frames; 0 when none does. */
  streamId = 0;
  private head: BlockStart | undefined;
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  /** CONTINUATION frames of the open block. */
  private continuations = 0;

  constructor(
    /** Join fragments into one block (else only sequencing and the size are checked). */
    readonly join: boolean,
    /** Largest block in octets. */
    public maxSize: number,
    /** Most CONTINUATION frames in one block: empty ones never grow its size, so they are counted too (a flood of them is ENHANCE_YOUR_CALM). */
    public maxContinuations = Infinity,
  ) {}

  /** Whether a block is open (the next frame must continue it). */
  get open(): boolean {
    return this.streamId !== 0;
  }

  /**
   * Sequencing, from a frame's header: while a block is open only a
   * CONTINUATION of its stream may come, and a CONTINUATION needs an open
   * block. Its length counts against the limit already, before its payload
   * is buffered.
   */
  check(type: number, streamId: number, length: number): H2ConnectionError | undefined {
    if (this.streamId === 0) {
      if (type === FrameType.CONTINUATION) {
        return new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `CONTINUATION frame on stream ${streamId} without a HEADERS or PUSH_PROMISE to continue`);
      }
      return undefined;
    }
    if (type !== FrameType.CONTINUATION || streamId !== this.streamId) {
      return new H2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `${frameTypeName(type)} frame on stream ${streamId} inside the field block of stream ${this.streamId} (CONTINUATION expected)`,
      );
    }
    if (++this.continuations > this.maxContinuations) {
      return new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `field block of stream ${streamId} spread over more than ${this.maxContinuations} CONTINUATION frames`);
    }
    return this.limit(this.size + length, streamId);
  }

  /**
   * A HEADERS or PUSH_PROMISE frame. Returns the frame to emit now: the frame
   * itself unless join mode holds it until its block ends (undefined).
   */
  start(frame: BlockStart): BlockStart | H2ConnectionError | undefined {
    const size = frame.fragment.length;
    const over = this.limit(size, frame.streamId);
    if (over !== undefined) return over;
    if (frame.endHeaders) return frame;
    this.streamId = frame.streamId;
    this.size = size;
    if (!this.join) return frame;
    this.head = frame;
    this.parts.push(frame.fragment);
    return undefined;
  }

  /**
   * A CONTINUATION frame that passed check(). Returns the frame to emit now:
   * in join mode the block's first frame carrying the whole block once the
   * block ends (else undefined), otherwise the CONTINUATION itself.
   */
  add(frame: ContinuationFrame): BlockStart | ContinuationFrame | undefined {
    this.size += frame.fragment.length;
    if (!this.join) {
      if (frame.endHeaders) this.reset();
      return frame;
    }
    this.parts.push(frame.fragment);
    if (!frame.endHeaders) return undefined;
    const block = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      block.set(part, at);
      at += part.length;
    }
    const head = this.head!;
    this.reset();
    return { ...head, fragment: block, endHeaders: true };
  }

  /** Forgets any open block. */
  reset(): void {
    this.streamId = 0;
    this.head = undefined;
    this.parts.length = 0;
    this.size = 0;
    this.continuations = 0;
  }

  private limit(size: number, streamId: number): H2ConnectionError | undefined {
    if (size <= this.maxSize) return undefined;
    return new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `field block of stream ${streamId} exceeds ${this.maxSize} octets`);
  }
}
