// One server of a backend: where it is, its weight, and what it carries now.
import type { BalanceTarget } from "../balance/types.ts";
import type { InitAddr, Origin, ServerConfig, ServerTls } from "../config/types.ts";
import type { ClientTlsOptions } from "../runtime/types.ts";
import { libraryTlsVersion } from "../tls/versions.ts";
import { ServerTlsSessions } from "./tls-sessions.ts";
import { type PoolTimers, ServerPool } from "../pool/server-pool.ts";
import { DEFAULT_H2_CLIENT_OPTIONS, type H2ClientOptions } from "../http2/client-connection.ts";
import type { PendingMux } from "./pending-mux.ts";
import { ServerState } from "./server-state.ts";
import { TrafficCounters } from "../conn/counters.ts";

/** Something waiting in a queue (a server's or its backend's) for a slot. */
export interface QueueWaiter {
  /** Called once a slot was taken for it on `server`. */
  granted(server: Server): void;
  /** Servers this waiter must avoid when others are free (already failed). */
  readonly tried: ReadonlySet<Server>;
  /** This server and no other (prefer-last-server after a connection-auth challenge). */
  readonly only?: Server | undefined;
  /** `force-persist` matched: `only` is taken even while DOWN or in maintenance, as HAProxy's SF_FORCE_PRST. */
  readonly forced?: boolean;
  /** The request's key hashed (hash algorithms), or NO_KEY. */
  readonly hash?: number;
  /** Set by the backend while queued: the order of arrival, and the server whose queue holds it (undefined: the backend's). */
  queueSeq?: number;
  queuedOn?: Server | undefined;
  /** Set by the backend when it queues the waiter: how many waited in that queue before it (the log's %sq / %bq). */
  queueAhead?: number;
  /** Set by the backend once it counted the stream among its sessions (a retry's new assign is not counted again). */
  backendCounted?: boolean;
  /** Its `only` server went DOWN while it waited in the backend's queue: any server will do now (`Backend.serverDown`). */
  unpin?(): void;
  /** Its server went away and no other can take it, or no server is usable any more (`Backend.redispatchQueue`, `serverDown`): it was taken out of its queue and ends (503). */
  refused?(): void;
}

export class Server implements BalanceTarget {
  readonly name: string;
  /** The host as written: a name or an IP. */
  readonly host: string;
  /** Where connections go (with `address`); the runtime API's `set server addr ... port` changes it. */
  port: number;
  readonly backup: boolean;
  /**
   * `maxconn` (0: no limit); the runtime API's `set maxconn server` changes
   * it. Kept as HAProxy's int: a negative value is a huge unsigned limit
   * there (slim shows 4294967295 for -1), so no limit here either.
   */
  maxconn: number;
  /** `minconn` (0: none): the limit then moves between it and maxconn with the backend's load (`limit`); `set maxconn server` moves it with maxconn when the two are equal. */
  minconn: number;
  /** Set by the backend of a server with minconn: its load now (HAProxy's beconn: streams on it and queued) and its fullconn. */
  loadOf: { load(): number; readonly fullconn: number } | undefined = undefined;
  rrCurrent = 0;
  lbSlot = 0;
  // ---- balancing and queues (issue 14, balance) ----
  /** Where connections go: the IP found at start for a name (init-addr), the host itself for an IP; "" when none was found (init-addr none): the server takes no traffic. */
  address: string;
  /** The weight asked for (0..256): as configured, or as the runtime API set it. */
  userWeight: number;
  /** The weight as configured (HAProxy's iweight: `set weight N%` is relative to it). */
  readonly initialWeight: number;
  /** `disabled` in the configuration (HAProxy's CMAINT flag in `show servers state`). */
  readonly configDisabled: boolean;
  /** The effective weight the algorithms use: userWeight, ramped during slowstart. */
  weight: number;
  /** `maxqueue`: streams waiting in this server's queue at most (0: no limit). */
  readonly maxqueue: number;
  /** `slowstart`: ms of weight ramp after coming UP (0: none). */
  readonly slowstart: number;
  /** Streams waiting for this server (bound to it by hash or prefer-last-server), oldest first. */
  readonly queue: QueueWaiter[] = [];
  /** The most streams its queue held at once. */
  queueMax = 0;
  /** Administrative and operational state, the last check, the health counters (issue 14, checks): `disabled` and `upSince` below read it. */
  readonly state: ServerState;
  /** Shared HTTP connections to this server (idle, safe) and its connection counters. */
  readonly pool: ServerPool;
  /** Connections carried now. */
  current = 0;
  /** Counters since start. */
  totalConnections = 0;
  connectFailures = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Traffic counters (stats/ reads them): sessions, requests, responses, errors. */
  readonly counters = new TrafficCounters();

  /** @param timers the proxy's clock (monotonic ms) and the runtime's timers, for the pool's purge. */
  /** @param h2MaxStreams tune.h2.be.max-concurrent-streams */
  constructor(readonly backendName: string, settings: ServerConfig, timers: PoolTimers, h2MaxStreams: number) {
    this.name = settings.name;
    this.host = settings.host;
    this.port = settings.port;
    this.mapPorts = settings.mapPorts === true;
    this.socks4 = settings.socks4;
    this.checkViaSocks4 = settings.checkViaSocks4 === true;
    this.source = settings.source;
    this.userWeight = settings.weight;
    this.initialWeight = settings.weight;
    this.configDisabled = settings.disabled;
    this.weight = settings.weight;
    this.address = settings.host;
    this.maxqueue = settings.maxqueue ?? 0;
    this.slowstart = settings.slowstart ?? 0;
    this.initAddr = settings.initAddr;
    this.origin = settings.origin;
    this.backup = settings.backup;
    this.cookie = settings.cookie;
    this.redirectPrefix = settings.redir;
    // Without `check` nothing moves the health counter: rise and fall of 1 keep it simple.
    this.state = new ServerState(settings.check?.rise ?? 1, settings.check?.fall ?? 1, settings.disabled, timers.now());
    // No maxconn: no limit (0, as HAProxy writes it).
    this.maxconn = settings.maxconn ?? 0;
    this.minconn = settings.minconn ?? 0;
    this.sendProxy = settings.sendProxy;
    this.proto = settings.proto;
    this.maxReuse = settings.maxReuse;
    this.h2Options = { ...DEFAULT_H2_CLIENT_OPTIONS, localMaxStreams: h2MaxStreams, maxReuse: this.maxReuse };
    const ssl = settings.ssl;
    const sessions = ssl !== undefined || settings.checkTls !== undefined ? new ServerTlsSessions() : undefined;
    if (ssl !== undefined) this.tls = clientTls(ssl, sessions);
    this.sniOf = ssl === undefined ? undefined : settings.sniOf;
    // The checks' TLS: the traffic's, or the settings written for checks alone; check-sni / check-alpn instead of sni / alpn.
    const checkSource = settings.checkTls ?? ssl;
    if (checkSource === undefined) this.checkTls = undefined;
    else if (checkSource === ssl && ssl.checkSni === undefined && ssl.checkAlpn === undefined) this.checkTls = this.tls;
    else this.checkTls = clientTls({ ...checkSource, sni: checkSource.checkSni ?? checkSource.sni, alpn: checkSource.checkAlpn ?? checkSource.alpn }, sessions);
    this.reuseKey = sniKey(ssl?.sni ?? "");
    this.pool = new ServerPool(this.id, {
      maxConn: settings.poolMaxConn,
      purgeDelay: settings.poolPurgeDelay,
      lowConn: settings.poolLowConn,
    }, timers);
  }

  /** The port was left out, 0 or `+N`/`-N`: `port` is added to the client's destination port. */
  readonly mapPorts: boolean;
  /** `socks4 ADDR:PORT`: connections go through this SOCKS4 proxy; checks too with `check-via-socks4`. */
  readonly socks4: { readonly host: string; readonly port: number } | undefined;
  readonly checkViaSocks4: boolean;
  /** `source ADDR[:PORT]` of its backend: where its connections and checks go from. */
  readonly source: { readonly host: string; readonly port: number } | undefined;

  /** Where the connection goes depends on where the client connected (`0.0.0.0`/`::`, or mapped ports). */
  get followsClient(): boolean {
    return this.mapPorts || this.address === "0.0.0.0" || this.address === "::";
  }

  /**
   * Where a connection goes for a client that reached `dst` (after `set-dst`
   * and `set-dst-port`): HAProxy's assign_server_address. Port 0 or beyond
   * 65535: no port to go to (the connect fails).
   */
  targetFor(dst: { readonly localAddress: string; readonly localPort: number }): { host: string; port: number } {
    const host = this.address === "0.0.0.0" || this.address === "::" ? dst.localAddress : this.address;
    return { host, port: this.mapPorts ? dst.localPort + this.port : this.port };
  }

  /** `ssl`: connections speak TLS (SNI, verification, ALPN, client certificate). */
  readonly tls: ClientTlsOptions | undefined;
  /** What TLS checks speak (`check-ssl`): the server's `ssl` settings, or those written without `ssl` for checks only. */
  readonly checkTls: ClientTlsOptions | undefined;
  /** What every connection's reuse key starts with: the SNI it sent (connection-ownership.md, invariant 12). */
  readonly reuseKey: string;
  /** `sni <expression>` (compiled with the backend's rules): the stream names each connection with it (`tlsFor`); undefined: `tls` names it. */
  readonly sniOf: ServerConfig["sniOf"];

  /**
   * With `sni <expression>`: the TLS settings and the reuse key's start of a
   * connection that sends `name` ("" sends none). A new object per call:
   * only for servers with an expression, once per request.
   */
  tlsFor(name: string): { readonly tls: ClientTlsOptions; readonly reuseKey: string } {
    return { tls: { ...this.tls!, servername: name }, reuseKey: sniKey(name) };
  }

  /** The server's connections are HTTP/2 (`proto h2`), or may become so by ALPN (`alpn h2,...`). */
  get multiplexed(): boolean {
    return this.proto === "h2" || (this.tls?.alpn.includes("h2") ?? false);
  }
  /** Where a connect failure worth the operator's eye is told (a certificate that did not verify); `level`: syslog's, notice by default; `syslogText`: the line's syslog wording when it differs. */
  report: (text: string, level?: number, syslogText?: string) => void = () => {};

  /** `send-proxy`: each connection starts with a PROXY protocol v1 header. */
  readonly sendProxy: boolean;
  /** `option srvtcpka`/`tcpka` in its backend: SO_KEEPALIVE on its traffic connections (not its checks, as HAProxy). */
  tcpKeepAlive = false;
  /** Its backend's `option h1-case-adjust-bogus-server`: how HTTP/1 requests to it name fields. */
  caseAdjust: ReadonlyMap<string, string> | undefined;
  /** `proto`: HTTP/1.1 or HTTP/2 (cleartext, prior knowledge) to this server. */
  readonly proto: "h1" | "h2";
  /** `max-reuse`: streams an HTTP/2 connection carries in its life; -1 unlimited. */
  readonly maxReuse: number;
  /** How HTTP/2 connections to this server are set up. */
  readonly h2Options: H2ClientOptions;
  /** HTTP/2 connections being opened that waiting streams may share (http-reuse always). */
  readonly pendingMuxes: PendingMux[] = [];

  /** Its connections can become a byte tunnel (CONNECT): HTTP/1.1 ones can, an HTTP/2 stream cannot (RFC 9113 §8.5 needs a tunnel sluice does not build). */
  get tunnels(): boolean {
    return this.proto !== "h2";
  }

  get id(): string {
    return `${this.backendName}/${this.name}`;
  }

  /** `disabled`: in maintenance (MAINT). */
  get disabled(): boolean {
    return this.state.admin === "MAINT";
  }

  set disabled(value: boolean) {
    this.state.admin = value ? "MAINT" : "READY";
  }

  /** Monotonic ms when it last came UP after being DOWN, -1 while never down (slowstart ramps from it). */
  get upSince(): number {
    return this.state.upSince;
  }

  /** `cookie VALUE` (issue 15, cookie): what the backend's persistence cookie says for this server; undefined: none. */
  readonly cookie: string | undefined;
  /** `redir PREFIX`: GET and HEAD requests are redirected there instead of being forwarded. */
  readonly redirectPrefix: string | undefined;

  /**
   * Takes the streams bound to it (a persistence cookie, use-server,
   * prefer-last-server): UP and not in maintenance, HAProxy's "not
   * STOPPED". Unlike `usable`, a draining server or one of weight 0 still
   * serves the clients that name it.
   */
  get running(): boolean {
    const state = this.state;
    return state.admin !== "MAINT" && state.op === "UP" && this.address !== "";
  }

  /** Takes new load-balanced streams: READY, UP (not stopping: disable-on-404), with a weight. */
  get usable(): boolean {
    const state = this.state;
    return state.admin === "READY" && state.op === "UP" && !state.stopping && this.weight > 0 && this.address !== "";
  }

  /** The weight slowstart allows at `now`: growing from 1 to userWeight over `slowstart` ms after `upSince`. */
  rampedWeight(now: number): number {
    if (this.slowstart === 0 || this.upSince < 0 || this.userWeight === 0) return this.userWeight;
    const elapsed = now - this.upSince;
    if (elapsed >= this.slowstart) return this.userWeight;
    return Math.max(1, Math.ceil((this.userWeight * Math.max(0, elapsed)) / this.slowstart));
  }

  /** `init-addr` as written (undefined: the built-in methods), and where the server was written, for start-up errors. */
  readonly initAddr: readonly InitAddr[] | undefined;
  readonly origin: Origin;

  /** Streams waiting in this server's queue now. */
  get queued(): number {
    return this.queue.length;
  }

  get hasSlot(): boolean {
    if (this.maxconn <= 0) return true;
    const max = this.loadOf === undefined ? this.maxconn : this.limit;
    return max === 0 || this.current < max;
  }

  /**
   * The connections it takes now (HAProxy's srv_dynamic_maxconn): maxconn
   * once the backend's load reaches fullconn, else maxconn × load / fullconn,
   * never below minconn.
   */
  get limit(): number {
    const backend = this.loadOf;
    if (backend === undefined) return this.maxconn;
    const load = backend.load();
    if (load >= backend.fullconn) return this.maxconn;
    return Math.max(this.minconn, Math.floor((load * this.maxconn) / backend.fullconn));
  }
}

/** The start of the reuse key of connections that sent SNI `name` ("" for none). */
function sniKey(name: string): string {
  return name === "" ? "" : `sni=${name}\n`;
}

/** A server's TLS settings as the connect path takes them; `sessions`: where resumable sessions are kept (ssl-reuse). */
function clientTls(ssl: ServerTls, sessions: ServerTlsSessions | undefined): ClientTlsOptions {
  const tls: { -readonly [K in keyof ClientTlsOptions]: ClientTlsOptions[K] } = {
    servername: ssl.sni,
    verify: ssl.verify === "required",
    alpn: ssl.alpn,
    tickets: ssl.tickets,
  };
  if (ssl.ca !== undefined) tls.ca = ssl.ca;
  if (ssl.clientCert !== undefined) tls.clientCert = ssl.clientCert;
  if (ssl.verifyHost !== undefined) tls.verifyHost = ssl.verifyHost;
  if (ssl.minVersion !== undefined) tls.minVersion = libraryTlsVersion(ssl.minVersion);
  if (ssl.maxVersion !== undefined) tls.maxVersion = libraryTlsVersion(ssl.maxVersion);
  if (ssl.ciphers !== undefined) tls.ciphers = ssl.ciphers;
  if (ssl.ciphersuites !== undefined) tls.ciphersuites = ssl.ciphersuites;
  if (ssl.reuse && sessions !== undefined) tls.sessions = sessions;
  return tls;
}
