// The operations side under Bun (issue 16): Bun.serve for the admin HTTP
// listener, unix-domain sockets for the runtime API, Bun.spawn for workers.
import { libcSystemCalls } from "./libc-system.ts";
import { bunLibc } from "./libc-bun.ts";
import { BunSocket, handlers, noEvents } from "./bun-socket.ts";
import { openUdp } from "./node-udp.ts";
import type { ChildProcess, HttpListener, HttpServeOptions, Listener, Socket, SocketEvents, SocketFileAccess, SpawnOptions, System } from "./types.ts";
import { applySocketAccess, removeSocketFile, removeStaleSocket } from "./socket-file.ts";
import { isCompiledBun } from "./bun-allocator.ts";


function serveHttp(options: HttpServeOptions): Promise<HttpListener> {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort ?? false,
    fetch(request, srv) {
      const ip = srv.requestIP(request);
      return options.fetch(request, { address: ip?.address ?? "", port: ip?.port ?? 0 });
    },
  });
  return Promise.resolve({
    hostname: server.hostname ?? options.hostname,
    port: server.port ?? options.port,
    close: () => server.stop(false),
  });
}

function listenUnix(path: string, onAccept: (socket: Socket) => void, access?: SocketFileAccess): Promise<Listener> {
  removeStaleSocket(path);
  const server = Bun.listen<BunSocket>({
    unix: path,
    allowHalfOpen: true,
    socket: {
      ...handlers,
      open(raw) {
        const socket = new BunSocket(raw, noEvents);
        raw.data = socket;
        onAccept(socket);
      },
    },
  });
  const listener: Listener = {
    hostname: path,
    port: 0,
    close() {
      server.stop(false);
      removeSocketFile(path);
    },
  };
  try {
    applySocketAccess(path, access);
  } catch (error) {
    listener.close();
    return Promise.reject(error);
  }
  return Promise.resolve(listener);
}

function connectUnix(path: string, events: SocketEvents): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    Bun.connect<BunSocket>({
      unix: path,
      allowHalfOpen: true,
      socket: {
        ...handlers,
        open(raw) {
          const socket = new BunSocket(raw, events);
          raw.data = socket;
          resolve(socket);
        },
        connectError(_raw, error) {
          reject(error);
        },
      },
    }).catch(reject);
  });
}

/** The compiled binary runs its embedded entry from Bun's virtual file system. */
function isCompiled(): boolean {
  return isCompiledBun(Bun.main);
}

function spawnSelf(options: SpawnOptions): ChildProcess {
  const cmd = isCompiled() ? [process.execPath, ...options.args] : [process.execPath, Bun.main, ...options.args];
  const child = Bun.spawn({
    cmd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return {
    pid: child.pid,
    kill: (signal) => child.kill(signal),
    exited: child.exited.then((code) => {
      const signal = child.signalCode === null ? null : String(child.signalCode);
      return { code: signal === null ? code : null, signal };
    }),
  };
}

export const bunSystem: System = {
  pid: process.pid,
  serveHttp,
  listenUnix,
  connectUnix,
  spawnSelf,
  env: (name) => process.env[name],
  cpuCount: () => navigator.hardwareConcurrency,
  openUdp,
  ...libcSystemCalls(bunLibc, process.pid, (name) => process.env[name]),
};
