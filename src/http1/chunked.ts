// The chunked transfer coding's framing (RFC 9112 §7.1), for H1Parser: the
// chunk-size lines with their extensions (checked, then dropped) and the CRLF
// after each chunk's data. Resumable like the parser: a byte is looked at once,
// whatever the splits. The data itself and the trailer section are the
// parser's business.

import { BACKSLASH, CR, DQUOTE, EQUALS, HEXVAL, HTAB, LF, QDTEXT, QPAIR, SEMI, SP, TCHAR } from "./chars.ts";

const enum C {
  // chunk-size line; every state up to LF counts towards the line limit
  Size,
  SizeWs,
  Ext0,
  ExtName,
  ExtNameWs,
  ExtVal0,
  ExtToken,
  ExtQuoted,
  ExtQuotedEsc,
  ExtAfterQuoted,
  ExtValWs,
  LF,
  // after a chunk's data
  DataCR,
  DataLF,
  // a chunk-size line was read; `size` holds its value
  Done,
}

/** Largest chunk size that can take one more hex digit and stay ≤ 2^53 - 1. */
const CHUNK_SIZE_MAX_PREFIX = 0x1ffffffffffff;

export class ChunkFraming {
  private st = C.Size;
  /** The chunk size read so far; once a line is done, the chunk's size (0: last-chunk). */
  size = 0;
  private digits = 0;
  /** Bytes of the current chunk-size line so far. */
  private line = 0;
  /** Why scan() returned -1: an H1Error code. */
  error = "";

  /** `maxLine`: the longest chunk-size line, extensions included (tune.bufsize). */
  constructor(private readonly maxLine: number) {}

  /** A chunked body begins: its first chunk-size line is next. */
  start(): void {
    this.st = C.Size;
    this.size = 0;
    this.digits = 0;
    this.line = 0;
  }

  /** A chunk's data has been passed on: its CRLF, then the next chunk-size line, are next. */
  afterData(): void {
    this.st = C.DataCR;
  }

  /** True once scan() has read a whole chunk-size line (until start() or afterData()). */
  done(): boolean {
    return this.st === C.Done;
  }

  /**
   * Scans b from p (p < n). Returns the position just after a chunk-size
   * line's LF (done() is then true and `size` the chunk's size), n when
   * every byte was consumed without completing one, or -1 when the bytes are
   * not valid chunked framing (`error` says why).
   */
  scan(b: Uint8Array, p: number, n: number): number {
    let st = this.st;
    let size = this.size;
    let digits = this.digits;
    let line = this.line;
    const maxLine = this.maxLine;
    while (p < n) {
      const c = b[p]!;
      if (st <= C.LF && ++line > maxLine) return this.fail(st === C.Size ? "chunk-size" : "chunk-ext");
      switch (st) {
        case C.Size: {
          const v = HEXVAL[c]!;
          if (v !== 255) {
            if (size > CHUNK_SIZE_MAX_PREFIX) return this.fail("chunk-size");
            size = size * 16 + v;
            digits++;
            p++;
            continue;
          }
          if (digits === 0) return this.fail("chunk-size");
          p++;
          if (c === CR) st = C.LF;
          else if (c === SEMI) st = C.Ext0;
          else if (c === SP || c === HTAB) st = C.SizeWs;
          else return this.fail(c === LF ? "bare-lf" : "chunk-size");
          continue;
        }
        case C.SizeWs:
          p++;
          if (c === SEMI) st = C.Ext0;
          else if (c !== SP && c !== HTAB) return this.fail("chunk-size");
          continue;
        case C.Ext0:
          p++;
          if (TCHAR[c] === 1) st = C.ExtName;
          else if (c !== SP && c !== HTAB) return this.fail("chunk-ext");
          continue;
        case C.ExtName:
          p++;
          if (TCHAR[c] === 1) continue;
          if (c === EQUALS) st = C.ExtVal0;
          else if (c === SEMI) st = C.Ext0;
          else if (c === SP || c === HTAB) st = C.ExtNameWs;
          else if (c === CR) st = C.LF;
          else return this.fail(c === LF ? "bare-lf" : "chunk-ext");
          continue;
        case C.ExtNameWs:
          p++;
          if (c === EQUALS) st = C.ExtVal0;
          else if (c === SEMI) st = C.Ext0;
          else if (c !== SP && c !== HTAB) return this.fail("chunk-ext");
          continue;
        case C.ExtVal0:
          p++;
          if (TCHAR[c] === 1) st = C.ExtToken;
          else if (c === DQUOTE) st = C.ExtQuoted;
          else if (c !== SP && c !== HTAB) return this.fail("chunk-ext");
          continue;
        case C.ExtToken:
          p++;
          if (TCHAR[c] === 1) continue;
          if (c === SEMI) st = C.Ext0;
          else if (c === SP || c === HTAB) st = C.ExtValWs;
          else if (c === CR) st = C.LF;
          else return this.fail(c === LF ? "bare-lf" : "chunk-ext");
          continue;
        case C.ExtQuoted:
          p++;
          if (c === DQUOTE) st = C.ExtAfterQuoted;
          else if (c === BACKSLASH) st = C.ExtQuotedEsc;
          else if (QDTEXT[c] !== 1) return this.fail("chunk-ext");
          continue;
        case C.ExtQuotedEsc:
          p++;
          if (QPAIR[c] !== 1) return this.fail("chunk-ext");
          st = C.ExtQuoted;
          continue;
        case C.ExtAfterQuoted:
          p++;
          if (c === SEMI) st = C.Ext0;
          else if (c === SP || c === HTAB) st = C.ExtValWs;
          else if (c === CR) st = C.LF;
          else return this.fail(c === LF ? "bare-lf" : "chunk-ext");
          continue;
        case C.ExtValWs:
          p++;
          if (c === SEMI) st = C.Ext0;
          else if (c !== SP && c !== HTAB) return this.fail("chunk-ext");
          continue;
        case C.LF:
          if (c !== LF) return this.fail("bare-cr");
          this.st = C.Done;
          this.size = size;
          this.line = 0;
          return p + 1;
        case C.DataCR:
          if (c !== CR) return this.fail(c === LF ? "bare-lf" : "chunk-crlf");
          p++;
          st = C.DataLF;
          continue;
        case C.DataLF:
          if (c !== LF) return this.fail("bare-cr");
          p++;
          st = C.Size;
          size = 0;
          digits = 0;
          line = 0;
          continue;
        default:
          throw new Error(`ChunkFraming: scan in state ${st}`);
      }
    }
    this.st = st;
    this.size = size;
    this.digits = digits;
    this.line = line;
    return n;
  }

  private fail(code: string): number {
    this.error = code;
    return -1;
  }
}
