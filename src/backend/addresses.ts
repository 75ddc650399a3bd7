// Server addresses found at start (HAProxy's init-addr): a server written as
// a host name gets the address the system resolver gives (libc), or none
// (`none`: it starts in maintenance and takes no traffic), or a fixed IP,
// the methods tried in the order written. `last` is the address a server-state
// file saved (`load-server-state-from-file`). An IP needs no lookup.
import { ConfigError } from "../config/errors.ts";
import { BUILTIN, type InitAddr } from "../config/types.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Server } from "./server.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(":");
}

/**
 * Gives every server named by a host name its address. Rejects with a
 * ConfigError naming the server's line when a server's methods all fail
 * (HAProxy refuses to start then).
 */
export async function resolveServers(
  servers: readonly Server[],
  runtime: Pick<Runtime, "resolve">,
  last: (server: Server) => string | undefined = () => undefined,
): Promise<void> {
  await Promise.all(servers.filter((s) => !isIpLiteral(s.host)).map((s) => resolveOne(s, runtime, last(s))));
}

async function resolveOne(server: Server, runtime: Pick<Runtime, "resolve">, last: string | undefined): Promise<void> {
  const methods = server.initAddr ?? BUILTIN.initAddr;
  const failures: string[] = [];
  for (const method of methods) {
    if (method === "last") {
      if (last !== undefined && isIpLiteral(last)) {
        server.address = last;
        return;
      }
      failures.push("last: no address in a server-state file");
      continue;
    }
    if (method === "none") {
      server.address = "";
      return;
    }
    if (method === "libc") {
      try {
        server.address = (await runtime.resolve(server.host))[0]!;
        return;
      } catch (error) {
        failures.push(`libc: ${(error as Error).message}`);
        continue;
      }
    }
    server.address = method.ip;
    return;
  }
  throw new ConfigError(
    server.origin,
    [`backend '${server.backendName}'`, `server '${server.name}'`],
    `no address for '${server.host}' (init-addr ${methods.map(describeMethod).join(",")}: ${failures.join("; ")})`,
  );
}

function describeMethod(m: InitAddr): string {
  return typeof m === "string" ? m : m.ip;
}
