// The incremental HTTP/2 frame reader (RFC 9113 §4): bytes in, split
// anywhere; typed, validated frames out through a FrameHandler. Resumable: a
// frame header straddling chunks is gathered in a 9-octet scratch buffer, a
// payload straddling chunks is joined into one buffer of its exact length;
// a payload within one chunk is handed out as a view of it (no copy). Frames
// of unknown types are skipped without buffering (§4.1, §5.5).
//
// Checked here: the frame size limit (our SETTINGS_MAX_FRAME_SIZE), the
// frame-local rules of §6 (frame-decode.ts), field block sequencing and size
// (header-block.ts) and, optionally, the peer's connection preface (§3.4).
// Not here: stream states, flow-control windows, SETTINGS semantics, HPACK.
//
// Views of pushed chunks are handed out and, in join mode, kept across
// pushes until a field block ends: the caller must not reuse a chunk's memory
// after pushing it (runtimes hand out a fresh buffer per read).

import { CONNECTION_PREFACE, DEFAULT_MAX_FRAME_SIZE, ErrorCode, FRAME_HEADER_LENGTH, Flag, FrameType, MAX_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE, frameTypeName } from "./constants.ts";
import { H2ConnectionError, H2StreamError, type H2Error } from "./errors.ts";
import { checkFrameHeader, decodePayload, selfDependencyError, u31, view, type Role } from "./frame-decode.ts";
import type { ContinuationFrame, Frame } from "./frames.ts";
import { COPY_BELOW, slabCopy } from "../http1/slab.ts";
import { type BlockStart, HeaderBlockAssembler } from "./header-block.ts";

export type { Role } from "./frame-decode.ts";

/** Where a FrameReader's output goes. Called synchronously from push(); neither may call push(). */
export interface FrameHandler {
  /** A valid frame. Byte fields are views of pushed memory (see the file's notes). */
  frame(frame: Frame): void;
  /**
   * An H2StreamError: reset that stream; reading goes on. The frame at fault
   * was dropped, except a HEADERS frame (self-dependency), delivered just
   * before its error since its field block must still be decoded (§4.3).
   * An H2ConnectionError: send GOAWAY and close; the reader has stopped and
   * ignores everything pushed from now on.
   */
  error(error: H2Error): void;
}

export interface FrameReaderOptions {
  /** "server" when reading a client (PUSH_PROMISE refused), "client" when reading a server (SETTINGS_ENABLE_PUSH = 1 refused). */
  role?: Role;
  /**
   * Read the peer's connection preface first (§3.4): the 24 octets of
   * CONNECTION_PREFACE when role is "server", then, whatever the role, a
   * first frame that must be a SETTINGS without ACK. Default false.
   */
  preface?: boolean;
  /** Our SETTINGS_MAX_FRAME_SIZE, 2^14..2^24-1; default 2^14. See setMaxFrameSize(). */
  maxFrameSize?: number;
  /**
   * true (default): a field block split over CONTINUATION frames is emitted
   * once, as its HEADERS or PUSH_PROMISE frame carrying the whole block with
   * endHeaders set; CONTINUATION frames are never emitted. false: every
   * fragment is emitted as it comes (HEADERS/PUSH_PROMISE, then CONTINUATION
   * frames); sequencing and the size limit are checked all the same.
   */
  joinHeaderBlocks?: boolean;
  /** Largest field block in octets as received (compressed); above, ENHANCE_YOUR_CALM (header-block.ts). Default 64 KiB. */
  maxHeaderBlockSize?: number;
  /** Most CONTINUATION frames in one field block; above, ENHANCE_YOUR_CALM (header-block.ts). Default: no limit. */
  maxContinuations?: number;
}

export const DEFAULT_MAX_HEADER_BLOCK_SIZE = 65536;

const enum S {
  Preface,
  /** Between frames, or inside a frame header (hdrFill octets of it gathered). */
  Header,
  /** Inside a known frame's payload (payFill octets gathered in pay, if it straddles). */
  Payload,
  /** Inside an unknown frame's payload. */
  Skip,
  Closed,
}

const HEADER = FRAME_HEADER_LENGTH;

export class FrameReader {
  private state: S;
  private readonly role: Role;
  /** The next frame must be a SETTINGS without ACK (§3.4). */
  private settingsFirst: boolean;
  private prefaceAt = 0;
  private readonly expectsPreface: boolean;
  private readonly hdr = new Uint8Array(HEADER);
  private hdrFill = 0;
  // The frame being read.
  private type = 0;
  private flags = 0;
  private length = 0;
  private streamId = 0;
  private pay: Uint8Array | undefined;
  private payFill = 0;
  private skipLeft = 0;
  private maxSize: number;
  private readonly blocks: HeaderBlockAssembler;
  private busy = false;

  constructor(private readonly handler: FrameHandler, options: FrameReaderOptions = {}) {
    this.role = options.role;
    const preface = options.preface ?? false;
    this.expectsPreface = preface && this.role === "server";
    this.state = this.expectsPreface ? S.Preface : S.Header;
    this.settingsFirst = preface;
    this.maxSize = DEFAULT_MAX_FRAME_SIZE;
    if (options.maxFrameSize !== undefined) this.setMaxFrameSize(options.maxFrameSize);
    this.blocks = new HeaderBlockAssembler(options.joinHeaderBlocks ?? true, options.maxHeaderBlockSize ?? DEFAULT_MAX_HEADER_BLOCK_SIZE, options.maxContinuations);
  }

  /** Our SETTINGS_MAX_FRAME_SIZE as enforced now. */
  get maxFrameSize(): number {
    return this.maxSize;
  }

  /**
   * Enforces a new SETTINGS_MAX_FRAME_SIZE from the next frame header on
   * (frames larger are a connection error of type FRAME_SIZE_ERROR). Raise it
   * when the peer acknowledges the SETTINGS that announced it.
   */
  setMaxFrameSize(n: number): void {
    if (!Number.isInteger(n) || n < MIN_MAX_FRAME_SIZE || n > MAX_MAX_FRAME_SIZE) {
      throw new RangeError(`max frame size ${n} outside 2^14..2^24-1`);
    }
    this.maxSize = n;
  }

  get maxHeaderBlockSize(): number {
    return this.blocks.maxSize;
  }

  /** Applies from the next fragment on. */
  setMaxHeaderBlockSize(n: number): void {
    this.blocks.maxSize = n;
  }

  /** After a connection error or close(): input is ignored. */
  get closed(): boolean {
    return this.state === S.Closed;
  }

  /** A field block awaits CONTINUATION frames (of this stream; 0 when none does). */
  get openBlockStream(): number {
    return this.blocks.streamId;
  }

  /** The peer's connection preface is read in full (or none was expected). */
  get prefaceRead(): boolean {
    return !this.expectsPreface || this.prefaceAt === CONNECTION_PREFACE.length;
  }

  /** Between frames, with no partial frame or preface buffered and no open field block (e.g. to tell a clean end of input). */
  get atBoundary(): boolean {
    return this.state === S.Header && this.hdrFill === 0 && !this.blocks.open;
  }

  /** Stops reading: the rest of the chunk being read, if called from the handler, and later pushes are ignored. */
  close(): void {
    this.state = S.Closed;
    this.pay = undefined;
    this.blocks.reset();
  }

  /** Reads a chunk; frames and errors go to the handler before this returns. */
  push(chunk: Uint8Array): void {
    if (this.state === S.Closed) return;
    if (this.busy) throw new Error("FrameReader.push() called from its own handler");
    this.busy = true;
    // Small reads are copied into a slab: the first view made of a fresh
    // runtime buffer costs ~0.4 µs (its store is materialised), a copy ~0.1 µs.
    if (chunk.length <= COPY_BELOW) chunk = slabCopy(chunk);
    try {
      this.run(chunk);
    } catch (e) {
      // A throwing handler left a chunk half read: nothing after it can be trusted.
      this.close();
      throw e;
    } finally {
      this.busy = false;
    }
  }

  private run(c: Uint8Array): void {
    const n = c.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case S.Header: {
          let h = c;
          let at = i;
          if (this.hdrFill === 0 && n - i >= HEADER) {
            i += HEADER;
          } else {
            const hdr = this.hdr;
            let fill = this.hdrFill;
            while (fill < HEADER && i < n) hdr[fill++] = c[i++]!;
            if (fill < HEADER) {
              this.hdrFill = fill;
              return;
            }
            this.hdrFill = 0;
            h = hdr;
            at = 0;
          }
          const length = (h[at]! << 16) | (h[at + 1]! << 8) | h[at + 2]!;
          this.begin(length, h[at + 3]!, h[at + 4]!, u31(h, at + 5));
          // A payload within the rest of this chunk (or empty) is read at once.
          if ((this.state as S) === S.Payload && n - i >= length) {
            const p = view(c, i, length);
            i += length;
            this.state = S.Header;
            this.complete(p);
          }
          break;
        }
        case S.Payload: {
          const length = this.length;
          let pay = this.pay;
          if (pay === undefined) {
            if (n - i >= length) {
              const p = view(c, i, length);
              i += length;
              this.state = S.Header;
              this.complete(p);
              break;
            }
            pay = this.pay = new Uint8Array(length);
            this.payFill = 0;
          }
          const take = Math.min(length - this.payFill, n - i);
          pay.set(view(c, i, take), this.payFill);
          i += take;
          this.payFill += take;
          if (this.payFill === length) {
            this.pay = undefined;
            this.state = S.Header;
            this.complete(pay);
          }
          break;
        }
        case S.Skip: {
          const take = Math.min(this.skipLeft, n - i);
          i += take;
          this.skipLeft -= take;
          if (this.skipLeft === 0) this.state = S.Header;
          break;
        }
        case S.Preface: {
          const P = CONNECTION_PREFACE;
          let at = this.prefaceAt;
          while (at < P.length && i < n) {
            if (c[i] !== P[at]) {
              this.fail(new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `invalid connection preface (octet ${at} differs)`));
              return;
            }
            i++;
            at++;
          }
          this.prefaceAt = at;
          if (at === P.length) this.state = S.Header;
          break;
        }
        case S.Closed:
          return;
      }
    }
  }

  /** A frame header: checked; sets the state for its payload. */
  private begin(length: number, type: number, flags: number, streamId: number): void {
    if (length > this.maxSize) {
      this.fail(new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `${frameTypeName(type)} frame of ${length} octets exceeds the maximum frame size ${this.maxSize}`));
      return;
    }
    if (this.settingsFirst) {
      if (type !== FrameType.SETTINGS || flags & Flag.ACK) {
        const what = type === FrameType.SETTINGS ? "SETTINGS ACK" : `${frameTypeName(type)} frame`;
        this.fail(new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `invalid connection preface: ${what} where SETTINGS must come first`));
        return;
      }
      this.settingsFirst = false;
    }
    const sequence = this.blocks.check(type, streamId, length);
    if (sequence !== undefined) {
      this.fail(sequence);
      return;
    }
    if (type > FrameType.CONTINUATION) {
      if (length === 0) return;
      this.skipLeft = length;
      this.state = S.Skip;
      return;
    }
    const bad = checkFrameHeader(type, flags, length, streamId, this.role);
    if (bad !== undefined) {
      this.fail(bad);
      return;
    }
    this.type = type;
    this.flags = flags;
    this.length = length;
    this.streamId = streamId;
    this.state = S.Payload;
  }

  /** A known frame's complete payload. */
  private complete(p: Uint8Array): void {
    const frame = decodePayload(this.type, this.flags, this.streamId, p, this.role);
    if (frame instanceof H2ConnectionError) {
      this.fail(frame);
      return;
    }
    if (frame instanceof H2StreamError) {
      this.handler.error(frame);
      return;
    }
    switch (frame.type) {
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE: {
        const out = this.blocks.start(frame);
        if (out instanceof H2ConnectionError) this.fail(out);
        else if (out !== undefined) this.emitBlock(out);
        return;
      }
      case FrameType.CONTINUATION: {
        const out = this.blocks.add(frame);
        if (out !== undefined) this.emitBlock(out);
        return;
      }
      default:
        this.handler.frame(frame);
    }
  }

  private emitBlock(frame: BlockStart | ContinuationFrame): void {
    this.handler.frame(frame);
    if (frame.type !== FrameType.HEADERS) return;
    const selfDependent = selfDependencyError(frame);
    if (selfDependent !== undefined && this.state !== S.Closed) this.handler.error(selfDependent);
  }

  private fail(error: H2ConnectionError): void {
    this.close();
    this.handler.error(error);
  }
}
