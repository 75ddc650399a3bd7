// The client-side HTTP/1.1 mux: one TCP connection to a server, carrying one
// exchange at a time (it is its own Exchange: nothing is made per request),
// the request written as text with its framing, the response parser, and the
// facts the pools need (requests carried, whether it ended clean, whether the
// server now authenticates the connection). Where it goes between exchanges
// is decided by the ownership API (src/pool/ownership.ts), never here.
import type { Exchange, ExchangeEvents, OutgoingRequest } from "../conn/types.ts";
import { Lost } from "../conn/types.ts";
import type { ClientMuxBase, ConnHome, ConnPlace, Owner, PoolConn } from "../conn/types.ts";
import type { Socket, SocketEvents } from "../runtime/types.ts";
import { isConnectionAuthChallenge } from "./conn-auth.ts";
import { Corked } from "./corked.ts";
import { H1Parser } from "./parser.ts";
import { CHUNKED, lengthOf, NO_BODY, rewriteOf } from "./rewrite-args.ts";
import { chunkPrefix, CRLF, serializeRequestHead, serializeTrailers } from "./serialize.ts";
import { BodyKind, type H1Error, type H1Events, type H1Limits, type Head } from "./types.ts";

export type ConnectionState = "busy" | "idle" | "closed";

/** Events of an exchange nobody holds (between exchanges). */
const NOBODY: ExchangeEvents = {
  serverEvent() {},
  responseHead() {},
  responseData() {},
  responseTrailers() {},
  responseEnd() {},
  responseFlush() {},
  responseBroken() {},
  exchangeLost() {},
  drain() {},
};

// The parser's and the socket's events as two small objects with methods on
// their prototypes (two objects per connection rather than nine closures).

/** The response parser's events, passed to the exchange's user. */
class ResponseEvents implements H1Events {
  constructor(private readonly mux: H1ClientMux) {}
  head(head: Head): void {
    this.mux.onHead(head);
  }
  data(chunk: Uint8Array): void {
    this.mux.current.responseData(chunk);
  }
  trailers(trailers: Head): void {
    this.mux.current.responseTrailers(trailers);
  }
  end(): void {
    this.mux.current.responseEnd();
  }
  error(error: H1Error): void {
    this.mux.current.responseBroken(error);
  }
}

/** The server socket's events. */
class ServerSocketEvents implements SocketEvents {
  constructor(private readonly mux: H1ClientMux) {}
  data(chunk: Uint8Array): void {
    this.mux.onData(chunk);
  }
  drain(): void {
    this.mux.current.drain();
  }
  end(): void {
    this.mux.onEnd();
  }
  close(): void {
    this.mux.onClose();
  }
}

export class H1ClientMux implements PoolConn, ClientMuxBase, Exchange {
  readonly multiplexed = false;
  state: ConnectionState = "busy";
  // ---- for the ownership API (PoolConn) ----
  owner: Owner | undefined;
  attachedTo: Owner | undefined;
  place: ConnPlace = "new";
  proven = false;
  /** Requests this connection has carried (a reused one has carried at least one before). */
  requests = 0;
  /** Monotonic ms when it last went idle. */
  idleSince = 0;
  /** Called when an idle connection dies, so that its pool or session forgets it. */
  onIdleClose: ((conn: PoolConn) => void) | undefined;
  /**
   * The server answered a connection-based authentication challenge (NTLM,
   * Negotiate) on it: from now on it belongs to the session that got it. The
   * HTTP/1 mux alone decides this (a shared multiplexed connection never may).
   */
  authenticates = false;
  /** The server sent its FIN: no further request may go on this connection. */
  peerEnded = false;
  private user: ExchangeEvents = NOBODY;
  readonly parser: H1Parser;
  private socket: Socket | undefined;
  readonly socketEvents: SocketEvents;
  /** Request bytes collected since the last flush (head, body pieces, chunk framing). */
  private readonly out = new Corked();
  /** The request body goes out chunked (else as received: length-delimited or none, or raw in a tunnel). */
  private chunked = false;
  /** The server's answer allows keeping the connection (its head said keep-alive, and we asked for it). */
  private keep = false;
  private keepAsked = false;

  /**
   * @param pool the server's pool, which counts it
   * @param key the reuse key: what it was opened with that depends on the client ("" for nothing)
   */
  constructor(
    readonly id: number,
    readonly pool: ConnHome,
    limits: H1Limits,
    readonly key = "",
    /** `option h1-case-adjust-bogus-server`: field names as the global h1-case-adjust writes them. */
    private readonly names?: ReadonlyMap<string, string>,
  ) {
    this.parser = new H1Parser("response", new ResponseEvents(this), limits);
    this.socketEvents = new ServerSocketEvents(this);
  }

  /** A response head from the parser (ResponseEvents). */
  onHead(head: Head): void {
    if (!this.authenticates && isConnectionAuthChallenge(head)) this.authenticates = true;
    if (head.status >= 200) {
      this.keep = head.keepAlive && this.keepAsked;
      this.finalHead = true;
    }
    this.user.responseHead(head);
  }

  /** Whoever holds the exchange now (NOBODY between exchanges). */
  get current(): ExchangeEvents {
    return this.user;
  }

  attachSocket(socket: Socket): void {
    this.socket = socket;
  }

  get conn(): this {
    return this;
  }

  get open(): boolean {
    return this.state !== "closed" && this.socket !== undefined && !this.socket.closed;
  }

  /** Fit for another request: open, clean, nothing left over, the server did not end. */
  get reusable(): boolean {
    return this.keep && this.open && !this.peerEnded && this.parser.buffered === 0;
  }

  /** Exchanges attached in its life, the current one included. */
  carried = 0;

  /** One when no exchange holds it and it is fit to carry one (a new connection, or an idle clean one). */
  get freeSlots(): number {
    return this.user === NOBODY && this.open && !this.peerEnded && this.parser.buffered === 0 ? 1 : 0;
  }

  get usedStreams(): number {
    return this.user === NOBODY ? 0 : 1;
  }

  get sourceAddress(): string {
    return this.socket?.localAddress ?? "";
  }

  get sourcePort(): number {
    return this.socket?.localPort ?? -1;
  }

  /** Writes bytes of its own (the PROXY protocol header) before any request. */
  write(bytes: Uint8Array): boolean {
    return this.socket!.write(bytes);
  }

  // ---- Exchange ----

  /** Hands the connection to a stream for one request (after the ownership API attached it). */
  attach(request: OutgoingRequest, user: ExchangeEvents): this {
    const head = request.head;
    this.state = "busy";
    this.user = user;
    this.carried++;
    this.answered = false;
    this.finalHead = false;
    this.keep = false;
    this.keepAsked = request.keepAlive;
    this.parser.setRequestMethod(head.method);
    const kind = head.bodyKind;
    this.chunked = kind === BodyKind.Chunked;
    const framing = kind === BodyKind.Length ? lengthOf(head.contentLength) : this.chunked ? CHUNKED : NO_BODY;
    const upgrade = head.upgrade !== undefined;
    const connection = upgrade ? "upgrade" : request.keepAlive || request.pretendKeepAlive === true ? undefined : "close";
    // Whatever an earlier exchange left unsent is not this one's.
    this.out.reset(serializeRequestHead(head, rewriteOf(framing, connection, upgrade, request.added, this.names)));
    return this;
  }

  sendBody(chunk: Uint8Array): boolean {
    if (!this.chunked) {
      this.out.push(chunk);
    } else {
      this.out.push(chunkPrefix(chunk.length));
      this.out.push(chunk);
      this.out.push(CRLF);
    }
    return true;
  }

  endBody(trailers: Head | undefined): void {
    if (this.chunked) this.out.push(serializeTrailers(trailers));
  }

  get hasQueued(): boolean {
    return !this.out.empty;
  }

  writeQueued(): boolean {
    if (this.out.empty || this.socket === undefined) return true;
    return this.out.writeTo(this.socket);
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket?.resume();
  }

  /** A stream paused our socket (its client could not take more). */
  private paused = false;

  tunnel(): void {
    this.chunked = false;
    this.parser.tunnel();
  }

  /** Half-close towards the server (tunnels pass the client's FIN on). */
  endTunnelWrite(): void {
    this.socket?.end();
  }

  /** The exchange is over: a complete one leaves the connection ready for the next (the ownership API then keeps or closes it). */
  done(cancel: boolean): void {
    this.user = NOBODY;
    if (cancel || !this.reusable) return;
    this.state = "idle";
    this.out.reset();
    this.parser.next();
    // Reads may have been paused for a slow client: the next user starts fresh.
    this.resume();
  }

  /** Some response byte came for the current user; its final (non-1xx) head came. */
  private answered = false;
  private finalHead = false;

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.user = NOBODY;
    if (this.place !== "new") this.pool.closed(this);
    // As HAProxy closes server connections: with a reset, so that churn
    // leaves no TIME_WAIT on the proxy's ports.
    this.socket?.reset();
  }

  onData(chunk: Uint8Array): void {
    if (this.state === "idle") {
      // A server speaking while nobody asked: the connection is out of sync.
      this.close();
      this.onIdleClose?.(this);
      return;
    }
    const user = this.user;
    this.answered = true;
    user.serverEvent();
    this.parser.push(chunk);
    user.responseFlush();
  }

  onEnd(): void {
    this.peerEnded = true;
    if (this.state === "idle") {
      this.close();
      this.onIdleClose?.(this);
      return;
    }
    this.user.serverEvent();
    this.parser.finish();
    // The server ended before any response byte (invariant 15): nothing more
    // can come, so the connection closes and its user hears it at once
    // (half-open, it would wait for timeout server).
    if (this.user !== NOBODY && !this.answered) this.socket?.destroy();
  }

  onClose(): void {
    const user = this.user;
    const wasIdle = this.state === "idle";
    this.state = "closed";
    this.user = NOBODY;
    if (this.place !== "new" && this.place !== "closed") this.pool.closed(this);
    if (wasIdle) this.onIdleClose?.(this);
    user.exchangeLost(this.finalHead ? Lost.broken : Lost.closedEarly);
  }
}
