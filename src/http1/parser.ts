// H1Parser: the strict, incremental HTTP/1.1 message parser (RFC 9112), for
// either side of the proxy. Bytes in, H1Events out.
//
// - One resumable state machine: a byte is looked at once, whatever the
//   splits; while a head is incomplete only the scan position and the offsets
//   found so far are kept, and the pieces are joined once, when it completes.
// - Body and chunk payload bytes go out as subarrays of the pushed chunks;
//   the chunk-size lines and the CRLF after each chunk are read by
//   ChunkFraming (chunked.ts).
// - After end() (and after a 101 / a 2xx to CONNECT) nothing is parsed until
//   next() / tunnel(); bytes are held in the meantime.
// - Callbacks may call next(), tunnel(), setRequestMethod(), push() and
//   finish() re-entrantly: the running loop picks the change up.

import { COLON, CR, FVCHAR, VCHAR_WS, HTAB, LF, REASON, SP, TARGET, TCHAR } from "./chars.ts";
import { ChunkFraming } from "./chunked.ts";
import { trailerHead } from "./head.ts";
import { allocBytes, COPY_BELOW, slabCopy } from "./slab.ts";
import { buildRequestHead, buildResponseHead, methodString } from "./semantics.ts";
import { BodyKind, DEFAULT_LIMITS, h1Error, type H1Events, type H1Limits } from "./types.ts";
import type { RefusedBytes } from "../http/message.ts";

const enum S {
  Start, StartLF, // message start (leading CRLFs on requests)
  Method, Target, Version, RVersion, Status, Reason, LineLF, // start lines
  FieldStart, Name, Ows, Value, FieldLF, EndLF, // field lines (head and trailer section)
  Length, ChunkLine, ChunkData, UntilClose, // bodies; ChunkLine: a chunk-size line or the CRLF after a chunk's data
  Ended, WaitTunnel, Tunnel, Dead, // stops
}

/**
 * Field offsets are scanned into one array shared by every parser of the same
 * limit: a head is scanned and built without yielding, and the Head keeps its
 * own copy (storeWords), so no parser needs ~1.6 KiB of its own between
 * messages (an idle connection keeps none, as HAProxy keeps no buffer). A head
 * split across reads keeps a copy of the offsets found so far (`held`).
 */
const offsetScratch = new Map<number, Uint32Array>();
function sharedOffsets(size: number): Uint32Array {
  let fo = offsetScratch.get(size);
  if (fo === undefined) offsetScratch.set(size, fo = new Uint32Array(size));
  return fo;
}

/**
 * The empty list every parser starts with for held chunks and head pieces:
 * never grown (a parser takes a list of its own before its first push), so a
 * connection whose messages each come in one read never has one.
 */
const NONE: Uint8Array[] = [];

/** "HTTP/1." */
const HTTP1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];

export class H1Parser {
  private readonly isRequest: boolean;
  private readonly maxHead: number;
  private readonly maxF4: number;
  private state: S;
  /** Field offsets of the head being scanned (relative to its first byte): shared scratch, see sharedOffsets. */
  private readonly fo: Uint32Array;
  /** The offsets of a head incomplete at the end of a read, until the next read goes on with it. */
  private held: Uint32Array | undefined;
  /** Fields completed so far in the current head / trailer section. */
  private nf = 0;
  /** Start of the current head in the current chunk; -1: starts at the next byte. */
  private hs = -1;
  /** Bytes of the current head held in earlier chunks. */
  private base = 0;
  private pieces: Uint8Array[] = NONE;
  /** Bytes of leading CRLFs skipped before the request line. */
  private lead = 0;
  private trailerMode = false;
  // start line
  private vpos = 0;
  private minor: 0 | 1 = 1;
  /** The request line's version is "HTTP/d.d" with a major other than 1. */
  private otherMajor = false;
  private status = 0;
  private methodEnd = 0;
  private targetStart = 0;
  private targetEnd = 0;
  // bodies
  private remaining = 0;
  /** Made for the first chunked message. */
  private chunks: ChunkFraming | undefined;
  private tunnelAfter = false;
  // response side
  private requestMethod = "";
  // flow
  private q: Uint8Array[] = NONE;
  private qoff = 0;
  private running = false;
  private closed = false;

  constructor(side: "request" | "response", private readonly events: H1Events, limits: H1Limits = DEFAULT_LIMITS) {
    this.isRequest = side === "request";
    this.maxHead = limits.maxHeadBytes;
    this.maxF4 = limits.maxFields * 4;
    this.fo = sharedOffsets(this.maxF4);
    this.state = S.Start;
  }

  /** Bytes held and not yet scanned (pipelined messages, bytes after a response, bytes waiting for tunnel()). */
  get buffered(): number {
    let n = 0 - this.qoff;
    for (let i = 0; i < this.q.length; i++) n += this.q[i]!.length;
    const tailOf = this.tailOf;
    if (tailOf !== undefined) {
      // Inside end(): of the chunk being parsed, only what follows the message counts.
      if (this.q.length !== 0 && this.q[0] === tailOf) n -= tailOf.length - this.qoff;
      n += this.tail;
    }
    return n;
  }

  /** During an end() callback: the chunk the message ended in, and how many of its bytes follow the message. */
  private tailOf: Uint8Array | undefined;
  private tail = 0;

  /** The method of the request the next response(s) answer ("HEAD" → no body, "CONNECT" + 2xx → tunnel). */
  setRequestMethod(method: string): void {
    this.requestMethod = method;
  }

  push(chunk: Uint8Array): void {
    if (this.closed || this.state === S.Dead || chunk.length === 0) return;
    if (chunk.length <= COPY_BELOW) chunk = slabCopy(chunk);
    if (this.running || this.q.length !== 0) {
      if (this.q === NONE) this.q = [];
      this.q.push(chunk);
      this.pump();
      return;
    }
    this.running = true;
    let p: number;
    try {
      p = this.parse(chunk, 0);
    } finally {
      this.running = false;
    }
    if (this.isDead()) return;
    if (p < chunk.length) {
      if (this.q === NONE) this.q = [];
      this.q.unshift(chunk);
      this.qoff = p;
    }
    if (this.q.length !== 0 || this.closed) this.pump();
  }

  next(): void {
    const st = this.state;
    if (st === S.Dead) return;
    if (st !== S.Ended) throw new Error(`H1Parser.next() while a message is in progress`);
    this.reset();
    this.pump();
  }

  tunnel(): void {
    const st = this.state;
    if (st === S.Dead || st === S.Tunnel) return;
    if (st !== S.Ended && st !== S.WaitTunnel && !(st === S.Start && this.lead === 0)) {
      throw new Error(`H1Parser.tunnel() in the middle of a message`);
    }
    this.state = S.Tunnel;
    this.pump();
  }

  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.pump();
  }

  // ---- flow ----

  private reset(): void {
    this.state = S.Start;
    this.nf = 0;
    this.held = undefined;
    this.hs = -1;
    this.base = 0;
    if (this.pieces.length !== 0) this.pieces.length = 0;
    this.lead = 0;
    this.trailerMode = false;
    this.tunnelAfter = false;
  }

  private pump(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const st = this.state;
        if (st === S.Ended || st === S.WaitTunnel || st === S.Dead) break;
        const q = this.q;
        if (q.length !== 0) {
          const c = q[0]!;
          const p = this.parse(c, this.qoff);
          if (this.state === S.Dead) break;
          if (p >= c.length) {
            q.shift();
            this.qoff = 0;
          } else this.qoff = p;
          continue;
        }
        if (this.closed && this.onClosed()) continue;
        break;
      }
    } finally {
      this.running = false;
    }
    if (this.state === S.Dead) this.q.length = 0;
  }

  /** The peer closed and every held byte is parsed. True when an end() was emitted. */
  private onClosed(): boolean {
    switch (this.state) {
      case S.UntilClose:
        this.endMessage();
        return true;
      case S.Start:
      case S.StartLF:
      case S.Ended:
      case S.WaitTunnel:
      case S.Tunnel:
      case S.Dead:
        return false;
      default:
        this.fail("truncated");
        return false;
    }
  }

  /** Read through a method so that TypeScript does not narrow `state` across callbacks. */
  private isDead(): boolean {
    return this.state === S.Dead;
  }

  private fail(code: string, capture?: RefusedBytes): number {
    this.state = S.Dead;
    this.pieces.length = 0;
    this.held = undefined;
    const error = h1Error(code, this.isRequest);
    error.capture = capture;
    this.events.error(error);
    return -1;
  }

  /**
   * A head refused at b[p]: its bytes so far (earlier pieces, then b from the
   * head's start, up to tune.bufsize) go with the error, copied, with the
   * refused byte's offset in them. Only on this path: a head that parses
   * keeps nothing more.
   */
  private failAt(code: string, b: Uint8Array, p: number): number {
    const start = this.hs >= 0 ? this.hs : p;
    const held = this.pieces.reduce((n, piece) => n + piece.length, 0);
    const bytes = new Uint8Array(Math.min(this.maxHead, held + b.length - start));
    let o = 0;
    for (const piece of this.pieces) {
      if (o >= bytes.length) break;
      bytes.set(piece.subarray(0, bytes.length - o), o);
      o += Math.min(piece.length, bytes.length - o);
    }
    if (o < bytes.length) bytes.set(b.subarray(start, start + bytes.length - o), o);
    return this.fail(code, { bytes, position: held + p - start });
  }

  /** @param b, at the chunk the message ended in and where: what follows is already known in end() (a server's leftover bytes). */
  private endMessage(b?: Uint8Array, at = 0): void {
    this.state = this.tunnelAfter ? S.WaitTunnel : S.Ended;
    if (b === undefined) return this.events.end();
    this.tailOf = b;
    this.tail = b.length - at;
    try {
      this.events.end();
    } finally {
      this.tailOf = undefined;
      this.tail = 0;
    }
  }

  /** Parses b from p until it is consumed or the parser stops; returns where it stopped. */
  private parse(b: Uint8Array, p: number): number {
    const n = b.length;
    while (p < n) {
      switch (this.state) {
        case S.Length: {
          const ends = n - p >= this.remaining;
          p = this.counted(b, p, n);
          if (ends) this.endMessage(b, p);
          break;
        }
        case S.ChunkData:
          p = this.counted(b, p, n);
          break;
        case S.ChunkLine:
          p = this.scanChunkLine(b, p, n);
          break;
        case S.UntilClose:
        case S.Tunnel:
          this.events.data(p === 0 ? b : b.subarray(p));
          return n;
        case S.Ended:
        case S.WaitTunnel:
          return p;
        case S.Dead:
          return n;
        default:
          p = this.scanHead(b, p, n);
      }
    }
    return n;
  }

  /**
   * Emits the counted bytes due in b[p..n) (a Content-Length body or a chunk's
   * payload) and returns where they end. A chunk's payload moves the state to
   * the CRLF after it before its bytes go out, so a handler that re-enters sees
   * the parser where it will be.
   */
  private counted(b: Uint8Array, p: number, n: number): number {
    const rem = this.remaining;
    if (n - p < rem) {
      this.remaining = rem - (n - p);
      this.events.data(p === 0 ? b : b.subarray(p));
      return n;
    }
    this.remaining = 0;
    if (this.state === S.ChunkData) {
      this.state = S.ChunkLine;
      this.chunks!.afterData();
    }
    if (rem !== 0) this.events.data(p === 0 && rem === n ? b : b.subarray(p, p + rem));
    return p + rem;
  }

  // ---- heads and trailer sections ----

  private scanHead(b: Uint8Array, p: number, n: number): number {
    let st = this.state;
    if (st === S.Start || st === S.StartLF) {
      for (;;) {
        if (p >= n) {
          this.state = st;
          return p;
        }
        const c = b[p]!;
        if (st === S.StartLF) {
          if (c !== LF) return this.failAt("bare-cr", b, p);
          p++;
          st = S.Start;
        } else if (c === CR && this.isRequest) {
          if ((this.lead += 2) > this.maxHead) return this.failAt("head-too-large", b, p);
          p++;
          st = S.StartLF;
        } else if (c === LF && this.isRequest) {
          return this.failAt("bare-lf", b, p);
        } else break;
      }
      st = this.isRequest ? S.Method : S.RVersion;
      this.vpos = 0;
      this.hs = p;
    } else if (this.hs < 0) this.hs = p;

    const fo = this.fo;
    if (this.held !== undefined) {
      fo.set(this.held);
      this.held = undefined;
    }
    const tchar = TCHAR;
    const vchar = VCHAR_WS;
    let k4 = this.nf << 2;
    const delta = this.base - this.hs;
    const lim = Math.min(n, this.hs + this.maxHead - this.base);
    let c = 0;
    out: for (;;) {
      switch (st) {
        case S.Method:
          while (p < lim && tchar[b[p]!] === 1) p++;
          if (p >= lim) break out;
          if (b[p] !== SP || p + delta === 0) return this.failAt("bad-method", b, p);
          this.methodEnd = p + delta;
          p++;
          this.targetStart = p + delta;
          st = S.Target;
          continue;
        case S.Target:
          while (p < lim && TARGET[b[p]!] === 1) p++;
          if (p >= lim) break out;
          if (b[p] !== SP || p + delta === this.targetStart) return this.failAt("bad-target", b, p);
          this.targetEnd = p + delta;
          p++;
          this.vpos = 0;
          st = S.Version;
          continue;
        case S.Version:
        case S.RVersion: {
          let v = this.vpos;
          while (p < lim && v < 8) {
            c = b[p]!;
            if (v < 7) {
              if (c !== HTTP1[v]) {
                // "HTTP/2.0" and the like: well-formed, another major version (505, not 400).
                if (v === 5 && c >= 0x30 && c <= 0x39 && this.isRequest) this.otherMajor = true;
                else return this.failAt("bad-version", b, p);
              }
            } else if (this.otherMajor) {
              if (c < 0x30 || c > 0x39) return this.failAt("bad-version", b, p);
            } else if (c === 0x30) this.minor = 0;
            // 1.1, and any higher 1.x read as 1.1: the highest minor version
            // we implement (RFC 9112 §2.3).
            else if (c >= 0x31 && c <= 0x39) this.minor = 1;
            else return this.failAt("bad-version", b, p);
            v++;
            p++;
          }
          this.vpos = v;
          if (p >= lim) break out;
          c = b[p]!;
          if (st === S.Version) {
            if (c !== CR) return this.failAt(c === LF ? "bare-lf" : "bad-version", b, p);
            if (this.otherMajor) return this.failAt("version-unsupported", b, p);
            p++;
            st = S.LineLF;
            continue;
          }
          if (c !== SP) return this.failAt("bad-version", b, p);
          p++;
          this.vpos = 0;
          this.status = 0;
          st = S.Status;
          continue;
        }
        case S.Status: {
          let v = this.vpos;
          let s = this.status;
          while (p < lim && v < 3) {
            const d = b[p]! - 0x30;
            if (d < 0 || d > 9) return this.failAt("bad-status", b, p);
            s = s * 10 + d;
            v++;
            p++;
          }
          this.vpos = v;
          this.status = s;
          if (p >= lim) break out;
          if (s < 100) return this.failAt("bad-status", b, p);
          c = b[p]!;
          p++;
          if (c === SP) st = S.Reason;
          else if (c === CR) st = S.LineLF;
          else return this.failAt(c === LF ? "bare-lf" : "bad-status", b, p);
          continue;
        }
        case S.Reason:
          while (p < lim && REASON[b[p]!] === 1) p++;
          if (p >= lim) break out;
          c = b[p]!;
          if (c !== CR) return this.failAt(c === LF ? "bare-lf" : "bad-status", b, p);
          p++;
          st = S.LineLF;
          continue;
        case S.LineLF:
          if (p >= lim) break out;
          if (b[p] !== LF) return this.failAt("bare-cr", b, p);
          p++;
          st = S.FieldStart;
          continue;
        case S.FieldStart:
          if (p >= lim) break out;
          c = b[p]!;
          if (TCHAR[c] === 1) {
            if (k4 >= this.maxF4) return this.failAt("too-many-fields", b, p);
            fo[k4] = p + delta;
            p++;
            st = S.Name;
            continue;
          }
          if (c === CR) {
            p++;
            st = S.EndLF;
            continue;
          }
          if (c === SP || c === HTAB) return this.failAt("obs-fold", b, p);
          return this.failAt(c === LF ? "bare-lf" : "bad-name", b, p);
        case S.Name:
          while (p < lim && tchar[b[p]!] === 1) p++;
          if (p >= lim) break out;
          c = b[p]!;
          if (c === COLON) {
            fo[k4 + 1] = p + delta;
            p++;
            st = S.Ows;
            continue;
          }
          return this.failAt(c === SP || c === HTAB ? "space-before-colon" : "bad-name", b, p);
        case S.Ows:
          while (p < lim && ((c = b[p]!) === SP || c === HTAB)) p++;
          if (p >= lim) break out;
          c = b[p]!;
          if (FVCHAR[c] === 1) {
            fo[k4 + 2] = p + delta;
            st = S.Value;
            continue;
          }
          if (c === CR) {
            fo[k4 + 2] = fo[k4 + 3] = p + delta;
            p++;
            st = S.FieldLF;
            continue;
          }
          return this.failAt(c === LF ? "bare-lf" : "bad-value", b, p);
        case S.Value: {
          // One pass over the value (field-vchar, SP, HTAB); then trailing
          // whitespace is walked back over, within this chunk only (so each
          // byte is walked back at most once, whatever the splits).
          while (p < lim && vchar[b[p]!] === 1) p++;
          const from = fo[k4 + 2]! - delta;
          const floor = from > 0 ? from : 0;
          let e = p;
          while (e > floor && ((c = b[e - 1]!) === SP || c === HTAB)) e--;
          if (e > floor || from >= 0) fo[k4 + 3] = e + delta;
          if (p >= lim) break out;
          c = b[p]!;
          if (c === CR) {
            p++;
            st = S.FieldLF;
            continue;
          }
          return this.failAt(c === LF ? "bare-lf" : "bad-value", b, p);
        }
        case S.FieldLF:
          if (p >= lim) break out;
          if (b[p] !== LF) return this.failAt("bare-cr", b, p);
          p++;
          k4 += 4;
          st = S.FieldStart;
          continue;
        case S.EndLF:
          if (p >= lim) break out;
          if (b[p] !== LF) return this.failAt("bare-cr", b, p);
          this.nf = k4 >> 2;
          return this.complete(b, p + 1);
        default:
          throw new Error(`H1Parser: scanHead in state ${st}`);
      }
    }
    // Out of bytes (p === n), or at the size limit with more bytes to come (p === lim < n).
    if (p < n) {
      if (this.trailerMode) return this.failAt("head-too-large", b, p);
      return this.failAt(st <= S.LineLF ? "line-too-long" : "head-too-large", b, p);
    }
    this.nf = k4 >> 2;
    // The field being scanned may have its first offsets set already: kept too.
    this.held = fo.slice(0, Math.min(k4 + 4, this.maxF4));
    this.state = st;
    if (this.hs < n) {
      if (this.pieces === NONE) this.pieces = [];
      this.pieces.push(this.hs === 0 ? b : b.subarray(this.hs, n));
    }
    this.base += n - this.hs;
    this.hs = 0;
    return n;
  }

  /** A head or trailer section ends just before `end` in b. */
  private complete(b: Uint8Array, end: number): number {
    let raw: Uint8Array;
    const pieces = this.pieces;
    if (pieces.length === 0) raw = this.hs === 0 && end === b.length ? b : b.subarray(this.hs, end);
    else {
      raw = allocBytes(this.base + end);
      let o = 0;
      for (let i = 0; i < pieces.length; i++) {
        raw.set(pieces[i]!, o);
        o += pieces[i]!.length;
      }
      raw.set(end === b.length ? b : b.subarray(0, end), o);
      pieces.length = 0;
    }
    const count = this.nf;
    const fo = this.fo; // scratch: the Head keeps its own copy
    this.base = 0;
    this.hs = -1;
    this.nf = 0;

    if (this.trailerMode) {
      this.state = S.Ended; // provisional; endMessage sets the final stop
      if (count !== 0) this.events.trailers(trailerHead(this.isRequest, raw, this.minor, count, fo));
      if (this.isDead()) return -1;
      this.endMessage(b, end);
      return end;
    }

    const r = this.isRequest
      ? buildRequestHead(raw, fo, count, this.minor, methodString(raw, this.methodEnd), this.targetStart, this.targetEnd)
      : buildResponseHead(raw, fo, count, this.minor, this.status, this.requestMethod);
    // Refused as a whole (Host, Content-Length, Transfer-Encoding): where the parser decided, the head's end.
    if (typeof r === "string") return this.fail(r, { bytes: raw.slice(), position: raw.length });

    const status = this.status;
    let none = false;
    switch (r.bodyKind) {
      case BodyKind.Length:
        this.remaining = r.contentLength;
        none = r.contentLength === 0;
        this.state = S.Length;
        break;
      case BodyKind.Chunked:
        (this.chunks ??= new ChunkFraming(this.maxHead)).start();
        this.state = S.ChunkLine;
        break;
      case BodyKind.UntilClose:
        this.state = S.UntilClose;
        break;
      default:
        none = true;
        if (!this.isRequest && status < 200 && status !== 101) {
          // an interim response: the final one follows, parsed at once
          this.reset();
          this.events.head(r);
          return end;
        }
        this.tunnelAfter = !this.isRequest && (status === 101 || (this.requestMethod === "CONNECT" && status < 300));
        this.remaining = 0;
        this.state = S.Length; // ends right after head()
    }
    this.events.head(r);
    if (none && !this.isDead()) this.endMessage(b, end);
    return end;
  }

  // ---- chunked framing ----

  private scanChunkLine(b: Uint8Array, p: number, n: number): number {
    const chunks = this.chunks!;
    p = chunks.scan(b, p, n);
    if (p < 0) return this.fail(chunks.error);
    if (!chunks.done()) return p;
    if (chunks.size === 0) {
      // last-chunk: the trailer section follows
      this.trailerMode = true;
      this.hs = -1;
      this.base = 0;
      this.nf = 0;
      this.state = S.FieldStart;
    } else {
      this.remaining = chunks.size;
      this.state = S.ChunkData;
    }
    return p;
  }
}
