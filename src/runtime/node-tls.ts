// TLS on both runtimes through node:tls: listening with certificates chosen by
// SNI (SNICallback; Bun.listen and Deno.listenTls take one certificate), and
// connecting to servers with SNI, ALPN, verification and client certificates.
// Measured against the runtimes' own TLS listeners in bench/tls.ts (numbers in
// bench/README.md). The TLS socket is wrapped into the same Socket as plain
// TCP: write() says false while bytes are held, `drain` once they are flushed,
// half-close, pause/resume, one `close`.
import { constants as cryptoConstants, randomBytes } from "node:crypto";
import tls from "node:tls";
import type { Socket as NetSocket } from "node:net";
import type { HandshakeGate } from "./handshake-gate.ts";
import {
  type ClientTlsOptions,
  ConnectError,
  type Listener,
  type ListenOptions,
  type PeerCertificate,
  type ServerTlsOptions,
  type Socket,
  type SocketEvents,
  type TlsFacts,
  type TlsKeyPair,
} from "./types.ts";

const noop = () => {};
export const NO_EVENTS: SocketEvents = { data: noop, drain: noop, end: noop, close: noop };

/**
 * How a socket pauses. "stream": the TLS socket's own pause() (the kernel
 * buffer fills and TCP pushes back). "hold": pausing only stops delivery and
 * holds what arrives — for Deno, whose node:tls never delivers again after a
 * pause() and resume() (4 MiB sent after a pause never arrived; it reads
 * from the kernel regardless, so holding costs no push-back it had).
 */
export type PauseMode = "stream" | "hold";

/** What the held queue keeps for the peer's FIN. */
const HELD_END = null;

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class NodeTlsSocket implements Socket {
  events: SocketEvents;
  closed = false;
  tls: TlsFacts | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Writes not yet reported done by their callback. */
  private inflight = 0;
  private needDrain = false;
  private error: Error | undefined;
  private paused = false;
  /** "hold" mode: what arrived while paused, in order; HELD_END for the FIN. */
  private held: (Uint8Array | typeof HELD_END)[] = [];

  /** `raw` is a plain node:net socket (no `facts`) on a connection from a chosen local address (node-hop.ts). */
  constructor(
    readonly raw: tls.TLSSocket | NetSocket,
    events: SocketEvents,
    facts: TlsFacts | undefined,
    addr: Pick<NetSocket, "remoteAddress" | "remotePort" | "localAddress" | "localPort">,
    private readonly pauseMode: PauseMode,
  ) {
    this.events = events;
    this.tls = facts;
    this.remoteAddress = addr.remoteAddress ?? "";
    this.remotePort = addr.remotePort ?? 0;
    this.localAddress = addr.localAddress ?? "";
    this.localPort = addr.localPort ?? 0;
    raw.on("data", this.onData);
    raw.on("end", this.onEnd);
    raw.on("error", this.onError);
    raw.on("close", this.onClose);
  }

  get pending(): number {
    return this.closed ? 0 : this.raw.writableLength;
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.raw.writableEnded) return false;
    if (chunk.length === 0) return this.inflight === 0;
    this.inflight++;
    this.raw.write(chunk, this.onWritten);
    // Nothing buffered: the TLS layer took (encrypted, so copied) the bytes at once.
    if (this.raw.writableLength === 0) return true;
    // Node keeps a reference to the chunk until its callback: until then the
    // bytes count as held, and `drain` says when they are gone.
    this.needDrain = true;
    return false;
  }

  private readonly onWritten = (error?: Error | null): void => {
    this.inflight--;
    if (error) {
      this.error ??= error;
      return;
    }
    if (this.inflight !== 0 || !this.needDrain || this.closed) return;
    this.needDrain = false;
    this.events.drain();
  };

  end(): void {
    if (this.closed) return;
    this.raw.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.raw.destroy();
  }

  reset(): void {
    // A TLS connection ends as destroy() does: the reset would skip nothing
    // the kernel keeps (node:tls sockets close through their own stream).
    this.destroy();
  }

  setKeepAlive(on: boolean): void {
    if (!this.closed) this.raw.setKeepAlive(on);
  }

  pause(): void {
    if (this.pauseMode === "stream") this.raw.pause();
    else this.paused = true;
  }

  resume(): void {
    if (this.pauseMode === "stream") {
      this.raw.resume();
      return;
    }
    if (!this.paused) return;
    this.paused = false;
    // Held bytes go out from a later microtask, never from inside resume().
    if (this.held.length > 0) queueMicrotask(this.deliverHeld);
  }

  private readonly deliverHeld = (): void => {
    const held = this.held;
    while (held.length > 0 && !this.paused && !this.closed) {
      const chunk = held.shift()!;
      if (chunk === HELD_END) this.deliverEnd();
      else this.deliver(chunk);
    }
  };

  /** "hold" mode keeps arrivals behind anything still held, in order. */
  private mustHold(): boolean {
    return this.paused || (this.held.length > 0 && this.pauseMode === "hold");
  }

  private readonly onData = (chunk: Uint8Array): void => {
    if (this.closed) return;
    if (this.mustHold()) this.held.push(chunk);
    else this.deliver(chunk);
  };

  private readonly onEnd = (): void => {
    if (this.closed) return;
    if (this.mustHold()) this.held.push(HELD_END);
    else this.deliverEnd();
  };

  private deliver(chunk: Uint8Array): void {
    try {
      this.events.data(chunk);
    } catch (e) {
      this.error ??= asError(e);
      this.raw.destroy();
    }
  }

  private deliverEnd(): void {
    try {
      this.events.end();
    } catch (e) {
      this.error ??= asError(e);
      this.raw.destroy();
    }
  }

  private readonly onError = (error: Error): void => {
    this.error ??= error;
  };

  private readonly onClose = (): void => {
    const events = this.events;
    if (events === NO_EVENTS) return;
    this.closed = true;
    this.events = NO_EVENTS;
    events.close(this.error);
  };
}

/** `askedForCertificate`: the listener asked the client for one (its `peer`, if it sent one). */
export function factsOf(raw: tls.TLSSocket, servername: string, startedAt: number, askedForCertificate = false): TlsFacts {
  const alpn = raw.alpnProtocol;
  const facts = {
    alpn: typeof alpn === "string" ? alpn : "",
    sni: servername,
    version: raw.getProtocol() ?? "",
    cipher: raw.getCipher()?.name ?? "",
    handshakeMs: performance.now() - startedAt,
  };
  const peer = askedForCertificate ? peerCertificate(raw) : undefined;
  return peer === undefined ? facts : { ...facts, peer };
}

function peerCertificate(raw: tls.TLSSocket): PeerCertificate | undefined {
  const der = raw.getPeerCertificate()?.raw;
  if (der === undefined || der.length === 0) return undefined;
  const error = raw.authorizationError;
  // A string code in Bun's and Deno's node:tls (node's types say Error).
  const code = error === undefined || error === null ? "UNSPECIFIED" : typeof error === "string" ? error : (error as { code?: string }).code ?? error.message;
  return { der: new Uint8Array(der), verifyError: raw.authorized ? "" : code };
}

/** The server-side options that ask clients for certificates. */
export function clientCertificateOptions(o: ServerTlsOptions): { requestCert?: boolean; rejectUnauthorized?: boolean } {
  const c = o.clientCertificates;
  return c === undefined ? {} : { requestCert: true, rejectUnauthorized: c.rejectInHandshake };
}

/** node:tls takes TLS 1.3 suites in the same `ciphers` string as the older ones. */
function cipherList(o: { readonly ciphers?: string | undefined; readonly ciphersuites?: string | undefined }): string | undefined {
  const parts = [o.ciphersuites, o.ciphers].filter((p): p is string => p !== undefined && p !== "");
  return parts.length === 0 ? undefined : parts.join(":");
}

/** The settings every context of a listener shares (versions, ciphers, curves, tickets). */
export function commonOptions(o: ServerTlsOptions): tls.SecureContextOptions {
  const options: tls.SecureContextOptions = {};
  // Every context, the SNI ones too: the context that ends the handshake decides.
  if (!o.tickets) options.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
  if (o.sessionLifetimeSec !== undefined) options.sessionTimeout = o.sessionLifetimeSec;
  if (o.minVersion !== undefined) options.minVersion = o.minVersion;
  if (o.maxVersion !== undefined) options.maxVersion = o.maxVersion;
  const ciphers = cipherList(o);
  if (ciphers !== undefined) options.ciphers = ciphers;
  if (o.curves !== undefined) options.ecdhCurve = o.curves;
  // The CA certificates clients' certificates are verified against: in every context (the one that ends the handshake verifies).
  if (o.clientCertificates !== undefined) options.ca = o.clientCertificates.ca;
  if (o.clientCertificates?.crl !== undefined) options.crl = o.clientCertificates.crl;
  // HAProxy's default is the server's order (SSL_OP_CIPHER_SERVER_PREFERENCE); prefer-client-ciphers clears it.
  options.honorCipherOrder = o.preferClientCiphers !== true;
  return options;
}

function contextOf(o: ServerTlsOptions, group: readonly TlsKeyPair[]): tls.SecureContext {
  return tls.createSecureContext({
    ...commonOptions(o),
    cert: group.map((p) => p.cert),
    key: group.map((p) => p.key),
  });
}

export interface Served {
  options: ServerTlsOptions;
  contexts: tls.SecureContext[];
}

export function prepare(options: ServerTlsOptions): Served {
  return { options, contexts: options.groups.map((g) => contextOf(options, g)) };
}

const handshakeStart = Symbol("handshakeStart");
const handshakeTimer = Symbol("handshakeTimer");
const timedOut = Symbol("timedOut");
const gateTicket = Symbol("gateTicket");
/** The handshake ended, well or not (secureConnection or tlsClientError came): a later close says nothing more. */
const settled = Symbol("settled");
type Accepted = NetSocket & {
  [handshakeStart]?: number;
  [gateTicket]?: object;
  [handshakeTimer]?: ReturnType<typeof setTimeout>;
  [timedOut]?: boolean;
  [settled]?: boolean;
};

function parentOf(raw: tls.TLSSocket): Accepted | undefined {
  return (raw as unknown as { _parent?: Accepted })._parent ?? (raw as unknown as Accepted);
}

/** Where a failed handshake came from: Deno's TLS socket does not say, its TCP socket does. */
function peerOf(s: tls.TLSSocket | undefined): { address: string; port: number } {
  const parent = (s as unknown as { _parent?: NetSocket } | undefined)?._parent;
  return {
    address: s?.remoteAddress ?? parent?.remoteAddress ?? "",
    port: s?.remotePort ?? parent?.remotePort ?? 0,
  };
}

export function listenTls(
  options: ListenOptions & { tls: ServerTlsOptions },
  onAccept: (socket: Socket) => void,
  pauseMode: PauseMode,
  gate?: HandshakeGate,
): Promise<Listener> {
  let served = prepare(options.tls);
  const server = tls.createServer({
    ...commonOptions(options.tls),
    ...clientCertificateOptions(options.tls),
    allowHalfOpen: true,
    ALPNProtocols: [...options.tls.alpn],
    SNICallback(servername, callback) {
      const index = served.options.select(servername);
      const context = served.contexts[index];
      if (context === undefined) {
        callback(new Error(servername === "" ? "no SNI (strict-sni)" : `unknown SNI '${servername}' (strict-sni)`));
      } else {
        callback(null, context);
      }
    },
  });
  // A client that sends no SNI gets the default group through the server's own context.
  const setDefault = () => {
    const index = served.options.select("");
    const group = served.options.groups[index];
    // strict-sni: no certificate at all without SNI, so that handshake fails.
    server.setSecureContext({
      ...commonOptions(served.options),
      ...(group === undefined ? {} : { cert: group.map((p) => p.cert), key: group.map((p) => p.key) }),
    });
  };
  setDefault();
  const rotate = () => {
    try {
      server.setTicketKeys(randomBytes(48));
    } catch {
      // Bun 1.4.5 throws here (it has no setTicketKeys); its TLS library rotates its own ticket key.
    }
  };
  rotate();
  const rotation = setInterval(rotate, options.tls.ticketKeyRotateMs);
  (rotation as { unref?: () => void }).unref?.();

  server.on("connection", (raw: Accepted) => {
    raw.setNoDelay(true);
    raw[handshakeStart] = performance.now();
    // Bun: handshakes in the order of accept (handshake-gate.ts), paused on the native socket,
    // where pausing the stream would hold back the first request after the handshake.
    const handle = (raw as unknown as { _handle?: { pause(): void; resume(): void } })._handle;
    if (gate !== undefined && handle !== undefined) {
      const ticket = gate.enter({ pause: () => handle.pause(), resume: () => handle.resume() });
      raw[gateTicket] = ticket;
      raw.once("close", () => gate.leave(ticket));
    }
    // A client that stops mid-handshake is not always noticed (Deno waits on),
    // so the handshake has its own deadline.
    const limit = served.options.handshakeTimeoutMs;
    if (limit > 0) {
      raw[handshakeTimer] = setTimeout(() => {
        raw[timedOut] = true;
        raw.destroy();
      }, limit);
    }
    // A client gone before its handshake ended, with no TLS error raised (Deno's node:tls raises none when it
    // closes before its ClientHello, or when the deadline cut it): a failed handshake all the same, as HAProxy counts it.
    const from = { remoteAddress: raw.remoteAddress ?? "", remotePort: raw.remotePort ?? 0 };
    raw.once("close", () => {
      if (raw[settled] === true) return;
      raw[settled] = true;
      if (raw[handshakeTimer] !== undefined) clearTimeout(raw[handshakeTimer]);
      const reason = raw[timedOut] === true ? "handshake timeout" : "connection closed during the handshake";
      options.onHandshakeFailure?.({ ...from, reason });
    });
  });
  server.on("secureConnection", (raw: tls.TLSSocket) => {
    const parent = parentOf(raw);
    if (parent !== undefined) parent[settled] = true;
    if (parent?.[gateTicket] !== undefined) gate?.leave(parent[gateTicket]);
    if (parent?.[handshakeTimer] !== undefined) clearTimeout(parent[handshakeTimer]);
    const started = parent?.[handshakeStart] ?? performance.now();
    const servername = (raw as unknown as { servername?: string | false }).servername;
    const facts = factsOf(raw, typeof servername === "string" ? servername : "", started, served.options.clientCertificates !== undefined);
    const socket = new NodeTlsSocket(raw, NO_EVENTS, facts, raw, pauseMode);
    try {
      onAccept(socket);
    } catch {
      socket.destroy();
    }
  });
  server.on("tlsClientError", (error: Error, raw: tls.TLSSocket) => {
    const peer = peerOf(raw);
    const parent = raw === undefined ? undefined : parentOf(raw);
    if (parent?.[settled] === true) return;
    if (parent !== undefined) parent[settled] = true;
    if (parent?.[gateTicket] !== undefined) gate?.leave(parent[gateTicket]);
    if (parent?.[handshakeTimer] !== undefined) clearTimeout(parent[handshakeTimer]);
    const reason = parent?.[timedOut] ? "handshake timeout" : error.message;
    options.onHandshakeFailure?.({ remoteAddress: peer.address, remotePort: peer.port, reason });
    raw?.destroy();
  });
  return new Promise<Listener>((resolve, reject) => {
    server.once("error", reject);
    // reusePort: node's listen option (SO_REUSEPORT), honoured by Bun's and Deno's node:net.
    // ipv6Only: node's listen option (IPV6_V6ONLY), honoured by Bun's node:net (Deno's ignores it: deno.ts refuses first).
    const listenOptions = { port: options.port, host: options.hostname, reusePort: options.reusePort ?? false, ...(options.ipv6Only === undefined ? {} : { ipv6Only: options.ipv6Only }) };
    server.listen(listenOptions, () => {
      server.off("error", reject);
      server.on("error", noop);
      const address = server.address() as { address: string; port: number };
      resolve({
        hostname: address.address,
        port: address.port,
        close() {
          clearInterval(rotation);
          server.close();
        },
        reloadTls(next: ServerTlsOptions) {
          served = prepare(next);
          setDefault();
        },
      });
    });
  });
}

/** node:tls's options for a connection to a server with `options` (SNI, verification, ALPN, client certificate). */
export function tlsConnectOptions(
  hostname: string,
  port: number,
  options: ClientTlsOptions,
  local?: { readonly host: string; readonly port: number },
): tls.ConnectionOptions & { allowHalfOpen: boolean; localAddress?: string; localPort?: number } {
  // allowHalfOpen: our FIN-after-FIN contract (node's types omit it for tls.connect); localAddress/localPort go to the TCP connect.
  const connectOptions: tls.ConnectionOptions & { allowHalfOpen: boolean; localAddress?: string; localPort?: number } = {
    host: hostname,
    port,
    allowHalfOpen: true,
    rejectUnauthorized: options.verify,
    ALPNProtocols: [...options.alpn],
  };
  if (local !== undefined) {
    connectOptions.localAddress = local.host;
    if (local.port !== 0) connectOptions.localPort = local.port;
  }
  if (options.servername !== "") connectOptions.servername = options.servername;
  // The certificate must carry the SNI sent; without one, verifyhost's name
  // (HAProxy: "when no SNI was used"); with neither, the chain alone is verified.
  const verifyHost = options.verifyHost;
  if (options.servername === "") {
    connectOptions.checkServerIdentity = verifyHost === undefined ? () => undefined : (_host, cert) => tls.checkServerIdentity(verifyHost, cert);
  }
  if (options.ca !== undefined) connectOptions.ca = options.ca;
  if (options.clientCert !== undefined) {
    connectOptions.cert = options.clientCert.cert;
    connectOptions.key = options.clientCert.key;
  }
  if (options.minVersion !== undefined) connectOptions.minVersion = options.minVersion;
  if (options.maxVersion !== undefined) connectOptions.maxVersion = options.maxVersion;
  const ciphers = cipherList(options);
  if (ciphers !== undefined) connectOptions.ciphers = ciphers;
  if (!options.tickets) connectOptions.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
  const session = options.sessions?.get(options.servername);
  if (session !== undefined) connectOptions.session = Buffer.from(session);
  return connectOptions;
}

/**
 * The library hands out sessions to resume (TLS 1.3: after the handshake, in
 * a ticket): each is kept for the next connection with the same SNI.
 */
export function keepSessions(raw: tls.TLSSocket, options: ClientTlsOptions): void {
  const sessions = options.sessions;
  if (sessions !== undefined) raw.on("session", (session: Uint8Array) => sessions.set(options.servername, session));
}

/** Opens a TLS connection; resolves once the handshake (and the certificate check) is done. */
export function connectTls(
  hostname: string,
  port: number,
  timeoutMs: number,
  options: ClientTlsOptions,
  events: SocketEvents,
  pauseMode: PauseMode,
  local?: { readonly host: string; readonly port: number },
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const started = performance.now();
    let settled = false;
    const connectOptions = tlsConnectOptions(hostname, port, options, local);
    const raw = tls.connect(connectOptions);
    keepSessions(raw, options);
    const timer = timeoutMs > 0
      ? setTimeout(() => fail(new ConnectError("timeout", hostname, port, `after ${timeoutMs} ms`)), timeoutMs)
      : undefined;
    function fail(error: ConnectError): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      raw.destroy();
      reject(error);
    }
    raw.once("error", (e: Error & { code?: string }) => {
      const code = e.code;
      const failure = code === "ECONNREFUSED"
        ? "refused"
        : code === "ETIMEDOUT"
        ? "timeout"
        : code === "EHOSTUNREACH" || code === "ENETUNREACH"
        ? "unreachable"
        : code === "ECONNRESET" || code === "EPIPE"
        ? "error"
        : "tls";
      fail(new ConnectError(failure, hostname, port, e.message));
    });
    raw.once("secureConnect", () => {
      if (settled) {
        raw.destroy();
        return;
      }
      if (options.verify && !raw.authorized) {
        fail(new ConnectError("tls", hostname, port, `certificate not verified: ${raw.authorizationError}`));
        return;
      }
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      raw.setNoDelay(true);
      resolve(new NodeTlsSocket(raw, events, factsOf(raw, options.servername, started), raw, pauseMode));
    });
  });
}
