// One connection of HAProxy's peers protocol (core/peers-sync.ts owns them):
// the text handshake in either direction (peers/handshake.ts), then the
// binary frames (peers/frames.ts) handed to the owner, and the heartbeat and
// silence timers HAProxy keeps (a heartbeat after 3 s without sending; a
// session that hears nothing for 5 s is dead). Bytes go out through the
// runtime's Socket; what a frame means is the owner's business.
import type { Runtime, Socket, TimerHandle } from "../runtime/types.ts";
import { CLASS_CONTROL, CLASS_ERROR, CTRL_HEARTBEAT, ERR_PROTOCOL, ERR_SIZE_LIMIT, type Frame, readFrame, shortFrame } from "../peers/frames.ts";
import {
  checkVersionLine,
  helloText,
  MAX_LINE,
  peerNameOfLine,
  STATUS_LOCAL_NAME_MISMATCH,
  STATUS_PROTOCOL_ERROR,
  STATUS_SUCCESS,
  statusOfLine,
  statusText,
  takeLine,
} from "../peers/handshake.ts";

export const HEARTBEAT_MS = 3000;
export const SILENCE_MS = 5000;
/** The largest message body taken (HAProxy's default buffer is 16 kB; a string key of a few kB fits). */
export const MAX_BODY = 65536;
/** How long a closing session's last bytes may take to leave. */
const FLUSH_MS = 1000;

export interface PeerSessionOwner {
  /** An incoming session names its peer: the status to answer (200 accepts it). */
  identify(session: PeerSession, remoteName: string): number;
  /** The handshake succeeded (either direction). */
  opened(session: PeerSession): void;
  frame(session: PeerSession, frame: Frame): void;
  /** A malformed frame stream (the session sends a protocol error and closes). */
  closed(session: PeerSession, why: string): void;
}

const ascii = new TextEncoder();

export class PeerSession {
  /** The remote peer's name (known at once outgoing; after the hello incoming). */
  remoteName: string | undefined;
  open = false;
  private closed = false;
  private text = "";
  /** Incoming: hello lines read so far. */
  private helloLines = 0;
  private buffer: Uint8Array = new Uint8Array(0);
  private heartbeat: TimerHandle | undefined;
  private silence: TimerHandle | undefined;
  private lastSent = 0;

  constructor(
    readonly socket: Socket,
    readonly outgoing: boolean,
    private readonly localName: string,
    private readonly owner: PeerSessionOwner,
    private readonly runtime: Runtime,
  ) {
    socket.events = {
      data: (chunk) => this.data(chunk),
      drain: () => {},
      end: () => this.close("the peer closed the connection"),
      close: (error) => this.close(error === undefined ? "closed" : `closed: ${error.message}`),
    };
    this.armSilence();
  }

  /** Outgoing: says hello to `remoteName`. */
  hello(remoteName: string, pid: number): void {
    this.remoteName = remoteName;
    this.socket.write(ascii.encode(helloText(remoteName, this.localName, pid)));
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.lastSent = this.runtime.now();
    this.socket.write(bytes);
  }

  /**
   * Ends the session. `flush`: what was written (a status line, an error
   * message) goes out first, with a FIN; the socket is destroyed a second later
   * at most, should the peer not close its side.
   */
  close(why: string, flush = false): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    if (this.heartbeat !== undefined) this.runtime.clearTimer(this.heartbeat);
    if (this.silence !== undefined) this.runtime.clearTimer(this.silence);
    if (flush) {
      this.socket.end();
      this.runtime.setTimer(() => this.socket.destroy(), FLUSH_MS);
    } else this.socket.destroy();
    this.owner.closed(this, why);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private data(chunk: Uint8Array): void {
    if (this.closed) return;
    this.armSilence();
    if (!this.open) {
      // The handshake is text; what follows its last line is binary and kept.
      for (let i = 0; i < chunk.length; i++) this.text += String.fromCharCode(chunk[i]!);
      if (!this.handshake()) return;
      chunk = Uint8Array.from(this.text, (c) => c.charCodeAt(0));
      this.text = "";
    }
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    let at = 0;
    while (!this.closed) {
      const r = readFrame(this.buffer, at, this.buffer.length, MAX_BODY);
      if (r.kind === "more") break;
      if (r.kind !== "frame") {
        // HAProxy's answers: a size-limit error for a message too big, a protocol error for a length it cannot read.
        this.send(shortFrame(CLASS_ERROR, r.kind === "too-big" ? ERR_SIZE_LIMIT : ERR_PROTOCOL));
        return this.close(r.kind === "too-big" ? `a message of ${r.length} bytes` : "a malformed message length", true);
      }
      at = r.next;
      this.owner.frame(this, r.frame);
    }
    this.buffer = at === this.buffer.length ? new Uint8Array(0) : this.buffer.slice(at);
  }

  /** Reads handshake lines; true once the session is open (the rest of `text` is binary). */
  private handshake(): boolean {
    if (this.outgoing) {
      const status = takeLine(this.text);
      if (status === undefined) return this.tooLong();
      this.text = status.rest;
      const code = statusOfLine(status.line);
      if (code !== STATUS_SUCCESS) {
        this.close(`the peer answered ${Number.isNaN(code) ? JSON.stringify(status.line) : code}`);
        return false;
      }
      return this.opened();
    }
    // Incoming: each line is judged as it comes (HAProxy answers a bad version before the next line).
    for (;;) {
      const l = takeLine(this.text);
      if (l === undefined) return this.tooLong();
      this.text = l.rest;
      const step = this.helloLines++;
      let status: number | undefined;
      if (step === 0) {
        const version = checkVersionLine(l.line);
        if (!version.ok) status = version.status;
      } else if (step === 1) {
        if (l.line !== this.localName) status = STATUS_LOCAL_NAME_MISMATCH;
      } else {
        const name = peerNameOfLine(l.line);
        if (name === undefined) status = STATUS_PROTOCOL_ERROR;
        else {
          this.remoteName = name;
          status = this.owner.identify(this, name);
        }
      }
      if (status === undefined) continue;
      this.socket.write(ascii.encode(statusText(status)));
      if (status === STATUS_SUCCESS) return this.opened();
      this.close(`refused the peer's hello with ${status}`, true);
      return false;
    }
  }

  private tooLong(): false {
    if (this.text.length > 3 * MAX_LINE) this.close("a handshake line too long");
    return false;
  }

  private opened(): true {
    this.open = true;
    this.lastSent = this.runtime.now();
    this.heartbeat = this.runtime.setTimer(this.beat, HEARTBEAT_MS);
    this.owner.opened(this);
    return true;
  }

  private readonly beat = (): void => {
    if (this.closed) return;
    if (this.runtime.now() - this.lastSent >= HEARTBEAT_MS - 100) this.send(shortFrame(CLASS_CONTROL, CTRL_HEARTBEAT));
    this.heartbeat = this.runtime.setTimer(this.beat, HEARTBEAT_MS);
  };

  private armSilence(): void {
    if (this.silence !== undefined) this.runtime.clearTimer(this.silence);
    this.silence = this.runtime.setTimer(() => this.close(`nothing heard for ${SILENCE_MS} ms`), SILENCE_MS);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
