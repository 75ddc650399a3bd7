// A frontend: its listeners, its connection limit and the sessions it accepted.
// Past maxconn, accepted sockets wait paused (their bytes stay in the kernel)
// until a session ends: they queue, they are not refused.
import { type TraceFilter, type TraceOutput, tcpTraces } from "../stream/trace.ts";
import type { RulesContext } from "../session/http-host.ts";
import { acrossFamilies, bindAddress } from "../config/address.ts";
import type { BindConfig, FrontendConfig } from "../config/types.ts";
import { H2ServerConnection, type H2ServerOptions } from "../http2/server-connection.ts";
import { type MultiplexedMuxFactory, MuxSession } from "../session/mux-session.ts";
import { formatLogDate } from "../log/text.ts";
import { LEVEL } from "../log/target.ts";
import { serverTlsOptions } from "./bind-tls.ts";
import type { Logger } from "../log/sink.ts";
import type { TcpLogWriter } from "../session/tcp-log-writer.ts";
import type { TcpStream } from "../stream/tcp-stream.ts";
import type { Listener, ListenOptions, Runtime, Socket, System, TlsAcceptor, TlsHandshakeFailure } from "../runtime/types.ts";
import { HttpSession } from "../session/http-session.ts";
import type { SessionActivity } from "../session/session.ts";
import { type ContentRulesContext, type SessionHost, TcpSession } from "../session/tcp-session.ts";
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { Clock } from "../runtime/clock.ts";
import { rateAllows, RoomTimer, Waiting } from "./waiting.ts";
import type { Ownership } from "../pool/ownership.ts";
import { HttpHost, type HttpLogSink } from "../session/http-host.ts";
import { Inspection, type InspectionDone } from "../session/inspect.ts";
import { HttpTxn } from "../session/txn.ts";
import { runActions, switchBackend } from "../rules/rule-set.ts";
import { Verdict } from "../rules/types.ts";
import { TrafficCounters } from "../conn/counters.ts";
import { type ProxyHeaderFailureReport, ProxyHeaderReader } from "../conn/proxy-header-read.ts";
import { TlsAfterProxy } from "./tls-after-proxy.ts";
import { certificateRefusal } from "../tls/client-verify.ts";
import { ProxiedSocket } from "../conn/proxied-socket.ts";
import type { ProxyHeader } from "../conn/proxy-header.ts";
import type { ProcessCounters } from "./process-counters.ts";
import type { ErrorSnapshot } from "../http/error-snapshot.ts";
import type { RefusedBytes } from "../http/message.ts";
import type { RefusedAt } from "../session/refused-at.ts";
import type { CauseCode } from "../stream/termination.ts";

/** A client connection being served, whatever its mode. */
export interface ClientSession {
  readonly id: number;
  /** Wall-clock ms of the accept. */
  readonly acceptDate: number;
  readonly client: Socket;
  /** What it is doing now (runtime API, `show sess`). */
  activity(): SessionActivity;
  begin(early: Uint8Array[]): void;
  kill(): void;
  /**
   * The runtime API's shutdown (HAProxy's stream_shutdown, cause K): its
   * streams on `server` (any, when undefined) end now. An HTTP stream not
   * answered yet gets HAProxy's 502; one whose response began is cut, as a
   * TCP stream is. Returns how many streams it ended.
   */
  shutdown(server?: Server, cause?: CauseCode): number;
  /** Finish what is under way, then close (HTTP: idle keep-alive connections close at once). */
  softStop?(): void;
}

/** Shared limits above the frontends (global maxconn). */
export interface AcceptGate {
  /** The process's rates, counted here with the frontend's. */
  readonly totals: ProcessCounters;
  /** May one more session start now? */
  admits(): boolean;
  /** Sockets wait because of the process's rates (maxconnrate, maxsessrate): they are let in when those allow. */
  waitForRate?(): void;
  /** A waiting socket closed before it was admitted. */
  waitingGone?(): void;
  started(): void;
  ended(): void;
}

export class Frontend implements SessionHost, InspectionDone {
  readonly name: string;
  readonly clientTimeout: number;
  readonly clientFinTimeout: number | undefined;
  /** `maxconn`; the runtime API's `set maxconn frontend` changes it (0: nothing more is admitted). */
  maxconn: number;
  /** `rate-limit sessions N`: new sessions a second; past it, accepted sockets wait paused as past maxconn (0: no limit). */
  readonly sessionRateLimit: number;
  /** Lets sockets held by the session rate in once it has room. */
  private readonly rateRoom: RoomTimer;
  current = 0;
  totalSessions = 0;
  readonly sessions = new Set<ClientSession>();
  /** Set in HTTP mode: what HTTP sessions share. */
  readonly http: HttpHost | undefined;
  private listeners: Listener[] = [];
  /** Builds the HTTP/2 mux of a client connection (HTTP mode). */
  private readonly h2Mux: MultiplexedMuxFactory | undefined;
  /**
   * A tcp frontend's connections that reach an http backend become HTTP
   * sessions there (HAProxy's TCP to HTTP upgrade, in place for HTTP/1): this
   * host serves them. The frontend's rules ran on the raw bytes already, so
   * only the backend's apply to the requests (HAProxy: "only the backend
   * configuration is considered in the HTTP data processing").
   */
  private readonly upgradeHttp: HttpHost | undefined;
  private readonly waiting: Waiting[] = [];
  /** Connections whose first bytes the `tcp-request content` rules are looking at. */
  private readonly inspecting = new Set<Inspection>();
  /** `accept-proxy` connections whose PROXY header is not read yet. */
  private readonly readingHeader = new Set<ProxyHeaderReader>();
  /** `accept-proxy ssl` binds: plain listeners, TLS after the header (by bind). */
  private readonly acceptors = new Map<BindConfig, TlsAcceptor>();
  /** Connections closed by `tcp-request connection|content reject`. */
  deniedConnections = 0;
  /** Connections `tcp-request session` rules rejected (the stats' dses). */
  deniedSessions = 0;
  /** `show errors`: the last request this frontend's codec refused (the last response is its backend's). */
  lastRequestError: ErrorSnapshot | undefined;
  /** Traffic counters (stats/ reads them); its HTTP sessions count requests on the same object. */
  readonly counters = new TrafficCounters();
  /** `option contstats`: its TCP streams give the counters their bytes as they go (its HTTP host does for responses). */
  get contstats(): boolean {
    return this.config.contstats === true;
  }

  constructor(
    readonly config: FrontendConfig,
    readonly backend: Backend | undefined,
    /** With the host's listenUnix: UNIX socket binds can listen (without it they are refused at start). */
    readonly runtime: Runtime & Partial<Pick<System, "listenUnix">>,
    /** The proxy's one clock (shared by every frontend's sessions). */
    clock: Clock,
    private readonly gate: AcceptGate,
    readonly logger: Logger,
    /** The line of each TCP stream (and of a connection its content rules reject), in its log-format. */
    private readonly tcpLog: TcpLogWriter,
    /** What HTTP mode needs: its log, the ownership API, the codec's limits. */
    http?: {
      log: HttpLogSink;
      ownership: Ownership;
      limits: { maxHeadBytes: number; maxFields: number };
      h2: H2ServerOptions;
      rules?: RulesContext;
      /** Where trace filters write (issue 19, compress). */
      trace?: TraceOutput;
    },
    /** Backends by name and the World, for tcp-request rules and mode tcp's use_backend. */
    private readonly rules?: RulesContext & { maxInspectBytes: number; trace?: TraceOutput },
  ) {
    this.name = config.name;
    this.http = config.mode === "http" && http !== undefined
      ? new HttpHost(config, runtime, clock, http.limits, http.log, (s) => this.sessionEnded(s), http.ownership, http.rules, this.counters, http.trace)
      : undefined;
    this.upgradeHttp = config.mode === "tcp" && http !== undefined
      ? new HttpHost({ ...config, rules: undefined }, runtime, clock, http.limits, http.log, (s) => this.sessionEnded(s), http.ownership, http.rules, this.counters)
      : undefined;
    for (const host of [this.http, this.upgradeHttp]) {
      if (host !== undefined) host.onRefused = (side, capture, client, at) => this.keepRefused(side, capture, client, at);
    }
    if (http !== undefined) {
      const h2 = http.h2;
      const timers = runtime;
      this.h2Mux = (client, events) => new H2ServerConnection(client, h2, events, timers);
    }
    this.clientTimeout = config.timeouts.client;
    this.clientFinTimeout = config.timeouts.clientFin;
    this.maxconn = config.maxconn;
    this.sessionRateLimit = config.rateLimitSessions ?? 0;
    this.rateRoom = new RoomTimer(runtime, clock, () => this.admitWaiting());
    if (rules !== undefined) this.contentRules = { world: rules.world, maxInspectBytes: rules.maxInspectBytes, frontendRules: config.rules };
  }

  /** What a backend's `tcp-request content` rules need (mode tcp: the session runs them). */
  readonly contentRules: ContentRulesContext | undefined;

  get logAsap(): boolean {
    return this.config.logging?.asap === true;
  }

  /** A TCP stream's `filter trace` lines, when the frontend or the backend declares some. */
  traceFilters(backend: Backend): TraceFilter[] | undefined {
    const out = this.rules?.trace;
    return out === undefined ? undefined : tcpTraces(this.config, backend.config, out);
  }

  logTcp(session: TcpSession, stream: TcpStream): void {
    const world = this.config.logSamples === undefined ? undefined : this.rules?.world;
    this.tcpLog.stream(session.client, session.acceptDate, stream, this.runtime.now(), session.sampleTxn(world));
  }

  get listening(): readonly Listener[] {
    return this.listeners;
  }

  /** How start() listened, for resume(). */
  private reusePort = false;

  /** `reusePort`: a worker of a master shares every bind with its siblings (SO_REUSEPORT). */
  async start(reusePort = false): Promise<void> {
    this.reusePort = reusePort;
    for (const bind of this.config.binds) {
      if (bind.unix !== undefined) {
        this.listeners.push(await this.listenUnix(bind, bind.unix));
        continue;
      }
      // An IPv4 bind beside a dual-stack `::` one on its port: both open with SO_REUSEPORT, as HAProxy.
      const paired = this.config.binds.some((other) => acrossFamilies(other, bind) === "shared");
      const options: ListenOptions = { hostname: bind.host, port: bind.port, reusePort: reusePort || paired };
      if (bind.ipv6Only !== undefined) options.ipv6Only = bind.ipv6Only;
      if (bind.ssl !== undefined && bind.acceptProxy === true) {
        // The PROXY header comes before the ClientHello: listen plain, TLS once the header is read.
        if (this.runtime.tlsAcceptor === undefined) throw new Error(`bind ${bind.host}:${bind.port}: accept-proxy with ssl needs TLS over accepted connections, which the ${this.runtime.name} runtime adapter does not offer (docs/tcp.md says why); Bun and the compiled binary do`);
        this.acceptors.set(bind, this.runtime.tlsAcceptor(serverTlsOptions(bind.ssl, this.clientTimeout)));
      } else if (bind.ssl !== undefined) {
        options.tls = serverTlsOptions(bind.ssl, this.clientTimeout);
        options.onHandshakeFailure = (f) => {
          // The runtime accepted it and ran the handshake before sluice saw it: a connection all the same (HAProxy's conn_tot).
          this.countConnection();
          this.handshakeFailed(bind, f);
        };
      }
      const listener = await this.runtime.listen(options, (s) => this.accept(s, bind));
      this.listeners.push(listener);
    }
  }

  /**
   * A UNIX socket bind. As in HAProxy, its clients have no IP address: the
   * logs and `show sess` name them `unix` with the listener's number in the
   * frontend as port (HAProxy's luid: `unix:2` for the second bind), the
   * address they reached likewise.
   */
  private async listenUnix(bind: BindConfig, unix: NonNullable<BindConfig["unix"]>): Promise<Listener> {
    if (this.runtime.listenUnix === undefined) throw new Error(`frontend '${this.name}': bind ${bindAddress(bind)}: this runtime adapter cannot listen on UNIX sockets`);
    const here = { address: "unix", port: this.config.binds.indexOf(bind) + 1 };
    const header: ProxyHeader = { version: 1, source: here, destination: here };
    try {
      return await this.runtime.listenUnix(unix.path, (s) => this.accept(new ProxiedSocket(s, header), bind), unix);
    } catch (error) {
      throw new Error(`frontend '${this.name}': bind ${bindAddress(bind)}: ${(error as Error).message}`);
    }
  }

  /**
   * New certificates and TLS settings for this frontend's TLS binds (same
   * addresses, in order): new handshakes use them, the listeners stay open
   * and established connections keep theirs.
   */
  reloadTls(binds: readonly BindConfig[]): void {
    this.config.binds.forEach((bind, i) => {
      const next = binds[i];
      const listener = this.listeners[i];
      if (next?.ssl === undefined || bind.ssl === undefined) return;
      this.acceptors.get(bind)?.reload(serverTlsOptions(next.ssl, this.clientTimeout));
      if (listener?.reloadTls === undefined) return;
      listener.reloadTls(serverTlsOptions(next.ssl, this.clientTimeout));
    });
  }

  /** One line per failed handshake, as HAProxy's "SSL handshake failure"; the connection is already gone. */
  private handshakeFailed(bind: BindConfig, f: TlsHandshakeFailure): void {
    this.tlsRefused(bind, f.remoteAddress, f.remotePort, `SSL handshake failure (${f.reason})`);
  }

  private tlsRefused(bind: BindConfig, address: string, port: number, why: string): void {
    this.counters.tlsFailures++;
    const date = formatLogDate(this.runtime.wallNow());
    this.logger.event(`${address}:${port} [${date}] ${this.name}/${this.listenerName(bind)}: ${why}`);
  }

  /**
   * `verify optional|required` decided after the handshake (a certificate
   * that may be missing, errors that may be ignored): a refused client is
   * closed and logged as HAProxy's handshake would have refused it.
   */
  private refusesCertificate(socket: Socket, bind: BindConfig): boolean {
    const policy = bind.ssl?.clientCertificates;
    const tls = socket.tls;
    if (policy === undefined || tls === undefined) return false;
    const why = certificateRefusal(policy, tls.peer);
    if (why === undefined) return false;
    this.tlsRefused(bind, socket.remoteAddress, socket.remotePort, why);
    socket.destroy();
    return true;
  }

  /**
   * Stops accepting; sessions and waiting sockets go on. Resolves once no
   * listener can hand over a connection any more (Listener.acceptsEnded).
   */
  stopListening(): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const l of this.listeners) {
      l.close();
      if (l.acceptsEnded !== undefined) ending.push(l.acceptsEnded);
    }
    this.listeners = [];
    return ending.length === 0 ? Promise.resolve() : Promise.all(ending).then(() => {});
  }

  /**
   * `disable frontend`: its listeners close, as HAProxy 2.6's paused ones on
   * Linux (a connect is refused meanwhile, not kept in a backlog); its
   * sessions and the sockets waiting for a slot go on. False when it was
   * paused already.
   */
  pause(): boolean {
    if (this.paused) return false;
    this.paused = true;
    void this.stopListening();
    this.logger.event(`Paused ${this.kind} ${this.name}.`, LEVEL.warning);
    return true;
  }

  /**
   * `enable frontend`: listens again on every bind. False when it was not
   * paused; rejects (the listeners already reopened closed again) when a
   * bind cannot listen any more (its port taken meanwhile).
   */
  async resume(): Promise<boolean> {
    if (!this.paused) return false;
    try {
      await this.start(this.reusePort);
    } catch (error) {
      void this.stopListening();
      throw error;
    }
    this.paused = false;
    this.logger.event(`Resumed ${this.kind} ${this.name}.`, LEVEL.warning);
    return true;
  }

  /** HAProxy's word for it in messages (proxy_cap_str): "proxy" for a listen section (both halves from one line), else "frontend". */
  private get kind(): string {
    const b = this.backend?.config;
    return b !== undefined && b.name === this.name && b.origin.file === this.config.origin.file && b.origin.line === this.config.origin.line ? "proxy" : "frontend";
  }

  /** Paused by `disable frontend` (stats: PAUSED). */
  paused = false;

  /** A stop began (markStopping): `enable frontend` may not reopen it (HAProxy: "previously shut down"). */
  get stopped(): boolean {
    return this.stopping;
  }

  /**
   * `set maxconn frontend`: the new limit; sockets waiting for a slot get
   * one at once if it is higher (HAProxy's dequeue_proxy_listeners).
   */
  setMaxconn(maxconn: number): void {
    this.maxconn = maxconn;
    this.admitWaiting();
  }

  /**
   * `shutdown session` / `shutdown sessions server`: the streams of its
   * sessions that `which` selects are cut, as HAProxy's stream_shutdown
   * with the K cause. Returns how many.
   */
  shutdownStreams(which: (session: ClientSession) => boolean, server?: Server, cause?: CauseCode): number {
    let n = 0;
    for (const s of [...this.sessions]) if (which(s)) n += s.shutdown(server, cause);
    return n;
  }

  /** Graceful stop: sessions finish their current exchange, then close. */
  softStop(): void {
    for (const s of this.sessions) s.softStop?.();
  }

  /** Hard stop: every session and waiting socket is closed now. */
  killAll(): void {
    this.rateRoom.clear();
    for (const w of this.waiting.splice(0)) w.socket.destroy();
    for (const i of [...this.inspecting]) i.kill();
    for (const r of [...this.readingHeader]) r.kill();
    this.readingHeader.clear();
    for (const h of this.handshaking) h.kill();
    this.handshaking.clear();
    for (const s of [...this.sessions]) s.kill();
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  forget(waiting: Waiting): void {
    const i = this.waiting.indexOf(waiting);
    if (i >= 0) this.waiting.splice(i, 1);
    // A stop may be waiting for the last of them (one held by a rate, with no session open).
    this.gate.waitingGone?.();
  }

  sessionEnded(session: ClientSession): void {
    this.sessions.delete(session);
    this.current--;
    this.gate.ended();
  }

  /** `show errors`: a refused request stays on this frontend, a refused response on its stream's backend (HAProxy's snapshots). */
  private keepRefused(side: "request" | "response", capture: RefusedBytes, client: Socket, at: RefusedAt | undefined): void {
    const server = at?.server;
    const snapshot: ErrorSnapshot = {
      side,
      bytes: capture.bytes,
      position: capture.position,
      when: this.runtime.wallNow(),
      frontend: this.name,
      backend: at?.backend.name,
      // HAProxy's server id: its place in the backend, from 1.
      server: server === undefined ? undefined : { name: server.name, id: at!.backend.servers.indexOf(server) + 1 },
      event: this.gate.totals.errorEvents++,
      source: `${client.remoteAddress}:${client.remotePort}`,
    };
    if (side === "request") this.lastRequestError = snapshot;
    else if (at !== undefined) at.backend.lastResponseError = snapshot;
  }

  /** Starts waiting sockets while limits allow; called when any session ends. */
  admitWaiting(): void {
    while (this.waiting.length > 0 && this.current < this.maxconn && this.gate.admits() && this.rateAllows()) {
      const w = this.waiting.shift()!;
      // Waiting paused the socket after its first bytes: the session reads on from here.
      w.socket.resume();
      this.startSession(w.socket, w.early, w.bind, w.ended);
    }
    if (this.waiting.length > 0) {
      this.waitForRate();
      this.gate.waitForRate?.();
    }
  }

  /** `rate-limit sessions N`: one more session now keeps this frontend within N a second. */
  private rateAllows(): boolean {
    return this.sessionRateLimit === 0 || rateAllows(this.counters.sessionRate, this.sessionRateLimit, this.runtime.now());
  }

  /** Sockets wait for the session rate (not for a slot): they are admitted once it allows one more. */
  private waitForRate(): void {
    if (this.rateRoom.armed || this.rateAllows()) return;
    this.rateRoom.arm(this.counters.sessionRate.delayBelow(this.sessionRateLimit, this.runtime.now()));
  }

  private countConnection(): void {
    this.counters.connections++;
    const now = this.runtime.now();
    this.counters.connectionRate.add(now);
    this.gate.totals.connections++;
    this.gate.totals.connectionRate.add(now);
  }

  private accept(socket: Socket, bind: BindConfig): void {
    this.countConnection();
    if (this.refusesCertificate(socket, bind)) return;
    if (this.config.clientTcpKeepAlive === true) socket.setKeepAlive(true);
    // tcp-request connection: before anything is read or counted.
    const rules = this.config.rules;
    let expectProxy = bind.acceptProxy === true;
    if (rules !== undefined && rules.tcpConnection.length > 0 && this.rules !== undefined) {
      const txn = new HttpTxn(this.runtime.now(), socket, this.name, undefined, this.rules.world);
      if (runActions(rules.tcpConnection, txn) === Verdict.reject) {
        this.deniedConnections++;
        socket.destroy();
        return;
      }
      if (txn.expectProxy === true) expectProxy = true;
    }
    // accept-proxy / expect-proxy: after the connection rules (they see the real peer), as HAProxy.
    if (expectProxy) {
      this.readProxyHeader(socket, bind);
      return;
    }
    this.admit(socket, [], bind);
  }

  private admit(socket: Socket, early: Uint8Array[], bind: BindConfig): void {
    // tcp-request session: the connection is complete (PROXY header read, TLS handshake done); nothing counted as a session yet.
    const rules = this.config.rules;
    if (rules !== undefined && rules.tcpSession.length > 0 && this.rules !== undefined) {
      const txn = new HttpTxn(this.runtime.now(), socket, this.name, undefined, this.rules.world);
      if (runActions(rules.tcpSession, txn) === Verdict.reject) {
        this.deniedSessions++;
        socket.destroy();
        return;
      }
    }
    if (this.current >= this.maxconn || !this.gate.admits() || this.waiting.length > 0 || !this.rateAllows()) {
      const w = new Waiting(socket, bind, (gone) => this.forget(gone));
      w.early = early;
      socket.events = w;
      socket.pause();
      this.waiting.push(w);
      this.waitForRate();
      this.gate.waitForRate?.();
      return;
    }
    this.startSession(socket, early, bind, false);
  }

  /** The PROXY header first; the addresses it names are the connection's from then on (ProxiedSocket). */
  private readProxyHeader(socket: Socket, bind: BindConfig): void {
    const acceptDate = this.runtime.wallNow();
    const reader = new ProxyHeaderReader(socket, this.runtime, this.clientTimeout, {
      proxied: (proxied, early) => {
        this.readingHeader.delete(reader);
        // `sess.` variables the connection rules set stay the connection's (HAProxy's session).
        this.rules?.world.carrySessionVars?.(socket, proxied);
        const acceptor = this.acceptors.get(bind);
        if (acceptor === undefined) this.admit(proxied, early, bind);
        else this.handshake(acceptor, proxied, early, bind);
      },
      failed: (real, failure) => {
        this.readingHeader.delete(reader);
        this.proxyHeaderFailed(real, bind, failure, acceptDate);
      },
    });
    this.readingHeader.add(reader);
  }

  /** accept-proxy with ssl: the TLS handshake after the header (bounded by `timeout client`, as on TLS listeners). */
  private handshake(acceptor: TlsAcceptor, socket: Socket, early: Uint8Array[], bind: BindConfig): void {
    let pending: TlsAfterProxy | undefined;
    let finished = false;
    const finish = () => {
      finished = true;
      if (pending !== undefined) this.handshaking.delete(pending);
    };
    pending = new TlsAfterProxy(socket, early, acceptor, this.runtime, this.clientTimeout, {
      secured: (secured) => {
        finish();
        this.rules?.world.carrySessionVars?.(socket, secured);
        if (!this.refusesCertificate(secured, bind)) this.admit(secured, [], bind);
      },
      failed: (failure) => {
        finish();
        this.handshakeFailed(bind, failure);
      },
    });
    // A handshake refused in the same turn (strict-sni) has nothing left to track.
    if (!finished) this.handshaking.add(pending);
  }

  /** Connections between their PROXY header and the end of their TLS handshake (a hard stop closes them). */
  private readonly handshaking = new Set<TlsAfterProxy>();

  /** One line as HAProxy's for a connection closed in its handshake: `ADDR:PORT [date] FRONTEND/BIND: reason`. */
  private proxyHeaderFailed(socket: Socket, bind: BindConfig, failure: ProxyHeaderFailureReport, acceptDate: number): void {
    if (failure.empty && this.config.logging?.dontLogNull === true) return;
    const date = formatLogDate(acceptDate);
    this.logger.event(`${socket.remoteAddress}:${socket.remotePort} [${date}] ${this.name}/${this.listenerName(bind)}: ${failure.reason}`);
  }

  /** How HAProxy's connection-error lines name a listener: its `name`, else its number in the section. */
  private listenerName(bind: BindConfig): string | number {
    return bind.name ?? this.config.binds.indexOf(bind) + 1;
  }

  private stopping = false;

  /** Sessions started after a stop began (sockets that waited past maxconn) stop after one exchange too. */
  markStopping(): void {
    this.stopping = true;
  }

  /** `ended`: the client's FIN already came (its socket will not say it again). */
  private startSession(socket: Socket, early: Uint8Array[], bind: BindConfig, ended: boolean): void {
    if (this.backend === undefined) {
      // No default_backend: nothing can serve this connection.
      this.logger.event(`${socket.remoteAddress}:${socket.remotePort} ${this.name}: no default_backend, connection closed`);
      socket.destroy();
      return;
    }
    this.current++;
    this.totalSessions++;
    const now = this.runtime.now();
    this.counters.sessionStarted(this.current, now);
    this.gate.totals.sessionRate.add(now);
    if (socket.tls !== undefined) {
      this.counters.tlsHandshakes++;
      this.counters.lifetime.tlsSessions++;
      this.gate.totals.sslRate.add(now);
    }
    this.gate.started();
    const rules = this.config.rules;
    const switching = this.http === undefined && rules !== undefined && rules.useBackend.length > 0;
    if (rules !== undefined && this.rules !== undefined && (rules.tcpContent.length > 0 || switching)) {
      const txn = new HttpTxn(this.runtime.now(), socket, this.name, undefined, this.rules.world);
      const inspection = new Inspection(socket, txn, rules.tcpContent, rules.inspectDelay, this.rules.maxInspectBytes, this.runtime, this);
      this.inspecting.add(inspection);
      this.bindOf.set(inspection, bind);
      inspection.begin(early, ended);
      return;
    }
    this.serve(socket, early, bind, this.backend, ended);
  }

  /** Which bind each inspected connection came in on (its session needs it). */
  private readonly bindOf = new WeakMap<Inspection, BindConfig>();

  private serve(socket: Socket, early: Uint8Array[], bind: BindConfig, backend: Backend, ended: boolean, txn?: HttpTxn): void {
    const http = this.http ?? (backend.config.mode === "http" ? this.upgradeHttp : undefined);
    const session: ClientSession = http === undefined
      ? new TcpSession(this, backend, socket, txn)
      : this.h2Mux !== undefined && (bind.proto === "h2" || socket.tls?.alpn === "h2")
      ? new MuxSession(http, backend, socket, this.h2Mux)
      : new HttpSession(http, backend, socket);
    this.sessions.add(session);
    if (session instanceof MuxSession) this.counters.h2Connections++;
    else if (session instanceof HttpSession) this.counters.h1Connections++;
    session.begin(early);
    if (ended && this.sessions.has(session)) socket.events.end();
    if (this.stopping) session.softStop?.();
  }

  accepted(inspection: Inspection, held: Uint8Array[]): void {
    this.inspecting.delete(inspection);
    let backend = this.backend!;
    const rules = this.config.rules!;
    // Mode tcp: use_backend decides once, on the first bytes.
    if (this.http === undefined && rules.useBackend.length > 0) {
      const name = switchBackend(rules.useBackend, inspection.txn);
      if (name !== undefined) backend = this.rules!.backends.get(name) ?? backend;
    }
    this.serve(inspection.socket, held, this.bindOf.get(inspection)!, backend, inspection.clientEnded, inspection.txn);
  }

  gone(inspection: Inspection, rejected: boolean): void {
    this.inspecting.delete(inspection);
    this.counters.bytesIn += inspection.heldBytes;
    // HAProxy counts a content reject as a denied request (dreq; dcon is tcp-request connection's) and,
    // in mode tcp, logs it against the frontend itself: `fe fe/<NOSRV> -1/-1/Tt 0 PR`.
    if (rejected) {
      this.counters.deniedRequests++;
      if (this.http === undefined) this.logRejected(inspection);
    }
    this.current--;
    this.gate.ended();
  }

  private logRejected(inspection: Inspection): void {
    this.tcpLog.rejected(inspection.socket, this.runtime.now() - inspection.began, this.runtime.wallNow(), inspection.heldBytes, inspection.txn);
  }
}
