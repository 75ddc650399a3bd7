// Adapter conformance: the same checks against whichever runtime adapter
// matches the runtime this script runs in, over real loopback sockets.
//
//   node_modules/.bin/bun tests/runtime/conformance.ts [check ...]
//   node_modules/.bin/deno run -A tests/runtime/conformance.ts [check ...]
//
// Prints one JSON line: {"runtime","version","results":[{name,ok,ms,error?,info?}]}.
// Exit code 0 when every check passed, 1 otherwise.

import {
  type ClientTlsOptions,
  ConnectError,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type Runtime,
  type ServerTlsOptions,
  type Socket,
  type SocketEvents,
  type TlsHandshakeFailure,
} from "../../src/runtime/types.ts";
import type { Leaf, TestPki } from "../support/certs.ts";
import { NOT_SOCKETS, tlsChecks, tlsMode } from "./tls-checks.ts";

export const HOST = "127.0.0.1";
const KiB = 1024;
const MiB = 1024 * KiB;

// ------------------------------------------------------------------ helpers

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  done: boolean;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    done: false,
    resolve(v) {
      if (d.done) return;
      d.done = true;
      resolve(v);
    },
    reject(e) {
      if (d.done) return;
      d.done = true;
      reject(e);
    },
  };
  promise.catch(() => {}); // rejections are observed where awaited
  return d;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

export function eq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

/** The byte at stream offset i: a hash of i, so no short period hides a reused buffer. */
function patternByte(i: number): number {
  return Math.imul(i, 0x9e3779b1) >>> 24;
}

const patternCache = new Map<number, Uint8Array>();
function pattern(size: number): Uint8Array {
  let p = patternCache.get(size);
  if (p === undefined) {
    p = new Uint8Array(size);
    for (let i = 0; i < size; i++) p[i] = patternByte(i);
    patternCache.set(size, p);
  }
  return p;
}

/** Index of the first byte of `chunk` that differs from the pattern at `offset`, or -1. */
function mismatch(chunk: Uint8Array, offset: number): number {
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== patternByte(offset + i)) return i;
  }
  return -1;
}

export const enc = new TextEncoder();
const dec = new TextDecoder();

/** Records everything a socket tells its owner. */
export class Probe implements SocketEvents {
  chunks: Uint8Array[] = [];
  bytes = 0;
  dataEvents = 0;
  ends = 0;
  drains = 0;
  closes = 0;
  closeError: Error | undefined;
  /** Events seen after `close` (must stay empty). */
  afterClose: string[] = [];
  /** Events seen after `end` that must not follow it (data). */
  afterEnd: string[] = [];
  ended = deferred();
  closed = deferred<Error | undefined>();
  drained = deferred();
  onData: ((chunk: Uint8Array) => void) | undefined;
  onEnd: (() => void) | undefined;
  onDrain: (() => void) | undefined;
  /** Wait for this many bytes. */
  #want = -1;
  #got = deferred();

  constructor(readonly keep = true) {}

  data(chunk: Uint8Array): void {
    if (this.closes > 0) this.afterClose.push("data");
    if (this.ends > 0) this.afterEnd.push("data");
    this.dataEvents++;
    this.bytes += chunk.length;
    if (this.keep) this.chunks.push(chunk);
    this.onData?.(chunk);
    if (this.#want >= 0 && this.bytes >= this.#want) this.#got.resolve();
  }
  drain(): void {
    if (this.closes > 0) this.afterClose.push("drain");
    this.drains++;
    this.drained.resolve();
    this.onDrain?.();
  }
  end(): void {
    if (this.closes > 0) this.afterClose.push("end");
    this.ends++;
    this.ended.resolve();
    this.onEnd?.();
  }
  close(error?: Error): void {
    if (this.closes > 0) this.afterClose.push("close");
    this.closes++;
    this.closeError = error;
    this.closed.resolve(error);
  }

  /** Resolves once `n` bytes have arrived in total. */
  bytesArrived(n: number): Promise<void> {
    this.#want = n;
    this.#got = deferred();
    if (this.bytes >= n) this.#got.resolve();
    return this.#got.promise;
  }

  text(): string {
    return dec.decode(concat(this.chunks));
  }

  /** No event after close, close at most once. */
  checkClean(who: string): void {
    assert(
      this.afterClose.length === 0,
      `${who}: events after close: ${this.afterClose.join(",")}`,
    );
    assert(this.afterEnd.length === 0, `${who}: events after end: ${this.afterEnd.join(",")}`);
    assert(this.closes <= 1, `${who}: close emitted ${this.closes} times`);
    assert(this.ends <= 1, `${who}: end emitted ${this.ends} times`);
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** TLS on both ends of a check: the same checks then run over TLS sockets. */
export interface TlsMode {
  server: ServerTlsOptions;
  client: ClientTlsOptions;
  pki: TestPki;
  /** The certificates the server offers: [0] for "a.test" (the default), [1] for "b.test". */
  leaves: Leaf[];
  failures: TlsHandshakeFailure[];
}

/** Per-check resources, released whatever happens. */
export class Scope {
  listeners: Listener[] = [];
  sockets: Socket[] = [];
  constructor(readonly rt: Runtime, readonly tls?: TlsMode) {}

  listenOptions(port: number): ListenOptions {
    const o: ListenOptions = { hostname: HOST, port };
    const tls = this.tls;
    if (tls !== undefined) {
      o.tls = tls.server;
      o.onHandshakeFailure = (f) => tls.failures.push(f);
    }
    return o;
  }

  connectOptions(port: number, timeoutMs: number, client?: ClientTlsOptions): ConnectOptions {
    const o: ConnectOptions = { hostname: HOST, port, timeoutMs };
    const tls = client ?? this.tls?.client;
    if (tls !== undefined) o.tls = tls;
    return o;
  }

  async listen(onAccept: (socket: Socket) => void): Promise<Listener> {
    const l = await this.rt.listen(this.listenOptions(0), (s) => {
      this.sockets.push(s);
      onAccept(s);
    });
    this.listeners.push(l);
    return l;
  }

  async connect(port: number, events: SocketEvents, timeoutMs = 2000, client?: ClientTlsOptions): Promise<Socket> {
    const s = await this.rt.connect(this.connectOptions(port, timeoutMs, client), events);
    this.sockets.push(s);
    return s;
  }

  /** A listener whose accepted sockets are handed over one by one. */
  async server(setup: (socket: Socket) => void = () => {}) {
    const accepted: Socket[] = [];
    const waiters: Deferred<Socket>[] = [];
    const listener = await this.listen((s) => {
      // Record from the first byte; a check may swap in its own events later.
      s.events = new Probe(true);
      setup(s);
      const w = waiters.shift();
      if (w) w.resolve(s);
      else accepted.push(s);
    });
    return {
      listener,
      port: listener.port,
      next(what = "accept"): Promise<Socket> {
        const s = accepted.shift();
        if (s) return Promise.resolve(s);
        const d = deferred<Socket>();
        waiters.push(d);
        return within(d.promise, 3000, what);
      },
    };
  }

  release(): void {
    for (const l of this.listeners) {
      try {
        l.close();
      } catch { /* */ }
    }
    for (const s of this.sockets) {
      try {
        s.destroy();
      } catch { /* */ }
    }
  }
}

// ------------------------------------------------------------------- checks

export interface Check {
  name: string;
  timeoutMs: number;
  run(scope: Scope, info: Record<string, unknown>): Promise<void>;
}

/** The Probe a Scope.server installed on an accepted socket. */
export function probeOf(s: Socket): Probe {
  assert(s.events instanceof Probe, "socket events are not a Probe");
  return s.events;
}

export const checks: Check[] = [
  {
    name: "echo",
    timeoutMs: 5000,
    async run(scope) {
      const srv = await scope.server((s) => {
        s.events = {
          data: (c) => s.write(c),
          drain() {},
          end: () => s.end(),
          close() {},
        };
      });
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      const server = await srv.next();
      const msg = enc.encode("hello, sluice \u2014 echo me");
      const ok = client.write(msg);
      eq(typeof ok, "boolean", "write() result type");
      await within(probe.bytesArrived(msg.length), 3000, "echo");
      eq(probe.text(), "hello, sluice \u2014 echo me", "echoed text");

      eq(client.remoteAddress, HOST, "client.remoteAddress");
      eq(client.remotePort, srv.port, "client.remotePort");
      eq(client.localAddress, HOST, "client.localAddress");
      assert(
        client.localPort > 0 && client.localPort < 65536,
        `client.localPort ${client.localPort}`,
      );
      eq(server.remoteAddress, HOST, "server.remoteAddress");
      eq(server.remotePort, client.localPort, "server.remotePort");
      eq(server.localAddress, HOST, "server.localAddress");
      eq(server.localPort, srv.port, "server.localPort");
      assert(srv.port > 0, "listener.port is the real port");
      eq(client.closed, false, "client.closed while open");

      client.end();
      await within(probe.ended.promise, 3000, "end from the echo server");
      await within(probe.closed.promise, 3000, "client close");
      eq(probe.closeError, undefined, "client close error");
      eq(client.closed, true, "client.closed after close");
      probe.checkClean("client");
    },
  },

  {
    name: "server-speaks-first",
    timeoutMs: 5000,
    async run(scope) {
      // Bytes sent the moment the connection is accepted reach the events
      // given to connect(); events set in onAccept see the first byte too.
      const greeting = enc.encode("220 sluice ready\r\n");
      const srv = await scope.server((s) => {
        s.write(greeting);
      });
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      client.write(enc.encode("HELO\r\n"));
      await within(probe.bytesArrived(greeting.length), 3000, "greeting");
      eq(probe.text(), "220 sluice ready\r\n", "greeting");
      const server = await srv.next();
      const sp = probeOf(server);
      await within(sp.bytesArrived(6), 3000, "first bytes at the server");
      eq(sp.text(), "HELO\r\n", "client's first bytes");
    },
  },

  {
    name: "write-true-releases-chunk",
    timeoutMs: 10000,
    async run(scope, info) {
      // After write() says true the adapter keeps no reference: the caller
      // overwrites one scratch buffer for every message (as the proxy's join
      // buffer does) and the peer still receives each message as written.
      const srv = await scope.server(() => {});
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      const server = await srv.next();
      const sp = probeOf(server);
      const scratch = new Uint8Array(64);
      let expected = "";
      let reused = 0;
      let held = 0;
      for (let i = 0; i < 200; i++) {
        const msg = `message ${String(i).padStart(4, "0")};`;
        const view = new Uint8Array(scratch.buffer, 0, msg.length);
        for (let k = 0; k < msg.length; k++) view[k] = msg.charCodeAt(k);
        expected += msg;
        if (client.write(view)) {
          reused++;
          view.fill(0x21); // the caller's memory again
        } else {
          held++;
          // The adapter holds it: wait until it is sent before touching the scratch again.
          await within(sp.bytesArrived(expected.length), 3000, "held message");
        }
      }
      await within(sp.bytesArrived(expected.length), 3000, "all messages");
      eq(sp.text(), expected, "bytes as written");
      info.reusedAfterTrue = reused;
      info.heldAfterFalse = held;
      client.end();
    },
  },

  {
    name: "chunks-not-reused",
    timeoutMs: 15000,
    async run(scope, info) {
      const SIZE = 32 * MiB;
      const data = pattern(SIZE);
      const srv = await scope.server((s) => {
        let off = 0;
        const pump = () => {
          while (off < SIZE) {
            const n = Math.min(256 * KiB, SIZE - off);
            const ok = s.write(data.subarray(off, off + n));
            off += n;
            if (!ok) return;
          }
          s.end();
        };
        s.events = { data() {}, drain: pump, end() {}, close() {} };
        queueMicrotask(pump);
      });
      const probe = new Probe(true);
      const client = await scope.connect(srv.port, probe);
      await within(probe.ended.promise, 12000, "32 MiB and end");
      eq(probe.bytes, SIZE, "bytes received");
      // Verify only now, after every read has happened: a reused or mutated
      // buffer shows up as stale bytes in an earlier chunk.
      let off = 0;
      for (let i = 0; i < probe.chunks.length; i++) {
        const c = probe.chunks[i]!;
        const bad = mismatch(c, off);
        if (bad >= 0) {
          throw new Error(
            `chunk ${i} (stream offset ${off}, ${c.length} bytes) changed after delivery at byte ${bad}`,
          );
        }
        off += c.length;
      }
      info.chunks = probe.chunks.length;
      client.end();
      await within(probe.closed.promise, 3000, "close");
      probe.checkClean("client");
    },
  },

  {
    name: "backpressure",
    timeoutMs: 20000,
    async run(scope, info) {
      const SIZE = 64 * MiB;
      const CHUNK = 64 * KiB;
      const data = pattern(SIZE);
      // The reader (accepted side) is paused before its first read.
      const reader = new Probe(false);
      let readOff = 0;
      let readBad: string | undefined;
      reader.onData = (c) => {
        if (readBad === undefined) {
          const bad = mismatch(c, readOff);
          if (bad >= 0) readBad = `byte at stream offset ${readOff + bad} wrong or out of order`;
        }
        readOff += c.length;
      };

      const srv = await scope.server((s) => {
        s.pause();
        s.events = reader;
      });
      const writerProbe = new Probe(false);
      const writer = await scope.connect(srv.port, writerProbe);
      const server = await srv.next();

      let off = 0;
      let sawFalse = false;
      let maxPending = 0;
      let writes = 0;
      let trueWithPending = 0;
      const finished = deferred();
      // Writes until write() says stop; `drain` calls it again.
      const pump = () => {
        while (off < SIZE) {
          const ok = writer.write(data.subarray(off, off + CHUNK));
          off += CHUNK;
          writes++;
          if (ok && writer.pending !== 0) trueWithPending++;
          if (writer.pending > maxPending) maxPending = writer.pending;
          if (!ok) {
            sawFalse = true;
            return;
          }
        }
        writer.end();
        finished.resolve();
      };
      writerProbe.onDrain = pump;
      pump();

      // Paused phase: the writer must stall well before 64 MiB.
      let last = -1;
      const t0 = Date.now();
      while (off !== last && Date.now() - t0 < 8000) {
        last = off;
        await sleep(150);
      }
      assert(off === last, "writer never stalled while the reader was paused");
      info.stalledAt = off;
      info.pendingWhenStalled = writer.pending;
      eq(reader.dataEvents, 0, "data events while paused");
      assert(sawFalse, "write() never returned false while the reader was paused");
      assert(off < SIZE, `all ${SIZE} bytes accepted while the reader was paused`);
      assert(writer.pending > 0, "pending is 0 while stalled");
      assert(maxPending < 16 * MiB, `pending reached ${maxPending} bytes (>= 16 MiB)`);

      server.resume();
      await within(reader.ended.promise, 15000, "all bytes and end at the reader");
      assert(readBad === undefined, readBad ?? "");
      eq(reader.bytes, SIZE, "bytes at the reader");
      assert(writerProbe.drains > 0, "drain never fired");
      assert(finished.done, "writer did not finish");
      eq(trueWithPending, 0, "write() calls that returned true with bytes pending");
      eq(writer.pending, 0, "pending after everything arrived");
      info.maxPending = maxPending;
      info.drains = writerProbe.drains;
      info.writes = writes;

      server.end();
      await within(writerProbe.closed.promise, 3000, "writer close");
      await within(reader.closed.promise, 3000, "reader close");
      reader.checkClean("reader");
      writerProbe.checkClean("writer");
    },
  },

  {
    name: "big-write",
    timeoutMs: 20000,
    async run(scope, info) {
      // One 64 MiB write() to a paused reader: the adapter must hold what the
      // kernel did not take, say so (false + pending), and deliver it on resume.
      const SIZE = 64 * MiB;
      const data = pattern(SIZE);
      const reader = new Probe(false);
      let readOff = 0;
      let readBad: string | undefined;
      reader.onData = (c) => {
        if (readBad === undefined) {
          const bad = mismatch(c, readOff);
          if (bad >= 0) readBad = `byte at stream offset ${readOff + bad} wrong or out of order`;
        }
        readOff += c.length;
      };
      const srv = await scope.server((s) => {
        s.pause();
        s.events = reader;
      });
      const writerProbe = new Probe(false);
      const writer = await scope.connect(srv.port, writerProbe);
      const server = await srv.next();

      const ok = writer.write(data);
      info.pendingAfterWrite = writer.pending;
      eq(ok, false, "write(64 MiB) to a paused reader returned");
      assert(writer.pending > 0, "pending is 0 after a 64 MiB write to a paused reader");
      await sleep(200);
      eq(reader.dataEvents, 0, "data events while paused");
      info.pendingWhilePaused = writer.pending;
      assert(writer.pending > 0, "pending fell to 0 while the reader was paused");

      server.resume();
      await within(writerProbe.drained.promise, 15000, "drain");
      writer.end();
      await within(reader.ended.promise, 15000, "all bytes and end at the reader");
      assert(readBad === undefined, readBad ?? "");
      eq(reader.bytes, SIZE, "bytes at the reader");
      eq(writer.pending, 0, "pending after drain");
      eq(writerProbe.drains, 1, "drain events");
      server.end();
      await within(writerProbe.closed.promise, 3000, "writer close");
      writerProbe.checkClean("writer");
      reader.checkClean("reader");
    },
  },

  {
    name: "pause-resume",
    timeoutMs: 10000,
    async run(scope, info) {
      const SIZE = 4 * MiB;
      const data = pattern(SIZE);
      const srv = await scope.server();
      const probe = new Probe(true);
      const client = await scope.connect(srv.port, probe);
      const server = await srv.next();
      const sprobe = probeOf(server);

      let paused = false;
      let whilePaused = 0;
      probe.onData = () => {
        if (paused) whilePaused++;
        if (!paused && probe.dataEvents === 1) {
          client.pause();
          paused = true;
        }
      };
      // First piece: the client pauses on its first data event.
      server.write(data.subarray(0, 1000));
      await within(probe.bytesArrived(1), 3000, "first data");
      // The rest arrives while paused: nothing may be delivered.
      let off = 1000;
      const pump = () => {
        while (off < SIZE) {
          const n = Math.min(64 * KiB, SIZE - off);
          const ok = server.write(data.subarray(off, off + n));
          off += n;
          if (!ok) return;
        }
        server.end();
      };
      sprobe.onDrain = pump;
      pump();
      await sleep(300);
      const atPause = probe.dataEvents;
      eq(whilePaused, 0, "data events while paused");
      eq(probe.ends, 0, "end events while paused");
      info.bytesBeforePause = probe.bytes;

      // Pause/resume/pause in one go must not lose or reorder anything.
      client.resume();
      client.pause();
      await sleep(100);
      eq(whilePaused, 0, "data events after resume()+pause()");

      paused = false;
      client.resume();
      await within(probe.ended.promise, 5000, "rest of the data and end after resume");
      eq(probe.bytes, SIZE, "bytes received");
      const all = concat(probe.chunks);
      const bad = mismatch(all, 0);
      assert(bad < 0, `byte ${bad} wrong or out of order`);
      info.dataEventsAfterResume = probe.dataEvents - atPause;

      client.end();
      await within(probe.closed.promise, 3000, "client close");
      await within(sprobe.closed.promise, 3000, "server close");
      probe.checkClean("client");
      sprobe.checkClean("server");
    },
  },

  {
    name: "half-close",
    timeoutMs: 10000,
    async run(scope, info) {
      const REPLY = 2 * MiB;
      const reply = pattern(REPLY);
      const request = enc.encode("GET / HTTP/1.0\r\n\r\n");
      const srv = await scope.server();
      const cprobe = new Probe(true);
      const client = await scope.connect(srv.port, cprobe);
      const server = await srv.next();
      const sprobe = probeOf(server);
      let endAfterBytes = -1;
      let serverWroteAfterEnd: boolean | undefined;
      let closedAtEnd: boolean | undefined;
      sprobe.onEnd = () => {
        endAfterBytes = sprobe.bytes;
        closedAtEnd = server.closed || sprobe.closes > 0;
        // Half-open: the peer is done, we still answer.
        let off = 0;
        const pump = () => {
          while (off < REPLY) {
            const n = Math.min(128 * KiB, REPLY - off);
            const ok = server.write(reply.subarray(off, off + n));
            off += n;
            if (!ok) return;
          }
          serverWroteAfterEnd = true;
          server.end();
        };
        sprobe.onDrain = pump;
        pump();
      };

      client.write(request);
      client.end();
      await within(sprobe.ended.promise, 3000, "end at the server");
      eq(endAfterBytes, request.length, "bytes seen by the server before end");
      eq(sprobe.text(), "GET / HTTP/1.0\r\n\r\n", "request");
      eq(closedAtEnd, false, "server socket closed when its `end` came");

      await within(cprobe.ended.promise, 5000, "reply and end at the client");
      eq(serverWroteAfterEnd, true, "server wrote its reply after end");
      eq(cprobe.bytes, REPLY, "reply bytes");
      const bad = mismatch(concat(cprobe.chunks), 0);
      assert(bad < 0, `reply byte ${bad} wrong`);

      const [ce, se] = await within(
        Promise.all([cprobe.closed.promise, sprobe.closed.promise]),
        3000,
        "both closes",
      );
      eq(ce, undefined, "client close error");
      eq(se, undefined, "server close error");
      await sleep(100);
      eq(cprobe.closes, 1, "client close events");
      eq(sprobe.closes, 1, "server close events");
      eq(client.closed, true, "client.closed");
      eq(server.closed, true, "server.closed");
      cprobe.checkClean("client");
      sprobe.checkClean("server");
    },
  },

  {
    name: "destroy",
    timeoutMs: 10000,
    async run(scope, info) {
      const srv = await scope.server();
      const cprobe = new Probe(true);
      const client = await scope.connect(srv.port, cprobe);
      const server = await srv.next();
      const sprobe = probeOf(server);

      // Pending data is dropped by destroy(): make some, with a paused peer.
      server.pause();
      const big = pattern(16 * MiB);
      client.write(big);
      client.write(big);
      client.destroy();
      eq(client.closed, true, "client.closed right after destroy()");
      client.destroy(); // safe twice
      let threw: unknown;
      let result: unknown;
      try {
        result = client.write(enc.encode("after destroy"));
        client.end();
        client.pause();
        client.resume();
      } catch (e) {
        threw = e;
      }
      assert(threw === undefined, `call after destroy() threw: ${threw}`);
      eq(typeof result, "boolean", "write() after destroy() result type");
      eq(client.pending, 0, "pending after destroy()");

      await within(cprobe.closed.promise, 3000, "close at the destroying side");
      server.resume();
      // The peer sees the connection go: `end` (FIN), or `close` (reset). A
      // peer that saw only `end` is half-open and finishes with end().
      await within(
        Promise.race([sprobe.ended.promise, sprobe.closed.promise]),
        3000,
        "peer noticing",
      );
      let peerClose = "close";
      if (sprobe.closes === 0) {
        peerClose = "end";
        server.end();
        await within(sprobe.closed.promise, 3000, "peer close after its end()");
      }
      info.peerSaw = peerClose;
      info.peerCloseError = sprobe.closeError?.message ?? null;
      info.peerBytes = sprobe.bytes;

      // And a destroy() at the other side after the peer went.
      try {
        server.write(enc.encode("x"));
        server.destroy();
      } catch (e) {
        throw new Error(`write/destroy on a closed peer threw: ${e}`);
      }
      await sleep(100);
      eq(cprobe.closes, 1, "close events at the destroying side");
      eq(sprobe.closes, 1, "close events at the peer");
      cprobe.checkClean("client");
      sprobe.checkClean("server");
    },
  },

  {
    name: "reset",
    timeoutMs: 8000,
    async run(scope, info) {
      // reset(): destroy() with SO_LINGER 0 where the runtime has it (Bun):
      // the peer sees a reset, not a FIN, and this side keeps no TIME_WAIT.
      const srv = await scope.server();
      const cprobe = new Probe();
      const client = await scope.connect(srv.port, cprobe);
      const server = await srv.next();
      const sprobe = probeOf(server);
      client.write(enc.encode("ping"));
      await within(sprobe.bytesArrived(4), 3000, "bytes before the reset");
      client.reset();
      eq(client.closed, true, "client.closed right after reset()");
      client.reset(); // safe twice
      client.destroy();
      await within(cprobe.closed.promise, 3000, "close at the resetting side");
      eq(cprobe.closeError, undefined, "close error at the resetting side");
      await within(Promise.race([sprobe.ended.promise, sprobe.closed.promise]), 3000, "peer noticing");
      if (sprobe.closes === 0) server.end(); // a runtime without SO_LINGER sent a FIN: the peer is half-open
      const peerError = await within(sprobe.closed.promise, 3000, "peer close");
      info.peerError = peerError?.message ?? null;
      info.peerEnded = sprobe.ends > 0;
      // Bun's plain sockets (its TLS connections end as destroy() does).
      if ("Bun" in globalThis && client.tls === undefined) {
        assert(peerError instanceof Error && sprobe.ends === 0, `the peer saw no reset (error ${peerError?.message}, ends ${sprobe.ends})`);
      }
      await sleep(50);
      eq(cprobe.closes, 1, "close events at the resetting side");
      eq(sprobe.closes, 1, "close events at the peer");
      cprobe.checkClean("client");
      sprobe.checkClean("server");
    },
  },

  {
    name: "connect-refused",
    timeoutMs: 5000,
    async run(scope) {
      const l = await scope.rt.listen(scope.listenOptions(0), (s) => s.destroy());
      const port = l.port;
      l.close();
      await sleep(50);
      let err: unknown;
      try {
        const s = await scope.rt.connect(scope.connectOptions(port, 2000), new Probe());
        scope.sockets.push(s);
      } catch (e) {
        err = e;
      }
      assert(err !== undefined, "connect to a closed port succeeded");
      assert(err instanceof ConnectError, `not a ConnectError: ${err}`);
      eq(err.code, "refused", "ConnectError.code");
      eq(err.port, port, "ConnectError.port");
      eq(err.hostname, HOST, "ConnectError.hostname");
    },
  },

  {
    name: "connect-timeout",
    timeoutMs: 8000,
    async run(scope, info) {
      const srv = await scope.server();
      let outcome: string;
      const t0 = performance.now();
      try {
        const probe = new Probe();
        const s = await scope.rt.connect(scope.connectOptions(srv.port, 1), probe);
        scope.sockets.push(s);
        outcome = "connected";
        // A socket that won the race must work.
        const server = await srv.next();
        server.events = {
          data: (c) => server.write(c),
          drain() {},
          end: () => server.end(),
          close() {},
        };
        s.write(enc.encode("ping"));
        await within(probe.bytesArrived(4), 3000, "echo on the connected socket");
      } catch (e) {
        assert(e instanceof ConnectError, `not a ConnectError: ${e}`);
        eq(e.code, "timeout", "ConnectError.code");
        outcome = "timeout";
        // If the kernel completed the handshake, the late connection must be closed.
        const server = await srv.next("accept of the late connection").catch(() => undefined);
        if (server !== undefined) {
          const sp = probeOf(server);
          await within(sp.closed.promise, 3000, "the late connection to be closed").catch((err) => {
            // Closed without an error, or only ended: either shows it was dropped.
            if (sp.ends === 0) throw err;
          });
          info.lateConnection = "closed";
        }
      }
      info.outcome = outcome;
      info.ms = Math.round(performance.now() - t0);

      // Again with the event loop blocked past the deadline, so the timer and
      // the completed handshake are both due: either outcome, never a hang,
      // and a connection that lost the race is closed.
      const probe2 = new Probe();
      const attempt = scope.rt.connect(scope.connectOptions(srv.port, 1), probe2);
      const until = performance.now() + 20;
      while (performance.now() < until) { /* block */ }
      try {
        const s = await within(attempt, 3000, "connect with timeoutMs 1");
        scope.sockets.push(s);
        info.blockedOutcome = "connected";
      } catch (e) {
        assert(e instanceof ConnectError, `not a ConnectError: ${e}`);
        eq(e.code, "timeout", "ConnectError.code");
        info.blockedOutcome = "timeout";
        const server = await srv.next("accept of the late connection").catch(() => undefined);
        if (server !== undefined) {
          const sp = probeOf(server);
          await within(
            Promise.race([sp.ended.promise, sp.closed.promise]),
            3000,
            "late connection dropped",
          );
          info.lateConnection = sp.closes > 0 ? "closed" : "ended";
        }
      }
      // And a plain connect with timeoutMs 0 (no limit) still works.
      const p = new Probe();
      await scope.connect(srv.port, p, 0);
    },
  },

  {
    name: "peer-reset",
    timeoutMs: 8000,
    async run(scope, info) {
      // The peer closes with unread bytes in its receive buffer: the kernel
      // sends RST. The writer must get one `close` carrying an error.
      const srv = await scope.server((s) => s.pause());
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      const server = await srv.next();
      client.write(pattern(256 * KiB));
      await sleep(100);
      server.destroy();
      const chunk = pattern(64 * KiB);
      let threw: unknown;
      const t0 = Date.now();
      while (probe.closes === 0 && Date.now() - t0 < 3000) {
        try {
          client.write(chunk);
        } catch (e) {
          threw = e;
          break;
        }
        await sleep(10);
      }
      assert(threw === undefined, `write() threw: ${threw}`);
      const err = await within(probe.closed.promise, 3000, "close after the peer's reset");
      info.error = err?.message ?? null;
      assert(err instanceof Error, "close() after a reset carried no error");
      eq(client.closed, true, "client.closed");
      await sleep(50);
      probe.checkClean("client");
    },
  },

  {
    name: "listener-close",
    timeoutMs: 8000,
    async run(scope) {
      let acceptedCount = 0;
      const srv = await scope.server((s) => {
        acceptedCount++;
        s.events = {
          data: (c) => s.write(c),
          drain() {},
          end: () => s.end(),
          close() {},
        };
      });
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      await srv.next();
      srv.listener.close();
      srv.listener.close(); // twice is harmless
      await sleep(50);

      let err: unknown;
      try {
        const s2 = await scope.rt.connect(scope.connectOptions(srv.port, 1000), new Probe());
        scope.sockets.push(s2);
        // Connected anyway: it must never be accepted.
        await sleep(200);
      } catch (e) {
        err = e;
      }
      eq(acceptedCount, 1, "sockets accepted after close()");
      if (err !== undefined) {
        assert(err instanceof ConnectError, `not a ConnectError: ${err}`);
      }

      client.write(enc.encode("still here"));
      await within(probe.bytesArrived(10), 3000, "echo on the accepted socket");
      eq(probe.text(), "still here", "echo");
      client.end();
      await within(probe.closed.promise, 3000, "close");
      probe.checkClean("client");
    },
  },

  {
    name: "many-connections",
    timeoutMs: 15000,
    async run(scope, info) {
      const N = 200;
      const srv = await scope.server((s) => {
        s.events = {
          data: (c) => s.write(c),
          drain() {},
          end: () => s.end(),
          close() {},
        };
      });
      const one = async (i: number) => {
        const probe = new Probe(true);
        const s = await scope.connect(srv.port, probe, 5000);
        const msg = `connection ${i} `.repeat(1 + (i % 50));
        s.write(enc.encode(msg));
        s.end();
        await within(probe.closed.promise, 10000, `connection ${i} to close`);
        eq(probe.ends, 1, `connection ${i} end events`);
        eq(probe.closeError, undefined, `connection ${i} close error`);
        eq(probe.text(), msg, `connection ${i} echo`);
        probe.checkClean(`connection ${i}`);
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
      info.ms = Math.round(performance.now() - t0);
    },
  },

  {
    name: "handler-throws",
    timeoutMs: 5000,
    async run(scope, info) {
      // An owner's data handler that throws must not become an unhandled
      // rejection or crash: the socket closes (with the error, ideally).
      const srv = await scope.server((s) => {
        s.events = {
          data() {
            throw new Error("owner bug");
          },
          drain() {},
          end() {},
          close() {},
        };
      });
      const probe = new Probe();
      probe.onEnd = () => client.end();
      const client = await scope.connect(srv.port, probe);
      const server = await srv.next();
      const sp = new Probe();
      const events = server.events;
      server.events = {
        data: (c) => events.data(c),
        drain() {},
        end() {},
        close: (e) => sp.close(e),
      };
      client.write(enc.encode("boom"));
      await within(sp.closed.promise, 3000, "the throwing socket to close");
      info.closeError = sp.closeError?.message ?? null;
      await within(probe.closed.promise, 3000, "peer close");
      eq(sp.closes, 1, "close events at the throwing side");
    },
  },

  {
    name: "clocks",
    timeoutMs: 3000,
    async run(scope, info) {
      const rt = scope.rt;
      const wall = rt.wallNow();
      info.wallSkewMs = wall - Date.now();
      assert(Math.abs(wall - Date.now()) < 1000, `wallNow() ${wall} is not the epoch clock (Date.now() ${Date.now()})`);
      let last = rt.now();
      for (let i = 0; i < 1000; i++) {
        const t = rt.now();
        assert(t >= last, `now() went back: ${last} then ${t}`);
        last = t;
      }
      const t0 = rt.now();
      await sleep(30);
      const elapsed = rt.now() - t0;
      info.elapsedOver30ms = Math.round(elapsed);
      assert(elapsed >= 25 && elapsed < 2000, `now() moved ${elapsed} ms over a 30 ms sleep`);
    },
  },

  {
    name: "timer-fires-once",
    timeoutMs: 3000,
    async run(scope, info) {
      const rt = scope.rt;
      const fired: string[] = [];
      const t0 = rt.now();
      let lateAt = 0;
      const done = deferred();
      // Set out of order: they fire by deadline.
      rt.setTimer(() => {
        fired.push("late");
        lateAt = rt.now();
        done.resolve();
      }, 40);
      const early = rt.setTimer(() => fired.push("early"), 10);
      eq(fired.length, 0, "timers fired inside setTimer()");
      await within(done.promise, 2000, "a 40 ms timer");
      info.lateFiredAfterMs = Math.round(lateAt - t0);
      // Timer clocks round; a millisecond early is still on time.
      assert(lateAt - t0 >= 39, `a 40 ms timer fired after ${lateAt - t0} ms`);
      eq(fired.join(","), "early,late", "firing order");
      // Clearing a timer that fired, twice, is harmless.
      rt.clearTimer(early);
      rt.clearTimer(early);
      await sleep(60);
      eq(fired.join(","), "early,late", "timers fire once");
    },
  },

  {
    name: "timer-cleared",
    timeoutMs: 3000,
    async run(scope) {
      const rt = scope.rt;
      const fired: string[] = [];
      const cleared = rt.setTimer(() => fired.push("cleared"), 10);
      const clearedLater = rt.setTimer(() => fired.push("cleared later"), 30);
      rt.setTimer(() => {
        fired.push("kept");
        rt.clearTimer(clearedLater); // from inside another timer's callback
      }, 15);
      rt.clearTimer(cleared);
      rt.clearTimer(cleared);
      await sleep(80);
      eq(fired.join(","), "kept", "timers that fired");
    },
  },

  {
    name: "defer-order",
    timeoutMs: 3000,
    async run(scope) {
      const rt = scope.rt;
      const seen: string[] = [];
      const done = deferred();
      rt.defer(() => seen.push("defer 1"));
      rt.defer(() => {
        seen.push("defer 2");
        rt.defer(() => {
          seen.push("defer from defer");
          done.resolve();
        });
      });
      queueMicrotask(() => seen.push("microtask"));
      seen.push("sync");
      await within(done.promise, 2000, "deferred callbacks");
      // After the event's own work and its promise jobs, in the order asked.
      eq(seen.join(","), "sync,microtask,defer 1,defer 2,defer from defer", "order");
    },
  },

];

// --------------------------------------------------------------------- main

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  info?: Record<string, unknown>;
}

/** Every check over plain TCP, then the socket checks and the TLS ones over TLS ("tls/NAME"). */
export const allCheckNames: string[] = [
  ...checks.map((c) => c.name),
  ...checks.filter((c) => !NOT_SOCKETS.has(c.name)).map((c) => `tls/${c.name}`),
  ...tlsChecks.map((c) => `tls/${c.name}`),
];

export async function runChecks(rt: Runtime, only: string[] = []): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const plain = checks.map((check) => ({ check, name: check.name, tls: false }));
  const overTls = [...checks.filter((c) => !NOT_SOCKETS.has(c.name)), ...tlsChecks].map((check) => ({
    check,
    name: `tls/${check.name}`,
    tls: true,
  }));
  let mode: TlsMode | undefined;
  for (const { check, name, tls } of [...plain, ...overTls]) {
    if (only.length > 0 && !only.includes(name)) continue;
    if (tls) mode ??= tlsMode();
    const scope = new Scope(rt, tls ? mode : undefined);
    const info: Record<string, unknown> = {};
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await within(check.run(scope, info), check.timeoutMs, `check ${check.name}`);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      scope.release();
    }
    const r: CheckResult = {
      name,
      ok: error === undefined,
      ms: Math.round(performance.now() - t0),
    };
    if (error !== undefined) r.error = error;
    if (Object.keys(info).length > 0) r.info = info;
    results.push(r);
    await sleep(20); // let released sockets go before the next check
  }
  return results;
}

async function loadRuntime(): Promise<Runtime> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
    return (await import("../../src/runtime/bun.ts")).bunRuntime;
  }
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") {
    // Computed, so that the Bun-typed tsc pass does not follow it (see src/main.ts).
    const denoAdapter = "../../src/runtime/deno.ts";
    return ((await import(denoAdapter)) as { denoRuntime: Runtime }).denoRuntime;
  }
  throw new Error("neither Bun nor Deno");
}

async function main(): Promise<void> {
  const unhandled: string[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  };
  const uncaught: string[] = [];
  const onUncaught = (err: unknown) => {
    uncaught.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  };
  const proc = (globalThis as {
    process?: { on(event: string, handler: (e: unknown) => void): void };
  }).process;
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" && proc) {
    // Bun does not dispatch these as events on globalThis.
    proc.on("unhandledRejection", onUnhandled);
    proc.on("uncaughtException", onUncaught);
  } else {
    globalThis.addEventListener("unhandledrejection", (ev: Event) => {
      ev.preventDefault();
      onUnhandled((ev as PromiseRejectionEvent).reason);
    });
    globalThis.addEventListener("error", (ev: Event) => {
      ev.preventDefault();
      onUncaught((ev as ErrorEvent).error);
    });
  }

  const rt = await loadRuntime();
  const results = await runChecks(rt, rt.args());
  await sleep(50);
  results.push({
    name: "no-unhandled-rejections",
    ok: unhandled.length === 0,
    ms: 0,
    ...(unhandled.length > 0 ? { error: unhandled.slice(0, 5).join("; ") } : {}),
  });
  const report = { runtime: rt.name, version: rt.version, uncaught, results };
  console.log(JSON.stringify(report));
  rt.exit(results.every((r) => r.ok) ? 0 : 1);
}

if (import.meta.main) await main();
