// Telling systemd (through $NOTIFY_SOCKET) how the service is doing, from the
// one process it supervises: the master under -W, else the single process.
// A message that cannot be sent is logged, never fatal: the proxy serves on.
import type { ServiceState, System } from "../runtime/types.ts";

export function tellServiceManager(system: System, state: ServiceState, log: (line: string) => void): void {
  try {
    if (system.notifyServiceManager(state) === "dropped") log(`warning: systemd's notify socket did not take ${state.toUpperCase()}=1`);
  } catch (error) {
    log(`warning: cannot notify systemd: ${(error as Error).message}`);
  }
}
