// A TCP-mode session: one client connection and its one stream, the pipe to
// a server (stream/tcp-stream.ts). The session holds the timer; the stream
// says when it is due and what happens then.
import type { Backend } from "../backend/backend.ts";
import type { TcpLogRecord } from "../log/tcp-log.ts";
import type { TrafficCounters } from "../conn/counters.ts";
import type { Runtime, Socket, Timers } from "../runtime/types.ts";
import { TcpStream, type TcpStreamHost } from "../stream/tcp-stream.ts";
import { Session, type SessionActivity } from "./session.ts";

/** What a session needs from the frontend that accepted it. */
export interface SessionHost {
  readonly name: string;
  readonly clientTimeout: number;
  readonly clientFinTimeout: number | undefined;
  readonly current: number;
  readonly runtime: Pick<Runtime, "connect" | keyof Timers>;
  logTcp(record: TcpLogRecord): void;
  readonly logAsap: boolean;
  sessionEnded(session: TcpSession): void;
  readonly counters: TrafficCounters;
  /** `option contstats`: the counters move with each chunk. */
  readonly contstats?: boolean;
}

export class TcpSession extends Session implements TcpStreamHost {
  private readonly stream: TcpStream;
  private ended = false;

  constructor(private readonly host: SessionHost, backend: Backend, client: Socket) {
    super(client, host.runtime);
    this.stream = new TcpStream(this, backend, client);
  }

  get name(): string {
    return this.host.name;
  }

  get counters(): TrafficCounters {
    return this.host.counters;
  }

  get contstats(): boolean {
    return this.host.contstats === true;
  }

  get clientTimeout(): number {
    return this.host.clientTimeout;
  }

  get clientFinTimeout(): number | undefined {
    return this.host.clientFinTimeout;
  }

  get current(): number {
    return this.host.current;
  }

  get runtime(): Pick<Runtime, "connect" | keyof Timers> {
    return this.host.runtime;
  }

  logTcp(record: TcpLogRecord): void {
    this.host.logTcp(record);
  }

  get logAsap(): boolean {
    return this.host.logAsap;
  }

  begin(early: Uint8Array[]): void {
    this.stream.begin(early);
  }

  kill(): void {
    this.stream.kill();
  }

  activity(): SessionActivity {
    return { backend: this.stream.backend.name, server: this.stream.server?.name, state: this.stream.activity };
  }

  protected now(): number {
    return this.host.runtime.now();
  }

  rearm(): void {
    if (!this.ended) this.armTimer(this.stream.deadline());
  }

  protected onTimer(): void {
    if (!this.ended) this.stream.onTimer();
  }

  streamEnded(): void {
    this.ended = true;
    this.cancelTimer();
    this.host.sessionEnded(this);
  }
}
