// Connections the runtimes' own connects cannot make, on both runtimes through
// node:net (and node:tls): from a chosen local address (`source`), and TLS
// through a hop (a server's `socks4 ADDR:PORT` with `ssl`): connect to the
// hop, send its request, read its reply, then start TLS on that socket. A
// plain connection through a hop runs on the runtime's own socket, its
// request and reply spoken by conn/connect.ts.
import net from "node:net";
import tls from "node:tls";
import { factsOf, keepSessions, NodeTlsSocket, type PauseMode, tlsConnectOptions } from "./node-tls.ts";
import { type ClientTlsOptions, type ConnectFailure, ConnectError, type ConnectHop, type ConnectOptions, type Socket, type SocketEvents } from "./types.ts";

/** node:net's localAddress/localPort for `source`. */
function localOf(options: ConnectOptions): { localAddress?: string; localPort?: number } {
  const local = options.localAddress;
  if (local === undefined) return {};
  return local.port === 0 ? { localAddress: local.host } : { localAddress: local.host, localPort: local.port };
}

/**
 * A plain connection from a chosen local address (`source`): Bun.connect and
 * Deno.connect bind nothing, node:net's connect does on both runtimes.
 */
export function connectFrom(options: ConnectOptions, events: SocketEvents, pauseMode: PauseMode): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    const raw = net.connect({ host: hostname, port, allowHalfOpen: true, ...localOf(options) });
    const timer = timeoutMs > 0 ? setTimeout(() => fail(new ConnectError("timeout", hostname, port, `after ${timeoutMs} ms`)), timeoutMs) : undefined;
    function fail(error: ConnectError): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      raw.destroy();
      reject(error);
    }
    raw.once("error", (e: Error & { code?: string }) => fail(new ConnectError(failureOf(e), hostname, port, e.message)));
    raw.once("connect", () => {
      if (settled) {
        raw.destroy();
        return;
      }
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      raw.setNoDelay(true);
      resolve(new NodeTlsSocket(raw, events, undefined, raw, pauseMode));
    });
  });
}

function failureOf(e: Error & { code?: string }): ConnectFailure {
  const code = e.code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "unreachable";
  return "error";
}

/** Opens `options.hostname:port` with TLS through `hop`; resolves once the hop let it through and TLS is up. */
export function connectThrough(options: ConnectOptions & { tls: ClientTlsOptions }, hop: ConnectHop, events: SocketEvents, pauseMode: PauseMode): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  const tlsOptions = options.tls;
  return new Promise<Socket>((resolve, reject) => {
    const started = performance.now();
    let settled = false;
    let secured: tls.TLSSocket | undefined;
    const raw = net.connect({ host: hop.hostname, port: hop.port, allowHalfOpen: true, ...localOf(options) });
    const timer = timeoutMs > 0
      ? setTimeout(() => fail(new ConnectError("timeout", hostname, port, `after ${timeoutMs} ms (through ${hop.hostname}:${hop.port})`)), timeoutMs)
      : undefined;
    function fail(error: ConnectError): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      secured?.destroy();
      raw.destroy();
      reject(error);
    }
    function done(socket: Socket): void {
      if (settled) {
        socket.destroy();
        return;
      }
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve(socket);
    }
    const onError = (e: Error & { code?: string }) => fail(new ConnectError(failureOf(e), hostname, port, `through ${hop.hostname}:${hop.port}: ${e.message}`));
    const onClose = () => fail(new ConnectError("refused", hostname, port, `${hop.hostname}:${hop.port} closed the connection before its reply`));
    raw.on("error", onError);
    raw.once("close", onClose);
    raw.once("connect", () => raw.write(hop.request));
    let got = new Uint8Array(0);
    const onData = (chunk: Uint8Array) => {
      const all = new Uint8Array(got.length + chunk.length);
      all.set(got);
      all.set(chunk, got.length);
      got = all;
      if (got.length < hop.replyLength) return;
      raw.off("data", onData);
      raw.off("error", onError);
      raw.off("close", onClose);
      const refusal = hop.refusal(got.subarray(0, hop.replyLength));
      if (refusal !== undefined) return fail(new ConnectError("refused", hostname, port, `${hop.hostname}:${hop.port}: ${refusal}`));
      const early = got.subarray(hop.replyLength);
      if (early.length > 0) return fail(new ConnectError("tls", hostname, port, "the server spoke before the TLS handshake"));
      const s = secured = tls.connect({ ...tlsConnectOptions(hostname, port, tlsOptions), socket: raw });
      keepSessions(s, tlsOptions);
      s.once("error", (e: Error) => fail(new ConnectError("tls", hostname, port, e.message)));
      s.once("secureConnect", () => {
        if (tlsOptions.verify && !s.authorized) return fail(new ConnectError("tls", hostname, port, `certificate not verified: ${s.authorizationError}`));
        s.setNoDelay(true);
        done(new NodeTlsSocket(s, events, factsOf(s, tlsOptions.servername, started), raw, pauseMode));
      });
    };
    raw.on("data", onData);
  });
}
