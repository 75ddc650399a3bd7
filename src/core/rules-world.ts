// What rules may ask of the proxy around them (nbsrv, srv_is_up, env, proc
// variables, stick tables), over the graph's backends. One per proxy graph:
// `proc.` variables live as long as the process's configuration.
import { env } from "node:process";
import type { Backend } from "../backend/backend.ts";
import type { Sample } from "../rules/types.ts";
import type { RulesWorld } from "../session/txn.ts";
import type { StickStore, StickTable } from "../stick/types.ts";
import type { Socket } from "../runtime/types.ts";

/** `environment`: the one the configuration's setenv lines left (the process's by default). */
export function rulesWorld(
  backends: ReadonlyMap<string, Backend>,
  stick: StickStore | undefined,
  wallNow: () => number,
  environment: Readonly<Record<string, string | undefined>> = env,
): RulesWorld {
  // Keyed by the client socket, so a connection's variables go when it does.
  const sessions = new WeakMap<Socket, Map<string, Sample>>();
  return {
    wallNow,
    procVars: new Map<string, Sample>(),
    sessionVars(socket: Socket): Map<string, Sample> {
      let vars = sessions.get(socket);
      if (vars === undefined) sessions.set(socket, (vars = new Map()));
      return vars;
    },
    carrySessionVars(from: Socket, to: Socket): void {
      const vars = sessions.get(from);
      if (vars !== undefined) sessions.set(to, vars);
    },
    stick,
    usableServers(name: string): number {
      const backend = backends.get(name);
      if (backend === undefined) return -1;
      let n = 0;
      for (const s of backend.servers) if (s.usable) n++;
      return n;
    },
    serverUp(backendName: string, serverName: string): boolean | undefined {
      const server = backends.get(backendName)?.servers.find((s) => s.name === serverName);
      return server === undefined ? undefined : server.usable;
    },
    env(name: string): string | undefined {
      return environment[name];
    },
    table(name: string): StickTable | undefined {
      return stick?.table(name);
    },
  };
}
