// TLS over a connection accepted plain (`bind ... accept-proxy ssl`): the PROXY
// header comes before the ClientHello, so the core reads it off the plain
// socket and hands the rest here. A node:tls server-side TLSSocket runs over
// a Duplex bridged onto the Socket (the bytes read after the header first).
// Bun only: Deno 2.9's TLSSocket over a Duplex throws an uncaught TypeError
// (in TLSSocket._start) when a malformed record ends the handshake early,
// which would take the whole process down; its adapter offers no acceptor.
// The certificate group is the caller's choice by the ClientHello's server
// name, through the same `select` as the TLS listeners.
import { Duplex } from "node:stream";
import tls from "node:tls";
import type { ServerTlsOptions, Socket, TlsAcceptor, TlsHandshakeFailure } from "./types.ts";
import { clientCertificateOptions, factsOf, NO_EVENTS, NodeTlsSocket, type PauseMode, prepare, type Served } from "./node-tls.ts";

/** A Duplex whose bytes are the socket's: what node:tls reads and writes through. */
function bridge(socket: Socket, early: Uint8Array[]): Duplex {
  let writeDone: ((error?: Error | null) => void) | undefined;
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      socket.resume();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      if (socket.write(chunk)) callback();
      else writeDone = callback;
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.events = {
    data(chunk) {
      if (!duplex.push(chunk)) socket.pause();
    },
    drain() {
      const done = writeDone;
      writeDone = undefined;
      done?.();
    },
    end() {
      duplex.push(null);
    },
    close(error) {
      duplex.destroy(error);
    },
  };
  for (const chunk of early) duplex.push(chunk);
  return duplex;
}

export function tlsAcceptor(options: ServerTlsOptions, pauseMode: PauseMode): TlsAcceptor {
  let served: Served = prepare(options);
  return {
    reload(next) {
      served = prepare(next);
    },
    accept(socket, early, servername, done) {
      const started = performance.now();
      const current = served;
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        raw.destroy();
        const failure: TlsHandshakeFailure = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason };
        done(failure);
      };
      const context = current.contexts[current.options.select(servername)];
      if (context === undefined) {
        socket.destroy();
        done({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: servername === "" ? "no SNI (strict-sni)" : `unknown SNI '${servername}' (strict-sni)` });
        return;
      }
      // The group is chosen here from the name the caller read (no SNICallback: Bun calls none on such a socket).
      const raw = new tls.TLSSocket(bridge(socket, early), { isServer: true, secureContext: context, ALPNProtocols: [...current.options.alpn], ...clientCertificateOptions(current.options) });
      const limit = current.options.handshakeTimeoutMs;
      const timer = limit > 0 ? setTimeout(() => fail("handshake timeout"), limit) : undefined;
      raw.once("error", (error: Error) => fail(error.message));
      raw.once("close", () => fail("connection closed during the handshake"));
      raw.once("secure", () => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        const facts = factsOf(raw, servername, started, current.options.clientCertificates !== undefined);
        done(new NodeTlsSocket(raw, NO_EVENTS, facts, socket, pauseMode));
      });
    },
  };
}
