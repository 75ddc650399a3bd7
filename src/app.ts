// What each command does, given a runtime. main.ts picks the runtime; this
// module never knows which one it got.
import { type Command, parseCommandLine, usage } from "./cli.ts";
import { loadConfigFiles, loadConfigTexts, type LoadResult } from "./config/load.ts";
import type { Config } from "./config/types.ts";
import { warningLine } from "./config/errors.ts";
import { bindAddress, formatAddress } from "./config/address.ts";
import { Proxy } from "./core/proxy.ts";
import { commandTable, ControlSockets, controlContext } from "./control/sockets.ts";
import { SinkPool } from "./log/sink.ts";
import { hostname } from "node:os";
import { startDemoBackend } from "./demo/backends.ts";
import { demoConfigYaml } from "./demo/config.ts";
import { CHECKING_WORKER, MASTER_SOCKET_ENV, WORKER_NUMBER_ENV } from "./master/protocol.ts";
import type { ServerVerdict } from "./check/checks.ts";
import { runMaster } from "./master/run-master.ts";
import { tellServiceManager } from "./master/service-manager.ts";
import { beginProcess, type ProcessLife, type Role } from "./process/life.ts";
import { startMasterServices } from "./master/master-services.ts";
import { joinMaster, type WorkerLink } from "./master/worker-link.ts";
import type { HostRuntime, Listener } from "./runtime/types.ts";
import { RELEASE_DATE, VERSION } from "./version.ts";
import { probe } from "./probe.ts";
import { longVersion, shortVersion } from "./version-text.ts";
import { startStatsListeners, type StatsListeners } from "./admin/listener.ts";
import { localAdmin } from "./admin/server-admin.ts";
import { proxyPages, proxyServices } from "./admin/proxy-pages.ts";
import { RateHistory } from "./admin/rate-history.ts";
import { ServerOps } from "./check/server-ops.ts";
import { serverViews } from "./admin/server-api.ts";
import { proxyStats } from "./stats/proxy-source.ts";
import { statCsv } from "./stats/csv.ts";
import { heapFigures, openFileLimit } from "./stats/host-figures.ts";
import { statTyped } from "./stats/typed.ts";

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const DEMO_PORT = 8080;
/** How long a stop waits for log sinks to drain before exiting anyway. */
const LOG_CLOSE_GRACE_MS = 1000;
const DEMO_BACKENDS = 3;

/** Runs the command line; resolves with the exit code once sluice should exit. */
export async function runCommandLine(runtime: HostRuntime, argv: readonly string[], io: Output): Promise<number> {
  const command = parseCommandLine(argv);
  return await execute(runtime, command, io);
}

async function execute(runtime: HostRuntime, command: Command, io: Output): Promise<number> {
  switch (command.kind) {
    case "usage-error":
      io.err(`sluice: ${command.message}\n${usage(command.topic)}`);
      return 2;
    case "help":
      io.out(usage(command.topic));
      return 0;
    case "version":
      io.out(await (command.long ? longVersion(runtime) : shortVersion(runtime)));
      return 0;
    case "check":
      return check(loadConfigFiles(command.files, { localPeer: command.localPeer }), io);
    case "probe": {
      const result = await probe(command.url, command.timeoutMs, runtime);
      (result.healthy ? io.out : io.err)(result.line);
      return result.healthy ? 0 : 1;
    }
    case "run": {
      const loadOptions = { localPeer: command.localPeer };
      const loaded = loadConfigFiles(command.files, loadOptions);
      if (!loaded.ok) return check(loaded, io);
      const masterSocket = runtime.env(MASTER_SOCKET_ENV);
      const masterMode = command.masterWorker || loaded.config.global.masterWorker;
      const role: Role = masterSocket !== undefined ? "worker" : masterMode ? "master" : "single";
      const peersWorkers = masterMode ? peersWorkerProblem(loaded.config, runtime.cpuCount()) : undefined;
      if (peersWorkers !== undefined) {
        io.err(`sluice: ${peersWorkers}`);
        return 1;
      }
      // daemon, the file limit, the pidfile (process/): a daemon's parent is done here.
      const begun = await beginProcess(runtime, loaded.config, command, role, io.err, workerNumber(runtime));
      if ("exit" in begun) return begun.exit;
      const life = begun.life;
      // A worker of a master: the master printed the warnings already.
      if (masterSocket !== undefined) return await serveAsWorker(runtime, loaded.config, io, command, masterSocket, life);
      for (const w of loaded.warnings) io.err(warningLine(w));
      if (masterMode) {
        const code = await runMaster(runtime, loaded.config, {
          onReady: () => life.ready(),
          load: () => loadConfigFiles(command.files, loadOptions),
          workerArgs: [
            "run",
            ...command.files.flatMap((f) => ["-f", f]),
            ...(command.strictOwnership ? ["--strict-ownership"] : []),
            ...(command.localPeer === undefined ? [] : ["-L", command.localPeer]),
          ],
          log: io.err,
          readyLine: `sluice ${VERSION} (${runtime.name} ${runtime.version}) ready`,
          services: (master) => startMasterServices(runtime, loaded.config, master, VERSION),
        });
        life.stopped();
        return code;
      }
      return await serve(runtime, loaded.config, io, { strictOwnership: command.strictOwnership, life });
    }
    case "demo":
      return await demo(runtime, io);
  }
}

/**
 * A peers section with several workers: each worker keeps its own tables
 * (docs/master-worker.md) and only one process can listen as the local peer,
 * so the peers would see one worker's entries only. Refused until the workers
 * share their tables.
 */
function peersWorkerProblem(config: Config, cores: number): string | undefined {
  const workers = config.global.workers === "auto" ? Math.max(1, cores) : config.global.workers;
  if (config.peers === undefined || workers === 1) return undefined;
  return `peers section '${config.peers[0]!.name}' with ${workers} workers is not supported: each worker keeps its own stick tables and only one process can be the local peer (set 'workers 1', or run without master-worker)`;
}

function check(loaded: LoadResult, io: Output): number {
  if (!loaded.ok) {
    // zero-warning refuses a configuration for its warnings: they come first, as HAProxy prints them.
    if (loaded.errors.some((e) => e.detail.startsWith("zero-warning: "))) for (const w of loaded.warnings) io.err(warningLine(w));
    for (const e of loaded.errors) io.err(e.message);
    io.err(`${loaded.errors.length} error${loaded.errors.length === 1 ? "" : "s"} in the configuration`);
    return 1;
  }
  for (const w of loaded.warnings) io.err(warningLine(w));
  io.out("Configuration file is valid");
  return 0;
}

/** This process's worker number, from its master (a single process: 1). */
function workerNumber(runtime: HostRuntime): number {
  return Number(runtime.env(WORKER_NUMBER_ENV) ?? "1");
}

/** A worker: the proxy with every bind shared (SO_REUSEPORT), ready and stopped through the master. */
async function serveAsWorker(
  runtime: HostRuntime,
  config: Config,
  io: Output,
  command: { strictOwnership: boolean },
  masterSocket: string,
  life: ProcessLife,
): Promise<number> {
  const worker = workerNumber(runtime);
  const prefix = `worker ${worker} (pid ${runtime.pid}): `;
  const wio: Output = { out: io.out, err: (text) => io.err(prefix + text) };
  return await serve(runtime, config, wio, {
    strictOwnership: command.strictOwnership,
    worker: { masterSocket, number: worker },
    life,
  });
}

/** The global `log-tag` and `log-send-hostname` (true: this system's name, read once here, as HAProxy does at start). */
function syslogIdentity(g: Config["global"] & { logTag?: string; logSendHostname?: string | true }): { tag?: string; hostname?: string } {
  const id: { tag?: string; hostname?: string } = {};
  if (g.logTag !== undefined) id.tag = g.logTag;
  if (g.logSendHostname !== undefined) id.hostname = g.logSendHostname === true ? hostname() : g.logSendHostname;
  return id;
}

interface ServeOptions {
  strictOwnership?: boolean;
  onStop?: () => void;
  /** Set in a worker of a master: its control socket and number. */
  worker?: { masterSocket: string; number: number };
  /** The process keywords' steps (process/life.ts): chroot and identity once bound, pidfile and daemon once ready. */
  life?: ProcessLife;
}

async function serve(runtime: HostRuntime, config: Config, io: Output, options: ServeOptions = {}): Promise<number> {
  const { onStop, worker } = options;
  const pool = new SinkPool({
    timers: runtime,
    system: runtime,
    ...syslogIdentity(config.global),
    ...(runtime.writeDescriptor === undefined ? {} : { descriptorWriter: { write: runtime.writeDescriptor } }),
  });
  // Of a master's workers, one runs the active health checks and the others follow its verdicts.
  const checker = worker === undefined || worker.number === CHECKING_WORKER;
  const proxy = new Proxy(config, runtime, pool, {
    strictOwnership: options.strictOwnership,
    reusePort: worker !== undefined,
    healthChecks: checker ? "run" : "follow",
  });
  // Verdicts decided before the control channel is up wait for it.
  const untold: ServerVerdict[] = [];
  let link: WorkerLink | undefined;
  if (worker !== undefined && checker) proxy.checks.onVerdict = (v) => (link === undefined ? untold.push(v) : link.tell(v));
  let control: ControlSockets | undefined;
  const figures = proxyStats(proxy, {
    pid: runtime.pid,
    version: VERSION,
    ...(RELEASE_DATE === undefined ? {} : { releaseDate: RELEASE_DATE }),
    hostname: hostname(),
    droppedLogs: () => pool.dropped,
    fileLimit: () => openFileLimit(runtime),
    memory: heapFigures,
    cli: () => control?.figures ?? { listeners: 0, open: 0, accepted: 0 },
  });
  const statsText = {
    statCsv: () => statCsv(figures.rows()),
    info: () => figures.info(),
    statTyped: () => statTyped(figures.rows()),
  };
  // The stats pages served inside the proxy (sections that route, backends) and the exporter's
  // `use-service`, ready before the first request. In a master's worker the page's forms act on
  // nothing: the master relays server changes to every worker, and this page is this worker's alone.
  const history = new RateHistory();
  const pages = proxyPages(config);
  const pageAdmin = worker === undefined ? { servers: localAdmin(new ServerOps(proxy.backends, proxy.checks, () => proxy.clock.tick())), now: () => runtime.now() } : undefined;
  Object.assign(proxy.services, proxyServices(pages, figures, history, pageAdmin));
  try {
    await proxy.start();
    // A master's worker: the master owns the stats sockets and listeners (and asks this worker).
    if (worker === undefined) control = await ControlSockets.start(runtime, proxy, statsText);
  } catch (error) {
    await proxy.stop(0);
    io.err(`sluice: cannot start: ${(error as Error).message}`);
    return 1;
  }
  for (const l of control?.listening ?? []) io.err(`runtime API listening on ${l.port === 0 ? l.hostname : `${l.hostname}:${l.port}`}`);
  for (const f of proxy.frontends) {
    f.listening.forEach((l, i) => {
      // `bind ... name NAME`: HAProxy shows it on its listener rows; sluice on this line.
      const bind = f.config.binds[i];
      const name = bind?.name;
      io.err(`frontend '${f.name}' listening on ${bind?.unix !== undefined ? bindAddress(bind) : formatAddress(l.hostname, l.port)}${name === undefined ? "" : ` (bind '${name}')`}`);
    });
  }
  let stats: StatsListeners;
  try {
    stats = await startStatsListeners(
      runtime,
      worker === undefined ? config.stats ?? [] : [],
      figures,
      control === undefined ? undefined : localAdmin(control.ctx.ops),
      pages.length > 0 ? { history } : undefined,
    );
  } catch (error) {
    io.err(`sluice: cannot start the stats listener: ${(error as Error).message}`);
    await proxy.stop(0);
    return 1;
  }
  for (const l of stats.listening) io.err(`stats '${l.name}' listening on ${l.hostname}:${l.port}`);
  // A worker drops its privileges once it has joined its master (whose socket a chroot would hide).
  if (worker === undefined) {
    try {
      options.life?.bound();
    } catch (error) {
      io.err(`sluice: cannot start: ${(error as Error).message}`);
      await stats.close();
      control?.close();
      await proxy.stop(0);
      return 1;
    }
  }
  return await new Promise<number>((resolve) => {
    let signals = 0;
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      if (worker === undefined) tellServiceManager(runtime, "stopping", io.err);
      io.err(`${why}: stopping; ${proxy.sessions} open connection(s) may finish within ` +
        `${config.global.hardStopAfter} ms`);
      // The figures stay readable while connections drain; the stats listener goes with the proxy.
      control?.close();
      proxy.stop().then(async () => {
        await stats.close();
        onStop?.();
        link?.close();
        // Log lines still buffered are written before the process goes, but a
        // stuck destination (a full pipe nobody reads) does not hold the exit.
        await Promise.race([pool.close(), new Promise<void>((r) => runtime.setTimer(r, LOG_CLOSE_GRACE_MS))]);
        io.err("stopped");
        resolve(0);
      });
    };
    // A SIGUSR1 already stopping softly: SIGTERM or SIGINT then stops now (not after the master's own stop request).
    let softStopped = false;
    const onSignal = (name: string) => {
      signals++;
      if (signals > 1 || softStopped) {
        io.err(`${name} ${signals > 1 ? "again" : "after SIGUSR1"}: stopping now`);
        for (const f of proxy.frontends) f.killAll();
        return;
      }
      stop(name);
    };
    runtime.onSignal("SIGTERM", () => onSignal("SIGTERM"));
    runtime.onSignal("SIGINT", () => onSignal("SIGINT"));
    // HAProxy's soft stop: the listeners close, open connections finish (within hard-stop-after); once is enough.
    runtime.onSignal("SIGUSR1", () => {
      softStopped = true;
      stop("SIGUSR1");
    });
    // Reloads are the master's (a worker may get these when sent to the whole process group).
    const noReload = (name: string) => () => {
      if (worker === undefined) io.err(`${name}: reloading needs the master-worker mode (sluice -W); ignored`);
    };
    runtime.onSignal("SIGUSR2", noReload("SIGUSR2"));
    runtime.onSignal("SIGHUP", noReload("SIGHUP"));
    if (worker === undefined) {
      io.err(`sluice ${VERSION} (${runtime.name} ${runtime.version}) ready`);
      tellServiceManager(runtime, "ready", io.err);
      options.life?.ready();
      return;
    }
    // The master's runtime API runs its commands here, as on a `level admin` socket (the master checked the level).
    const commands = commandTable();
    const commandCtx = controlContext(proxy, statsText);
    joinMaster(runtime, worker.masterSocket, worker.number, {
      stop: (why) => {
        stop(why === "master" ? "soft stop asked by the master" : "the master is gone");
        return proxy.listenersClosed();
      },
      follow: (verdict) => proxy.checks.follow(verdict),
      figures: () => ({ rows: figures.rows(), info: figures.info(), durations: figures.durations() }),
      servers: () => serverViews(commandCtx.ops),
      command: (words, payload) => commands.run(words, payload, "admin", commandCtx),
    }).then(
      (joined) => {
        link = joined;
        for (const v of untold.splice(0)) joined.tell(v);
        if (stopping) return joined.close();
        try {
          options.life?.bound();
        } catch (error) {
          io.err(`cannot start: ${(error as Error).message}`);
          runtime.exit(1);
        }
        io.err("ready");
        options.life?.ready();
      },
      (error: Error) => {
        io.err(`cannot reach the master at ${worker.masterSocket}: ${error.message}`);
        stop("no master");
      },
    );
  });
}

async function demo(runtime: HostRuntime, io: Output): Promise<number> {
  const backends: Listener[] = [];
  for (let i = 1; i <= DEMO_BACKENDS; i++) backends.push(await startDemoBackend(runtime, `demo-${i}`));
  const loaded = loadConfigTexts([{
    name: "<demo>.yaml",
    text: demoConfigYaml(DEMO_PORT, backends.map((b) => b.port)),
  }]);
  if (!loaded.ok) {
    // The demo's own config is fixed: an error here is a bug in sluice.
    for (const e of loaded.errors) io.err(e.message);
    return 1;
  }
  io.out(`sluice demo: ${DEMO_BACKENDS} backends on ${backends.map((b) => `127.0.0.1:${b.port}`).join(", ")}
behind a TCP frontend on 127.0.0.1:${DEMO_PORT}, balanced round-robin. Try:

  curl localhost:${DEMO_PORT}      (a few times: each answer names another backend)

Ctrl-C stops it. Your own configuration: sluice -f examples/tcp.cfg`);
  return await serve(runtime, loaded.config, io, {
    onStop: () => {
      for (const b of backends) b.close();
    },
  });
}
