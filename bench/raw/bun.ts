// The raw forwarder on Bun's sockets (see ../raw-forwarder.ts).
import type { Socket } from "bun";
import type { Endpoint } from "./endpoint.ts";

export function forward(listen: Endpoint, upstream: Endpoint, ready: () => void): void {
  // One handler object for every socket, the peer found through `data` (a
  // handler object per connect would be an engine cost, not the runtime's).
  type End = { peer: Socket<End> | undefined; early: Uint8Array[]; queue: Uint8Array[] };
  const send = (to: Socket<End>, bytes: Uint8Array) => {
    if (to.data.queue.length > 0) return void to.data.queue.push(bytes.slice());
    const n = to.write(bytes);
    if (n >= 0 && n < bytes.length) to.data.queue.push(bytes.slice(n));
  };
  const handlers = {
    data(s: Socket<End>, bytes: Uint8Array) {
      if (s.data.peer) send(s.data.peer, bytes);
      else s.data.early.push(bytes.slice());
    },
    drain(s: Socket<End>) {
      const q = s.data.queue;
      while (q.length > 0) {
        const n = s.write(q[0]!);
        if (n < 0) return;
        if (n < q[0]!.length) return void (q[0] = q[0]!.subarray(n));
        q.shift();
      }
    },
    close(s: Socket<End>) {
      s.data.peer?.end();
    },
    error() {},
  };
  const upstreamHandlers = {
    ...handlers,
    open(s: Socket<End>) {
      // `data` holds the client until open: swap the two ends.
      const client = s.data.peer!;
      s.data = { peer: client, early: [], queue: [] };
      client.data.peer = s;
      for (const b of client.data.early) send(s, b);
      client.data.early.length = 0;
    },
    connectError(s: Socket<End>) {
      s.data.peer?.end();
    },
  };
  Bun.listen<End>({
    ...listen,
    socket: {
      ...handlers,
      open(client) {
        client.data = { peer: undefined, early: [], queue: [] };
        Bun.connect<End>({ ...upstream, data: { peer: client, early: [], queue: [] }, socket: upstreamHandlers }).catch(() => client.end());
      },
    },
  });
  ready();
}

/**
 * The runtime's floor for an idle keep-alive connection: a listener that
 * answers every request head with a fixed 13-byte response and otherwise
 * just holds the socket (no parser, no timers, no per-connection state).
 */
export function answer(listen: Endpoint, response: Uint8Array, ready: () => void): void {
  Bun.listen<undefined>({
    ...listen,
    socket: {
      data(s, bytes) {
        // One request per read is enough for the benchmark (one GET, then idle).
        if (bytes.includes(0x0a)) s.write(response);
      },
      error() {},
    },
  });
  ready();
}
