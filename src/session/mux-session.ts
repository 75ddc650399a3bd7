// A multiplexed HTTP session: one client connection (HTTP/2) carrying many
// request streams at once, each a StreamSlot with its own HttpStream, log
// line, timeouts and backpressure. The session is the Owner of the backend
// connections its streams hold (several at once; http-reuse rules
// unchanged), keeps the connection-based-auth server for all of its streams,
// closes an idle connection after `timeout client`, refuses a head that does
// not complete within `timeout http-request`, and stops gracefully: GOAWAY,
// then close once the streams in flight end. Which protocol it speaks is the
// mux's business (given by the frontend).
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { proxyHeaderV1 } from "../conn/proxy-header.ts";
import type { MultiplexedMuxEvents, MultiplexedServerMux, ServerStream } from "../conn/server-mux.ts";
import type { Owner } from "../conn/types.ts";
import type { Head, ProtocolRefusal } from "../http/message.ts";
import { BodyKind } from "../http/message.ts";
import { SessionConns } from "../pool/session-conns.ts";
import type { Socket } from "../runtime/types.ts";
import { span } from "../stream/span.ts";
import { Cause, type CauseCode, Phase } from "../stream/termination.ts";
import type { HttpLogSubject } from "./log-subject.ts";
import type { HttpSessionHost } from "./http-session.ts";
import { Session, type SessionActivity } from "./session.ts";
import { openStream } from "./open-stream.ts";
import { PendingRequest } from "./pending-request.ts";
import { type SlotSession, StreamSlot } from "./stream-slot.ts";

/** Builds the mux that speaks the client's protocol over `client` (the frontend knows which). */
export type MultiplexedMuxFactory = (client: Socket, events: MultiplexedMuxEvents) => MultiplexedServerMux;

export class MuxSession extends Session implements Owner, SlotSession, MultiplexedMuxEvents, HttpLogSubject {
  readonly conns = new SessionConns();
  authServer: Server | undefined;
  previousServer: Server | undefined;
  readonly accepted: number;
  /** Streams begun on this connection. */
  requests = 0;
  stopping = false;
  /** Bytes from the client, all streams together (the connection's own log line). */
  bytesIn = 0;
  readonly slots = new Set<StreamSlot>();
  readonly httpVersion = "HTTP/2.0";
  private readonly mux: MultiplexedServerMux;
  private readonly touched: StreamSlot[] = [];
  private lastClient: number;
  /** When the connection last had no stream: accept, then the end of each last stream (HAProxy's idle_start, never refreshed by PINGs or SETTINGS). */
  private idleStart: number;
  /** The session asked the mux to close (idle, error): the client gets `timeout client` to close its side. */
  private closingSince = -1;
  private ended = false;
  /** The connection's own line is out (at most one per connection). */
  private connectionLogged = false;

  constructor(
    readonly host: HttpSessionHost,
    readonly defaultBackend: Backend,
    client: Socket,
    makeMux: MultiplexedMuxFactory,
  ) {
    super(client, host.runtime);
    this.accepted = this.lastClient = this.idleStart = host.clock.tick();
    this.mux = makeMux(client, this);
  }

  get requestStart(): number {
    return this.lastClient;
  }

  get idleSince(): number {
    return this.lastClient;
  }

  /** The client's address (balance source hashes it). */
  get clientDestination(): Socket {
    return this.client;
  }

  get clientAddress(): string {
    return this.client.remoteAddress;
  }

  /** The PROXY v1 line for servers with send-proxy (and the reuse key of those connections). */
  get proxyHeader(): string {
    const c = this.client;
    return this.#proxyHeader ??= proxyHeaderV1(c.remoteAddress, c.remotePort, c.localAddress, c.localPort);
  }
  #proxyHeader: string | undefined;

  now(): number {
    return this.host.clock.now;
  }

  tick(): number {
    return this.host.clock.tick();
  }

  begin(early: Uint8Array[]): void {
    this.mux.start(early);
    this.rearm();
  }

  activity(): SessionActivity {
    // One stream: its backend and server; several may use several.
    const only = this.slots.size === 1 ? [...this.slots][0]!.stream : undefined;
    return { backend: only?.backend.name, server: only?.server?.name, state: `h2 streams=${this.slots.size}` };
  }

  kill(): void {
    if (this.ended) return;
    for (const slot of [...this.slots]) {
      const stream = slot.stream;
      if (stream !== undefined && !stream.done) {
        stream.abort(Cause.killed);
        if (!slot.logged) this.host.logStream(slot, stream, stream.status, stream.cause, stream.phase);
      }
    }
    this.slots.clear();
    this.mux.destroy();
  }

  shutdown(server?: Server, cause: CauseCode = Cause.killed): number {
    if (this.ended) return 0;
    let n = 0;
    for (const slot of [...this.slots]) {
      const stream = slot.stream;
      if (stream === undefined || stream.done || (server !== undefined && !stream.holds(server))) continue;
      stream.shutdown(cause);
      n++;
    }
    // `shutdown session` on a connection without a stream in flight: it closes.
    if (n === 0 && server === undefined) {
      this.kill();
      return 1;
    }
    return n;
  }

  /** Graceful stop: GOAWAY (in two steps: H2ServerConnection.shutdown); the connection closes once the streams in flight end. */
  override softStop(): void {
    this.stopping = true;
    this.mux.shutdown();
    this.rearm();
  }

  // ---- MultiplexedMuxEvents ----

  clientBytes(n: number): void {
    this.lastClient = this.tick();
    this.bytesIn += n;
  }

  streamOpened(head: Head, writer: ServerStream): StreamSlot {
    this.requests++;
    const slot = new StreamSlot(this, writer, this.requests);
    this.slots.add(slot);
    // CONNECT would make the stream a tunnel: not built, so refused before any server is asked.
    if (head.method === "CONNECT") {
      this.host.countProtocolError("request", { status: 501, code: "h2-connect", message: "CONNECT over HTTP/2 is not supported" });
      this.host.logStream(slot, undefined, 501, Cause.proxy, Phase.request);
      slot.logged = true;
      slot.answer(501, this.defaultBackend);
      return slot;
    }
    const opened = openStream(this.host, slot, head, this.client, this.defaultBackend, this.now(), "2.0");
    if (opened instanceof PendingRequest) {
      // The rules wait for the body: the client's window stays open (up to the buffer's room) until they decide.
      slot.pending = opened;
      slot.rearm();
      return slot;
    }
    if (head.bodyKind === BodyKind.None && head.upgrade !== undefined) slot.awaitTunnel();
    slot.startStream(opened);
    return slot;
  }

  streamRefused(refusal: ProtocolRefusal, writer: ServerStream | undefined): void {
    this.host.countProtocolError("request", refusal);
    if (writer === undefined) {
      // Malformed: the stream was reset; its log line says why.
      this.host.logStream(this, undefined, -1, Cause.proxy, Phase.request);
      return;
    }
    this.requests++;
    const slot = new StreamSlot(this, writer, this.requests);
    this.slots.add(slot);
    this.host.logStream(slot, undefined, refusal.status, Cause.proxy, Phase.request);
    slot.logged = true;
    slot.answer(refusal.status, this.defaultBackend);
  }

  clientChunkDone(): void {
    const touched = this.touched;
    for (let i = 0; i < touched.length; i++) {
      const slot = touched[i]!;
      slot.touched = false;
      slot.stream?.flushToServer();
    }
    touched.length = 0;
    this.rearm();
  }

  connectionError(code: string, message: string): void {
    this.host.countProtocolError("request", { status: 400, code: `h2-${code}`, message });
    // The connection's own log line (no stream): an operator sees a flood or a broken client.
    this.logConnection();
    this.closingSince = this.now();
    this.rearm();
  }

  clientClose(): void {
    this.tick();
    // Gone before its preface was whole (an empty probe, a stranger): HAProxy's h2 mux logs it
    // as the connection's line, PR--, except an empty one under `option http-ignore-probes`.
    if (!this.mux.greeted && (this.bytesIn > 0 || this.host.ignoreProbes !== true)) this.logConnection();
    for (const slot of [...this.slots]) slot.streamAborted();
    this.slots.clear();
    this.finish();
  }

  /** As HAProxy's sess_log: status 0, no request counted; once. */
  private logConnection(): void {
    if (this.connectionLogged) return;
    this.connectionLogged = true;
    this.host.logConnection(this, Cause.proxy, Phase.request);
  }

  // ---- SlotSession ----

  touch(slot: StreamSlot): void {
    if (slot.touched) return;
    slot.touched = true;
    this.touched.push(slot);
  }

  slotDone(slot: StreamSlot): void {
    this.slots.delete(slot);
    this.lastClient = this.now();
    if (this.slots.size === 0) this.idleStart = this.lastClient;
    // With streams left the earliest deadline can only be later, unless the client
    // stopped reading meanwhile (the frame output marks that without rearming):
    // otherwise the timer armed stands (firing early, it finds the next one), and
    // nothing walks the slots.
    if (this.slots.size !== 0 && !this.mux.closing && this.mux.writeBlockedSince < 0) return;
    this.rearm();
  }

  closeConnection(code: number): void {
    if (this.ended || this.closingSince >= 0) return;
    this.closingSince = this.now();
    this.mux.close(code);
    this.rearm();
  }

  armBy(at: number): void {
    if (!this.ended) this.armTimer(at);
  }

  // ---- timeouts ----

  rearm(): void {
    if (this.ended) return;
    // The mux went away by itself (GOAWAY after the last stream, an error): the client has `timeout client` to close.
    if (this.closingSince < 0 && this.mux.closing) this.closingSince = this.now();
    this.armTimer(this.deadline());
  }

  private deadline(): number {
    const t = this.host.timeouts;
    const client = span(t.client);
    if (this.closingSince >= 0) return this.closingSince + client;
    let d = Infinity;
    const blocked = this.mux.writeBlockedSince;
    if (blocked >= 0) d = blocked + client;
    const head = this.mux.headPendingSince;
    if (head >= 0) d = Math.min(d, head + span(t.httpRequest || t.client));
    if (this.slots.size === 0) return Math.min(d, this.idleDeadline());
    for (const slot of this.slots) d = Math.min(d, slot.deadline());
    return d;
  }

  /**
   * When a connection without a stream closes, as HAProxy's HTTP/2 mux has
   * it: before the first request `timeout http-request`, after one `timeout
   * http-keep-alive` (else http-request), both counted from the end of the
   * last stream (or accept) whatever the client sends meanwhile (PING,
   * SETTINGS); when the one that applies is unset, `timeout client` of
   * inactivity.
   */
  private idleDeadline(): number {
    const t = this.host.timeouts;
    const idle = this.requests > 0 && this.mux.headPendingSince < 0 ? t.httpKeepAlive || t.httpRequest : t.httpRequest;
    return idle ? this.idleStart + idle : this.lastClient + span(t.client);
  }

  protected onTimer(): void {
    if (this.ended) return;
    const now = this.tick();
    if (now < this.deadline()) return this.rearm();
    const t = this.host.timeouts;
    const client = span(t.client);
    if (this.closingSince >= 0) return this.mux.destroy();
    const blocked = this.mux.writeBlockedSince;
    const head = this.mux.headPendingSince;
    if ((blocked >= 0 && now >= blocked + client) || (head >= 0 && now >= head + span(t.httpRequest || t.client))) {
      // The client takes nothing, or owes a head for too long: the whole connection goes.
      if (head >= 0 && now >= head + span(t.httpRequest || t.client)) this.host.logStream(this, undefined, 408, Cause.clientTimeout, Phase.request);
      this.closingSince = now;
      this.mux.close();
      return this.rearm();
    }
    if (this.slots.size === 0) {
      if (now >= this.idleDeadline()) {
        // Idle with no stream (http-request / http-keep-alive / client, see idleSpan): GOAWAY and close.
        this.closingSince = now;
        this.mux.close();
      }
      return this.rearm();
    }
    for (const slot of [...this.slots]) slot.expire(now);
    this.rearm();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelTimer();
    // Its private connections close with it; none goes to a shared pool.
    this.host.ownership.sessionEnded(this);
    this.host.sessionEnded(this);
  }
}
