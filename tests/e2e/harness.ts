// Runs the real sluice (from source under Bun, under Deno, or the compiled
// binary) as a child process, with real TCP backends and clients on loopback.
import * as dgram from "node:dgram";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
const BIN = join(ROOT, "node_modules/.bin");
export const BINARY = join(ROOT, "build/out/sluice");

export interface Target {
  name: "bun" | "deno" | "binary";
  command(args: string[]): string[];
}

export const TARGETS: Target[] = [
  { name: "bun", command: (args) => [join(BIN, "bun"), join(ROOT, "src/main.ts"), ...args] },
  { name: "deno", command: (args) => [join(BIN, "deno"), "run", "-A", join(ROOT, "src/main.ts"), ...args] },
  { name: "binary", command: (args) => [BINARY, ...args] },
];

/** SLUICE_TARGETS=bun,deno limits the suite (for quick local runs). */
export function selectedTargets(): Target[] {
  const only = process.env.SLUICE_TARGETS?.split(",");
  return only ? TARGETS.filter((t) => only.includes(t.name)) : TARGETS;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "sluice-test-"));
}

/** Ports freePort handed out in this process: the kernel may offer a port again once its probe closed. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolvePort(port));
      });
    });
    // Two calls in a row once got the same port (two listens of one config then conflicted).
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it holds or `ms` pass. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface Run {
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything sluice printed on stderr so far, as lines. */
  readonly errLines: string[];
  readonly outText: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
  /** Log lines of ended connections (those with a termination state). */
  logLines(): string[];
  rssKiB(): number;
  peakRssKiB(): number;
}

async function collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    sink(decoder.decode(value, { stream: true }));
  }
}

/** Starts sluice with `args`; does not wait for readiness. */
export function spawnSluice(target: Target, args: string[], cwd = ROOT): Run {
  const proc = Bun.spawn(target.command(args), {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const errLines: string[] = [];
  let errPartial = "";
  let out = "";
  const done = Promise.all([
    collect(proc.stderr as ReadableStream<Uint8Array>, (t) => {
      const parts = (errPartial + t).split("\n");
      errPartial = parts.pop()!;
      errLines.push(...parts);
    }),
    collect(proc.stdout as ReadableStream<Uint8Array>, (t) => (out += t)),
  ]);
  const exited = proc.exited.then(async (code) => {
    await done;
    if (errPartial) errLines.push(errPartial);
    return code;
  });
  const status = (field: string) => {
    try {
      const text = readFileSync(`/proc/${proc.pid}/status`, "utf8");
      const m = text.match(new RegExp(`${field}:\\s+(\\d+) kB`));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  return {
    proc,
    errLines,
    outText: () => out,
    exited,
    kill: (signal = "SIGTERM") => proc.kill(signal),
    logLines: () => errLines.filter((l) => /\] \S+ \S+\/\S+ -?\d+\/-?\d+\/\d+ /.test(l)),
    rssKiB: () => status("VmRSS"),
    peakRssKiB: () => status("VmHWM"),
  };
}

/** Writes `config` to a temp file and runs sluice on it, waiting until it is ready. */
export async function startSluice(target: Target, config: string, ext = "cfg"): Promise<Run> {
  const file = join(tempDir(), `sluice.${ext}`);
  writeFileSync(file, config);
  // Tests run with the ownership check set to throw: a violation fails loudly.
  const run = spawnSluice(target, ["-f", file, "--strict-ownership"]);
  let exitCode: number | undefined;
  run.exited.then((c) => (exitCode = c));
  await waitFor(
    () => exitCode !== undefined || run.errLines.some((l) => l.includes(") ready")),
    15000,
    `sluice (${target.name}) to start`,
  );
  if (exitCode !== undefined) {
    throw new Error(`sluice (${target.name}) exited with ${exitCode}:\n${run.errLines.join("\n")}`);
  }
  return run;
}

/** Stops sluice and waits for it to exit. */
export async function stopSluice(run: Run): Promise<number> {
  run.kill("SIGTERM");
  const code = await Promise.race([run.exited, sleep(10000).then(() => -1)]);
  if (code === -1) {
    run.kill("SIGKILL");
    await run.exited;
  }
  return code;
}

// ---- real TCP peers ----

export interface Backend {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Sockets open now. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** A TCP server on loopback; `onConnection` decides what it does. */
export async function tcpBackend(onConnection: (socket: net.Socket) => void, port = 0): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const backend: Backend = {
    port: 0,
    accepted: 0,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    backend.accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  backend.port = (server.address() as net.AddressInfo).port;
  return backend;
}

/** A backend that sends its name and closes at once. */
export function nameBackend(name: string, port = 0): Promise<Backend> {
  return tcpBackend((s) => s.end(name), port);
}

/** A backend that echoes and half-closes when the client does. */
export function echoBackend(): Promise<Backend> {
  return tcpBackend((s) => {
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
  });
}

export interface Exchange {
  data: Buffer;
  /** How the connection ended: "end" (FIN), "error", or "timeout" (still open at the deadline). */
  how: "end" | "error" | "timeout";
  ms: number;
}

/** Connects, sends `send` (then half-closes if `end`), reads until the peer closes. */
export async function exchange(
  port: number,
  send: string | Buffer = "",
  opts: { end?: boolean; timeoutMs?: number } = {},
): Promise<Exchange> {
  const started = Date.now();
  return await new Promise((resolveEx) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let settled = false;
    const settle = (how: Exchange["how"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolveEx({ data: Buffer.concat(chunks), how, ms: Date.now() - started });
    };
    const timer = setTimeout(() => settle("timeout"), opts.timeoutMs ?? 5000);
    socket.on("connect", () => {
      if (send.length > 0) socket.write(send);
      if (opts.end ?? true) socket.end();
    });
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => settle("end"));
    socket.on("close", () => settle("end"));
    socket.on("error", () => settle("error"));
  });
}

export type Client = net.Socket & {
  received: () => string;
  /** Resolves when the peer ended or the connection closed (whichever first). */
  finished: Promise<void>;
};

/** Opens a connection and keeps it; resolves once connected. */
export async function openClient(port: number): Promise<Client> {
  const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  let received = "";
  socket.on("data", (d) => (received += d.toString()));
  socket.on("error", () => {});
  const finished = new Promise<void>((r) => {
    socket.once("end", r);
    socket.once("close", r);
  });
  await new Promise<void>((r, j) => {
    socket.once("connect", () => r());
    socket.once("error", j);
  });
  return Object.assign(socket, { received: () => received, finished });
}

/** Log lines a proxy sends over UDP (`log 127.0.0.1:PORT format raw`), one per datagram, in arrival order. */
export interface LogReceiver {
  port: number;
  lines: string[];
  close(): void;
}

export async function logReceiver(): Promise<LogReceiver> {
  const socket = dgram.createSocket("udp4");
  const lines: string[] = [];
  socket.on("message", (m) => lines.push(m.toString().replace(/\n$/, "")));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  return { port: socket.address().port, lines, close: () => socket.close() };
}
