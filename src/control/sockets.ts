// The runtime API's listeners (`stats socket` lines of `global`): a unix
// socket (its permission bits set by `mode`) or a TCP one (`ipv4@`), each
// with its level and at most `stats maxconn` connections at once. Started
// beside the proxy, closed when it stops; connections still open then are
// closed too (the proxy they operate is going).
import { ServerOps } from "../check/server-ops.ts";
import { BUILTIN, type ControlSocket, type GlobalConfig } from "../config/types.ts";
import type { Proxy } from "../core/proxy.ts";
import type { Listener, Runtime, Socket, System } from "../runtime/types.ts";
import { type Answer, CommandTable, type ControlContext, type StatsText } from "./commands.ts";
import { CliConnection } from "./connection.ts";
import { MAP_COMMANDS } from "./map-commands.ts";
import { ACL_COMMANDS } from "./acl-commands.ts";
import { PROXY_COMMANDS } from "./proxy-commands.ts";
import { SERVER_COMMANDS } from "./server-commands.ts";
import { LIMIT_COMMANDS } from "./limit-commands.ts";
import { FRONTEND_COMMANDS } from "./frontend-commands.ts";
import { SESSION_COMMANDS } from "./session-commands.ts";
import { CertTransactions } from "./cert-transaction.ts";
import { SSL_COMMANDS } from "./ssl-commands.ts";
import { TABLE_COMMANDS } from "./table-commands.ts";
import { ERROR_COMMANDS } from "./error-commands.ts";

/** Every command of the runtime API (`help` lists them). */
export function commandTable(): CommandTable<ControlContext, Answer> {
  return new CommandTable<ControlContext, Answer>([
    ...SERVER_COMMANDS, ...LIMIT_COMMANDS, ...FRONTEND_COMMANDS, ...SESSION_COMMANDS,
    ...TABLE_COMMANDS, ...MAP_COMMANDS, ...ACL_COMMANDS, ...SSL_COMMANDS, ...PROXY_COMMANDS, ...ERROR_COMMANDS,
  ]);
}

/** What the commands act on, for `proxy`: the ops on its servers, its maps, one certificate transaction. */
export function controlContext(proxy: Proxy, stats?: StatsText): ControlContext {
  return {
    proxy,
    ops: new ServerOps(proxy.backends, proxy.checks, () => proxy.clock.tick()),
    stats,
    certs: new CertTransactions(),
    maps: proxy.config.maps,
  };
}

/** A listener failed to open: which socket, and why. */
export class ControlSocketError extends Error {
  constructor(readonly socket: string, cause: unknown) {
    super(`stats socket ${socket}: ${(cause as Error).message ?? String(cause)}`);
    this.name = "ControlSocketError";
  }
}

export function describeSocket(s: ControlSocket): string {
  return s.kind === "unix" ? s.path : `ipv4@${s.host}:${s.port}`;
}

export class ControlSockets<C = ControlContext> {
  private readonly listeners: Listener[] = [];
  private readonly open = new Set<Socket>();
  /** Connections accepted since start (`show info` counts them, as HAProxy does its CLI's). */
  private accepted = 0;

  private constructor(
    private readonly runtime: Runtime & Pick<System, "listenUnix">,
    readonly ctx: C,
    private readonly table: CommandTable<C, Answer>,
  ) {}

  /** Opens every `stats socket` of the proxy's configuration; on a failure closes those already open and throws a ControlSocketError. */
  static start(runtime: Runtime & Pick<System, "listenUnix">, proxy: Proxy, stats?: StatsText): Promise<ControlSockets> {
    return ControlSockets.startWith(runtime, proxy.config.global, controlContext(proxy, stats), commandTable());
  }

  /** Opens every `stats socket` of `g` with a table of commands of its own (the master's); errors as start's. */
  static async startWith<C>(
    runtime: Runtime & Pick<System, "listenUnix">,
    g: Pick<GlobalConfig, "statsSockets" | "statsTimeout" | "statsMaxconn">,
    ctx: C,
    table: CommandTable<C, Answer>,
  ): Promise<ControlSockets<C>> {
    const sockets = new ControlSockets<C>(runtime, ctx, table);
    try {
      for (const s of g.statsSockets ?? []) await sockets.listen(s, g.statsTimeout ?? BUILTIN.stats.timeout, g.statsMaxconn ?? BUILTIN.stats.maxconn);
    } catch (error) {
      sockets.close();
      throw error;
    }
    return sockets;
  }

  get listening(): readonly Listener[] {
    return this.listeners;
  }

  /** Listeners, connections open now and accepted since start. */
  get figures(): { listeners: number; open: number; accepted: number } {
    return { listeners: this.listeners.length, open: this.open.size, accepted: this.accepted };
  }

  private async listen(s: ControlSocket, timeoutMs: number, maxconn: number): Promise<void> {
    let count = 0;
    const accept = (socket: Socket) => {
      if (count >= maxconn) {
        socket.events = { data() {}, drain() {}, end() {}, close() {} };
        socket.destroy();
        return;
      }
      count++;
      this.accepted++;
      this.open.add(socket);
      socket.events = new CliConnection(socket, {
        level: s.level,
        table: this.table,
        ctx: this.ctx,
        timers: this.runtime,
        timeoutMs,
        closed: () => {
          count--;
          this.open.delete(socket);
        },
      });
    };
    try {
      if (s.kind === "unix") {
        this.listeners.push(await this.runtime.listenUnix(s.path, accept, s));
      } else {
        this.listeners.push(await this.runtime.listen({ hostname: s.host, port: s.port }, accept));
      }
    } catch (error) {
      throw new ControlSocketError(describeSocket(s), error);
    }
  }

  /** Stops listening (unix socket files are removed) and closes the connections still open. */
  close(): void {
    for (const l of this.listeners.splice(0)) l.close();
    for (const s of [...this.open]) s.destroy();
  }
}
