// The operations side under Deno (issue 16): Deno.serve for the admin HTTP
// listener, unix-domain sockets for the runtime API, Deno.Command for workers.
import { libcSystemCalls } from "./libc-system.ts";
import { denoLibc } from "./libc-deno.ts";
import type { LibcCalls } from "./libc.ts";
import { SystemCallError } from "./libc-errors.ts";
import { DenoListener } from "./deno.ts";
import { DenoSocket } from "./deno-socket.ts";
import { openUdp } from "./node-udp.ts";
import type { ChildProcess, HttpListener, HttpServeOptions, Listener, Socket, SocketEvents, SocketFileAccess, SpawnOptions, System } from "./types.ts";
import { applySocketAccess, removeSocketFile, removeStaleSocket } from "./socket-file.ts";

function serveHttp(options: HttpServeOptions): Promise<HttpListener> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        reusePort: options.reusePort ?? false,
        onListen(addr) {
          resolve({
            hostname: addr.hostname,
            port: addr.port,
            close: () => server.shutdown(),
          });
        },
      }, (request, info) => {
        const remote = info.remoteAddr;
        return options.fetch(request, { address: remote.hostname, port: remote.port });
      });
    } catch (error) {
      reject(error);
    }
  });
}

function listenUnix(path: string, onAccept: (socket: Socket) => void, access?: SocketFileAccess): Promise<Listener> {
  try {
    removeStaleSocket(path);
    const accepting = new DenoListener(Deno.listen({ transport: "unix", path }), onAccept);
    const listener: Listener = {
      hostname: path,
      port: 0,
      // Its accept may be in flight as it closes, as a TCP listener's (a stopping frontend waits for it).
      acceptsEnded: accepting.acceptsEnded,
      close() {
        accepting.close();
        removeSocketFile(path);
      },
    };
    try {
      applySocketAccess(path, access);
    } catch (error) {
      listener.close();
      throw error;
    }
    return Promise.resolve(listener);
  } catch (error) {
    return Promise.reject(error);
  }
}

async function connectUnix(path: string, events: SocketEvents): Promise<Socket> {
  const conn = await Deno.connect({ transport: "unix", path });
  const socket = new DenoSocket(conn, events);
  socket.start();
  return socket;
}

function spawnSelf(options: SpawnOptions): ChildProcess {
  // Under Deno sluice runs from source: the same deno, the same permissions, the same entry.
  // A worker listens with SO_REUSEPORT, which Deno.listen offers behind --unstable-net.
  const entry = new URL(Deno.mainModule).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", entry, ...options.args],
    env: { ...options.env },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return {
    pid: child.pid,
    kill: (signal) => child.kill(signal),
    exited: child.status.then((s) => ({ code: s.signal === null ? s.code : null, signal: s.signal })),
  };
}

let libc: LibcCalls | undefined;
/** libc through Deno's FFI, opened once, on first use: the system calls of libcSystemCalls and the log writes below share it. */
const loadLibc = (): LibcCalls => (libc ??= denoLibc());

/**
 * `log fd@N` under Deno: node:fs refuses descriptors Deno did not open, so one
 * the process was started with is written through libc. Blocking, as Deno's
 * own file writes are (fd-sink.ts); `done` runs after the call returns.
 */
function writeDescriptor(fd: number, data: Uint8Array, offset: number, length: number, done: (err: Error | null, written: number) => void): void {
  let err: Error | null = null;
  let written = 0;
  try {
    const calls = loadLibc();
    const n = calls.write(fd, data.subarray(offset, offset + length), length);
    if (n < 0) err = new SystemCallError("write", calls.errno(), `fd ${fd}`);
    else written = n;
  } catch (e) {
    err = e as Error;
  }
  queueMicrotask(() => done(err, written));
}

export const denoSystem: System = {
  pid: Deno.pid,
  serveHttp,
  listenUnix,
  connectUnix,
  spawnSelf,
  writeDescriptor,
  env: (name) => Deno.env.get(name),
  cpuCount: () => navigator.hardwareConcurrency,
  openUdp,
  ...libcSystemCalls(loadLibc, Deno.pid, (name) => Deno.env.get(name)),
};
