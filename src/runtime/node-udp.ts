// System.openUdp on both runtimes: node:dgram, which Bun and Deno implement
// without blocking (Bun over its own UDP socket, Deno over its datagram ops).
// The socket is connected once (a name is resolved then, not per datagram),
// so the kernel reports a receiver that went away (ICMP port unreachable) as
// an error event, ignored here: syslog over UDP is fire and forget. node:dgram
// queues without bound when sends outrun the socket, so sends in flight are
// capped and the rest dropped (the caller counts them).
import * as dgram from "node:dgram";
import { isIP } from "node:net";
import type { DatagramSender, DatagramSocket } from "./types.ts";

/** Runtime.openDatagram on both runtimes: an unconnected socket, bound to an ephemeral port at once. */
export function openDatagram(family: 4 | 6, onMessage: (bytes: Uint8Array, from: { address: string; port: number }) => void): DatagramSocket {
  const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  let closed = false;
  socket.on("message", (msg, rinfo) => {
    if (!closed) onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port });
  });
  // An unreachable nameserver (ICMP) is an error event: the query times out and is retried.
  socket.on("error", () => {});
  socket.bind(0);
  // Queries in flight must not keep a stopping process alive.
  socket.unref();
  return {
    send(bytes, host, port) {
      if (closed) return;
      try {
        socket.send(bytes, port, host);
      } catch {
        // Dropped: the resolution's retry timer sends again.
      }
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/** Datagrams handed to the socket and not yet sent; beyond, send() drops. */
const MAX_IN_FLIGHT = 1024;

export function openUdp(host: string, port: number): DatagramSender {
  const socket = dgram.createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  let state: "connecting" | "open" | "failed" | "closed" = "connecting";
  // Lines logged before the connect completes (a name being resolved): sent once it has.
  let early: Uint8Array[] = [];
  let inFlight = 0;
  const sent = (): void => {
    inFlight--;
  };
  const transmit = (bytes: Uint8Array): void => {
    inFlight++;
    try {
      socket.send(bytes, sent);
    } catch {
      inFlight--;
    }
  };
  socket.on("error", () => {
    if (state === "connecting") {
      state = "failed";
      early = [];
    }
  });
  socket.connect(port, host, () => {
    if (state !== "connecting") return;
    state = "open";
    for (const bytes of early) transmit(bytes);
    early = [];
  });
  // A log socket must not keep a process alive on its own.
  socket.unref();
  return {
    send(bytes) {
      if (state === "open") {
        if (inFlight >= MAX_IN_FLIGHT) return false;
        transmit(bytes);
        return true;
      }
      if (state === "connecting" && early.length < MAX_IN_FLIGHT) {
        early.push(bytes);
        return true;
      }
      return false;
    },
    close() {
      if (state === "closed") return;
      state = "closed";
      early = [];
      try {
        socket.close();
      } catch {
        // already closed by a failure
      }
    },
  };
}
