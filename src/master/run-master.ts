// `sluice -W` (or `master-worker`, or more than one worker): the master
// process from start to exit. It checks that the binds are free (workers share
// them with SO_REUSEPORT, which would also share them silently with another
// program listening the same way), makes a directory for its control socket,
// starts the workers and answers the signals: SIGUSR2 and SIGHUP reload,
// SIGTERM and SIGINT stop gracefully (a second one kills the workers).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadResult } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import { bindAddress } from "../config/address.ts";
import { formatPos } from "../config/errors.ts";
import type { HostRuntime } from "../runtime/types.ts";
import { Master } from "./master.ts";
import type { MasterServices } from "./master-services.ts";
import { migrateReqAdvice } from "./reuseport.ts";
import { tellServiceManager } from "./service-manager.ts";

export interface MasterRun {
  /** Reads and checks the configuration files (at start the caller did it once already). */
  load(): LoadResult;
  /** The arguments each worker gets (`run -f ...`). */
  workerArgs: readonly string[];
  /** Where the master's messages go (stderr), and the ready line. */
  log(line: string): void;
  /** The line that says the master is ready (the harness and operators wait for it). */
  readyLine: string;
  /** Called once the workers serve (the pidfile, a daemon's parent released). */
  onReady?(): void;
  /** Called once the master exists (the runtime API takes it from here). */
  onMaster?(master: Master): void;
  /** What the master serves besides its workers (its stats listeners and runtime API), opened once they listen. */
  services?(master: Master): Promise<MasterServices>;
}

/** Fails with the address when a bind is taken (by anything: a plain bind, no SO_REUSEPORT). */
async function checkBindsFree(runtime: HostRuntime, config: Config): Promise<void> {
  for (const f of config.frontends) {
    for (const bind of f.binds) {
      if (bind.unix !== undefined) {
        throw new Error(`frontend '${f.name}' at ${formatPos(bind.origin)}: bind ${bindAddress(bind)}: UNIX socket binds are not supported in master-worker mode (each worker would listen on its own socket file in place of the others'; sluice's workers share IP listeners through SO_REUSEPORT, which UNIX sockets have not)`);
      }
      const probe = await runtime.listen({ hostname: bind.host, port: bind.port }, (s) => s.destroy()).catch((e: Error) => {
        throw new Error(`frontend '${f.name}': cannot bind ${bind.host}:${bind.port} (${e.message})`);
      });
      probe.close();
    }
  }
}

/** Runs the master until it has stopped; resolves with the exit code. */
export async function runMaster(runtime: HostRuntime, config: Config, run: MasterRun): Promise<number> {
  const log = (line: string) => run.log(`master (pid ${runtime.pid}): ${line}`);
  try {
    await checkBindsFree(runtime, config);
  } catch (error) {
    log(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  const advice = migrateReqAdvice();
  if (advice !== undefined) log(`warning: ${advice}`);
  const dir = mkdtempSync(join(tmpdir(), "sluice-master-"));
  const master = new Master(config, {
    runtime,
    load: run.load,
    workerArgs: run.workerArgs,
    socketPath: join(dir, "master.sock"),
    log,
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await master.start();
  } catch (error) {
    log(`cannot start: ${(error as Error).message}`);
    cleanup();
    return 1;
  }
  run.onMaster?.(master);
  let services: MasterServices | undefined;
  try {
    services = await run.services?.(master);
  } catch (error) {
    log(`cannot start: ${(error as Error).message}`);
    await master.stop();
    cleanup();
    return 1;
  }
  for (const line of services?.listening ?? []) log(line);
  log(`${master.processes().length} worker(s) serving: ${master.processes().map((w) => w.pid).join(", ")}`);
  run.log(run.readyLine);
  return await new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (name: string) => {
      signals++;
      if (signals > 1) {
        log(`${name} again: killing the workers`);
        master.kill();
        return;
      }
      log(`${name}: stopping the workers gracefully`);
      tellServiceManager(runtime, "stopping", log);
      master.stop().then(async () => {
        await services?.close();
        cleanup();
        log("stopped");
        resolve(0);
      });
    };
    const reload = (name: string) => {
      log(`${name}: reloading`);
      void master.reload();
    };
    runtime.onSignal("SIGTERM", () => stop("SIGTERM"));
    runtime.onSignal("SIGINT", () => stop("SIGINT"));
    // HAProxy's soft stop: the workers stop gracefully; a second one changes nothing (SIGTERM then cuts).
    runtime.onSignal("SIGUSR1", () => {
      if (signals === 0) stop("SIGUSR1");
    });
    runtime.onSignal("SIGUSR2", () => reload("SIGUSR2"));
    runtime.onSignal("SIGHUP", () => reload("SIGHUP"));
    // Ready once it can take a reload or a stop.
    tellServiceManager(runtime, "ready", log);
    run.onReady?.();
  });
}
