// The proxy engine over the in-memory runtime, for tests that let timeouts
// expire: clients and servers are MemSockets the test speaks for, and time
// moves only with `clock.advance(ms)`, so a 30 s timeout takes no real time
// and the test sees what happened at the very millisecond it was due.
import type { Proxy } from "../../../src/core/proxy.ts";
import { defaultErrorPage } from "../../../src/http/error-pages.ts";
import { memProxyConfig, type MemRuntime, memRuntime, MemSocket } from "../../support/mem-runtime.ts";
import type { VirtualClock } from "../../support/virtual-clock.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface Engine {
  readonly runtime: MemRuntime;
  readonly clock: VirtualClock;
  readonly proxy: Proxy;
  /** A new client connection, accepted by the frontend. */
  client(): MemSocket;
  /** The proxy's `i`-th server connection (throws if it has not opened it). */
  server(i?: number): MemSocket;
  /** Graceful stop with what is left killed at once (a test ends with nothing armed). */
  stop(): Promise<void>;
}

let nextClientPort = 40000;

export async function engine(config: string): Promise<Engine> {
  const runtime = memRuntime({ keep: true });
  const proxy = await memProxyConfig(runtime, config, { strictOwnership: true });
  return {
    runtime,
    clock: runtime.clock,
    proxy,
    client() {
      const socket = new MemSocket("127.0.0.1", nextClientPort++, true);
      runtime.accept(socket);
      return socket;
    },
    server(i = 0) {
      const s = runtime.servers[i];
      if (s === undefined) throw new Error(`no server connection #${i} (${runtime.servers.length} opened)`);
      return s;
    },
    async stop() {
      const stopped = proxy.stop(0);
      await runtime.clock.advance(1); // a 0 ms deadline is a 1 ms timer
      await stopped;
    },
  };
}

/** Bytes from the peer to the proxy, and the promise jobs and deferred work they cause. */
export async function send(clock: VirtualClock, socket: MemSocket, text: string): Promise<void> {
  socket.events.data(enc.encode(text));
  await clock.settle();
}

/** sluice's own error response, as the client gets it; `keepAlive`: the connection stays after it (no `connection: close`). */
export function errorPage(status: number, keepAlive = false): string {
  return dec.decode(defaultErrorPage(status, keepAlive));
}

/** An HTTP frontend and one server (`serverWords` on its line); `defaults` lines are added to the defaults section. */
export function httpConfig(defaults: string, serverWords = ""): string {
  return `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
${indent(defaults)}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9100 ${serverWords}
`;
}

function indent(lines: string): string {
  return lines.split("\n").map((l) => l.trim()).filter((l) => l !== "").map((l) => `    ${l}`).join("\n");
}
