// What an HTTP stream needs from the session it belongs to: the client side
// (through the server-side mux's ResponseWriter), the session's facts and
// settings, and the outcomes it reports. An interface, so that the stream
// never imports the session (imports only go down) and never learns which
// protocol the client speaks.
import type { Server } from "../backend/server.ts";
import type { ResponseWriter } from "../conn/server-mux.ts";
import type { Owner } from "../conn/types.ts";
import type { HeadLimits, ProtocolRefusal } from "../http/message.ts";
import type { Ownership } from "../pool/ownership.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Action, ActionTxn } from "../rules/types.ts";
import type { HeaderCapture } from "../rules/rule-set.ts";
import type { StickStore } from "../stick/types.ts";
import type { TrafficCounters } from "../conn/counters.ts";

/**
 * `S`: the stream type itself (so this file needs not import it). One host
 * per stream: an HTTP/1.1 session is the host of its one stream at a time; a
 * multiplexed session gives each of its streams a host of its own.
 */
export interface HttpStreamHost<S> {
  /** The session that owns the backend connections this stream uses (the ownership API's Owner). */
  readonly owner: Owner;
  /** wallNow: the dates a persistence cookie carries (maxidle, maxlife). */
  readonly runtime: Pick<Runtime, "connect" | "defer" | "wallNow">;
  /** The one API that moves backend connections between sessions and pools. */
  readonly ownership: Ownership;
  readonly limits: HeadLimits;
  /** `max-session-srv-conns`: idle private connections a session keeps. */
  readonly maxSessionSrvConns: number;
  /** The PROXY v1 line for servers with send-proxy (also the reuse key of those connections). */
  readonly proxyHeader: string;
  /** The client's address (balance source hashes it). */
  readonly clientAddress: string;
  /** Where the client connected: a server written `0.0.0.0` or without a port goes there. */
  readonly clientDestination: { readonly localAddress: string; readonly localPort: number };
  /** Requests seen on this client connection (1: the first). */
  readonly requests: number;
  /** The server that challenged with NTLM/Negotiate: later requests go there (invariant 13). */
  authServer: Server | undefined;
  /** `option contstats`: the frontend's counters, given the response bytes as they go; undefined: counted at the end. */
  readonly contstats: TrafficCounters | undefined;
  /** The server whose connection the previous request left reusable (option prefer-last-server). */
  previousServer: Server | undefined;
  /**
   * The client connection may take another request after this one (once the request is read whole): the
   * frontend keeps connections between requests, the client did not half-close, the proxy is not stopping.
   */
  readonly keepsClient: boolean;
  /** Where the stream's answer goes. */
  readonly writer: ResponseWriter;

  /** The time of the event being handled (monotonic ms). */
  now(): number;
  /** Reads the clock: first thing in every handler of an event from outside. */
  tick(): number;
  /** The deadline may have moved. */
  rearm(): void;
  /** Bytes moved to or from the server (for timeout server). */
  serverActivity(): void;
  /** The server cannot take more / can again: the client is paused / resumed. */
  holdClient(): void;
  releaseClient(): void;
  /** The stream has its connection: the client may send its body. */
  resumeClient(): void;
  /** Writes what was collected for the client. */
  flushToClient(): void;

  /** The exchange completed; `keepClient`: the client connection carries on. */
  streamDone(stream: S, keepClient: boolean): void;
  /** Nothing was sent to the client yet: it gets an error page with `status`, then the connection closes. */
  streamFailed(stream: S, status: number): void;
  /** The response had begun: the client connection is cut. */
  streamCut(stream: S): void;
  /** After a 101, both directions are raw bytes. */
  startTunnel(): void;
  tunnelClosed(): void;
  /** Counts a response the codec refused (and keeps its bytes, when the codec did, for `show errors`). */
  noteServerError(refusal: ProtocolRefusal, stream: S): void;
  /** The server's response head went to the client (`option logasap` logs then). */
  responseHeadSent?(stream: S): void;
}

/** A request an applet of the proxy's own answers (HAProxy's stats applet, the Prometheus exporter) instead of a server. */
export interface ServiceRequest {
  readonly method: string;
  /** The target as the client sent it. */
  readonly target: string;
  readonly fields: readonly (readonly [string, string])[];
  /** The whole request body (bounded by the stream: see SERVICE_MAX_BODY). */
  readonly body: Uint8Array;
  readonly remote: { readonly address: string; readonly port: number };
  readonly local: { readonly address: string; readonly port: number };
}

export interface ServiceAnswer {
  status: number;
  fields: [string, string][];
  body: Uint8Array;
}

export type ServiceCall = (request: ServiceRequest) => Promise<ServiceAnswer>;

/** The applets a running proxy serves in its traffic; app.ts fills them in (admin/ makes them), none until then. */
export interface Services {
  /** The stats page of the proxy named (a `stats` section that routes, or a backend). */
  stats?: (proxy: string, request: ServiceRequest) => Promise<ServiceAnswer>;
  /** `http-request use-service prometheus-exporter`. */
  prometheus?: ServiceCall;
}

/** The transaction of a ruled stream, with what the stream tells it of its life (stick counters, issue 15). */
export interface RuledTxn extends ActionTxn {
  /** An applet answers this request (the stats page, the exporter): the stream calls it instead of a server. */
  service?: ServiceCall | undefined;
  /** A server's final response status is known (the rules' own answers count through countHttpError). */
  countStatus?(status: number): void;
  /** The stream ended: bytes from and to the client; what it tracks is let go. */
  release?(bytesIn: number, bytesOut: number, clock: { now(): number }): void;
  /** The stick tables `stick` lines read and write (the proxy graph's); undefined: none. */
  readonly stickTables?: StickStore | undefined;
}

/** What a stream carries on from the request stage of rules: its transaction and the response rules to run, in order. */
export interface RuledRequest {
  readonly txn: RuledTxn;
  /** `http-response` sets: the backend's, then the frontend's (HAProxy's order). */
  readonly response: readonly (readonly Action[])[];
  /** `http-after-response` sets, in the same order; they see sluice's own replies too. */
  readonly after: readonly (readonly Action[])[];
  /** `http-request tarpit`: ms to hold the request before its reply (-1: not tarpitted). */
  readonly tarpitMs: number;
  /** The frontend's `capture response header` lines, filled when the response comes. */
  readonly responseHeaderCaptures: readonly HeaderCapture[];
  /** The backend's `tcp-request content reject`: no answer, the client connection is closed (HAProxy's PR--). */
  readonly rejected: boolean;
}
