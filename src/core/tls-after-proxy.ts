// `bind ... accept-proxy ssl`: after the PROXY header, the TLS handshake on
// the same connection. The ClientHello is gathered first (its record whole,
// bounded by `timeout client` as the header was), so that the certificate is
// chosen by its server name here, the same `select` on every runtime (Bun's
// node:tls calls no SNICallback on a connection it did not accept itself);
// then the runtime's TlsAcceptor does the handshake over the socket.
import { clientHelloIncomplete, clientHelloServerName } from "../rules/fetch/client-hello.ts";
import type { Socket, SocketEvents, TimerHandle, Timers, TlsAcceptor, TlsHandshakeFailure } from "../runtime/types.ts";

export interface TlsAfterProxyOutcome {
  secured(socket: Socket): void;
  failed(failure: TlsHandshakeFailure): void;
}

export class TlsAfterProxy implements SocketEvents {
  private held: Uint8Array;
  private timer: TimerHandle | undefined;
  private settled = false;

  constructor(
    private readonly socket: Socket,
    early: Uint8Array[],
    private readonly acceptor: TlsAcceptor,
    private readonly timers: Timers,
    timeoutMs: number,
    private readonly outcome: TlsAfterProxyOutcome,
  ) {
    this.held = early.length === 1 ? early[0]! : concat(early);
    if (!clientHelloIncomplete(this.held)) {
      this.start();
      return;
    }
    socket.events = this;
    if (timeoutMs > 0) this.timer = timers.setTimer(this.onTimeout, timeoutMs);
  }

  data(chunk: Uint8Array): void {
    if (this.settled) return;
    this.held = concat([this.held, chunk]);
    if (!clientHelloIncomplete(this.held)) this.start();
  }
  drain(): void {}
  end(): void {
    this.fail("connection closed before the ClientHello");
  }
  close(): void {
    this.fail("connection closed before the ClientHello");
  }

  /** Hard stop. */
  kill(): void {
    this.settled = true;
    this.clearTimer();
    this.socket.destroy();
  }

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    this.fail("handshake timeout");
  };

  private start(): void {
    this.settled = true;
    this.clearTimer();
    const servername = clientHelloServerName(this.held) ?? "";
    const early = this.held.length > 0 ? [this.held] : [];
    this.acceptor.accept(this.socket, early, servername, (result) => {
      if ("reason" in result) this.outcome.failed(result);
      else this.outcome.secured(result);
    });
  }

  private fail(reason: string): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.socket.destroy();
    this.outcome.failed({ remoteAddress: this.socket.remoteAddress, remotePort: this.socket.remotePort, reason });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimer(this.timer);
    this.timer = undefined;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
