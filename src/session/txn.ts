// The transaction rules read and write (rules/types.ts's ActionTxn), one per
// request of a proxy that has rules: the client connection's facts, the
// request head (replaced by rewrites), the response head in response stages,
// variables, stick counters, and the reply an action chose. A proxy without
// rules never builds one.
import type { Head } from "../http/message.ts";
import type { ActionTxn, ClientFacts, Reply, Sample, TargetMemo, TrackedEntry, Vars, VarScope, World } from "../rules/types.ts";
import type { Socket } from "../runtime/types.ts";

/** Variables by scope; `proc` is shared by every transaction (the World's). */
export class VarStore implements Vars {
  private scopes: Map<string, Sample> | undefined;

  constructor(private readonly proc: Map<string, Sample>) {}

  get(scope: VarScope, name: string): Sample | undefined {
    if (scope === "proc") return this.proc.get(name);
    return this.scopes?.get(keyOf(scope, name));
  }

  set(scope: VarScope, name: string, value: Sample): void {
    if (scope === "proc") this.proc.set(name, value);
    else (this.scopes ??= new Map()).set(keyOf(scope, name), value);
  }

  unset(scope: VarScope, name: string): void {
    if (scope === "proc") this.proc.delete(name);
    else this.scopes?.delete(keyOf(scope, name));
  }
}

/** sess, txn, req and res live as long as the request here: sluice's session variables are per request too (documented). */
function keyOf(scope: VarScope, name: string): string {
  return scope + "." + name;
}

/** What the session knows of the proxy around it for rules. */
export interface RulesWorld extends World {
  /** Process-wide variables (`proc.` scope). */
  readonly procVars: Map<string, Sample>;
}

export class HttpTxn implements ActionTxn {
  backend: string | undefined;
  response: Head | undefined = undefined;
  /** tcp-request content: the first bytes received (the inspection phase sets it). */
  payload: Uint8Array | undefined = undefined;
  readonly vars: VarStore;
  readonly tracked: (TrackedEntry | undefined)[] = [undefined, undefined, undefined];
  reply: Reply | undefined = undefined;
  logLevel: string | undefined = undefined;
  /** The request target split once, by the path/query fetches (declared here so every transaction has the same shape). */
  targetMemo: TargetMemo | undefined = undefined;
  readonly captures: string[] = [];
  readonly responseCaptures: string[] = [];
  readonly client: ClientFacts;

  constructor(
    /** Moved on by the stream at each stage (the response rules run later than the request's). */
    public now: number,
    socket: Socket,
    readonly frontend: string,
    public request: Head | undefined,
    readonly world: RulesWorld,
  ) {
    this.vars = new VarStore(world.procVars);
    this.client = {
      address: socket.remoteAddress,
      port: socket.remotePort,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      tls: socket.tls,
    };
  }
}
