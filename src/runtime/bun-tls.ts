// TLS listeners on Bun's own TLS (Bun.listen({ tls })) for the binds it can
// serve: one certificate, ALPN, no version, cipher, curve or ticket setting
// beyond Bun's defaults (TLS 1.2 and up, tickets on), no strict-sni, no OCSP.
// It costs about half the CPU of node:tls per keep-alive request and per
// handshake (bench/results/tls-listeners.md); every other bind goes through
// node:tls (node-tls.ts).
//
// The accepted socket is the plain BunSocket, handed over once the handshake
// is done, with the same `tls` facts node-tls.ts gives (ALPN, SNI, version,
// cipher, handshake ms). A certificate reload swaps listeners: Bun.listen
// keeps its certificate for life (its reload() takes handlers only), so each
// listener binds with SO_REUSEPORT, the new one opens on the same port, then
// the old one stops accepting; established connections keep theirs. That the
// port is free is checked first by a plain bind, so that a port in use is
// still an error, as without SO_REUSEPORT. A reload to settings Bun.listen
// cannot express (several certificates...) moves the bind to node:tls, which
// cannot share the port: the native listener closes first, and connections
// tried in between (the time of one bind) are refused.
import { BunSocket, noEvents, type RawSocket } from "./bun-socket.ts";
import type { HandshakeGate } from "./handshake-gate.ts";
import { listenTls } from "./node-tls.ts";
import type { Listener, ListenOptions, ServerTlsOptions, Socket } from "./types.ts";

/** Bun.listen({ tls }) can serve these options exactly. */
export function fitsNativeTls(o: ServerTlsOptions): boolean {
  const group = o.groups[0];
  return o.groups.length === 1 && group !== undefined && group.length === 1 && group[0]!.ocsp === undefined &&
    (o.minVersion === undefined || o.minVersion === "TLSv1.2") && o.maxVersion === undefined &&
    o.ciphers === undefined && o.ciphersuites === undefined && o.curves === undefined && o.tickets && o.sessionLifetimeSec === undefined &&
    // Client certificates: node:tls hands over the peer's certificate and why it did not verify.
    o.clientCertificates === undefined &&
    // No strict-sni: every name, and none, gets the one certificate.
    o.select("") === 0 && o.select("any.invalid") === 0;
}

/** ALPN protocols in the wire format Bun takes (length-prefixed names). */
function alpnWire(protocols: readonly string[]): string | undefined {
  if (protocols.length === 0) return undefined;
  return protocols.map((p) => String.fromCharCode(p.length) + p).join("");
}

/** A connection whose handshake is under way: kept in the raw socket's data until it completes. */
class Handshaking {
  readonly started = performance.now();
  timer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;
  gateTicket: object | undefined;
}

type Raw = { data: BunSocket | Handshaking | undefined; readonly remoteAddress: string; readonly remotePort: number };
type Data = BunSocket | Handshaking | undefined;
/** What is used of a Bun listener. */
interface NativeListener {
  readonly hostname?: string;
  stop(closeActive?: boolean): void;
}

function listenRaw(options: ListenOptions & { tls: ServerTlsOptions }, onAccept: (socket: Socket) => void, gate: HandshakeGate | undefined): NativeListener {
  const o = options.tls;
  const pair = o.groups[0]![0]!;
  const alpn = alpnWire(o.alpn);
  const failed = (raw: Raw, pending: Handshaking, reason: string) => {
    if (pending.gateTicket !== undefined) gate?.leave(pending.gateTicket);
    raw.data = undefined;
    options.onHandshakeFailure?.({ remoteAddress: raw.remoteAddress, remotePort: raw.remotePort, reason: pending.timedOut ? "handshake timeout" : reason });
  };
  const listenOptions: import("bun").TCPSocketListenOptions<Data> & { reusePort: boolean } = {
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true,
    // Not in Bun's types, honoured by Bun.listen (the reload's second listener needs it).
    reusePort: true,
    ...(options.ipv6Only === undefined ? {} : { ipv6Only: options.ipv6Only }),
    tls: { cert: pair.cert, key: pair.key, ...(alpn === undefined ? {} : { ALPNProtocols: alpn }) },
    socket: {
      open(raw) {
        raw.setNoDelay(true);
        const pending = new Handshaking();
        raw.data = pending;
        // Handshakes in the order of accept (handshake-gate.ts).
        if (gate !== undefined) pending.gateTicket = gate.enter({ pause: () => raw.pause(), resume: () => raw.resume() });
        // A client that stops mid-handshake has its own deadline (timeout client).
        if (o.handshakeTimeoutMs > 0) {
          pending.timer = setTimeout(() => {
            pending.timedOut = true;
            raw.end();
          }, o.handshakeTimeoutMs);
        }
      },
      handshake(raw, success, error) {
        const pending = raw.data;
        if (!(pending instanceof Handshaking)) return;
        if (pending.timer !== undefined) clearTimeout(pending.timer);
        if (pending.gateTicket !== undefined) gate?.leave(pending.gateTicket);
        if (!success) {
          failed(raw as Raw, pending, error?.message ?? "handshake failed");
          raw.end();
          return;
        }
        const alpnProtocol = raw.alpnProtocol;
        const servername = (raw as unknown as { getServername?(): string | undefined }).getServername?.();
        const socket = new BunSocket(raw as unknown as RawSocket, noEvents);
        socket.tls = {
          alpn: typeof alpnProtocol === "string" ? alpnProtocol : "",
          sni: typeof servername === "string" ? servername : "",
          version: raw.getTLSVersion() ?? "",
          cipher: raw.getCipher()?.name ?? "",
          handshakeMs: performance.now() - pending.started,
        };
        raw.data = socket;
        try {
          onAccept(socket);
        } catch {
          socket.destroy();
        }
      },
      data(raw, chunk) {
        const s = raw.data;
        if (s instanceof BunSocket && !s.closed) s.events.data(chunk);
      },
      drain(raw) {
        const s = raw.data;
        if (s instanceof BunSocket) s.onDrain();
      },
      end(raw) {
        const s = raw.data;
        if (s instanceof BunSocket) s.onPeerEnd();
        else raw.end();
      },
      error(raw, error) {
        const s = raw.data;
        if (s instanceof BunSocket) s.onError(error);
        else if (s instanceof Handshaking) {
          if (s.timer !== undefined) clearTimeout(s.timer);
          failed(raw as Raw, s, error.message);
        }
      },
      close(raw, error) {
        const s = raw.data;
        if (s instanceof BunSocket) {
          if (error !== undefined) s.onError(error);
          s.onClose();
        } else if (s instanceof Handshaking) {
          if (s.timer !== undefined) clearTimeout(s.timer);
          failed(raw as Raw, s, error?.message ?? "connection closed during the handshake");
        }
      },
    },
  };
  return Bun.listen<Data>(listenOptions);
}

/** Fails as a plain bind would when the address is taken (SO_REUSEPORT alone would share it). */
function checkFree(hostname: string, port: number): number {
  const probe = Bun.listen({ hostname, port, socket: { data() {} } });
  const bound = probe.port;
  probe.stop(true);
  return bound;
}

export function listenNativeTls(options: ListenOptions & { tls: ServerTlsOptions }, onAccept: (socket: Socket) => void, gate?: HandshakeGate): Listener {
  // A worker of a master shares the port on purpose (its siblings, the old workers of a reload).
  const port = options.reusePort === true ? options.port : checkFree(options.hostname, options.port);
  let native: NativeListener | undefined = listenRaw({ ...options, port }, onAccept, gate);
  let fallback: Listener | undefined;
  let closed = false;
  const hostname = native.hostname ?? options.hostname;
  return {
    hostname,
    port,
    close() {
      closed = true;
      native?.stop(false);
      native = undefined;
      fallback?.close();
    },
    reloadTls(next: ServerTlsOptions) {
      if (closed) return;
      if (fitsNativeTls(next) && native !== undefined) {
        // The new listener takes the port beside the old one, then the old one stops accepting.
        const old = native;
        native = listenRaw({ ...options, port, tls: next }, onAccept, gate);
        old.stop(false);
        return;
      }
      if (fallback !== undefined) return fallback.reloadTls?.(next);
      native?.stop(false);
      native = undefined;
      void listenTls({ ...options, port, tls: next }, onAccept, "stream", gate).then(
        (l) => {
          if (closed) l.close();
          else fallback = l;
        },
        // The port was taken in between: the bind is gone, as a failed bind at start would be.
        () => {},
      );
    },
  };
}
