// Linux's SO_REUSEPORT and reloads: when a listener of a reuseport group
// closes, the connections already in its accept queue (handshake done, not
// yet accepted) are reset, unless net.ipv4.tcp_migrate_req is 1 (Linux 5.14+,
// per network namespace), which moves them to another listener of the group.
// The measurements behind this are in docs/master-worker.md.
import { readFileSync } from "node:fs";

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/** A warning when reloads may reset queued connections here, else undefined (also off Linux). */
export function migrateReqAdvice(read: (path: string) => string = (p) => readFileSync(p, "utf8")): string | undefined {
  let value: string;
  try {
    value = read(MIGRATE_REQ).trim();
  } catch {
    return undefined;
  }
  if (value !== "0") return undefined;
  return "net.ipv4.tcp_migrate_req is 0: a reload may reset the few connections queued on an old worker's " +
    "listener as it closes; set it to 1 (sysctl -w net.ipv4.tcp_migrate_req=1) for reloads that lose none";
}
