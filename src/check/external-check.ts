// One run of an external check (`option external-check`, HAProxy's
// extcheck.c): the command runs with <proxy_address> <proxy_port>
// <server_address> <server_port> as arguments and HAProxy's environment
// (nothing of sluice's own), through the runtime's runProgram. Exit status
// 0 passes (PROCOK); any other, a signal, or a program that cannot start
// fails (PROCERR, the code in the log line); a program still running when
// the time is up gets SIGTERM (PROCTOUT). The time allowed is HAProxy's:
// `inter`, or min(inter, timeout connect) when `timeout check` is set.
import type { Backend } from "../backend/backend.ts";
import type { CheckResult } from "../backend/server-state.ts";
import type { Server } from "../backend/server.ts";
import type { ExternalCheck } from "../config/types.ts";
import type { ProgramExit, Runtime, RunningProgram, TimerHandle } from "../runtime/types.ts";
import { result } from "./status.ts";

/** What HAProxy passes for an address it has no port for (a backend has no bind). */
const NOT_USED = "NOT_USED";

/** The program's arguments and environment for one run: the server's address, port and connections are read now. */
export function externalCheckCall(spec: ExternalCheck, backend: Backend, server: Server, proxyId: number): { args: string[]; env: Record<string, string> } {
  const proxyAddr = spec.proxyAddress === undefined ? NOT_USED : spec.proxyAddress.host === "" ? "0.0.0.0" : spec.proxyAddress.host;
  const proxyPort = spec.proxyAddress === undefined ? NOT_USED : String(spec.proxyAddress.port);
  const serverPort = String(server.port);
  // HAProxy passes "NOT_USED" as an argument but "" in the environment.
  const envOf = (x: string) => (x === NOT_USED ? "" : x);
  const env: Record<string, string> = {
    PATH: spec.path,
    HAPROXY_PROXY_NAME: backend.name,
    HAPROXY_PROXY_ID: String(proxyId),
    HAPROXY_PROXY_ADDR: envOf(proxyAddr),
    HAPROXY_PROXY_PORT: envOf(proxyPort),
    HAPROXY_SERVER_NAME: server.name,
    HAPROXY_SERVER_ID: String(backend.servers.indexOf(server) + 1),
    HAPROXY_SERVER_ADDR: server.address,
    HAPROXY_SERVER_PORT: serverPort,
    HAPROXY_SERVER_MAXCONN: String(server.maxconn),
    HAPROXY_SERVER_CURCONN: String(server.current),
    // HAProxy 2.6 adds these two: the server's protocol ("tcp" in mode tcp) and whether it speaks TLS.
    HAPROXY_SERVER_SSL: server.tls === undefined ? "0" : "1",
    HAPROXY_SERVER_PROTO: backend.config.mode === "tcp" ? "tcp" : server.proto,
  };
  return { args: [proxyAddr, proxyPort, server.address, serverPort], env };
}

/** The verdict for how the program ended. */
export function externalVerdict(exit: ProgramExit, durationMs: number): CheckResult {
  if (exit.code === 0) return result("PROCOK", durationMs, "", 0);
  if (exit.code !== null) return result("PROCERR", durationMs, "", exit.code);
  // HAProxy's child exits with -1 (255) when exec fails (its alert says why, startFailure below); a signal is code -1.
  if ("error" in exit) return result("PROCERR", durationMs, "", 255);
  return result("PROCERR", durationMs, "", -1);
}

/** HAProxy's alert when the program cannot run (the verdict itself is PROCERR, code 255). */
export function startFailureLine(error: string): string {
  return `Failed to exec process for external health check: ${error}. Aborting.`;
}

/** One run: started at construction, `finished` called once (unless aborted). */
export class ExternalRun {
  private readonly program: RunningProgram;
  private readonly timer: TimerHandle;
  private readonly started: number;
  private done = false;

  constructor(
    private readonly runtime: Pick<Runtime, "runProgram" | "now" | "setTimer" | "clearTimer">,
    spec: ExternalCheck,
    call: { args: string[]; env: Record<string, string> },
    allowedMs: number,
    private readonly finished: (r: CheckResult) => void,
    /** The program could not start: why (logged as HAProxy's alert). */
    startFailed: (error: string) => void,
  ) {
    this.started = runtime.now();
    this.program = runtime.runProgram({ command: spec.command, args: call.args, env: call.env });
    this.timer = runtime.setTimer(this.expired, Math.max(1, allowedMs));
    this.program.exited.then((exit) => {
      if (this.done) return;
      this.done = true;
      this.runtime.clearTimer(this.timer);
      if ("error" in exit) startFailed(exit.error);
      this.finished(externalVerdict(exit, this.runtime.now() - this.started));
    });
  }

  private readonly expired = (): void => {
    if (this.done) return;
    this.done = true;
    this.program.terminate();
    this.finished(result("PROCTOUT", this.runtime.now() - this.started, ""));
  };

  /** The proxy stops: the program is ended (HAProxy's SIGTERM) and nothing is decided. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.runtime.clearTimer(this.timer);
    this.program.terminate();
  }
}
