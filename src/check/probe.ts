// One check run: a script of steps (connect, send, expect) played over the
// one connect path (conn/connect.ts) with the runtime's timers, ending in
// one verdict. A plain TCP check is the script [connect]; an HTTP check
// [connect, send request, expect answer]; tcp-check rules are their own
// script. Timeouts as HAProxy: without `timeout check`, `inter` bounds the
// whole run; with it, the connect is bounded by min(timeout connect, inter)
// and what follows by `timeout check`.
import type { CheckResult, CheckStatus } from "../backend/server-state.ts";
import { connectServer } from "../conn/connect.ts";
import { type ClientTlsOptions, ConnectError, type Runtime, type Socket, type SocketEvents, type TimerHandle } from "../runtime/types.ts";
import { result } from "./status.ts";

/** What a step or a whole run concluded, before its duration is known. */
export interface Verdict {
  status: CheckStatus;
  info: string;
  code?: number;
}

/** Judges what was received so far; undefined: not enough yet (`closed`: nothing more will come, decide). */
export type Judge = (received: Uint8Array, closed: boolean) => Verdict | undefined;

export type Step =
  | { readonly kind: "connect"; readonly port?: number; /** Added to a refusal's info (tcp-check names its step). */ readonly context?: string }
  | { readonly kind: "send"; readonly data: Uint8Array }
  | { readonly kind: "expect"; readonly judge: Judge; readonly onTimeout: Verdict };

/** Where and how a check connects, and how long it may take. */
export interface ProbeTarget {
  readonly host: string;
  /** The port of a `connect` step without its own. */
  readonly port: number;
  /** The PROXY header each connection starts with (`check-send-proxy`), or "". */
  readonly proxyHeader: string;
  /** TLS on each connection (check-ssl, or a server with ssl checked where it serves), or undefined. */
  readonly tls: ClientTlsOptions | undefined;
  /** `check-via-socks4`: checks go through the server's SOCKS4 proxy; undefined: straight to the server. */
  readonly socks4?: { readonly host: string; readonly port: number } | undefined;
  /** `source` of the backend (HAProxy: "also used as a source for health checks"). */
  readonly source?: { readonly host: string; readonly port: number } | undefined;
  /** ms allowed to connect. */
  readonly connectMs: number;
  /** ms allowed once connected, counted from the connect; undefined: until `totalMs` from the start. */
  readonly readMs: number | undefined;
  /** ms the whole run may take when readMs is undefined. */
  readonly totalMs: number;
}

/** Most bytes kept to judge an answer (HAProxy checks read one buffer). */
const MAX_RECEIVED = 16384;
const EMPTY = new Uint8Array(0);

export class Probe implements SocketEvents {
  private step = -1;
  private socket: Socket | undefined;
  private received: Uint8Array = EMPTY;
  private timer: TimerHandle | undefined;
  private connected = false;
  /** The verdict of the last expect that passed: an HTTP check's result carries its answer's code. */
  private lastPass: Verdict | undefined;
  private done = false;
  private readonly started: number;

  constructor(
    private readonly runtime: Pick<Runtime, "connect" | "now" | "setTimer" | "clearTimer">,
    private readonly target: ProbeTarget,
    private readonly steps: readonly Step[],
    /** The verdict when every step passed. */
    private readonly success: Verdict,
    private readonly finished: (r: CheckResult) => void,
  ) {
    this.started = runtime.now();
    const t = target;
    this.arm(t.readMs === undefined ? t.totalMs : Math.min(t.connectMs, t.totalMs));
    this.next();
  }

  // ---- socket events (only the current connection's matter)

  data(chunk: Uint8Array): void {
    if (this.done) return;
    const room = MAX_RECEIVED - this.received.length;
    const merged = new Uint8Array(this.received.length + Math.min(room, chunk.length));
    merged.set(this.received);
    merged.set(chunk.subarray(0, room), this.received.length);
    this.received = merged;
    this.judge(this.received.length >= MAX_RECEIVED);
  }

  drain(): void {}

  end(): void {
    if (!this.done) this.judge(true);
  }

  close(): void {
    if (!this.done) this.judge(true);
  }

  // ---- the script

  private next(): void {
    while (!this.done) {
      const step = this.steps[++this.step];
      if (step === undefined) return this.finish(this.lastPass ?? this.success);
      if (step.kind === "connect") return this.connect(step.port ?? this.target.port, step.context);
      if (step.kind === "send") {
        // A new exchange: what came before is judged already.
        this.received = EMPTY;
        this.socket!.write(step.data);
        continue;
      }
      // An expect: judged on what is here, then on every chunk.
      return this.judge(false);
    }
  }

  private connect(port: number, context: string | undefined): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.connected = false;
    this.received = EMPTY;
    const t = this.target;
    const timeoutMs = Math.max(1, t.readMs === undefined ? t.totalMs - (this.runtime.now() - this.started) : t.connectMs);
    connectServer(this.runtime, { host: t.host, port, timeoutMs, proxyHeader: t.proxyHeader, tls: t.tls, socks4: t.socks4, source: t.source }, this, (socket) => {
      if (this.done) return socket.destroy();
      this.socket = socket;
      this.connected = true;
      if (t.readMs !== undefined) this.arm(t.readMs);
      this.next();
    }, (error) => {
      if (this.done) return;
      if (error instanceof ConnectError && error.code === "timeout") return this.finish({ status: "L4TOUT", info: "" });
      // The TCP connect worked, the TLS handshake did not (HAProxy's L6RSP, "SSL handshake failure").
      if (error instanceof ConnectError && error.code === "tls") return this.finish({ status: "L6RSP", info: tlsInfo(error) });
      const info = connectInfo(error);
      this.finish({ status: "L4CON", info: context === undefined ? info : `${info} ${context}` });
    });
  }

  private judge(closed: boolean): void {
    const step = this.steps[this.step];
    if (step?.kind !== "expect") {
      // Closed while nothing was expected: the next expect (or the end) decides.
      return;
    }
    const verdict = step.judge(this.received, closed);
    if (verdict === undefined) return;
    if (verdict.status === "L7OK" || verdict.status === "L4OK") {
      this.lastPass = verdict;
      return this.next();
    }
    this.finish(verdict);
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) this.runtime.clearTimer(this.timer);
    this.timer = this.runtime.setTimer(this.expired, Math.max(1, ms));
  }

  private readonly expired = (): void => {
    this.timer = undefined;
    if (this.done) return;
    if (!this.connected) return this.finish({ status: "L4TOUT", info: "" });
    const step = this.steps[this.step];
    this.finish(step?.kind === "expect" ? step.onTimeout : { status: "L7TOUT", info: "" });
  };

  /** Ends the run now with no verdict (the proxy stops): its socket and timer go. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) this.runtime.clearTimer(this.timer);
    this.timer = undefined;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private finish(v: Verdict): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) this.runtime.clearTimer(this.timer);
    this.timer = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.finished(result(v.status, this.runtime.now() - this.started, v.info, v.code));
  }
}

/** HAProxy's words for a failed handshake, with the runtime's reason when it gave one: "SSL handshake failure (certificate not verified: ...)". */
function tlsInfo(error: ConnectError): string {
  const why = /failed: tls \((.*)\)$/.exec(error.message)?.[1];
  return why === undefined ? "SSL handshake failure" : `SSL handshake failure (${why})`;
}

/** HAProxy's words for a failed connect. */
function connectInfo(error: unknown): string {
  if (error instanceof ConnectError) {
    if (error.code === "refused") return "Connection refused";
    if (error.code === "unreachable") return "Network is unreachable";
  }
  return error instanceof Error ? error.message : String(error);
}
