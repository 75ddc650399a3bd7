// A TCP-mode session: one client connection and its one stream, the pipe to
// a server (stream/tcp-stream.ts). The session holds the timer; the stream
// says when it is due and what happens then. When its backend has
// `tcp-request content` rules of its own, they look at the first bytes
// before the stream picks a server (HAProxy's AN_REQ_INSPECT_BE: after the
// frontend's rules and use_backend, with the backend's inspect-delay).
import type { Backend } from "../backend/backend.ts";
import type { TrafficCounters } from "../conn/counters.ts";
import type { ProxyRules } from "../rules/rule-set.ts";
import type { Runtime, Socket, Timers } from "../runtime/types.ts";
import { TcpStream, type TcpStreamHost } from "../stream/tcp-stream.ts";
import { Cause, type CauseCode } from "../stream/termination.ts";
import type { Server } from "../backend/server.ts";
import { Inspection, type InspectionDone } from "./inspect.ts";
import { Session, type SessionActivity } from "./session.ts";
import { HttpTxn, type RulesWorld } from "./txn.ts";
import type { TraceFilter } from "../stream/trace.ts";

/** What a session needs from the frontend that accepted it. */
export interface SessionHost {
  readonly name: string;
  readonly clientTimeout: number;
  readonly clientFinTimeout: number | undefined;
  readonly runtime: Pick<Runtime, "connect" | keyof Timers>;
  /** A stream's log line is due: `session` gives its client connection and accept date. */
  logTcp(session: TcpSession, stream: TcpStream): void;
  readonly logAsap: boolean;
  sessionEnded(session: TcpSession): void;
  readonly counters: TrafficCounters;
  /** What a backend's content rules need: the rules' view of the proxy, the most bytes held (tune.bufsize), the frontend's own rules. */
  readonly contentRules?: ContentRulesContext;
  /** `filter trace` lines (issue 19, compress): the traces of a stream to this backend; undefined: none. */
  traceFilters?(backend: Backend): TraceFilter[] | undefined;
  /** `option contstats`: the counters move with each chunk. */
  readonly contstats?: boolean;
}

export interface ContentRulesContext {
  readonly world: RulesWorld;
  readonly maxInspectBytes: number;
  /** A listen's backend half has these same rules: they ran once already, as the frontend's. */
  readonly frontendRules: ProxyRules | undefined;
}

export class TcpSession extends Session implements TcpStreamHost, InspectionDone {
  private readonly stream: TcpStream;
  private ended = false;
  /** The backend's content rules looking at the first bytes (before the stream starts). */
  private inspection: Inspection | undefined;

  constructor(
    private readonly host: SessionHost,
    backend: Backend,
    client: Socket,
    /** The frontend's transaction, when its own content rules ran (its variables and tracked entries go on). */
    private txn: HttpTxn | undefined = undefined,
  ) {
    super(client, host.runtime);
    this.stream = new TcpStream(this, backend, client);
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

  get runtime(): Pick<Runtime, "connect" | keyof Timers> {
    return this.host.runtime;
  }

  traceFilters(backend: Backend): TraceFilter[] | undefined {
    return this.host.traceFilters?.(backend);
  }

  /**
   * The transaction samples read outside the rules (the log line's
   * `%[expr]`, a server's `sni <expression>`): the rules' own when content
   * rules ran, else one made for them (`world`: the frontend's rules;
   * undefined: nothing reads one).
   */
  sampleTxn(world: RulesWorld | undefined): HttpTxn | undefined {
    if (this.txn !== undefined || world === undefined) return this.txn;
    const txn = this.txn = new HttpTxn(this.host.runtime.now(), this.client, this.host.name, undefined, world);
    txn.backend = this.stream.backend.name;
    return txn;
  }

  connectTxn(): HttpTxn | undefined {
    return this.sampleTxn(this.host.contentRules?.world);
  }

  logTcp(stream: TcpStream): void {
    this.host.logTcp(this, stream);
  }

  get logAsap(): boolean {
    return this.host.logAsap;
  }

  begin(early: Uint8Array[]): void {
    const backend = this.stream.backend;
    const rules = backend.config.rules;
    const context = this.host.contentRules;
    // A listen's backend half shares its frontend's rules: HAProxy runs one proxy's rules once.
    if (rules === undefined || rules.tcpContent.length === 0 || context === undefined || rules === context.frontendRules) {
      return this.stream.begin(early);
    }
    const txn = this.txn ??= new HttpTxn(this.host.runtime.now(), this.client, this.host.name, undefined, context.world);
    txn.backend = backend.name;
    const inspection = this.inspection = new Inspection(this.client, txn, rules.tcpContent, rules.inspectDelay, context.maxInspectBytes, this.host.runtime, this);
    inspection.begin(early, false);
  }

  accepted(inspection: Inspection, held: Uint8Array[]): void {
    this.inspection = undefined;
    this.stream.begin(held);
    if (inspection.clientEnded) this.client.events.end();
  }

  gone(inspection: Inspection, rejected: boolean): void {
    this.inspection = undefined;
    // A reject is HAProxy's PR (the proxy, in the request phase); a client that left first, CR; a hard stop, KR.
    this.stream.endUnserved(rejected ? Cause.proxy : this.killed ? Cause.killed : Cause.clientAbort, inspection.heldBytes);
  }

  private killed = false;

  shutdown(server?: Server, cause: CauseCode = Cause.killed): number {
    if (this.inspection !== undefined) {
      // Not on a server yet: only `shutdown session` reaches it.
      if (server !== undefined) return 0;
      this.kill();
      return 1;
    }
    if (server !== undefined && !this.stream.holds(server)) return 0;
    this.stream.shutdown(cause);
    return 1;
  }

  kill(): void {
    if (this.inspection !== undefined) {
      this.killed = true;
      return this.inspection.kill();
    }
    this.stream.kill();
  }

  activity(): SessionActivity {
    return { backend: this.stream.backend.name, server: this.stream.server?.name, state: this.inspection === undefined ? this.stream.activity : "inspect" };
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
    // What track-sc* holds is let go with the connection's byte counts (HAProxy's conn_cur, bytes_in/out_cnt).
    this.txn?.release(this.stream.bytesFromClient, this.stream.bytesToClient, this.host.runtime);
    this.host.sessionEnded(this);
  }
}
