// The inspection phase of a client connection (`tcp-request content` rules,
// and in mode tcp `use_backend` on the first bytes): the bytes are held, not
// forwarded, while the rules look at them. The rules run again at each new
// chunk; the first `accept` or `reject` decides, a condition that cannot tell
// yet waits for more bytes (HAProxy's three-valued ACLs, see
// rules/content-condition.ts), and rules that all say no accept at once. The
// waiting ends when `tcp-request inspect-delay` passes, when the client ends
// its side, or when tune.bufsize bytes are held.
import { Verdict, type VerdictCode } from "../rules/types.ts";
import type { Action } from "../rules/types.ts";
import type { Socket, SocketEvents, TimerHandle, Timers } from "../runtime/types.ts";
import type { HttpTxn } from "./txn.ts";

export interface InspectionDone {
  /** The rules accepted (or had no more to say): the session starts with what was held. */
  accepted(inspection: Inspection, held: Uint8Array[]): void;
  /** A rule rejected, or the client left first: the connection is gone. */
  gone(inspection: Inspection, rejected: boolean): void;
}

export class Inspection implements SocketEvents {
  private readonly held: Uint8Array[] = [];
  private size = 0;
  private timer: TimerHandle | undefined;
  private over = false;
  /** The client ended its side while the rules looked: the session must learn it too. */
  clientEnded = false;
  /** Monotonic ms when the rules began to look (a rejected connection's log line counts its time from here). */
  readonly began: number;

  constructor(
    readonly socket: Socket,
    readonly txn: HttpTxn,
    private readonly rules: readonly Action[],
    private readonly delayMs: number,
    private readonly maxBytes: number,
    private readonly timers: Pick<Timers, "now" | "setTimer" | "clearTimer">,
    private readonly done: InspectionDone,
  ) {
    this.began = timers.now();
  }

  /** How many bytes are held (what the client sent so far). */
  get heldBytes(): number {
    return this.size;
  }

  /** Takes the socket's events and looks at what already arrived (`ended`: the client's FIN came with it). */
  begin(early: readonly Uint8Array[], ended: boolean): void {
    this.socket.events = this;
    this.clientEnded = ended;
    for (const chunk of early) this.hold(chunk);
    if (this.delayMs > 0 && !ended) this.timer = this.timers.setTimer(this.expired, this.delayMs);
    this.evaluate(this.delayMs === 0 || ended);
    if (!this.over) this.socket.resume();
  }

  data(chunk: Uint8Array): void {
    if (this.over) return;
    this.hold(chunk);
    this.evaluate(this.size >= this.maxBytes);
  }

  drain(): void {}

  end(): void {
    this.clientEnded = true;
    if (!this.over) this.evaluate(true);
  }

  close(): void {
    if (this.over) return;
    this.finish();
    this.done.gone(this, false);
  }

  /** A hard stop while inspecting. */
  kill(): void {
    if (this.over) return;
    this.finish();
    this.socket.destroy();
    this.done.gone(this, false);
  }

  private hold(chunk: Uint8Array): void {
    this.held.push(chunk);
    this.size += chunk.length;
  }

  private readonly expired = (): void => {
    this.timer = undefined;
    if (!this.over) this.evaluate(true);
  };

  /**
   * Runs the rules on what is held, in order, as HAProxy's
   * tcp_inspect_request: the first accept or reject decides; a rule whose
   * condition cannot tell yet (a sample that more bytes may change) stops
   * the run to wait for more, unless `final` (inspect-delay passed, the
   * client ended, the buffer is full); rules that all say no accept now.
   * Without any rule (mode tcp's use_backend alone) the wait lasts until final.
   */
  private evaluate(final: boolean): void {
    const txn = this.txn;
    txn.now = this.timers.now();
    txn.payload = this.payload();
    txn.payloadFinal = final;
    const rules = this.rules;
    if (rules.length === 0 && !final) return;
    let verdict: VerdictCode = Verdict.continue;
    for (let i = 0; i < rules.length; i++) {
      txn.conditionMissed = false;
      verdict = rules[i]!(txn);
      if (verdict !== Verdict.continue) break;
      if (txn.conditionMissed && !final) return;
    }
    if (verdict === Verdict.reject) {
      this.finish();
      this.socket.destroy();
      this.done.gone(this, true);
      return;
    }
    this.finish();
    this.socket.pause();
    this.done.accepted(this, this.held);
  }

  /** The held bytes as one view (joined only when they came in several chunks). */
  private payload(): Uint8Array {
    const held = this.held;
    if (held.length === 1) return held[0]!;
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of held) {
      all.set(chunk, at);
      at += chunk.length;
    }
    held.length = 0;
    held.push(all);
    return all;
  }

  private finish(): void {
    this.over = true;
    if (this.timer !== undefined) this.timers.clearTimer(this.timer);
    this.timer = undefined;
  }
}
