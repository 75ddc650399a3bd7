// `accept-proxy`: a client connection whose PROXY header named another client.
// Everything above reads the addresses off the socket (src, %ci, X-Forwarded-For,
// send-proxy towards servers, stick tables, the logs), so the connection is
// handed on as this wrapper: the header's addresses, the real socket's bytes.
// Only proxied connections pay for the indirection.
import type { Socket, SocketEvents, TlsFacts } from "../runtime/types.ts";
import type { ProxyHeader } from "./proxy-header.ts";

export class ProxiedSocket implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;

  /** `header` without addresses (v1 UNKNOWN, v2 LOCAL or another family): the connection's own stand. */
  constructor(readonly inner: Socket, header: ProxyHeader) {
    this.remoteAddress = header.source?.address ?? inner.remoteAddress;
    this.remotePort = header.source?.port ?? inner.remotePort;
    this.localAddress = header.destination?.address ?? inner.localAddress;
    this.localPort = header.destination?.port ?? inner.localPort;
  }

  get tls(): TlsFacts | undefined {
    return this.inner.tls;
  }
  get events(): SocketEvents {
    return this.inner.events;
  }
  set events(events: SocketEvents) {
    this.inner.events = events;
  }
  get pending(): number {
    return this.inner.pending;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  write(chunk: Uint8Array): boolean {
    return this.inner.write(chunk);
  }
  end(): void {
    this.inner.end();
  }
  destroy(): void {
    this.inner.destroy();
  }
  reset(): void {
    this.inner.reset();
  }
  setKeepAlive(on: boolean): void {
    this.inner.setKeepAlive(on);
  }
  pause(): void {
    this.inner.pause();
  }
  resume(): void {
    this.inner.resume();
  }
}
