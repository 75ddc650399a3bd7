// H2ClientConnection: one HTTP/2 connection to a server (RFC 9113), carrying
// the streams of many sessions at once. It owns the preface and SETTINGS
// exchange, stream ids, both directions of flow control, PING, GOAWAY in both
// directions, RST_STREAM, and HPACK state; errors are answered as §5.4 says.
// Pure: a runtime Socket in, events out; the pool decides who gets a stream.
import { BUILTIN } from "../config/types.ts";
import { nextBackendConnId } from "../conn/ids.ts";
import type { ClientMuxBase, ExchangeEvents, MuxConn, OutgoingRequest, Owner } from "../conn/types.ts";
import type { Socket, Timers } from "../runtime/types.ts";
import { H2ClientStream, type H2StreamEvents, type StreamHost } from "./client-stream.ts";
import { CONNECTION_PREFACE, DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_MAX_FRAME_SIZE, ErrorCode, errorCodeName, FrameType, MAX_STREAM_ID, MAX_WINDOW_SIZE, SettingId } from "./constants.ts";
import { H2ConnectionError, type H2Error, H2StreamError } from "./errors.ts";
import { FrameReader } from "./frame-reader.ts";
import * as write from "./frame-writer.ts";
import type { Frame } from "./frames.ts";
import { H2Exchange } from "./exchange.ts";
import { type HeaderField, HeaderListTooLarge, HpackDecoder, HpackEncoder } from "./hpack/index.ts";

export interface H2ClientOptions {
  /** Streams allowed before the server's SETTINGS arrive (tune.h2.be.max-concurrent-streams). */
  localMaxStreams: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** Our receive window for the whole connection. */
  connectionWindow: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce. */
  maxHeaderListSize: number;
  /** Streams this connection may carry in its life (max-reuse); -1 unlimited. */
  maxReuse: number;
}

/** The configuration's defaults (config/types.ts: BUILTIN): what a server line without tuning gets. */
export const DEFAULT_H2_CLIENT_OPTIONS: H2ClientOptions = {
  localMaxStreams: BUILTIN.global.h2BackendMaxConcurrentStreams,
  ...BUILTIN.h2Backend,
  maxReuse: -1,
};

export interface H2ConnectionEvents {
  /** The number of free stream slots may have changed (a stream ended, SETTINGS or GOAWAY arrived). */
  slots(conn: H2ClientConnection): void;
  /** The connection is closed; every stream was told. */
  closed(conn: H2ClientConnection, error: Error | undefined): void;
}

export class H2ClientConnection implements StreamHost, MuxConn, ClientMuxBase {
  readonly id = nextBackendConnId();
  readonly multiplexed = true;
  /** Nothing client-dependent is sent on an HTTP/2 connection yet (send-proxy, SNI come with TLS). */
  readonly key = "";
  /** Never: a multiplexed connection is shared, so connection-based auth cannot hold on it (invariant 5). */
  readonly authenticates = false;
  // For the pools (MuxConn): never private through connection auth (invariant 5).
  owner: Owner | undefined;
  reservedBy: Owner | undefined;
  private readonly reader: FrameReader;
  private readonly encoder = new HpackEncoder();
  private readonly decoder: HpackDecoder;
  private readonly streams = new Map<number, H2ClientStream>();
  private nextStreamId = 1;
  /** Streams opened in this connection's life. */
  opened = 0;
  // The peer's settings (before its SETTINGS: our local stream limit, RFC defaults otherwise).
  private peerMaxStreams: number;
  private peerInitialWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private peerMaxHeaderList = Infinity;
  /** The server's SETTINGS arrived. */
  settled = false;
  private connSendWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private connRecvWindow: number;
  private connUnacked = 0;
  private socketBlocked = false;
  /** GOAWAY received: no new streams; the last stream id the server may process. */
  goingAway = false;
  private lastProcessed = MAX_STREAM_ID;
  /** We sent GOAWAY (stop, reload, error). */
  private goawaySent = false;
  closed = false;
  /** A PING of ours waits for its ACK. */
  private pingOut = false;

  constructor(
    private readonly socket: Socket,
    private readonly events: H2ConnectionEvents,
    /** The runtime's end of the turn, where gathered frames are written. */
    private readonly timers: Pick<Timers, "defer">,
    private readonly options: H2ClientOptions = DEFAULT_H2_CLIENT_OPTIONS,
  ) {
    this.peerMaxStreams = options.localMaxStreams;
    this.connRecvWindow = options.connectionWindow;
    this.decoder = new HpackDecoder({ maxHeaderListSize: options.maxHeaderListSize });
    this.reader = new FrameReader({ frame: (f) => this.guarded(f), error: (e) => this.onError(e) }, {
      role: "client",
      preface: true,
      maxHeaderBlockSize: options.maxHeaderListSize,
    });
    socket.events = {
      data: (chunk) => this.onChunk(chunk),
      drain: () => this.onDrain(),
      end: () => this.onClose(undefined),
      close: (error) => this.onClose(error),
    };
  }

  /** The preface, our SETTINGS and the connection window we grant; `early`: bytes the server sent before this connection took its socket. */
  start(early: readonly Uint8Array[] = []): void {
    const o = this.options;
    this.send(CONNECTION_PREFACE);
    this.send(write.settings([
      [SettingId.ENABLE_PUSH, 0],
      [SettingId.MAX_CONCURRENT_STREAMS, 0],
      [SettingId.INITIAL_WINDOW_SIZE, o.streamWindow],
      [SettingId.MAX_HEADER_LIST_SIZE, o.maxHeaderListSize],
    ]));
    if (o.connectionWindow > DEFAULT_INITIAL_WINDOW_SIZE) {
      this.send(write.windowUpdate(0, o.connectionWindow - DEFAULT_INITIAL_WINDOW_SIZE));
    }
    // The server's first bytes (its SETTINGS) are read only now: their ACK must follow our preface, never precede it (RFC 9113 §3.4).
    for (const chunk of early) this.onChunk(chunk);
  }

  get sourceAddress(): string {
    return this.socket.localAddress;
  }

  get sourcePort(): number {
    return this.socket.localPort;
  }

  /** Streams that may start now: min(peer's limit − open, ids left, max-reuse budget); 0 once going away. */
  get freeSlots(): number {
    if (this.closed || this.goingAway || this.goawaySent) return 0;
    const idsLeft = Math.floor((MAX_STREAM_ID - this.nextStreamId) / 2) + 1;
    let free = Math.min(this.peerMaxStreams - this.streams.size, idsLeft);
    if (this.options.maxReuse >= 0) free = Math.min(free, this.options.maxReuse - this.opened);
    return Math.max(0, free);
  }

  /** Streams open now. */
  get activeStreams(): number {
    return this.streams.size;
  }

  get usedStreams(): number {
    return this.streams.size;
  }

  get carried(): number {
    return this.opened;
  }

  /** One exchange on a new stream, or 431 when its header list is above the server's limit (nothing sent). */
  attach(request: OutgoingRequest, events: ExchangeEvents): H2Exchange | 431 {
    return H2Exchange.open(this, request, events);
  }

  /** Opens a stream with its request header list; the caller checked freeSlots. Throws HeaderListTooLarge above the server's limit. */
  open(fields: readonly HeaderField[], endStream: boolean, events: H2StreamEvents): H2ClientStream {
    if (this.freeSlots <= 0) throw new Error(`H2ClientConnection #${this.id}: no free stream slot`);
    let size = 0;
    for (const [n, v] of fields) size += n.length + v.length + 32;
    // Never sent: the server would refuse it (RFC 9113 §10.5.1); the caller answers for it.
    if (size > this.peerMaxHeaderList) throw new HeaderListTooLarge(size, this.peerMaxHeaderList);
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    this.opened++;
    const stream = new H2ClientStream(id, this, events, this.peerInitialWindow, this.options.streamWindow);
    this.streams.set(id, stream);
    const block = this.encoder.encode(fields);
    this.send(write.headers(id, block, endStream, this.peerMaxFrame));
    if (endStream) stream.localDone = true;
    return stream;
  }

  /** Sends a PING; false if one is already out (its ACK proves the connection alive). */
  ping(): boolean {
    if (this.closed || this.pingOut) return false;
    this.pingOut = true;
    this.send(write.ping(new Uint8Array(8)));
    return true;
  }

  /** A PING we sent is still unanswered. */
  get pingPending(): boolean {
    return this.pingOut;
  }

  /** Stop or reload: GOAWAY (no stream of the server's: last id 0); the connection closes once its streams are done. */
  shutdown(): void {
    if (this.closed || this.goawaySent) return;
    this.goawaySent = true;
    this.send(write.goaway(0, ErrorCode.NO_ERROR));
    this.events.slots(this);
    if (this.streams.size === 0) this.close();
  }

  /** Closes now: every open stream is reset (retryable only if the server cannot have seen it). */
  close(error?: Error): void {
    if (this.closed) return;
    this.flushOut();
    this.closed = true;
    this.reader.close();
    this.socket.destroy();
    this.failStreams(ErrorCode.CANCEL, false);
    this.events.closed(this, error);
  }

  // ---- StreamHost ----

  sendData(s: H2ClientStream): void {
    if (this.closed || s.closed) return;
    while (s.pending.length !== 0 && !this.socketBlocked) {
      const room = Math.min(s.sendWindow, this.connSendWindow, this.peerMaxFrame);
      if (room <= 0) return;
      const head = s.pending[0]!;
      const n = Math.min(room, head.length);
      const last = n === head.length && s.pending.length === 1;
      const chunk = n === head.length ? head : head.subarray(0, n);
      if (n === head.length) s.pending.shift();
      else s.pending[0] = head.subarray(n);
      s.pendingBytes -= n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
      const end = last && s.endPending;
      this.send(write.data(s.id, chunk, end, this.peerMaxFrame));
      if (end) this.localEnded(s);
    }
    if (s.pending.length === 0 && s.endPending && !s.localDone) {
      this.send(write.data(s.id, new Uint8Array(0), true));
      this.localEnded(s);
    }
  }

  sendTrailers(s: H2ClientStream, fields: readonly HeaderField[]): void {
    // Trailers follow the body: they wait until every pending byte went out.
    if (s.pending.length !== 0) {
      s.endPending = false;
      this.trailersAfter.set(s, fields);
      return;
    }
    this.send(write.headers(s.id, this.encoder.encode(fields), true, this.peerMaxFrame));
    this.localEnded(s);
  }

  private readonly trailersAfter = new Map<H2ClientStream, readonly HeaderField[]>();

  cancel(s: H2ClientStream, code: number): void {
    if (s.closed) return;
    this.send(write.rstStream(s.id, code));
    this.forget(s);
  }

  consumed(s: H2ClientStream, n: number): void {
    s.unacked += n;
    // Given back in halves: one WINDOW_UPDATE per half window, not per chunk.
    if (s.unacked >= this.options.streamWindow / 2 && !s.remoteDone) {
      this.send(write.windowUpdate(s.id, s.unacked));
      s.recvWindow += s.unacked;
      s.unacked = 0;
    }
  }

  // ---- frames from the server ----

  /**
   * One received chunk: its frames, then one flush per stream they reached,
   * so a response's head and body (often one chunk) leave in one write to
   * its client, not one per frame.
   */
  private onChunk(chunk: Uint8Array): void {
    this.reader.push(chunk);
    const touched = this.touched;
    if (touched.length === 0) return;
    for (let i = 0; i < touched.length; i++) {
      const s = touched[i]!;
      s.touched = false;
      s.events.flush();
    }
    touched.length = 0;
  }

  private readonly touched: H2ClientStream[] = [];

  private touch(s: H2ClientStream): void {
    if (s.touched) return;
    s.touched = true;
    this.touched.push(s);
  }

  /** Frame handlers throw the protocol errors they find; they end here. */
  private guarded(f: Frame): void {
    try {
      this.onFrame(f);
    } catch (e) {
      if (e instanceof H2ConnectionError || e instanceof H2StreamError) this.onError(e);
      else throw e;
    }
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.SETTINGS:
        return f.ack ? undefined : this.onSettings(f.settings);
      case FrameType.HEADERS:
        return this.onHeaders(f.streamId, f.fragment, f.endStream);
      case FrameType.DATA:
        return this.onData(f.streamId, f.data, f.endStream, f.flowLength);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(f.streamId, f.increment);
      case FrameType.RST_STREAM: {
        const s = this.streams.get(f.streamId);
        if (s === undefined) return this.checkIdle(f.streamId);
        this.forget(s);
        s.events.reset(f.errorCode, f.errorCode === ErrorCode.REFUSED_STREAM);
        return;
      }
      case FrameType.PING:
        if (f.ack) this.pingOut = false;
        else this.send(write.ping(f.data, true));
        return;
      case FrameType.GOAWAY:
        return this.onGoaway(f.lastStreamId, f.errorCode);
      case FrameType.PUSH_PROMISE:
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE after SETTINGS_ENABLE_PUSH = 0");
      default:
        // PRIORITY, unknown extension frames: nothing to do (§5.3.2, §5.5).
        return;
    }
  }

  private onSettings(list: readonly (readonly [number, number])[]): void {
    for (const [id, value] of list) {
      switch (id) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerMaxTableSize(value);
          break;
        case SettingId.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = value;
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          // §6.9.2: every stream's window moves by the difference, and may go negative.
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW_SIZE) {
              throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `stream ${s.id}'s window above 2^31-1 after SETTINGS`);
            }
          }
          break;
        }
        case SettingId.MAX_FRAME_SIZE:
          this.peerMaxFrame = value;
          break;
        case SettingId.MAX_HEADER_LIST_SIZE:
          this.peerMaxHeaderList = value;
          break;
      }
    }
    this.send(write.settingsAck());
    this.settled = true;
    this.flushAll();
    this.events.slots(this);
  }

  private onHeaders(id: number, block: Uint8Array, endStream: boolean): void {
    // Decoded whatever the stream's state: the HPACK table must stay in step (§4.3).
    let fields: HeaderField[];
    try {
      fields = this.decoder.decode(block);
    } catch (e) {
      if (e instanceof HeaderListTooLarge) throw new H2StreamError(id, ErrorCode.PROTOCOL_ERROR, e.message);
      throw new H2ConnectionError(ErrorCode.COMPRESSION_ERROR, (e as Error).message);
    }
    const s = this.streams.get(id);
    if (s === undefined) return this.checkIdle(id);
    if (s.remoteDone) throw new H2StreamError(id, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    const interim = !s.responded && fields.some(([n, v]) => n === ":status" && v.length === 3 && v[0] === "1");
    if (!interim) {
      if (s.responded && !endStream) throw new H2StreamError(id, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
      s.responded = true;
    } else if (endStream) {
      throw new H2StreamError(id, ErrorCode.PROTOCOL_ERROR, "an informational response with END_STREAM");
    }
    if (endStream) this.remoteEnded(s);
    this.touch(s);
    s.events.headers(fields, endStream);
  }

  private onData(id: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.connRecvWindow -= flowLength;
    if (this.connRecvWindow < 0) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    // The connection's window is given back at once (each stream's own window bounds what waits here).
    this.connUnacked += flowLength;
    if (this.connUnacked >= this.options.connectionWindow / 2) {
      this.send(write.windowUpdate(0, this.connUnacked));
      this.connRecvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
    const s = this.streams.get(id);
    if (s === undefined) return this.checkIdle(id);
    if (s.remoteDone) throw new H2StreamError(id, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM");
    if (!s.responded) throw new H2StreamError(id, ErrorCode.PROTOCOL_ERROR, "DATA before the response's HEADERS");
    s.recvWindow -= flowLength;
    if (s.recvWindow < 0) throw new H2StreamError(id, ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream's window");
    // Padding is never handed on: its window comes back now.
    if (flowLength > data.length) s.unacked += flowLength - data.length;
    if (endStream) this.remoteEnded(s);
    if (data.length !== 0 || endStream) {
      this.touch(s);
      s.events.data(data, endStream);
    }
  }

  private onWindowUpdate(id: number, increment: number): void {
    if (id === 0) {
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_SIZE) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window above 2^31-1");
      return this.flushAll();
    }
    const s = this.streams.get(id);
    if (s === undefined) return this.checkIdle(id);
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_SIZE) throw new H2StreamError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window above 2^31-1");
    this.flush(s);
  }

  private onGoaway(lastStreamId: number, code: number): void {
    this.goingAway = true;
    this.lastProcessed = Math.min(this.lastProcessed, lastStreamId);
    // Streams above the last id were never processed: their users may send them again elsewhere.
    for (const s of [...this.streams.values()]) {
      if (s.id > this.lastProcessed) {
        this.forget(s);
        s.events.reset(ErrorCode.REFUSED_STREAM, true);
      }
    }
    this.events.slots(this);
    if (code !== ErrorCode.NO_ERROR || this.streams.size === 0) {
      if (this.streams.size === 0) this.close(code === ErrorCode.NO_ERROR ? undefined : new Error(`GOAWAY ${errorCodeName(code)}`));
    }
  }

  /** A frame for a stream we do not have: one we closed is fine; one never opened is a connection error (§5.1). */
  private checkIdle(id: number): void {
    if (id >= this.nextStreamId || id % 2 === 0) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `frame on stream ${id}, which was never opened`);
    }
  }

  // ---- errors, ends ----

  private onError(e: H2Error): void {
    if (e instanceof H2StreamError) {
      const s = this.streams.get(e.streamId);
      this.send(write.rstStream(e.streamId, e.code));
      if (s !== undefined) {
        this.forget(s);
        s.events.reset(e.code, false);
      }
      return;
    }
    this.fail(e);
  }

  private fail(e: H2ConnectionError): void {
    if (this.closed) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.send(write.goaway(0, e.code, e.detail));
    }
    this.close(e);
  }

  /** The server closed (or the socket failed): as close(); streams above a GOAWAY's last id were told already. */
  private onClose(error: Error | undefined): void {
    this.close(error);
  }

  private failStreams(code: number, retryable: boolean): void {
    for (const s of [...this.streams.values()]) {
      this.forget(s);
      s.events.reset(code, retryable);
    }
  }

  private localEnded(s: H2ClientStream): void {
    s.localDone = true;
    s.endPending = false;
    if (s.remoteDone) this.forget(s);
  }

  private remoteEnded(s: H2ClientStream): void {
    s.remoteDone = true;
    if (s.localDone) this.forget(s);
  }

  private forget(s: H2ClientStream): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s.id);
    this.trailersAfter.delete(s);
    if (this.closed) return;
    if ((this.goingAway || this.goawaySent) && this.streams.size === 0) return this.close();
    this.events.slots(this);
  }

  // ---- sending ----

  /**
   * Frames are gathered and written once per turn of the event loop: the
   * streams of many client connections, each waking in its own callback,
   * share one write (measured: one write per frame was half the proxy's time).
   */
  private send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.timers.defer(this.flushOut);
    }
  }

  private out: Uint8Array[] = [];
  private outBytes = 0;
  private flushQueued = false;

  private readonly flushOut = (): void => {
    this.flushQueued = false;
    if (this.closed || this.out.length === 0) return;
    let bytes: Uint8Array;
    if (this.out.length === 1) bytes = this.out[0]!;
    else {
      bytes = new Uint8Array(this.outBytes);
      let at = 0;
      for (const b of this.out) {
        bytes.set(b, at);
        at += b.length;
      }
    }
    this.out = [];
    this.outBytes = 0;
    if (!this.socket.write(bytes)) this.socketBlocked = true;
  };

  private onDrain(): void {
    this.socketBlocked = false;
    this.flushAll();
  }

  private flush(s: H2ClientStream): void {
    this.sendData(s);
    const trailers = this.trailersAfter.get(s);
    if (trailers !== undefined && s.pending.length === 0) {
      this.trailersAfter.delete(s);
      this.sendTrailers(s, trailers);
    }
    if (s.wantsDrain && s.pending.length === 0 && !s.closed) {
      s.wantsDrain = false;
      s.events.drain();
    }
  }

  private flushAll(): void {
    for (const s of [...this.streams.values()]) {
      if (this.socketBlocked || this.connSendWindow <= 0) return;
      if (s.pending.length !== 0 || s.wantsDrain) this.flush(s);
    }
  }
}
