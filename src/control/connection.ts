// One connection to the runtime API, speaking HAProxy's CLI protocol:
//  - a line holds one or more commands separated by ';'; each answer is
//    followed by an empty line;
//  - non-interactive (the default): the lines that came are answered, then
//    the connection is closed (`echo "show info" | socat stdio UNIX:...`);
//  - `prompt` toggles interactive mode: a "> " prompt after each line's
//    answers, the connection stays open until `quit`, an idle `stats
//    timeout`, or the client closes;
//  - a line ending with "<<" is followed by a payload, up to an empty line,
//    for its last command (`set ssl cert`, `add map`);
//  - `quit` closes at once.
// An answer still to come (a master's command waits for its workers) holds
// the answers after it back, so they stay in order and the commands of a
// line run one after the other.
import type { ControlLevel } from "../config/types.ts";
import type { Socket, SocketEvents, TimerHandle, Timers } from "../runtime/types.ts";
import type { Answer, CommandTable, ControlContext } from "./commands.ts";
import { payloadCommand, splitCommands } from "./words.ts";

/** A command line longer than this, or a payload, closes the connection (HAProxy's is bounded by tune.bufsize). */
export const MAX_LINE = 64 * 1024;
export const MAX_PAYLOAD = 4 * 1024 * 1024;

export interface ConnectionSettings<C = ControlContext> {
  readonly level: ControlLevel;
  readonly table: CommandTable<C, Answer>;
  readonly ctx: C;
  readonly timers: Pick<Timers, "setTimer" | "clearTimer">;
  /** `stats timeout`: idle ms before the connection is closed. */
  readonly timeoutMs: number;
  /** Called once when the connection is gone. */
  closed(): void;
}

const enc = new TextEncoder();

export class CliConnection<C = ControlContext> implements SocketEvents {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private interactive = false;
  /** A command waiting for its payload, and the payload's lines so far. */
  private pending: { command: string; lines: string[]; size: number } | undefined;
  private timer: TimerHandle | undefined;
  private done = false;
  /** The answers are out and the FIN is sent: nothing more is read. */
  private finished = false;
  /** Answers still to come: what is run or written next waits for them. */
  private tail: Promise<void> | undefined;

  constructor(private readonly socket: Socket, private readonly settings: ConnectionSettings<C>) {
    this.arm();
  }

  data(chunk: Uint8Array): void {
    if (this.done || this.finished) return;
    this.buffer += this.decoder.decode(chunk, { stream: true });
    this.arm();
    let answered = false;
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).replace(/\r$/, "");
      this.buffer = this.buffer.slice(nl + 1);
      answered = this.line(line) || answered;
      if (this.done) return;
    }
    if (this.buffer.length > MAX_LINE) return this.socket.destroy();
    // Non-interactive: the lines received are answered, then the connection ends (HAProxy's CLI).
    if (answered && !this.interactive && this.pending === undefined) this.finish();
  }

  drain(): void {}

  end(): void {
    if (this.done || this.finished) return;
    // The client sent all it will: a last line without its newline, or a payload without its empty line, still counts.
    if (this.buffer !== "") {
      const rest = this.buffer;
      this.buffer = "";
      this.line(rest);
    }
    if (this.done) return;
    if (this.pending !== undefined) this.line("");
    this.finish();
  }

  close(): void {
    if (this.timer !== undefined) this.settings.timers.clearTimer(this.timer);
    this.timer = undefined;
    if (this.done) return;
    this.done = true;
    this.settings.closed();
  }

  /** One line of input; true when it was answered (a payload line is not, yet). */
  private line(line: string): boolean {
    const pending = this.pending;
    if (pending !== undefined) {
      if (line !== "") {
        pending.lines.push(line);
        pending.size += line.length + 1;
        if (pending.size > MAX_PAYLOAD) this.socket.destroy();
        else if (this.interactive) this.write("+ ");
        return false;
      }
      this.pending = undefined;
      this.run(pending.command, `${pending.lines.join("\n")}\n`);
      return true;
    }
    const withPayload = payloadCommand(line);
    if (withPayload !== undefined) {
      this.pending = { command: withPayload, lines: [], size: 0 };
      if (this.interactive) this.write("+ ");
      return false;
    }
    this.run(line, undefined);
    return true;
  }

  /** Runs every command of a line (the payload goes to the last one), after the answers still to come. */
  private run(line: string, payload: string | undefined): void {
    const before = this.tail;
    if (before !== undefined) this.track(before.then(() => this.runNow(line, payload)));
    else {
      const later = this.runNow(line, payload);
      if (later !== undefined) this.track(later);
    }
  }

  private track(later: Promise<void>): void {
    this.tail = later;
    void later.then(() => {
      if (this.tail === later) this.tail = undefined;
    });
  }

  /** Runs the line's commands in order; undefined when all answered at once, else when the last one has. */
  private runNow(line: string, payload: string | undefined): Promise<void> | undefined {
    const commands = splitCommands(line);
    let out = "";
    const from = (start: number): Promise<void> | undefined => {
      for (let i = start; i < commands.length; i++) {
        const words = commands[i]!.words;
        if (words[0] === "quit") {
          this.write(out);
          this.socket.destroy();
          return undefined;
        }
        if (words[0] === "prompt") {
          this.interactive = !this.interactive;
          out += "\n";
          continue;
        }
        const { level, table, ctx } = this.settings;
        const answer = table.run(words, i === commands.length - 1 ? payload : undefined, level, ctx);
        if (typeof answer !== "string") {
          return answer.then(
            (text) => { out += `${text}\n`; },
            (error: Error) => { out += `${error.message}\n\n`; },
          ).then(() => from(i + 1));
        }
        out += `${answer}\n`;
      }
      if (this.interactive) out += "> ";
      this.write(out);
      return undefined;
    };
    return from(0);
  }

  private write(text: string): void {
    if (text !== "" && !this.socket.closed) this.socket.write(enc.encode(text));
  }

  /** Answers are written: the connection ends (FIN after them; the client closes its side). */
  private finish(): void {
    if (this.done || this.finished) return;
    const waiting = this.tail;
    if (waiting !== undefined) {
      void waiting.then(() => this.finish());
      return;
    }
    this.finished = true;
    this.socket.end();
    // A client that does not close its side is closed at `stats timeout`.
    this.arm();
  }

  /** `stats timeout` from now. */
  private arm(): void {
    const timers = this.settings.timers;
    if (this.timer !== undefined) timers.clearTimer(this.timer);
    this.timer = timers.setTimer(() => {
      this.timer = undefined;
      this.socket.destroy();
    }, this.settings.timeoutMs);
  }
}
