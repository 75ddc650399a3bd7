// An in-memory Runtime: sockets whose writes are counted (and kept, if asked)
// and whose `data` the caller feeds, and a clock that moves when the test says
// (virtual-clock.ts). The whole engine (sessions, streams, codecs, pools,
// timeouts) runs over it with no system call in the way, so a test can see
// every write the proxy makes and let timeouts expire in no real time, and a
// benchmark can time the engine alone (over the real clock and timers).
import { loadConfigTexts } from "../../src/config/load.ts";
import { Proxy, type ProxyOptions } from "../../src/core/proxy.ts";
import { SinkPool } from "../../src/log/sink.ts";
import {
  ConnectError,
  ResolveError,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type ProgramExit,
  type ProgramOptions,
  type Runtime,
  type Socket,
  type SocketEvents,
  type Timers,
} from "../../src/runtime/types.ts";
import { VirtualClock } from "./virtual-clock.ts";

const noEvents: SocketEvents = { data() {}, drain() {}, end() {}, close() {} };
const dec = new TextDecoder();

export class MemSocket implements Socket {
  events: SocketEvents = noEvents;
  readonly pending = 0;
  closed = false;
  /** end() was called: the proxy sent its FIN. */
  ended = false;
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
  end(): void {
    this.ended = true;
  }
  /** SO_KEEPALIVE asked for (in memory there is no kernel to probe). */
  keepAlive = false;
  setKeepAlive(on: boolean): void {
    this.keepAlive = on;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.close();
  }

  /** In memory there is no TIME_WAIT: a reset is a destroy. */
  reset(): void {
    this.destroy();
  }
  /** pause() was called and resume() not since (the proxy stopped reading this socket). */
  paused = false;
  /** Times pause() was called. */
  pauses = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }

  /** Everything kept so far, as text. */
  text(): string {
    return this.kept.map((c) => dec.decode(c)).join("");
  }
}

/**
 * How connect attempts end: "open" at once; "hang": never, unless the
 * attempt has a timeout, when it fails with ConnectError "timeout" after it
 * on the runtime's clock (as the real adapters do); "refuse": at once with
 * ConnectError "refused".
 */
export type ConnectOutcome = "open" | "hang" | "refuse";

export interface MemRuntime<T extends Timers = VirtualClock> extends Runtime {
  /** Hands a client socket to the listener, as an accept would. */
  accept(socket: MemSocket): void;
  /** Every socket the proxy connected, in order. */
  readonly servers: MemSocket[];
  /** What now(), setTimer() and defer() are: a VirtualClock unless another was given. */
  readonly clock: T;
  /** How the following connect attempts end (default "open"). */
  connectOutcome: ConnectOutcome;
  /** Connect attempts made, whatever their outcome. */
  connectAttempts: number;
  /** Host name → addresses `resolve` gives (a name not here does not resolve). */
  hosts: Record<string, string[]>;
  /** How runProgram's programs end, by command: an exit at once, or "hang" until terminated (SIGTERM); a command not here cannot start. */
  programs: Record<string, ProgramExit | "hang">;
  /** Every program started, in order. */
  readonly ran: ProgramOptions[];
}

export interface MemRuntimeOptions {
  /** Server sockets keep copies of what they were sent. */
  keep?: boolean;
}

/** Over a VirtualClock: time moves only with `runtime.clock.advance(ms)`. */
export function memRuntime(options?: MemRuntimeOptions): MemRuntime<VirtualClock>;
/** Over the given clock and timers (a benchmark passes the real runtime's). */
export function memRuntime<T extends Timers>(options: MemRuntimeOptions & { timers: T }): MemRuntime<T>;
export function memRuntime(options: MemRuntimeOptions & { timers?: Timers } = {}): MemRuntime<Timers> {
  const keep = options.keep ?? false;
  const clock = options.timers ?? new VirtualClock();
  let onAccept: ((s: Socket) => void) | undefined;
  const servers: MemSocket[] = [];
  const runtime: MemRuntime<Timers> = {
    name: "bun",
    version: "mem",
    servers,
    clock,
    connectOutcome: "open",
    connectAttempts: 0,
    accept(socket: MemSocket): void {
      if (onAccept === undefined) throw new Error("memRuntime: nothing listens");
      onAccept(socket);
    },
    listen(o: ListenOptions, accept: (s: Socket) => void): Promise<Listener> {
      onAccept = accept;
      return Promise.resolve({ hostname: o.hostname, port: o.port, close() {} });
    },
    connect(o: ConnectOptions, events: SocketEvents): Promise<Socket> {
      runtime.connectAttempts++;
      if (runtime.connectOutcome === "refuse") return Promise.reject(new ConnectError("refused", o.hostname, o.port));
      if (runtime.connectOutcome === "hang") {
        return new Promise<Socket>((_, reject) => {
          if (o.timeoutMs > 0) {
            clock.setTimer(() => reject(new ConnectError("timeout", o.hostname, o.port, `after ${o.timeoutMs} ms`)), o.timeoutMs);
          }
        });
      }
      const s = new MemSocket(o.hostname, o.port, keep);
      s.events = events;
      servers.push(s);
      return Promise.resolve(s);
    },
    // Bound once: the engine calls these on every request.
    now: clock.now.bind(clock),
    wallNow: clock.wallNow.bind(clock),
    setTimer: clock.setTimer.bind(clock),
    clearTimer: clock.clearTimer.bind(clock),
    defer: clock.defer.bind(clock),
    resolve(host: string): Promise<string[]> {
      const found = runtime.hosts[host];
      return found === undefined ? Promise.reject(new ResolveError(host, "no address")) : Promise.resolve([...found]);
    },
    hosts: { localhost: ["127.0.0.1"] },
    programs: {},
    ran: [],
    runProgram(o: ProgramOptions) {
      runtime.ran.push(o);
      const outcome = runtime.programs[o.command];
      if (outcome !== "hang") {
        const exit: ProgramExit = outcome ?? { code: null, signal: null, error: `${o.command}: not found` };
        return { terminate() {}, exited: Promise.resolve(exit) };
      }
      let end: (exit: ProgramExit) => void = () => {};
      const exited = new Promise<ProgramExit>((resolve) => (end = resolve));
      return { terminate: () => end({ code: null, signal: "SIGTERM" }), exited };
    },
    openDatagram() {
      throw new Error("memRuntime has no UDP sockets (resolvers need a real runtime)");
    },
    onSignal() {},
    args: () => [],
    exit(code: number): never {
      throw new Error(`exit ${code}`);
    },
  };
  return runtime;
}

/** A started proxy over `runtime`, from a whole configuration text. */
export async function memProxyConfig(runtime: MemRuntime<Timers>, text: string, options: ProxyOptions = {}): Promise<Proxy> {
  const loaded = loadConfigTexts([{ name: "mem.cfg", text }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const proxy = new Proxy(loaded.config, runtime, new SinkPool({ timers: runtime }), options);
  await proxy.start();
  return proxy;
}

/**
 * The configuration memProxy starts: one HTTP frontend on 127.0.0.1:9200 with
 * `frontendLines` (rules, say), and `backends`, each with one server at
 * 127.0.0.1:9100 (`serverWords` added to its line); the first is the default.
 */
export function memConfigText(serverWords = "", frontendLines: readonly string[] = [], backends: readonly string[] = ["be"]): string {
  return `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
${frontendLines.map((l) => `    ${l}\n`).join("")}    default_backend ${backends[0]}
${backends.map((b) => `backend ${b}\n    server s1 127.0.0.1:9100 ${serverWords}\n`).join("")}`;
}

/**
 * A started proxy over `runtime`: one HTTP frontend on 127.0.0.1:9200 and one
 * server at 127.0.0.1:9100 (`serverWords` is added to its line, e.g. "proto h2").
 */
export function memProxy(runtime: MemRuntime<Timers>, serverWords = "", options: ProxyOptions = {}): Promise<Proxy> {
  return memProxyConfig(runtime, memConfigText(serverWords), options);
}
