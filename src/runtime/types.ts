// The adapter interface: the only door between the proxy core and a runtime.
// Everything under src/ except src/runtime/ and src/main.ts is written against
// these types and never touches Bun.* or Deno.*.

/** What a socket tells its owner. Exactly one owner sets these at a time. */
export interface SocketEvents {
  /**
   * Bytes from the peer. The chunk belongs to the receiver from then on: the
   * adapter never reuses or mutates it, so it may be kept or written elsewhere
   * without a copy.
   */
  data(chunk: Uint8Array): void;
  /** Everything written so far has been handed to the kernel (after write() returned false). */
  drain(): void;
  /** The peer shut its write side (FIN). The socket may still be written to. */
  end(): void;
  /** The socket is fully closed; called exactly once, last. `error` if it died of one. */
  close(error?: Error): void;
}

/**
 * What the TLS handshake settled, on a socket that terminated TLS (the runtime
 * did the handshake; the core only reads these facts: logs, forwarding, rules,
 * and the server-side mux chosen by ALPN).
 */
export interface TlsFacts {
  /** The protocol ALPN chose ("h2", "http/1.1"), or "" when none was negotiated. */
  readonly alpn: string;
  /** The name the client sent (SNI), or "" without one. */
  readonly sni: string;
  /** "TLSv1.2", "TLSv1.3". */
  readonly version: string;
  /** The cipher suite's name, as OpenSSL names it. */
  readonly cipher: string;
  /** How long the handshake took, ms (HAProxy's %Th). */
  readonly handshakeMs: number;
  /** The certificate the client presented, where the listener asked for one (`verify optional|required`); undefined: none. */
  readonly peer?: PeerCertificate;
}

/** A client's certificate as the TLS library handed it over. */
export interface PeerCertificate {
  /** Its DER bytes. */
  readonly der: Uint8Array;
  /** Why it did not verify against the listener's CA certificates (OpenSSL's X509_V_ERR name: "CERT_HAS_EXPIRED"), "" when it did. */
  readonly verifyError: string;
}

export interface Socket {
  /** Set on a socket whose TLS the runtime terminated (or originated); undefined on plain TCP. */
  readonly tls?: TlsFacts;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Replaceable: a socket changes owner (accept → session, pool → stream). */
  events: SocketEvents;
  /**
   * Queue bytes for the peer. Returns true when nothing is left pending, false
   * when the adapter holds a remainder: the caller should stop producing (pause
   * its source) until `drain`. After false the caller must not mutate
   * `chunk`; after true the adapter keeps no reference to it, and its memory is
   * the caller's again (a scratch buffer may be reused).
   */
  write(chunk: Uint8Array): boolean;
  /** Bytes accepted by write() but not yet handed to the kernel. */
  readonly pending: number;
  /** Half-close: send FIN once pending bytes are flushed. Reading goes on. */
  end(): void;
  /** Close now, dropping pending bytes. `close` follows (once). Safe to call twice. */
  destroy(): void;
  /**
   * destroy() with a TCP reset (SO_LINGER 0) where the runtime allows it: no
   * FIN exchange, and no TIME_WAIT left on this side. For server connections
   * only (HAProxy closes those the same way): under churn every FIN-closed
   * one would hold a local port in TIME_WAIT for a minute. Never for a
   * client, whose unread response the reset would discard.
   */
  reset(): void;
  /**
   * SO_KEEPALIVE (HAProxy's `option tcpka`): the kernel probes an idle
   * connection, with the system's intervals. No-op on a unix socket.
   */
  setKeepAlive(on: boolean): void;
  /** Stop delivering `data` (the kernel buffer fills, TCP pushes back on the peer). */
  pause(): void;
  resume(): void;
  readonly closed: boolean;
}

/** One certificate with its chain and key, PEM text (as read from HAProxy's one-file layout). */
export interface TlsKeyPair {
  /** The leaf first, then its chain. */
  readonly cert: string;
  readonly key: string;
  /** A DER OCSP response to staple, when the runtime can (see README). */
  readonly ocsp?: Uint8Array;
}

/**
 * What a TLS listener serves. The runtime owns the handshake; which
 * certificate answers a name is decided above it (`select`, a pure function
 * of the name), so the choice of API stays here and the policy stays there.
 */
export interface ServerTlsOptions {
  /**
   * Certificate groups: the key pairs of one name, given to the TLS library
   * together (an ECDSA and an RSA certificate: the client's capabilities pick).
   */
  readonly groups: readonly (readonly TlsKeyPair[])[];
  /** The group for the SNI the client sent ("" without one), or -1: refuse the handshake (strict-sni). */
  select(servername: string): number;
  /** ALPN protocols offered, in preference order; empty: no ALPN. */
  readonly alpn: readonly string[];
  readonly minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  readonly maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** OpenSSL cipher list (TLS 1.2 and below). */
  readonly ciphers?: string;
  /** TLS 1.3 suites, colon-separated. */
  readonly ciphersuites?: string;
  /** Key exchange groups, colon-separated ("X25519:P-256"). */
  readonly curves?: string;
  /** Session ticket keys are replaced this often (ms), where the runtime lets us set them. */
  readonly ticketKeyRotateMs: number;
  /** False: issue no session tickets (HAProxy's `no-tls-tickets`); a runtime that cannot honour it refuses to listen. */
  readonly tickets: boolean;
  /** Seconds a session stays resumable, the lifetime its tickets say (`tune.ssl.lifetime`); absent: the TLS library's. */
  readonly sessionLifetimeSec?: number;
  /**
   * True: the client's cipher order picks (HAProxy's `prefer-client-ciphers`);
   * else the server's where the TLS library lets it (node:tls on Bun; Bun.listen
   * and Deno's rustls always follow the client's order).
   */
  readonly preferClientCiphers?: boolean;
  /** A handshake not done after this many ms is abandoned (HAProxy: `timeout client`); 0: no limit. */
  readonly handshakeTimeoutMs: number;
  /**
   * Clients are asked for a certificate (HAProxy's bind `verify optional|required`),
   * verified against `ca`. `rejectInHandshake`: a missing or unverified one fails
   * the handshake; else the handshake ends either way and the socket's `tls.peer`
   * says what came (the core decides).
   */
  readonly clientCertificates?: { readonly ca: string; readonly crl?: string; readonly rejectInHandshake: boolean };
}

/** A handshake that did not complete: the connection is gone, this says why. */
export interface TlsHandshakeFailure {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: string;
}

export interface ListenOptions {
  hostname: string;
  port: number;
  /** Terminate TLS on this listener; accepted sockets carry `tls` facts. */
  tls?: ServerTlsOptions;
  /** TLS listeners: a client whose handshake failed (it never reaches onAccept). */
  onHandshakeFailure?(failure: TlsHandshakeFailure): void;
  /**
   * Share the address with other listeners (SO_REUSEPORT): the workers of one
   * master, and the old and new workers during a reload.
   */
  reusePort?: boolean;
  /**
   * IPv6 hosts: true, IPv6 clients only (IPV6_V6ONLY on, HAProxy's `v6only`);
   * false, IPv4 clients too (`v4v6`); absent: the system's default. A runtime
   * that cannot set it refuses to listen.
   */
  ipv6Only?: boolean;
}

export interface Listener {
  readonly hostname: string;
  readonly port: number;
  /** Stop accepting; sockets already accepted live on. */
  close(): void;
  /**
   * Set where an accept may still be in flight when close() returns (Deno:
   * the pending accept can settle with a connection the kernel had queued,
   * which is handed over as any other): resolves once it has settled and
   * nothing more can arrive. Absent: close() is final when it returns (Bun).
   */
  readonly acceptsEnded?: Promise<void>;
  /**
   * TLS listeners: serve new handshakes with these certificates and settings
   * from now on, without closing the listener; open connections keep theirs.
   */
  reloadTls?(tls: ServerTlsOptions): void;
}

/** TLS towards a server. */
export interface ClientTlsOptions {
  /**
   * SNI to send; "" sends none. Also the name the certificate must match when
   * verifying; with "" only the chain is checked (HAProxy without `sni` or `verifyhost`).
   */
  readonly servername: string;
  /** Check the server's certificate (against `ca`, else the system store). */
  readonly verify: boolean;
  /** PEM CA certificates; undefined: the system store. */
  readonly ca?: string;
  /** ALPN protocols offered; empty: none. */
  readonly alpn: readonly string[];
  /** A client certificate. */
  readonly clientCert?: TlsKeyPair;
  /** The name the certificate must carry when no `servername` is sent (HAProxy's `verifyhost`). */
  readonly verifyHost?: string;
  readonly minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  readonly maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** OpenSSL cipher list (TLS 1.2 and below). */
  readonly ciphers?: string;
  /** TLS 1.3 suites, colon-separated. */
  readonly ciphersuites?: string;
  /** False: no session tickets, resumption by session ID only (`no-tls-tickets`). */
  readonly tickets: boolean;
  /** Where sessions are kept to resume later connections; absent: every connection a full handshake (`no-ssl-reuse`). */
  readonly sessions?: TlsSessions;
}

/**
 * TLS sessions to resume, by the SNI they were made with ("" for none): the
 * runtime stores what the TLS library hands out and offers it on the next
 * connection with the same SNI. The bytes are the library's, opaque here.
 */
export interface TlsSessions {
  get(servername: string): Uint8Array | undefined;
  set(servername: string, session: Uint8Array): void;
}

export interface ConnectOptions {
  hostname: string;
  port: number;
  /** Give up after this many ms (rejects with ConnectError code 'timeout'). 0 = no limit. */
  timeoutMs: number;
  /** Speak TLS on the connection; a failed handshake is a ConnectError 'tls'. */
  tls?: ClientTlsOptions;
  /**
   * With `tls`: reach `hostname:port` through this hop first (a SOCKS4
   * proxy), TLS starting once the hop let the connection through. A plain
   * connection through a hop is its caller's (conn/connect.ts speaks the
   * hop's bytes over the runtime's own socket); the runtime ignores it then.
   */
  through?: ConnectHop;
  /** Bind the connection to this local address and port (port 0: any) before connecting (`source`). */
  localAddress?: { readonly host: string; readonly port: number };
}

/**
 * A proxy a connection goes through (a server's `socks4`): the TCP connection
 * goes to `hostname:port`, sends `request`, and reads `replyLength` bytes;
 * `refusal` reads them and says why the hop refused (a ConnectError
 * 'refused'), or undefined: the connection now reaches the destination.
 * What the protocol says lives above (conn/socks4.ts); the runtime only
 * carries the bytes.
 */
export interface ConnectHop {
  readonly hostname: string;
  readonly port: number;
  readonly request: Uint8Array;
  readonly replyLength: number;
  refusal(reply: Uint8Array): string | undefined;
}

export type ConnectFailure = "refused" | "timeout" | "unreachable" | "tls" | "error";

/** A failed connect, typed so the caller can log and count it. */
export class ConnectError extends Error {
  constructor(
    readonly code: ConnectFailure,
    readonly hostname: string,
    readonly port: number,
    detail?: string,
  ) {
    super(`connect to ${hostname}:${port} failed: ${code}${detail ? ` (${detail})` : ""}`);
    this.name = "ConnectError";
  }
}

/** A host name that could not be resolved, typed so the caller can say which. */
export class ResolveError extends Error {
  constructor(readonly host: string, detail?: string) {
    super(`could not resolve '${host}'${detail ? ` (${detail})` : ""}`);
    this.name = "ResolveError";
  }
}

/** IPv4 addresses first (what a server line usually means), each once. */
export function orderAddresses(list: readonly { address: string; family: number }[]): string[] {
  const v4 = list.filter((a) => a.family === 4).map((a) => a.address);
  const v6 = list.filter((a) => a.family !== 4).map((a) => a.address);
  return [...new Set([...v4, ...v6])];
}

export type SignalName = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2";

declare const timerBrand: unique symbol;
/**
 * A one-shot timer: the runtime's own handle, typed opaque so that only
 * clearTimer() can use it (and no wrapper object is made per timer).
 */
export type TimerHandle = { readonly [timerBrand]: true };

/**
 * The clock and the timers. The core asks these of its runtime, never of the
 * globals, so that a test runtime can drive time (tests/support/mem-runtime.ts).
 */
export interface Timers {
  /** Monotonic milliseconds, for timers and durations. */
  now(): number;
  /** Milliseconds since the epoch, for the dates in log lines. */
  wallNow(): number;
  /**
   * Calls `fn` once, `ms` milliseconds from now (or a little later). Cheap
   * enough for the hot path: sessions re-arm one per request.
   */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** The timer will not fire. Harmless on one that fired or was cleared already. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Calls `fn` once the current event's work is done, before the runtime waits
   * for I/O again (setImmediate): the place to join what many callbacks of one
   * turn produced into one write.
   */
  defer(fn: () => void): void;
}

/**
 * TLS terminated on a connection accepted plain: `bind ... accept-proxy ssl`,
 * where the PROXY header comes before the ClientHello, so the core reads the
 * header first and hands the rest over.
 */
export interface TlsAcceptor {
  /**
   * Starts the handshake over `socket` (its owner from now on), `early`
   * being bytes already read after the header (the ClientHello, whose
   * `servername` the caller read: the certificate group is
   * `select(servername)`'s). `done` is called once, in the turn the
   * handshake ends: a TLS socket (addresses: `socket`'s; its events must be
   * set before `done` returns), or the failure.
   */
  accept(socket: Socket, early: Uint8Array[], servername: string, done: (result: Socket | TlsHandshakeFailure) => void): void;
  /** New handshakes use these certificates and settings from now on. */
  reload(tls: ServerTlsOptions): void;
}

/** A program to run (an external health check): execvp's lookup, a clean environment. */
export interface ProgramOptions {
  /** A path, or a name looked up in `env.PATH` as execvp does (an empty entry: the working directory). */
  readonly command: string;
  /** Arguments after the program's name. */
  readonly args: readonly string[];
  /** The program's whole environment: nothing of this process's is passed on. */
  readonly env: Readonly<Record<string, string>>;
}

/** How a program ended: its exit code, or the signal that ended it, or why it could not start. */
export type ProgramExit =
  | { readonly code: number; readonly signal: null }
  | { readonly code: null; readonly signal: string }
  | { readonly code: null; readonly signal: null; readonly error: string };

/** A program started by Runtime.runProgram. */
export interface RunningProgram {
  /** SIGTERM, as HAProxy ends a check that ran out of time; harmless once it has exited. */
  terminate(): void;
  /** Resolves once, when the program has exited (or could not start). */
  readonly exited: Promise<ProgramExit>;
}

/** A UDP socket for queries (DNS): sends to any address, hands over what comes back. */
export interface DatagramSocket {
  /** Sends one datagram without waiting; a failure is dropped (the query's own timeout notices). */
  send(bytes: Uint8Array, host: string, port: number): void;
  close(): void;
}

export interface Runtime extends Timers {
  readonly name: "bun" | "deno";
  readonly version: string;
  /** Accept connections; `onAccept` must set `socket.events` before returning. */
  listen(options: ListenOptions, onAccept: (socket: Socket) => void): Promise<Listener>;
  /** TLS over connections accepted plain (accept-proxy with ssl); absent: the runtime cannot, such binds are refused. */
  tlsAcceptor?(tls: ServerTlsOptions): TlsAcceptor;
  /** Open a connection; `events` are in place before any byte can arrive. */
  connect(options: ConnectOptions, events: SocketEvents): Promise<Socket>;
  /**
   * Why connections with these TLS settings cannot be made as written (a
   * setting the runtime's TLS library ignores), else undefined: checked at
   * start, so such a configuration is refused rather than served otherwise.
   */
  clientTlsGap?(tls: ClientTlsOptions): string | undefined;
  /**
   * The addresses of a host name, as the system resolver gives them
   * (getaddrinfo: /etc/hosts, then DNS), IPv4 first. Rejects with a
   * ResolveError when the name has none.
   */
  resolve(host: string): Promise<string[]>;
  /** Starts a program (stdin from /dev/null, stdout and stderr shared); a failure to start is an `exited` with `error`. */
  runProgram(options: ProgramOptions): RunningProgram;
  /** A UDP socket bound to an ephemeral port of `family` (IPv4 or IPv6); `onMessage` gets each datagram that arrives. */
  openDatagram(family: 4 | 6, onMessage: (bytes: Uint8Array, from: { readonly address: string; readonly port: number }) => void): DatagramSocket;
  onSignal(signal: SignalName, handler: () => void): void;
  /** The process's command-line arguments after the program (and script) name. */
  args(): string[];
  exit(code: number): never;
}

/** The admin side's HTTP listener: the runtime's own HTTP server with a fetch handler (hono's app.fetch). */
export interface HttpServeOptions {
  hostname: string;
  port: number;
  reusePort?: boolean;
  fetch(request: Request, client: { readonly address: string; readonly port: number }): Response | Promise<Response>;
}

export interface HttpListener {
  readonly hostname: string;
  readonly port: number;
  /** Stop accepting; requests in flight finish. */
  close(): Promise<void>;
}

/** A child process of this one (the master's workers). */
export interface ChildProcess {
  readonly pid: number;
  kill(signal: SignalName | "SIGKILL"): void;
  /** Resolves once the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: string | null }>;
}

export interface SpawnOptions {
  /** Arguments after the program (and script) name. */
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One side of a datagram socket that sends to one address (a log socket, systemd's notify socket). */
export interface DatagramSender {
  /** Sends one datagram without waiting; false: dropped (receiver gone or full, or the socket closed). */
  send(bytes: Uint8Array): boolean;
  close(): void;
}

/** What sluice tells the service manager (systemd's notify protocol, runtime/sd-notify.ts). */
export type ServiceState = "ready" | "reloading" | "stopping";

/** "sent", "dropped" (the socket did not take it), or "off": no $NOTIFY_SOCKET, nothing to tell. */
export type NotifyOutcome = "sent" | "dropped" | "off";

/** RLIMIT_NOFILE: the soft limit and the hard ceiling; Infinity: unlimited. */
export interface FileLimit {
  readonly soft: number;
  readonly hard: number;
}

/**
 * What operating a node needs beyond proxying (issue 16): the stats/metrics
 * HTTP listener, unix-domain sockets for the runtime API, and worker
 * processes. Kept apart from Runtime so the in-memory test runtime, which
 * drives the proxy core, need not pretend to have them.
 */
/** A unix socket file's mode and owner (`stats socket`/`bind` options mode, user/uid, group/gid). */
export interface SocketFileAccess {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface System {
  readonly pid: number;
  serveHttp(options: HttpServeOptions): Promise<HttpListener>;
  /**
   * A unix-domain socket listener at `path` (removed first if a stale socket
   * file is there; removed again when it closes), the file given `access`.
   */
  listenUnix(path: string, onAccept: (socket: Socket) => void, access?: SocketFileAccess): Promise<Listener>;
  /** A unix-domain socket connection (the master asking a worker). */
  connectUnix(path: string, events: SocketEvents): Promise<Socket>;
  /**
   * Writes a descriptor the process was started with (`log fd@N`), where the
   * runtime's file API cannot: Deno's node:fs writes only descriptors Deno
   * opened (EBADF otherwise). `done` is called later, as fs.write's is.
   * Absent where fs.write serves (Bun).
   */
  writeDescriptor?(fd: number, data: Uint8Array, offset: number, length: number, done: (err: Error | null, written: number) => void): void;
  /** Starts this same program again (the compiled binary, or the runtime with the same script); stdout and stderr shared. */
  spawnSelf(options: SpawnOptions): ChildProcess;
  /** An environment variable of this process (a worker learns its master's socket from one). */
  env(name: string): string | undefined;
  /** Cores this process may run on (`workers auto`). */
  cpuCount(): number;
  /** A UDP socket sending to host:port (an IP address, or a name the system resolves once). */
  openUdp(host: string, port: number): DatagramSender;
  // The rest goes through libc (src/runtime/libc.ts, Linux). Failures throw a
  // SystemCallError (the call and the errno's name) or, where there is no libc
  // to call, an UnsupportedSystemError naming the runtime (libc-errors.ts).
  /**
   * A unix datagram socket sending to `path` ('@name': Linux's abstract
   * namespace), never blocking. The receiver need not exist yet.
   */
  openUnixDatagram(path: string): DatagramSender;
  /** The supplementary groups (setgroups); [] drops them all. */
  setGroups(gids: readonly number[]): void;
  setGid(gid: number): void;
  setUid(uid: number): void;
  /** chroot(dir), then chdir("/"). */
  chroot(dir: string): void;
  fileLimit(): FileLimit;
  setFileLimit(limit: FileLimit): void;
  /** setsid(): a new session without a controlling terminal (a daemon). */
  newSession(): void;
  /** Pins the whole process (every thread, those to come too) to these CPUs (`cpu-map`). */
  setCpuAffinity(cpus: readonly number[]): void;
  /** Opens /dev/null now (before a chroot); the function returned points stdin, stdout and stderr at it. */
  devNullStdio(): () => void;
  /** Tells systemd (through $NOTIFY_SOCKET, when set) the service's state. */
  notifyServiceManager(state: ServiceState): NotifyOutcome;
  /** Connects to $NOTIFY_SOCKET now (before a chroot would hide it); "off" without one. */
  connectServiceManager(): NotifyOutcome;
}

/** A real runtime: the proxy core's Runtime and the operations side's System. */
export interface HostRuntime extends Runtime, System {}
