// The operations side under Deno (issue 16): Deno.serve for the admin HTTP
// listener, unix-domain sockets for the runtime API, Deno.Command for workers.
import { libcSystemCalls } from "./libc-system.ts";
import { denoLibc } from "./libc-deno.ts";
import { DenoListener } from "./deno.ts";
import { DenoSocket } from "./deno-socket.ts";
import { openUdp } from "./node-udp.ts";
import type { ChildProcess, HttpListener, HttpServeOptions, Listener, Socket, SocketEvents, SpawnOptions, System } from "./types.ts";

function removeStaleSocket(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return;
  }
  if (!info.isSocket) throw new Error(`${path} exists and is not a socket`);
  Deno.removeSync(path);
}

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

function listenUnix(path: string, onAccept: (socket: Socket) => void): Promise<Listener> {
  try {
    removeStaleSocket(path);
    const listener = new DenoListener(Deno.listen({ transport: "unix", path }), onAccept);
    return Promise.resolve({
      hostname: path,
      port: 0,
      close() {
        listener.close();
        try {
          Deno.removeSync(path);
        } catch {
          // someone else removed it already
        }
      },
    });
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

export const denoSystem: System = {
  pid: Deno.pid,
  serveHttp,
  listenUnix,
  connectUnix,
  spawnSelf,
  env: (name) => Deno.env.get(name),
  cpuCount: () => navigator.hardwareConcurrency,
  openUdp,
  ...libcSystemCalls(denoLibc, Deno.pid, (name) => Deno.env.get(name)),
};
