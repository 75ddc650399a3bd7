// H2ServerConnection: the server-side HTTP/2 mux (RFC 9113), one client
// connection carrying many request streams at once. It reads the client's
// preface and SETTINGS, announces ours, keeps the stream table and both
// directions of flow control, answers PING, applies RST_STREAM both ways,
// goes away gracefully (GOAWAY with the last stream taken, then close once
// the open ones end), and answers errors as §5.4 says: a stream error resets
// one stream, a connection error sends GOAWAY and closes. Frames are gathered
// and written once per turn of the event loop, as the client side does.
// Defences: the glitch counter (glitches.ts), the field block's size and
// CONTINUATION count, the decoded header list's size, the stream limit.
import type { MultiplexedMuxEvents, MultiplexedServerMux } from "../conn/server-mux.ts";
import type { Head } from "../http/message.ts";
import type { Socket } from "../runtime/types.ts";
import { DEFAULT_HEADER_TABLE_SIZE, DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_MAX_FRAME_SIZE, ErrorCode, errorCodeName, FrameType, MAX_WINDOW_SIZE, SettingId } from "./constants.ts";
import { ClosedStreams } from "./closed-streams.ts";
import { H2ConnectionError, type H2Error, H2StreamError } from "./errors.ts";
import { FrameOutput } from "./frame-output.ts";
import { FrameReader } from "./frame-reader.ts";
import { ResponseHeadEncoder } from "./head-encoder.ts";
import * as write from "./frame-writer.ts";
import type { Frame } from "./frames.ts";
import { GlitchCounter } from "./glitches.ts";
import { type HeaderField, HeaderListTooLarge, HpackDecoder, HpackEncoder } from "./hpack/index.ts";
import { KNOWN_STATIC, requestHead, TooManyFields } from "./request-head.ts";
import { type H2ServerOptions, type H2ServerTimers, isShutdownPing, MAX_STREAM_ID, SHUTDOWN_PING, SHUTDOWN_PING_WAIT_MS } from "./server-options.ts";
import { H2ServerStream, type ServerStreamHost } from "./server-stream.ts";
import { endOnLastFrame, queueBlock, queueData, queueHead } from "./stream-frames.ts";
import { malformed, MalformedFields, trailersHead } from "./translate.ts";
export type { H2ServerOptions, H2ServerTimers } from "./server-options.ts";

/** How long reading pauses after each chunk once the glitch counter is past half its threshold. */
const THROTTLE_MS = 50;
const EMPTY = new Uint8Array(0);

export class H2ServerConnection implements MultiplexedServerMux, ServerStreamHost {
  private readonly reader: FrameReader;
  private readonly encoder = new HpackEncoder();
  private readonly headEncoder = new ResponseHeadEncoder(this.encoder);
  private readonly decoder: HpackDecoder;
  private readonly streams = new Map<number, H2ServerStream>();
  private readonly glitches: GlitchCounter;
  /** The highest stream id the client opened (or we refused). */
  private lastStreamId = 0;
  /** Streams closed lately, and whether we reset them (their late frames are ignored, not answered). */
  private readonly recentlyClosed = new ClosedStreams();
  // The client's settings.
  private peerInitialWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private connSendWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private connRecvWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private connUnacked = 0;
  headPendingSince: number;
  /** GOAWAY sent: streams above goawayLast are not taken. */
  private goawaySent = false;
  private goawayLast = 0;
  /** The client sent GOAWAY or FIN: close once the open streams end. */
  private peerLeaving = false;
  /** A graceful shutdown's first GOAWAY is out; the final one follows the PING's answer (or the timer). */
  private drainTimer: ReturnType<H2ServerTimers["setTimer"]> | undefined;
  closing = false;
  private closed = false;
  private throttleTimer: ReturnType<H2ServerTimers["setTimer"]> | undefined;
  private readonly output: FrameOutput;

  constructor(
    private readonly socket: Socket,
    private readonly options: H2ServerOptions,
    private readonly events: MultiplexedMuxEvents,
    private readonly timers: H2ServerTimers,
  ) {
    // The client may use a table of the protocol's initial size until it has our SETTINGS (RFC 7541 §4.2).
    this.decoder = new HpackDecoder({
      maxTableSize: Math.max(DEFAULT_HEADER_TABLE_SIZE, options.headerTableSize),
      maxHeaderListSize: options.maxHeaderListSize,
      knownStatic: KNOWN_STATIC,
    });
    this.reader = new FrameReader({ frame: (f) => this.guarded(f), error: (e) => this.onError(e) }, {
      role: "server",
      preface: true,
      maxHeaderBlockSize: options.maxHeaderListSize,
      maxContinuations: Math.max(8, Math.ceil(options.maxHeaderListSize / 2048)),
    });
    this.glitches = new GlitchCounter(options, timers.now());
    this.output = new FrameOutput(socket, timers);
    this.headPendingSince = timers.now();
    socket.events = {
      data: (chunk) => this.onChunk(chunk),
      drain: () => this.onDrain(),
      end: () => this.onEnd(),
      close: () => this.onClose(),
    };
  }

  /** Our SETTINGS (and the connection window we grant), then the bytes that came before. */
  start(early: readonly Uint8Array[]): void {
    const o = this.options;
    this.send(write.settings([
      [SettingId.MAX_CONCURRENT_STREAMS, o.maxConcurrentStreams],
      [SettingId.INITIAL_WINDOW_SIZE, o.initialWindowSize],
      [SettingId.HEADER_TABLE_SIZE, o.headerTableSize],
      [SettingId.MAX_HEADER_LIST_SIZE, o.maxHeaderListSize],
      // RFC 8441: WebSocket (and other upgrades) over a stream, relayed to HTTP/1.1 servers as an Upgrade.
      [SettingId.ENABLE_CONNECT_PROTOCOL, 1],
    ]));
    // The connection window is given back as DATA arrives (each stream's window bounds what waits): it only needs to cover the streams in flight.
    const connWindow = Math.min(MAX_WINDOW_SIZE, Math.max(DEFAULT_INITIAL_WINDOW_SIZE, o.initialWindowSize * Math.min(o.maxConcurrentStreams, 16)));
    if (connWindow > DEFAULT_INITIAL_WINDOW_SIZE) this.send(write.windowUpdate(0, connWindow - DEFAULT_INITIAL_WINDOW_SIZE));
    this.connRecvWindow = connWindow;
    for (const chunk of early) this.onChunk(chunk);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  get greeted(): boolean {
    return this.reader.prefaceRead;
  }

  now(): number {
    return this.timers.now();
  }

  // ---- stopping ----

  /**
   * Graceful shutdown in two steps, so that no stream the client sent is
   * refused unprocessed (RFC 9113 §6.8): a GOAWAY naming the highest possible
   * stream id (stop opening streams) and a PING; once the PING's answer
   * arrives, every stream the client opened before it saw the GOAWAY has
   * arrived too, and the final GOAWAY names the last of them. A client that
   * does not answer gets the final GOAWAY after SHUTDOWN_PING_WAIT_MS.
   */
  shutdown(): void {
    if (this.closed || this.goawaySent || this.drainTimer !== undefined) return;
    this.send(write.goaway(MAX_STREAM_ID, ErrorCode.NO_ERROR));
    this.send(write.ping(SHUTDOWN_PING));
    this.drainTimer = this.timers.setTimer(() => this.finalGoaway(), SHUTDOWN_PING_WAIT_MS);
  }

  private finalGoaway(): void {
    if (this.drainTimer !== undefined) this.timers.clearTimer(this.drainTimer);
    this.drainTimer = undefined;
    if (this.closed || this.goawaySent) return;
    this.goaway(ErrorCode.NO_ERROR, undefined);
    if (this.streams.size === 0) this.finishClose();
  }

  close(code: number = ErrorCode.NO_ERROR): void {
    if (this.closed) return;
    if (!this.goawaySent) this.goaway(code, undefined);
    this.abortStreams();
    this.finishClose();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private goaway(code: number, detail: string | undefined): void {
    this.goawaySent = true;
    this.goawayLast = this.lastStreamId;
    this.send(write.goaway(this.lastStreamId, code, detail));
  }

  /** Writes what is queued and half-closes; the session destroys the socket if the client never closes. */
  private finishClose(): void {
    if (this.closing) return;
    this.closing = true;
    this.reader.close();
    this.output.flush();
    this.socket.end();
  }

  private abortStreams(): void {
    for (const s of [...this.streams.values()]) {
      this.forget(s);
      s.sink?.streamAborted();
    }
  }

  // ---- reading ----

  private onChunk(chunk: Uint8Array): void {
    if (this.closing) return;
    this.events.clientBytes(chunk.length);
    this.reader.push(chunk);
    const open = this.reader.openBlockStream !== 0;
    if (!open && this.headPendingSince >= 0 && !this.prefaceDue) this.headPendingSince = -1;
    else if (open && this.headPendingSince < 0) this.headPendingSince = this.timers.now();
    if (this.glitches.throttled && !this.closing && this.throttleTimer === undefined) {
      // Past half the glitch threshold: the client is read at a slower pace.
      this.socket.pause();
      this.throttleTimer = this.timers.setTimer(() => {
        this.throttleTimer = undefined;
        if (!this.closing) this.socket.resume();
      }, THROTTLE_MS);
    }
    this.events.clientChunkDone();
  }

  /** The client's preface and first SETTINGS have not all come yet. */
  private prefaceDue = true;

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
        this.prefaceDue = false;
        if (f.ack) return this.settingsAcked();
        if (this.glitches.control(this.now())) throw this.calm("SETTINGS flood");
        return this.onSettings(f.settings);
      case FrameType.HEADERS:
        return this.onHeaders(f.streamId, f.fragment, f.endStream);
      case FrameType.DATA:
        return this.onData(f.streamId, f.data, f.endStream, f.flowLength);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(f.streamId, f.increment);
      case FrameType.RST_STREAM:
        return this.onReset(f.streamId);
      case FrameType.PING:
        if (f.ack) {
          if (this.drainTimer !== undefined && isShutdownPing(f.data)) this.finalGoaway();
          return;
        }
        if (this.glitches.control(this.now())) throw this.calm("PING flood");
        this.send(write.ping(f.data, true));
        return;
      case FrameType.GOAWAY:
        this.peerLeaving = true;
        if (this.streams.size === 0) this.finishClose();
        return;
      case FrameType.PRIORITY:
        // Deprecated signals (RFC 9113 §5.3.2): accepted, never acted on; on an idle stream it opens nothing.
        return;
      default:
        return;
    }
  }

  private calm(what: string): H2ConnectionError {
    return new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `${what}: ${this.glitches.count} glitches (tune.h2.fe.glitches-threshold ${this.options.threshold})`);
  }

  private glitch(what: string, n = 1): void {
    if (this.glitches.add(this.now(), n)) throw this.calm(what);
  }

  private onSettings(list: readonly (readonly [number, number])[]): void {
    for (const [id, value] of list) {
      switch (id) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerMaxTableSize(value);
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          // §6.9.2: every stream's window moves by the difference, and may go negative.
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW_SIZE) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `stream ${s.id}'s window above 2^31-1 after SETTINGS`);
          }
          break;
        }
        case SettingId.MAX_FRAME_SIZE:
          this.peerMaxFrame = value;
          break;
      }
    }
    this.send(write.settingsAck());
    this.sendAll();
  }

  /** The client took our SETTINGS: a smaller table than the protocol's initial one applies from now on. */
  private settingsAcked(): void {
    if (this.options.headerTableSize < DEFAULT_HEADER_TABLE_SIZE) this.decoder.setMaxTableSize(this.options.headerTableSize);
  }

  private onHeaders(id: number, block: Uint8Array, endStream: boolean): void {
    if (id % 2 === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${id}, an even (server-initiated) id`);
    // Decoded whatever happens next: the HPACK context must stay in step (§4.3).
    let fields: HeaderField[];
    let tooLarge = false;
    try {
      fields = this.decoder.decode(block);
    } catch (e) {
      if (!(e instanceof HeaderListTooLarge)) throw new H2ConnectionError(ErrorCode.COMPRESSION_ERROR, (e as Error).message);
      fields = [];
      tooLarge = true;
    }
    const s = this.streams.get(id);
    if (s !== undefined) return this.onTrailers(s, fields, endStream, tooLarge);
    if (id <= this.lastStreamId) return this.lateFrame("HEADERS", id);
    this.lastStreamId = id;
    // After our GOAWAY no new stream is taken: the client will send it again on another connection.
    if (this.goawaySent || this.closing) return;
    if (this.streams.size >= this.options.maxConcurrentStreams) {
      this.rst(id, ErrorCode.REFUSED_STREAM);
      return this.glitch("streams beyond SETTINGS_MAX_CONCURRENT_STREAMS");
    }
    const stream = new H2ServerStream(id, this, this.peerInitialWindow, this.options.initialWindowSize);
    stream.remoteDone = endStream;
    stream.headBytes = block.length;
    if (tooLarge) return this.refuse(stream, 431, "h2-too-large", `a header list above ${this.options.maxHeaderListSize} octets`);
    let head;
    try {
      head = requestHead(fields, endStream, this.options.maxFields, this.decoder.known);
    } catch (e) {
      if (e instanceof TooManyFields) return this.refuse(stream, 431, "h2-too-many-fields", e.message);
      if (!(e instanceof MalformedFields)) throw e;
      this.rst(id, ErrorCode.PROTOCOL_ERROR);
      this.events.streamRefused(malformed(e.message), undefined);
      // Cheap to refuse, but a loop of them is a flood like any other.
      return this.glitch("malformed requests");
    }
    // Every field passed: those the block entered in the table need no check when referenced again.
    this.decoder.markInserted();
    stream.expected = head.contentLength;
    // An extended CONNECT (RFC 8441): the stream may become a tunnel; the key its server's accept must match.
    if (head.upgrade !== undefined) stream.upgradeKey = head.get("sec-websocket-key") ?? "";
    this.streams.set(id, stream);
    stream.sink = this.events.streamOpened(head, stream);
    if (endStream && !stream.closed) stream.sink.requestEnd();
  }

  /** A request too large to take: sluice's own answer on its stream (the HPACK context stayed in step). */
  private refuse(stream: H2ServerStream, status: number, code: string, message: string): void {
    this.streams.set(stream.id, stream);
    this.events.streamRefused({ status, code, message }, stream);
  }

  private onTrailers(s: H2ServerStream, fields: HeaderField[], endStream: boolean, tooLarge: boolean): void {
    if (s.remoteDone) return this.streamError(s, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    if (!endStream) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
    let trailers;
    try {
      if (tooLarge) throw new MalformedFields("trailers above the header list size");
      trailers = trailersHead(fields);
    } catch (e) {
      if (!(e instanceof MalformedFields)) throw e;
      this.glitch("invalid trailers");
      return this.bodyBroken(s, e.message);
    }
    s.remoteDone = true;
    if (s.expected >= 0 && s.received !== s.expected) return this.bodyBroken(s, `DATA of ${s.received} octets for a content-length of ${s.expected}`);
    s.sink?.requestTrailers(trailers);
    s.sink?.requestEnd();
  }

  private onData(id: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.connRecvWindow -= flowLength;
    if (this.connRecvWindow < 0) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    // The connection's window is given back at once: each stream's own window bounds what waits in sluice.
    this.connUnacked += flowLength;
    if (this.connUnacked >= DEFAULT_INITIAL_WINDOW_SIZE / 2 || this.connRecvWindow < DEFAULT_INITIAL_WINDOW_SIZE) {
      this.send(write.windowUpdate(0, this.connUnacked));
      this.connRecvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
    const s = this.streams.get(id);
    if (s === undefined) {
      if (id > this.lastStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on stream ${id}, which was never opened`);
      return this.lateFrame("DATA", id);
    }
    if (s.remoteDone) return this.streamError(s, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM");
    s.recvWindow -= flowLength;
    if (s.recvWindow < 0) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream's window");
    if (data.length === 0 && !endStream) this.glitch("empty DATA frames");
    // Padding never reaches the session: its window comes back with the next update.
    s.unacked += flowLength - data.length;
    s.received += data.length;
    if (s.expected >= 0 && (s.received > s.expected || (endStream && s.received !== s.expected))) {
      return this.bodyBroken(s, `DATA of ${s.received} octets for a content-length of ${s.expected}`);
    }
    if (endStream) s.remoteDone = true;
    if (data.length !== 0) {
      s.unacked += data.length;
      s.sink?.requestData(data);
    }
    if (endStream) s.sink?.requestEnd();
    else this.giveBack(s);
  }

  /** A request body that contradicts its content-length (§8.1.1): malformed, the stream is reset. */
  private bodyBroken(s: H2ServerStream, message: string): void {
    this.rst(s.id, ErrorCode.PROTOCOL_ERROR);
    this.forget(s);
    s.sink?.requestBroken(malformed(message));
  }

  private onWindowUpdate(id: number, increment: number): void {
    if (id === 0) {
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_SIZE) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window above 2^31-1");
      return this.sendAll();
    }
    const s = this.streams.get(id);
    if (s === undefined) {
      if (id > this.lastStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on stream ${id}, which was never opened`);
      return;
    }
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_SIZE) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, "stream window above 2^31-1");
    if (s.pendingBytes === 0) return;
    this.sendPending(s);
    if (s.pendingBytes === 0) s.sink?.streamDrain();
  }

  private onReset(id: number): void {
    const s = this.streams.get(id);
    if (s === undefined) {
      if (id > this.lastStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on stream ${id}, which was never opened`);
      return;
    }
    const early = !s.localDone;
    this.forget(s);
    s.sink?.streamAborted();
    // Reset before its answer was complete: what rapid reset (CVE-2023-44487) does in a loop.
    if (early) this.glitch("streams reset by the client (rapid reset)");
  }

  /** HEADERS or DATA on a stream id at or below the last one opened, not open now (§5.1, §5.1.1). */
  private lateFrame(type: string, id: number): void {
    const ours = this.recentlyClosed.get(id);
    if (ours === true) return;
    if (ours === false) throw new H2ConnectionError(ErrorCode.STREAM_CLOSED, `${type} on stream ${id}, which is closed`);
    throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `${type} on stream ${id}, below the last stream opened (${this.lastStreamId})`);
  }

  private remember(id: number, ours: boolean): void {
    this.recentlyClosed.remember(id, ours);
  }

  // ---- errors ----

  private streamError(s: H2ServerStream, code: number, _message: string): void {
    this.rst(s.id, code);
    this.forget(s);
    s.sink?.streamAborted();
  }

  private onError(e: H2Error): void {
    if (e instanceof H2StreamError) {
      const s = this.streams.get(e.streamId);
      if (s !== undefined) return this.streamError(s, e.code, e.detail);
      // A frame of a closed or idle stream at fault (a PRIORITY of the wrong size): answered on that stream, which stays unopened.
      this.send(write.rstStream(e.streamId, e.code));
      return;
    }
    if (this.closed) return;
    if (!this.goawaySent) this.goaway(e.code, e.detail);
    else this.send(write.goaway(this.goawayLast, e.code, e.detail));
    this.abortStreams();
    this.events.connectionError(errorCodeName(e.code), e.detail);
    this.finishClose();
  }

  private rst(id: number, code: number): void {
    this.send(write.rstStream(id, code));
    this.remember(id, true);
  }

  private onEnd(): void {
    this.peerLeaving = true;
    if (this.streams.size === 0) this.finishClose();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.output.closed = true;
    this.reader.close();
    if (this.throttleTimer !== undefined) this.timers.clearTimer(this.throttleTimer);
    if (this.drainTimer !== undefined) this.timers.clearTimer(this.drainTimer);
    this.abortStreams();
    this.events.clientClose();
  }

  // ---- ServerStreamHost ----

  sendHead(s: H2ServerStream, head: Head, final: boolean): void {
    queueHead(this.output, s, head, final, this.headEncoder, this.encoder, this.peerMaxFrame);
  }

  endOnLastFrame(s: H2ServerStream): boolean {
    return endOnLastFrame(this.output, s);
  }

  sendNow(s: H2ServerStream, chunk: Uint8Array): boolean {
    const n = chunk.length;
    if (this.closing || s.closed || this.output.blocked || n > s.sendWindow || n > this.connSendWindow || n > this.peerMaxFrame) return false;
    s.sendWindow -= n;
    this.connSendWindow -= n;
    queueData(this.output, s, chunk, false);
    return true;
  }

  sendPending(s: H2ServerStream): void {
    if (this.closing || s.closed) return;
    while (s.pendingBytes !== 0) {
      const room = Math.min(s.sendWindow, this.connSendWindow, this.peerMaxFrame);
      if (room <= 0 || this.output.blocked) break;
      const chunk = s.take(room);
      s.sendWindow -= chunk.length;
      this.connSendWindow -= chunk.length;
      const end = s.pendingBytes === 0 && s.endPending && s.trailersPending === undefined;
      queueData(this.output, s, chunk, end);
      if (end) return this.localEnded(s);
    }
    if (s.pendingBytes === 0) {
      s.blockedSince = -1;
      if (s.endPending) {
        const trailers = s.trailersPending;
        if (trailers !== undefined) queueBlock(this.output, s, this.encoder.encode(trailers), true, this.peerMaxFrame);
        else queueData(this.output, s, EMPTY, true);
        return this.localEnded(s);
      }
    } else if (s.blockedSince < 0 && !this.output.blocked) s.blockedSince = this.now();
  }

  resetStream(s: H2ServerStream, code: number): void {
    if (s.closed) return;
    this.rst(s.id, code);
    this.forget(s);
  }

  localEnded(s: H2ServerStream): void {
    s.localDone = true;
    s.endPending = false;
    if (!s.remoteDone) {
      // The answer is complete before the request (an early error page): the client may stop sending (§8.1).
      this.rst(s.id, ErrorCode.NO_ERROR);
      s.remoteDone = true;
    }
    this.forget(s);
  }

  giveBack(s: H2ServerStream): void {
    if (s.held || s.remoteDone || s.closed) return;
    // In halves of the window: one WINDOW_UPDATE per half window, not one per frame.
    if (s.unacked < this.options.initialWindowSize / 2) return;
    this.send(write.windowUpdate(s.id, s.unacked));
    s.recvWindow += s.unacked;
    s.unacked = 0;
  }

  private forget(s: H2ServerStream): void {
    if (s.closed) return;
    s.closed = true;
    s.blockedSince = -1;
    this.streams.delete(s.id);
    this.remember(s.id, false);
    if ((this.goawaySent || this.peerLeaving) && this.streams.size === 0 && !this.closed) this.finishClose();
  }

  // ---- writing ----

  private send(bytes: Uint8Array): void {
    this.output.send(bytes);
  }

  get writeBlockedSince(): number {
    return this.output.blockedSince;
  }

  private onDrain(): void {
    this.output.drained();
    this.sendAll();
  }

  /** The windows or the socket opened: pending answers go, a frame per stream per round so that none starves the others. */
  private sendAll(): void {
    let progress = true;
    while (progress && !this.output.blocked && this.connSendWindow > 0) {
      progress = false;
      for (const s of this.streams.values()) {
        if (s.pendingBytes === 0 && !s.endPending) continue;
        const before = s.pendingBytes;
        const room = Math.min(s.sendWindow, this.connSendWindow, this.peerMaxFrame);
        if (room <= 0) continue;
        this.sendOne(s, room);
        if (s.pendingBytes < before || s.closed) progress = true;
        if (s.pendingBytes === 0) s.sink?.streamDrain();
      }
    }
  }

  private sendOne(s: H2ServerStream, room: number): void {
    if (s.pendingBytes <= room) return this.sendPending(s);
    const chunk = s.take(room);
    s.sendWindow -= chunk.length;
    this.connSendWindow -= chunk.length;
    queueData(this.output, s, chunk, false);
  }
}
