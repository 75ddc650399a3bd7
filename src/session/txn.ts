// The transaction rules read and write (rules/types.ts's ActionTxn), one per
// request of a proxy that has rules: the client connection's facts, the
// request head (replaced by rewrites), the response head in response stages,
// variables, stick counters, and the reply an action chose. A proxy without
// rules never builds one.
import type { Head } from "../http/message.ts";
import type { ActionTxn, BodyWanted, ClientFacts, HeldBody, Reply, Sample, TargetMemo, Vars, VarScope, World } from "../rules/types.ts";
import type { Socket } from "../runtime/types.ts";
import type { StickEntry, StickStore } from "../stick/types.ts";
import type { ServiceCall } from "../stream/types.ts";

/**
 * Variables by scope: `proc` is shared by every transaction (the World's),
 * `sess` by every transaction of one client connection (the World's store
 * for that socket: set by tcp-request rules, read by each request's), the
 * others live as long as this transaction.
 */
export class VarStore implements Vars {
  private scopes: Map<string, Sample> | undefined;

  constructor(
    private readonly proc: Map<string, Sample>,
    private readonly sess: Map<string, Sample> | undefined = undefined,
  ) {}

  private storeOf(scope: VarScope): Map<string, Sample> | undefined {
    return scope === "proc" ? this.proc : scope === "sess" ? this.sess : undefined;
  }

  get(scope: VarScope, name: string): Sample | undefined {
    const own = this.storeOf(scope);
    if (own !== undefined) return own.get(name);
    return this.scopes?.get(keyOf(scope, name));
  }

  set(scope: VarScope, name: string, value: Sample): void {
    const own = this.storeOf(scope);
    if (own !== undefined) own.set(name, value);
    else (this.scopes ??= new Map()).set(keyOf(scope, name), value);
  }

  unset(scope: VarScope, name: string): void {
    const own = this.storeOf(scope);
    if (own !== undefined) own.delete(name);
    else this.scopes?.delete(keyOf(scope, name));
  }
}

/** txn, req and res live as long as the request here (and sess without a connection's store). */
function keyOf(scope: VarScope, name: string): string {
  return scope + "." + name;
}

/** What the session knows of the proxy around it for rules. */
export interface RulesWorld extends World {
  /** Process-wide variables (`proc.` scope). */
  readonly procVars: Map<string, Sample>;
  /** A client connection's variables (`sess.` scope), by its socket: made on first use, gone with the connection. */
  sessionVars?(socket: Socket): Map<string, Sample>;
  /** The connection goes on as `to` (a PROXY header read, TLS after it): its variables go with it. */
  carrySessionVars?(from: Socket, to: Socket): void;
  /** The stick tables, by proxy name; undefined: no proxy declares one. */
  readonly stick: StickStore | undefined;
}

/** What every transaction tracks until a track-sc* action tracks something: shared, never written (track() copies first). */
const NOTHING_TRACKED: (StickEntry | undefined)[] = Object.freeze([undefined, undefined, undefined]) as (StickEntry | undefined)[];

/**
 * One per request of a proxy with rules, so it is kept small: the parts most
 * requests never use (variables, captures, tracked entries, the client's
 * facts) are made on first use, and a request that meets only non-matching
 * rules allocates this object alone.
 */
export class HttpTxn implements ActionTxn {
  backend: string | undefined;
  server: string | undefined = undefined;
  uniqueId: string | undefined = undefined;
  earlyHints: [string, string][] | undefined = undefined;
  response: Head | undefined = undefined;
  /** The request body held for the rules (option http-buffer-request, wait-for-body); undefined: none was waited for. */
  body: HeldBody | undefined = undefined;
  /** The response body held for the response rules (`http-response wait-for-body`). */
  responseBody: HeldBody | undefined = undefined;
  /** `wait-for-body`: what the action that paused the rules asks for (the request stage reads it). */
  bodyWanted: BodyWanted | undefined = undefined;
  /** tcp-request content: the first bytes received (the inspection phase sets it). */
  payload: Uint8Array | undefined = undefined;
  payloadFinal = false;
  sampleMayChange = false;
  conditionMissed = false;
  /** The entries track-sc* made this transaction hold (a reference each, until release()). */
  tracked: (StickEntry | undefined)[] = NOTHING_TRACKED;
  reply: Reply | undefined = undefined;
  /** `http-request use-service NAME`: the applet named; `service`: the one the request stage chose (stats page, exporter). */
  serviceName: string | undefined = undefined;
  service: ServiceCall | undefined = undefined;
  logLevel: string | undefined = undefined;
  /** `tcp-request connection expect-proxy layer4` matched (the frontend reads a PROXY header next). */
  expectProxy: boolean | undefined = undefined;
  /** The request target split once, by the path/query fetches (declared here so every transaction has the same shape). */
  targetMemo: TargetMemo | undefined = undefined;
  private varStore: VarStore | undefined = undefined;
  private requestSlots: string[] | undefined = undefined;
  private responseSlots: string[] | undefined = undefined;
  private clientFacts: ClientFacts | undefined = undefined;

  constructor(
    /** Moved on by the stream at each stage (the response rules run later than the request's). */
    public now: number,
    private readonly socket: Socket,
    readonly frontend: string,
    public request: Head | undefined,
    readonly world: RulesWorld,
    /** "2.0" for a stream of an HTTP/2 client (req.ver); undefined: the head's HTTP/1.x. */
    readonly requestVersion: string | undefined = undefined,
  ) {
    this.receivedRequest = request;
  }

  /** The request head as received, before any rule rewrote it. */
  readonly receivedRequest: Head | undefined;

  get vars(): VarStore {
    return (this.varStore ??= new VarStore(this.world.procVars, this.world.sessionVars?.(this.socket)));
  }

  /** `capture request header` and `http-request capture` slots. */
  get captures(): string[] {
    return (this.requestSlots ??= []);
  }

  get responseCaptures(): string[] {
    return (this.responseSlots ??= []);
  }

  /** The client connection's facts as the rules see them (`set-src` replaces them for this transaction). */
  get client(): ClientFacts {
    const socket = this.socket;
    return (this.clientFacts ??= {
      address: socket.remoteAddress,
      port: socket.remotePort,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      tls: socket.tls,
    });
  }

  set client(facts: ClientFacts) {
    this.clientFacts = facts;
  }

  get stickTables(): StickStore | undefined {
    return this.world.stick;
  }

  /**
   * `track-sc<slot> KEY [table T]`. Tracking is per stream here, as HAProxy
   * does for http-request rules: the entry is held (ref) until the stream
   * ends (release). On tracking, HAProxy's stream_track_stkctr counts a
   * connection (conn_cur, conn_cnt, conn_rate: so each request of a
   * keep-alive connection counts one) and the http-request action counts the
   * current request (http_req_cnt, http_req_rate), which is what makes
   * `sc_http_req_rate(0) gt 20` see this request already.
   */
  track(slot: number, table: string, key: Sample): void {
    const entry = this.world.stick?.table(table)?.track(key, this.now);
    // A key of the wrong kind, or a full table whose entries are all held: nothing is tracked (HAProxy too).
    if (entry === undefined) return;
    entry.ref();
    entry.connOpen(this.now);
    if (this.response === undefined) entry.add("http_req_cnt", this.now);
    if (this.tracked === NOTHING_TRACKED) this.tracked = [undefined, undefined, undefined];
    this.tracked[slot] = entry;
  }

  /** A server's response status is known: a 4xx is an HTTP error for the tracked entries (HAProxy's definition in 2.6). */
  countStatus(status: number): void {
    if (status >= 400 && status < 500) this.countHttpError();
  }

  /** An HTTP error (a server's 4xx, an http-request deny or tarpit, as HAProxy 2.6 counts them). */
  countHttpError(): void {
    for (let i = 0; i < 3; i++) this.tracked[i]?.add("http_err_cnt", this.now);
  }

  /** The stream ends: bytes are counted, conn_cur goes down and the entries are let go. Safe to call twice. */
  release(bytesIn: number, bytesOut: number, clock: { now(): number }): void {
    const tracked = this.tracked;
    // Nothing tracked (most requests of most proxies): not even the clock is read.
    if (tracked === NOTHING_TRACKED) return;
    if (tracked[0] === undefined && tracked[1] === undefined && tracked[2] === undefined) return;
    const now = clock.now();
    for (let i = 0; i < 3; i++) {
      const entry = tracked[i];
      if (entry === undefined) continue;
      tracked[i] = undefined;
      if (bytesIn > 0) entry.add("bytes_in_cnt", now, bytesIn);
      if (bytesOut > 0) entry.add("bytes_out_cnt", now, bytesOut);
      entry.connClose(now);
      entry.unref();
    }
  }
}
