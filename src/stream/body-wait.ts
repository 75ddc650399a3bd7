// A message body held while rules wait for it (`option http-buffer-request`,
// `http-request wait-for-body`: the request's, before the request stage
// decides; `http-response wait-for-body`: the server's, before the response
// rules go on). What comes after the head is kept here, in order, then passed
// on as if it had just come. The rules see at most `room` bytes of it
// (tune.bufsize − tune.maxrewrite, HAProxy's buffer less its reserve): the
// wait ends when that much is held, so no more than one read past it is ever
// kept.
import type { Head } from "../http/message.ts";
import type { BodyWanted, HeldBody } from "../rules/types.ts";

/** Where the held body goes once the stage has decided (the stream's request sink). */
export interface BodySink {
  requestData(chunk: Uint8Array): void;
  requestTrailers(trailers: Head): void;
  requestEnd(): void;
}

export class BodyWait implements HeldBody {
  /** What the client sent after its head, copied (a mux's chunk may be a view of a buffer it reuses). */
  private readonly held: Uint8Array[] = [];
  /** Bytes received so far, held for the rules or beyond their room. */
  received = 0;
  /** The message's end came (trailers and all). */
  ended = false;
  /** The client went away (or ended its side) before the body was whole: nothing more will come. */
  private gone = false;
  private trailers: Head | undefined;
  private joined: Uint8Array | undefined;
  private asText: string | undefined;
  /** When the current wait gives up (monotonic ms; Infinity: only the client's inactivity ends it). */
  deadline = Infinity;

  constructor(
    /** The announced Content-Length, or -1. */
    readonly declared: number,
    /** The most bytes the rules see, and the held amount that ends a wait. */
    private readonly room: number,
  ) {}

  /** Bytes the rules see. */
  get length(): number {
    return this.received < this.room ? this.received : this.room;
  }

  /** A wait begins (or goes on at a later rule): its own time limit, from `now`. */
  waitFor(wanted: BodyWanted, now: number): void {
    this.deadline = wanted.timeMs > 0 ? now + wanted.timeMs : Infinity;
  }

  /** HAProxy's http_wait_for_msg_body: the whole body, a full buffer, or `at-least` bytes. */
  ready(wanted: BodyWanted): boolean {
    const n = this.received;
    return this.ended || this.gone || n >= this.room || (wanted.atLeast > 0 && n >= wanted.atLeast);
  }

  data(chunk: Uint8Array): void {
    this.held.push(chunk.slice());
    this.received += chunk.length;
    this.joined = undefined;
    this.asText = undefined;
  }

  end(trailers?: Head): void {
    this.ended = true;
    if (trailers !== undefined) this.trailers = trailers;
  }

  /** HAProxy stops waiting when the client shuts its side (CF_SHUTR): the rules decide on what came. */
  clientGone(): void {
    this.gone = true;
  }

  setTrailers(trailers: Head): void {
    this.trailers = trailers;
  }

  bytes(): Uint8Array {
    if (this.joined !== undefined) return this.joined;
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.held) {
      if (at >= out.length) break;
      const part = chunk.length <= out.length - at ? chunk : chunk.subarray(0, out.length - at);
      out.set(part, at);
      at += part.length;
    }
    return (this.joined = out);
  }

  text(): string {
    if (this.asText !== undefined) return this.asText;
    const bytes = this.bytes();
    let s = "";
    // One character per byte (latin1), by slices: fromCharCode takes a bounded argument list.
    for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
    return (this.asText = s);
  }

  /** What came, in order (a response's is passed on by its stream). */
  get chunks(): readonly Uint8Array[] {
    return this.held;
  }

  /** Everything held goes to the stream, in the order it came (the holder keeps it for the fetches that read it later: the log). */
  replay(sink: BodySink): void {
    for (const chunk of this.held) sink.requestData(chunk);
    if (this.trailers !== undefined) sink.requestTrailers(this.trailers);
    if (this.ended) sink.requestEnd();
  }
}
