// Server names resolved again at run time (HAProxy's `resolvers` sections
// and a server's `resolvers <id>`): each such server asks the section's
// nameservers over UDP (dns/codec.ts; the socket is the runtime's), the
// preferred family first (`resolve-prefer`, HAProxy's default ipv6), the
// other when the first has no record. A valid answer is kept for `hold
// valid`, then asked again; an answer without the server's current address
// moves it to the first address given (new connections go there, pooled
// ones to the old address are retired). No answer after `resolve_retries`
// queries `timeout retry` apart is a timeout; NXDOMAIN, REFUSED and other
// errors are their own statuses: while the last valid answer is younger
// than that status's `hold`, the address stays; after, the server goes into
// maintenance (no address, no traffic) until a name resolves again, retried
// every `timeout resolve`. Logged in HAProxy's words.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { type DnsMessage, DNS_TYPE, canonicalName, decodeMessage, encodeQuery, nameProblem, type QueryType, RCODE } from "../dns/codec.ts";
import { BUILTIN, type HoldName, type ResolversConfig } from "../config/types.ts";
import { LEVEL } from "../log/target.ts";
import type { DatagramSocket, Runtime, TimerHandle } from "../runtime/types.ts";
import { isIpLiteral } from "../backend/addresses.ts";
import { survivors } from "./transition-log.ts";

export interface ResolutionContext {
  readonly runtime: Pick<Runtime, "openDatagram" | "now" | "setTimer" | "clearTimer">;
  log(line: string, level?: number, syslogLine?: string, backend?: string): void;
  /** A change of address is an event of its own: the proxy's clock is read first. */
  tick(): void;
  /** Query ids (tests pass their own). */
  random?: () => number;
}

type Status = Exclude<HoldName, "valid" | "obsolete">;
const STATUS_WORDS: Record<Status, string> = { nx: "NX", timeout: "timeout", refused: "refused", other: "unspecified" };

/** One resolvers section at run time: its sockets (one per family in use) and the queries in flight by id. */
class Section {
  private readonly sockets = new Map<4 | 6, DatagramSocket>();
  readonly pending = new Map<number, ServerResolution>();
  /** Resolutions that failed (timeout, NXDOMAIN, refused, other): `show info` FailedResolutions. */
  failures = 0;

  constructor(readonly config: ResolversConfig, private readonly ctx: ResolutionContext) {}

  send(bytes: Uint8Array): void {
    for (const ns of this.config.nameservers) {
      const family = ns.host.includes(":") ? 6 : 4;
      let socket = this.sockets.get(family);
      if (socket === undefined) {
        socket = this.ctx.runtime.openDatagram(family, (data, from) => this.received(data, from));
        this.sockets.set(family, socket);
      }
      socket.send(bytes, ns.host, ns.port);
    }
  }

  /** A datagram: an answer to a query in flight from one of the nameservers, or ignored. */
  private received(data: Uint8Array, from: { address: string; port: number }): void {
    const ns = this.config.nameservers.find((n) => n.host === from.address && n.port === from.port);
    if (ns === undefined) return;
    const msg = decodeMessage(data);
    if ("error" in msg || !msg.response) return;
    this.pending.get(msg.id)?.answered(msg, ns.name);
  }

  /** A query id not in flight now. */
  freshId(random: () => number): number {
    for (;;) {
      const id = Math.floor(random() * 65536) & 0xffff;
      if (!this.pending.has(id)) return id;
    }
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    this.pending.clear();
  }
}

class ServerResolution {
  private timer: TimerHandle | undefined;
  private id = -1;
  private tries = 0;
  private type: QueryType;
  private triedOther = false;
  /** When the last valid answer came (start: the address init-addr found counts as one). */
  private lastValid: number;
  /** In maintenance because the name stopped resolving (HAProxy's RMAINT). */
  private down = false;
  private readonly name: string;

  constructor(
    readonly server: Server,
    readonly backend: Backend,
    private readonly section: Section,
    private readonly prefer: "ipv4" | "ipv6",
    private readonly ctx: ResolutionContext,
  ) {
    this.name = canonicalName(server.host);
    this.type = this.preferredType();
    this.lastValid = ctx.runtime.now();
  }

  private preferredType(): QueryType {
    return this.prefer === "ipv4" ? DNS_TYPE.A : DNS_TYPE.AAAA;
  }

  /** After init-addr: the address it found counts as a valid answer; without one (init-addr none) the server waits in maintenance for its first. */
  start(): void {
    this.lastValid = this.ctx.runtime.now();
    this.down = this.server.address === "";
    this.resolve();
  }

  stop(): void {
    this.clear();
    this.forget();
  }

  private clear(): void {
    if (this.timer !== undefined) this.ctx.runtime.clearTimer(this.timer);
    this.timer = undefined;
  }

  private forget(): void {
    if (this.id >= 0) this.section.pending.delete(this.id);
    this.id = -1;
  }

  private schedule(ms: number, fn: () => void): void {
    this.clear();
    this.timer = this.ctx.runtime.setTimer(fn, Math.max(1, ms));
  }

  /** A new resolution: the preferred family first. */
  private readonly resolve = (): void => {
    this.type = this.preferredType();
    this.triedOther = false;
    this.query();
  };

  private query(): void {
    this.forget();
    this.tries = 1;
    this.id = this.section.freshId(this.ctx.random ?? Math.random);
    this.section.pending.set(this.id, this);
    this.send();
  }

  private send(): void {
    this.section.send(encodeQuery(this.id, this.name, this.type, this.section.config.acceptedPayloadSize));
    this.schedule(this.section.config.timeoutRetry, this.retry);
  }

  private readonly retry = (): void => {
    this.timer = undefined;
    if (this.tries >= this.section.config.resolveRetries) return this.failed("timeout");
    this.tries++;
    this.send();
  };

  /** An answer to this resolution's query (`ns`: which nameserver gave it). */
  answered(msg: DnsMessage, ns: string): void {
    const question = msg.questions[0];
    if (question === undefined || canonicalName(question.name) !== this.name || question.type !== this.type) return;
    this.clear();
    this.forget();
    if (msg.rcode === RCODE.NXDOMAIN) return this.failed("nx");
    if (msg.rcode === RCODE.REFUSED) return this.failed("refused");
    if (msg.rcode !== RCODE.NOERROR) return this.failed("other");
    const addresses = msg.answers.filter((r) => r.type === this.type).map((r) => r.data);
    if (addresses.length === 0) {
      if (this.triedOther) return this.failed("other");
      // No record of the preferred family: ask for the other (HAProxy's resolve-prefer fallback).
      this.triedOther = true;
      this.type = this.type === DNS_TYPE.A ? DNS_TYPE.AAAA : DNS_TYPE.A;
      return this.query();
    }
    this.valid(addresses, ns);
  }

  private valid(addresses: string[], ns: string): void {
    const { server, backend, ctx } = this;
    this.lastValid = ctx.runtime.now();
    this.schedule(this.section.config.hold.valid, this.resolve);
    if (addresses.includes(server.address)) return;
    ctx.tick();
    const before = server.address;
    server.address = addresses[0]!;
    server.pool.retire();
    const id = `${backend.name}/${server.name}`;
    if (this.down) {
      this.down = false;
      backend.serverUp(server);
      ctx.log(`Server ${id} ('${server.host}') is UP/READY (resolves again).`, LEVEL.notice, undefined, backend.name);
      return;
    }
    ctx.log(`${id} changed its IP from ${before === "" ? "(none)" : before} to ${server.address} by ${this.section.config.name}/${ns}.`, LEVEL.notice, undefined, backend.name);
  }

  private failed(status: Status): void {
    const { server, backend, ctx } = this;
    const config = this.section.config;
    this.section.failures++;
    this.schedule(config.timeoutResolve, this.resolve);
    if (this.down) return;
    if (ctx.runtime.now() - this.lastValid < config.hold[status]) return;
    ctx.tick();
    this.down = true;
    server.address = "";
    server.pool.retire();
    const requeued = backend.serverDown(server);
    const left = survivors(backend);
    ctx.log(
      `Server ${backend.name}/${server.name} is going DOWN for maintenance (DNS ${STATUS_WORDS[status]} status). ${left.active} active and ${left.backup} backup servers left. ` +
        `${server.current} sessions active, ${requeued} requeued, ${backend.queued} remaining in queue.`,
      LEVEL.alert,
      undefined,
      backend.name,
    );
  }
}

/** Every server with `resolvers` of a proxy: built with the graph, started with the proxy. */
export class ServerResolutions {
  private readonly sections: Section[] = [];
  readonly all: ServerResolution[] = [];

  constructor(resolvers: readonly ResolversConfig[] | undefined, backends: Iterable<Backend>, ctx: ResolutionContext) {
    const byName = new Map<string, Section>();
    for (const config of resolvers ?? []) {
      const section = new Section(config, ctx);
      byName.set(config.name, section);
      this.sections.push(section);
    }
    for (const backend of backends) {
      backend.config.servers.forEach((settings, i) => {
        const section = settings.resolvers === undefined ? undefined : byName.get(settings.resolvers);
        const server = backend.servers[i]!;
        // An IP is not resolved; a name DNS cannot carry is left to init-addr (HAProxy refuses such names earlier).
        if (section === undefined || section.config.nameservers.length === 0 || isIpLiteral(server.host) || nameProblem(server.host) !== undefined) return;
        this.all.push(new ServerResolution(server, backend, section, settings.resolvePrefer ?? BUILTIN.resolvers.resolvePrefer, ctx));
      });
    }
  }

  start(): void {
    for (const r of this.all) r.start();
  }

  /** Failed resolutions of every resolvers section since start (HAProxy's FailedResolutions). */
  get failures(): number {
    return this.sections.reduce((n, s) => n + s.failures, 0);
  }

  stop(): void {
    for (const r of this.all) r.stop();
    for (const s of this.sections) s.close();
  }
}
