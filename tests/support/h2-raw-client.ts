// A raw HTTP/2 client over a real TCP socket (node:net, on Bun and Deno), for
// conformance and defence tests: it sends any frame, valid or not, in any
// order, and reads the server's frames back into a log that the expect*
// helpers scan with a deadline. It keeps exactly the state needed to read a
// server: the HPACK decoder (every field block is decoded in order, so the
// dynamic table stays in step) and the server's SETTINGS; it never checks
// what it sends, acknowledges the server's SETTINGS unless told not to, and
// otherwise does only what the test says.
import net from "node:net";
import { CONNECTION_PREFACE, ErrorCode, Flag, FRAME_HEADER_LENGTH, FrameType } from "../../src/http2/constants.ts";
import * as write from "../../src/http2/frame-writer.ts";
import { HpackDecoder, HpackEncoder } from "../../src/http2/hpack/index.ts";
import {
  codeName,
  concat,
  describeFrame,
  describeFrames,
  errorCodeOf,
  frame,
  goawayPayload,
  type HeaderField,
  latin1Bytes,
  literalBlock,
  padded,
  priorityFields,
  type RawFrame,
  settingsOf,
  u32Payload,
} from "./h2-raw-frames.ts";

export type { RawFrame } from "./h2-raw-frames.ts";

/** An expectation about the server's frames did not hold; the message lists what was received. */
export class H2ExpectationError extends Error {
  constructor(what: string, readonly seen: string) {
    super(`${what}; received: ${seen}`);
    this.name = "H2ExpectationError";
  }
}

export interface H2ClientOptions {
  host?: string;
  /** Acknowledge every SETTINGS the server sends (default true). */
  autoAckSettings?: boolean;
  connectTimeoutMs?: number;
}

export interface HeadersOptions {
  endStream?: boolean;
  endHeaders?: boolean;
  /** Pad Length octet value; with `actualPadding` the padding actually sent (a lie makes an invalid frame). */
  padLength?: number;
  actualPadding?: number;
  /** RFC 7540 priority fields (sets the PRIORITY flag). */
  priority?: { dependency: number; weight?: number; exclusive?: boolean };
  /** Further flag bits, defined or not. */
  extraFlags?: number;
}

export interface DataOptions {
  endStream?: boolean;
  padLength?: number;
  actualPadding?: number;
  extraFlags?: number;
}

/** A response as assembled from the frames of one stream. */
export interface H2Response {
  status: number;
  headers: HeaderField[];
  /** Interim (1xx) field sections before the final one. */
  informational: HeaderField[][];
  body: Uint8Array;
  trailers: HeaderField[] | undefined;
}

/** Where the connection ended: "end" (FIN), "reset" (an error such as ECONNRESET). */
export type CloseKind = "end" | "reset";

const HEADER = FRAME_HEADER_LENGTH;
const DEFAULT_WAIT_MS = 3000;

export class H2RawClient {
  /** Every frame received, in order. */
  readonly frames: RawFrame[] = [];
  /** Set once the server closed the connection (or it failed): no frame will follow. */
  closed: CloseKind | undefined;
  /** The server's SETTINGS as received so far (later values win). */
  readonly serverSettings = new Map<number, number>();
  /** An HPACK encoder for realistic field blocks (huffman, dynamic table); its state is this connection's. */
  readonly encoder = new HpackEncoder();
  /** Positions in `frames` a test noted by name (e.g. where it changed something), for its checks. */
  readonly marks = new Map<string, number>();
  /** The decoder of the server's field blocks: lower its table with setMaxTableSize when the server acknowledges such a SETTINGS. */
  readonly decoder = new HpackDecoder();
  /** The first octets received, as a byte string: shows a peer that answered something other than HTTP/2. */
  firstBytes = "";
  private pending: Uint8Array = new Uint8Array(0);
  private readonly wake = new Set<() => void>();
  private block: { opener: RawFrame; parts: Uint8Array[] } | undefined;
  private pingSeq = 0;

  private constructor(private readonly socket: net.Socket, private readonly autoAck: boolean) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("end", () => this.ended("end"));
    socket.on("close", () => this.ended("end"));
    socket.on("error", () => this.ended("reset"));
  }

  static async connect(port: number, options: H2ClientOptions = {}): Promise<H2RawClient> {
    const socket = net.connect({ port, host: options.host ?? "127.0.0.1" });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect to ${port} timed out`)), options.connectTimeoutMs ?? 3000);
      socket.once("connect", () => (clearTimeout(timer), resolve()));
      socket.once("error", (e) => (clearTimeout(timer), reject(e)));
    });
    return new H2RawClient(socket, options.autoAckSettings ?? true);
  }

  // ---- sending: anything ----

  /** Writes bytes as they are (ignored once the connection is gone: a server may close first). */
  send(...parts: Uint8Array[]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(parts.length === 1 ? parts[0]! : concat(...parts));
  }

  sendFrame(type: number, flags: number, streamId: number, payload: Uint8Array | string = new Uint8Array(0), length?: number): void {
    this.send(frame(type, flags, streamId, payload, length));
  }

  /** The 24-octet client preface alone. */
  sendPreface(): void {
    this.send(CONNECTION_PREFACE);
  }

  /** SETTINGS with these entries, values unchecked (sluice's frame writer). */
  sendSettings(list: readonly (readonly [number, number])[] = []): void {
    this.send(write.settings(list));
  }

  sendSettingsAck(): void {
    this.send(write.settingsAck());
  }

  /** A PING with 8 octets of data (distinct per call unless given); returns the data. */
  sendPing(data: Uint8Array = this.nextPingData(), ack = false): Uint8Array {
    this.send(write.ping(data, ack));
    return data;
  }

  /** HEADERS carrying `fields` as plain literals (or a ready field block), by default with END_STREAM and END_HEADERS. */
  sendHeaders(streamId: number, fields: readonly HeaderField[] | Uint8Array, o: HeadersOptions = {}): void {
    this.send(this.headersFrame(streamId, fields, o));
  }

  headersFrame(streamId: number, fields: readonly HeaderField[] | Uint8Array, o: HeadersOptions = {}): Uint8Array {
    const block = fields instanceof Uint8Array ? fields : literalBlock(fields);
    let flags = (o.endStream ?? true ? Flag.END_STREAM : 0) | (o.endHeaders ?? true ? Flag.END_HEADERS : 0) | (o.extraFlags ?? 0);
    let payload = block;
    if (o.priority !== undefined) {
      flags |= Flag.PRIORITY;
      const p = o.priority;
      payload = concat(priorityFields(p.dependency, p.weight ?? 16, p.exclusive ?? false), payload);
    }
    if (o.padLength !== undefined) {
      flags |= Flag.PADDED;
      payload = padded(payload, o.padLength, o.actualPadding);
    }
    return frame(FrameType.HEADERS, flags, streamId, payload);
  }

  sendContinuation(streamId: number, block: Uint8Array, endHeaders = true): void {
    this.sendFrame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, block);
  }

  sendData(streamId: number, body: Uint8Array | string, o: DataOptions = {}): void {
    this.send(this.dataFrame(streamId, body, o));
  }

  dataFrame(streamId: number, body: Uint8Array | string, o: DataOptions = {}): Uint8Array {
    let payload = typeof body === "string" ? latin1Bytes(body) : body;
    let flags = (o.endStream ?? true ? Flag.END_STREAM : 0) | (o.extraFlags ?? 0);
    if (o.padLength !== undefined) {
      flags |= Flag.PADDED;
      payload = padded(payload, o.padLength, o.actualPadding);
    }
    return frame(FrameType.DATA, flags, streamId, payload);
  }

  sendPriority(streamId: number, dependency: number, weight = 16, exclusive = false): void {
    this.sendFrame(FrameType.PRIORITY, 0, streamId, priorityFields(dependency, weight, exclusive));
  }

  sendRst(streamId: number, code: number = ErrorCode.CANCEL): void {
    this.sendFrame(FrameType.RST_STREAM, 0, streamId, u32Payload(code));
  }

  /** WINDOW_UPDATE with any increment, 0 included. */
  sendWindowUpdate(streamId: number, increment: number): void {
    this.sendFrame(FrameType.WINDOW_UPDATE, 0, streamId, u32Payload(increment));
  }

  sendGoaway(lastStreamId: number, code: number = ErrorCode.NO_ERROR, debug = ""): void {
    this.sendFrame(FrameType.GOAWAY, 0, 0, goawayPayload(lastStreamId, code, debug));
  }

  /** Resolves once the socket has handed everything written so far to the kernel (for floods that write much at once). */
  async flush(): Promise<void> {
    if (this.socket.destroyed || !this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => (this.socket.off("drain", done), this.socket.off("close", done), resolve());
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** Ends our side of the TCP connection. */
  close(): void {
    this.socket.destroy();
  }

  // ---- the connection preface both ways ----

  /**
   * Sends the preface and our SETTINGS, then waits for the server's SETTINGS
   * (acknowledging it) and for the acknowledgement of ours (§3.4, §6.5.3).
   * Returns the index in `frames` where the test's own exchange begins.
   */
  async handshake(settings: readonly (readonly [number, number])[] = [], timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    this.send(CONNECTION_PREFACE, write.settings(settings));
    const first = await this.until((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK), timeoutMs);
    if (typeof first !== "number") throw this.failure(`no server SETTINGS after the preface (${first})`);
    const ack = await this.until((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0, timeoutMs);
    if (typeof ack !== "number") throw this.failure(`our SETTINGS was not acknowledged (${ack})`);
    const bad = this.frames.find((f) => f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM);
    if (bad !== undefined) throw this.failure(`the handshake ended in ${describeFrame(bad)}`);
    return this.frames.length;
  }

  // ---- reading ----

  /**
   * The index of the first frame at or after `from` for which `match` holds,
   * waiting up to `timeoutMs` for more frames; "closed" when the connection
   * ended first, "timeout" when the deadline passed first.
   */
  async until(match: (f: RawFrame, index: number) => boolean, timeoutMs = DEFAULT_WAIT_MS, from = 0): Promise<number | "closed" | "timeout"> {
    const deadline = Date.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.frames.length; i++) if (match(this.frames[i]!, i)) return i;
      if (this.closed !== undefined) return "closed";
      const left = deadline - Date.now();
      if (left <= 0) return "timeout";
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.wake.add(done);
      });
    }
  }

  /** How many frames from index `from` on match (e.g. PING ACKs answered during a flood). */
  count(match: (f: RawFrame) => boolean, from = 0): number {
    let n = 0;
    for (let i = from; i < this.frames.length; i++) if (match(this.frames[i]!)) n++;
    return n;
  }

  /** Frames received from index `from` on, for messages. */
  seen(from = 0): string {
    const tail = describeFrames(this.frames.slice(from));
    return this.closed === undefined ? tail : `${tail}, then the connection closed (${this.closed})`;
  }

  failure(what: string, from = 0): H2ExpectationError {
    return new H2ExpectationError(what, this.seen(from));
  }

  /** A GOAWAY whose code is one of `codes`; returns it. Fails on another code, on a close without GOAWAY, or at the deadline. */
  async expectGoaway(codes: number | readonly number[], timeoutMs = DEFAULT_WAIT_MS, from = 0): Promise<RawFrame> {
    const want = typeof codes === "number" ? [codes] : codes;
    const at = await this.until((f) => f.type === FrameType.GOAWAY, timeoutMs, from);
    const wanted = `GOAWAY(${want.map(codeName).join(" or ")})`;
    if (typeof at !== "number") throw this.failure(`expected ${wanted}, ${at === "closed" ? "the connection closed without one" : "none came in time"}`, from);
    const f = this.frames[at]!;
    if (!want.includes(errorCodeOf(f) ?? -1)) throw this.failure(`expected ${wanted}`, from);
    return f;
  }

  /** A RST_STREAM on `streamId` whose code is one of `codes`. Fails on a GOAWAY, a close or the deadline first. */
  async expectRst(streamId: number, codes: number | readonly number[], timeoutMs = DEFAULT_WAIT_MS, from = 0): Promise<RawFrame> {
    const want = typeof codes === "number" ? [codes] : codes;
    const at = await this.until((f) => (f.type === FrameType.RST_STREAM && f.streamId === streamId) || f.type === FrameType.GOAWAY, timeoutMs, from);
    const wanted = `RST_STREAM#${streamId}(${want.map(codeName).join(" or ")})`;
    if (typeof at !== "number") throw this.failure(`expected ${wanted}, ${at === "closed" ? "the connection closed first" : "none came in time"}`, from);
    const f = this.frames[at]!;
    if (f.type !== FrameType.RST_STREAM || !want.includes(errorCodeOf(f) ?? -1)) throw this.failure(`expected ${wanted}`, from);
    return f;
  }

  /** The server closes the connection within the deadline. */
  async expectConnectionClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseKind> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === undefined) {
      if (Date.now() >= deadline) throw this.failure(`expected the connection to close within ${timeoutMs} ms`);
      await this.until(() => false, Math.max(1, deadline - Date.now()), this.frames.length);
    }
    return this.closed;
  }

  /**
   * The complete response on `streamId` (final HEADERS with :status, DATA, trailers, END_STREAM).
   * Fails on RST_STREAM on that stream, a GOAWAY with an error code, a field block the decoder refused, a close or the deadline.
   */
  async expectResponse(streamId: number, timeoutMs = DEFAULT_WAIT_MS, from = 0): Promise<H2Response> {
    const onStream = (f: RawFrame) => f.streamId === streamId;
    const at = await this.until(
      (f) =>
        (onStream(f) && (f.flags & Flag.END_STREAM) !== 0 && (f.type === FrameType.DATA || f.type === FrameType.HEADERS)) ||
        (onStream(f) && f.type === FrameType.RST_STREAM) ||
        (f.type === FrameType.GOAWAY && errorCodeOf(f) !== ErrorCode.NO_ERROR) ||
        f.hpackError !== undefined,
      timeoutMs,
      from,
    );
    if (typeof at !== "number") throw this.failure(`expected a complete response on stream ${streamId}, ${at === "closed" ? "the connection closed first" : "it did not end in time"}`, from);
    const end = this.frames[at]!;
    if (end.type === FrameType.RST_STREAM || end.type === FrameType.GOAWAY || end.hpackError !== undefined) {
      throw this.failure(`expected a complete response on stream ${streamId}`, from);
    }
    return this.assemble(streamId, from, at);
  }

  private assemble(streamId: number, from: number, to: number): H2Response {
    const r: H2Response = { status: 0, headers: [], informational: [], body: new Uint8Array(0), trailers: undefined };
    const body: Uint8Array[] = [];
    for (let i = from; i <= to; i++) {
      const f = this.frames[i]!;
      if (f.streamId !== streamId) continue;
      if (f.type === FrameType.DATA) body.push(dataContent(f));
      if (f.type !== FrameType.HEADERS || f.fields === undefined) continue;
      const status = Number(f.fields.find(([n]) => n === ":status")?.[1] ?? "0");
      if (r.status !== 0) r.trailers = f.fields;
      else if (status >= 100 && status < 200) r.informational.push(f.fields);
      else {
        r.status = status;
        r.headers = f.fields;
      }
    }
    if (r.status === 0) throw this.failure(`stream ${streamId} ended without a final :status`, from);
    r.body = concat(...body);
    return r;
  }

  /** Sends a PING and waits for its ACK (identical payload, §6.7); returns the ACK's index. */
  async roundTrip(timeoutMs = DEFAULT_WAIT_MS, from = this.frames.length): Promise<number> {
    const data = this.sendPing();
    const at = await this.until((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0 && sameBytes(f.payload, data), timeoutMs, from);
    if (typeof at !== "number") throw this.failure(`expected the ACK of our PING, ${at === "closed" ? "the connection closed first" : "none came in time"}`, from);
    return at;
  }

  /** Eight distinct octets per call. */
  nextPingData(): Uint8Array {
    const data = new Uint8Array(8);
    data.set(latin1Bytes("h2conf"));
    data[6] = ++this.pingSeq >>> 8;
    data[7] = this.pingSeq;
    return data;
  }

  // ---- the wire ----

  private receive(chunk: Buffer): void {
    if (this.firstBytes.length < 64) this.firstBytes += chunk.subarray(0, 64 - this.firstBytes.length).toString("latin1");
    this.pending = this.pending.length === 0 ? new Uint8Array(chunk) : concat(this.pending, chunk);
    let at = 0;
    const p = this.pending;
    while (p.length - at >= HEADER) {
      const length = (p[at]! << 16) | (p[at + 1]! << 8) | p[at + 2]!;
      if (p.length - at < HEADER + length) break;
      const streamId = ((p[at + 5]! << 24) | (p[at + 6]! << 16) | (p[at + 7]! << 8) | p[at + 8]!) & 0x7fffffff;
      const f: RawFrame = { type: p[at + 3]!, flags: p[at + 4]!, streamId, payload: p.slice(at + HEADER, at + HEADER + length) };
      at += HEADER + length;
      this.frames.push(f);
      this.track(f);
    }
    this.pending = p.subarray(at);
    if (at > 0) this.notify();
  }

  /** Keeps the HPACK context in step and the server's settings; acknowledges its SETTINGS. */
  private track(f: RawFrame): void {
    if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) {
      for (const [id, value] of settingsOf(f)) this.serverSettings.set(id, value);
      if (this.autoAck) this.sendSettingsAck();
      return;
    }
    if (f.type === FrameType.HEADERS || f.type === FrameType.PUSH_PROMISE) {
      this.block = { opener: f, parts: [blockFragment(f)] };
    } else if (f.type === FrameType.CONTINUATION && this.block !== undefined) {
      this.block.parts.push(f.payload);
    } else {
      return;
    }
    if (!(f.flags & Flag.END_HEADERS)) return;
    const { opener, parts } = this.block!;
    this.block = undefined;
    try {
      opener.fields = this.decoder.decode(concat(...parts));
    } catch (e) {
      opener.hpackError = (e as Error).message;
      if (f !== opener) f.hpackError = opener.hpackError;
    }
  }

  private ended(kind: CloseKind): void {
    if (this.closed === undefined) this.closed = kind;
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.wake]) w();
  }
}

/** A field block fragment without padding and priority fields (HEADERS) or the promised stream id (PUSH_PROMISE). */
function blockFragment(f: RawFrame): Uint8Array {
  let p = f.payload;
  let padLength = 0;
  if (f.flags & Flag.PADDED) {
    padLength = p[0] ?? 0;
    p = p.subarray(1);
  }
  if (f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY) p = p.subarray(5);
  if (f.type === FrameType.PUSH_PROMISE) p = p.subarray(4);
  return p.subarray(0, Math.max(0, p.length - padLength));
}

/** A DATA frame's content, padding removed. */
export function dataContent(f: RawFrame): Uint8Array {
  if (!(f.flags & Flag.PADDED)) return f.payload;
  const padLength = f.payload[0] ?? 0;
  return f.payload.subarray(1, Math.max(1, f.payload.length - padLength));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
