// A network for check tests on the virtual clock: each port says how a
// connect to it ends (refused, never, open) and, once open, what the server
// answers to the first bytes it gets. Connect attempts are recorded with
// their time, so a test reads the check schedule from them.
import { Backend } from "../../../src/backend/backend.ts";
import { HealthChecks } from "../../../src/check/checks.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { ConnectError, type ConnectOptions, type ProgramExit, type ProgramOptions, type Runtime, type Socket, type SocketEvents } from "../../../src/runtime/types.ts";
import { proxyIds } from "../../../src/config/proxy-ids.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

/** "refuse": at once; "hang": until the connect timeout; a string: open, and that answer (then close) to the first bytes sent; "silent": open, never answers; "tls-fail": the TLS handshake fails (certificate not verified). */
export type PortBehaviour = "refuse" | "hang" | "silent" | "tls-fail" | { answer: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

class FakeSocket implements Socket {
  readonly remoteAddress = "127.0.0.1";
  readonly localAddress = "127.0.0.1";
  readonly localPort = 40000;
  readonly pending = 0;
  closed = false;
  /** What the check sent. */
  sent = "";
  constructor(public events: SocketEvents, readonly remotePort: number, private readonly answer: string | undefined, private readonly net: FakeNet) {}
  write(chunk: Uint8Array): boolean {
    this.sent += dec.decode(chunk);
    if (this.answer !== undefined && !this.closed) {
      const answer = this.answer;
      // Answers come as an event of their own, as from a real server.
      void Promise.resolve().then(() => {
        if (this.closed) return;
        this.events.data(enc.encode(answer));
        this.destroy();
      });
    }
    return true;
  }
  end(): void {}
  /** SO_KEEPALIVE asked for (in memory there is no kernel to probe). */
  keepAlive = false;
  setKeepAlive(on: boolean): void {
    this.keepAlive = on;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.net.open--;
    this.events.close();
  }
  reset(): void {
    this.destroy();
  }
  pause(): void {}
  resume(): void {}
}

export class FakeNet {
  readonly clock = new VirtualClock(0);
  readonly ports = new Map<number, PortBehaviour>();
  /** Every connect attempt: when (ms since start) and to which port. */
  readonly attempts: { at: number; port: number; host: string; tls: ConnectOptions["tls"] }[] = [];
  readonly sockets: FakeSocket[] = [];
  /** Connections open now. */
  open = 0;
  /** Most connections open at once. */
  maxOpen = 0;

  /** External checks: how each command's program ends (an exit, or "hang" until SIGTERM); absent: it cannot start. */
  readonly programs = new Map<string, ProgramExit | "hang">();
  /** Programs started: when, and with what. */
  readonly ran: { at: number; options: ProgramOptions; terminated: boolean }[] = [];

  readonly runtime: Pick<Runtime, "connect" | "runProgram" | "now" | "setTimer" | "clearTimer"> = {
    now: this.clock.now,
    runProgram: (options: ProgramOptions) => {
      const run = { at: this.clock.now(), options, terminated: false };
      this.ran.push(run);
      const outcome = this.programs.get(options.command);
      if (outcome !== "hang") {
        const exit: ProgramExit = outcome ?? { code: null, signal: null, error: `${options.command}: not found` };
        return { terminate() {}, exited: Promise.resolve(exit) };
      }
      let end: (exit: ProgramExit) => void = () => {};
      const exited = new Promise<ProgramExit>((resolve) => (end = resolve));
      return {
        terminate: () => {
          run.terminated = true;
          end({ code: null, signal: "SIGTERM" });
        },
        exited,
      };
    },
    setTimer: this.clock.setTimer,
    clearTimer: this.clock.clearTimer,
    connect: (o: ConnectOptions, events: SocketEvents): Promise<Socket> => {
      this.attempts.push({ at: this.clock.now(), port: o.port, host: o.hostname, tls: o.tls });
      const b = this.ports.get(o.port) ?? "refuse";
      if (b === "refuse") return Promise.reject(new ConnectError("refused", o.hostname, o.port));
      if (b === "tls-fail") return Promise.reject(new ConnectError("tls", o.hostname, o.port, "certificate not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE"));
      if (b === "hang") {
        return new Promise<Socket>((_, reject) => {
          if (o.timeoutMs > 0) this.clock.setTimer(() => reject(new ConnectError("timeout", o.hostname, o.port)), o.timeoutMs);
        });
      }
      const s = new FakeSocket(events, o.port, b === "silent" ? undefined : b.answer, this);
      this.sockets.push(s);
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      return Promise.resolve(s);
    },
  };

  /** Attempt times to `port`. */
  times(port: number): number[] {
    return this.attempts.filter((a) => a.port === port).map((a) => a.at);
  }
}

/** The first check is due at offset 0, which a timer (as setTimeout) makes 1 ms: the clock starts at 0. */
export function setup(backendText: string, global = "", random?: () => number) {
  const net = new FakeNet();
  const text = `global\n${global}\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n${backendText}`;
  const loaded = loadConfigTexts([{ name: "t.cfg", text }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const timers = { now: net.clock.now, setTimer: net.clock.setTimer, clearTimer: net.clock.clearTimer };
  const backends = loaded.config.backends.map((b) => new Backend(b, timers, 100));
  const lines: string[] = [];
  const checks = new HealthChecks(backends, {
    runtime: net.runtime,
    log: (l) => lines.push(l),
    tick() {},
    maxInFlight: loaded.config.global.maxChecksInFlight,
    ...(loaded.config.global.maxSpreadChecks === undefined ? {} : { maxSpread: loaded.config.global.maxSpreadChecks }),
    ...(loaded.config.global.spreadChecks === undefined ? {} : { spreadPercent: loaded.config.global.spreadChecks }),
    ...(random === undefined ? {} : { random }),
    node: "lb1",
    proxyIds: proxyIds(loaded.config),
  });
  const server = (name: string) => backends.flatMap((b) => b.servers).find((s) => s.name === name)!;
  return { net, backends, lines, checks, server };
}
