// An in-memory Runtime: sockets whose writes are counted (and kept, if asked)
// and whose `data` the caller feeds. The whole engine (sessions, streams,
// codecs, pools) runs over it with no system call in the way, so a test can
// see every write the proxy makes and a benchmark can time the engine alone.
import { loadConfigTexts } from "../../src/config/load.ts";
import { Proxy, type ProxyOptions } from "../../src/core/proxy.ts";
import { SinkPool } from "../../src/log/sink.ts";
import type { ConnectOptions, Listener, ListenOptions, Runtime, Socket, SocketEvents } from "../../src/runtime/types.ts";

const noEvents: SocketEvents = { data() {}, drain() {}, end() {}, close() {} };

export class MemSocket implements Socket {
  events: SocketEvents = noEvents;
  readonly pending = 0;
  closed = false;
  /** Bytes and calls of write(). */
  written = 0;
  writes = 0;
  /** Copies of what was written, when made with keep = true. */
  readonly kept: Uint8Array[] = [];
  readonly localAddress = "127.0.0.1";
  readonly localPort = 9200;

  constructor(readonly remoteAddress: string, readonly remotePort: number, private readonly keep = false) {}

  write(chunk: Uint8Array): boolean {
    this.written += chunk.length;
    this.writes++;
    if (this.keep) this.kept.push(chunk.slice());
    return true;
  }
  end(): void {}
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.close();
  }
  pause(): void {}
  resume(): void {}
}

export interface MemRuntime extends Runtime {
  /** Hands a client socket to the listener, as an accept would. */
  accept(socket: MemSocket): void;
  /** Every socket the proxy connected, in order. */
  readonly servers: MemSocket[];
}

/** `keep`: server sockets keep copies of what they were sent. */
export function memRuntime(keep = false): MemRuntime {
  let onAccept: ((s: Socket) => void) | undefined;
  const servers: MemSocket[] = [];
  return {
    name: "bun",
    version: "mem",
    servers,
    accept(socket: MemSocket): void {
      if (onAccept === undefined) throw new Error("memRuntime: nothing listens");
      onAccept(socket);
    },
    listen(o: ListenOptions, accept: (s: Socket) => void): Promise<Listener> {
      onAccept = accept;
      return Promise.resolve({ hostname: o.hostname, port: o.port, close() {} });
    },
    connect(o: ConnectOptions, events: SocketEvents): Promise<Socket> {
      const s = new MemSocket(o.hostname, o.port, keep);
      s.events = events;
      servers.push(s);
      return Promise.resolve(s);
    },
    now: () => performance.now(),
    onSignal() {},
    args: () => [],
    exit(code: number): never {
      throw new Error(`exit ${code}`);
    },
  };
}

/**
 * A started proxy over `runtime`: one HTTP frontend on 127.0.0.1:9200 and one
 * server at 127.0.0.1:9100 (`serverWords` is added to its line, e.g. "proto h2").
 */
export async function memProxy(runtime: MemRuntime, serverWords = "", options: ProxyOptions = {}): Promise<Proxy> {
  const loaded = loadConfigTexts([{
    name: "mem.cfg",
    text: `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9100 ${serverWords}
`,
  }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const proxy = new Proxy(loaded.config, runtime, new SinkPool(), options);
  await proxy.start();
  return proxy;
}
