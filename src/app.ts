// What each command does, given a runtime. main.ts picks the runtime; this
// module never knows which one it got.
import { type Command, parseCommandLine, usage } from "./cli.ts";
import { loadConfigFiles, loadConfigTexts, type LoadResult } from "./config/load.ts";
import type { Config } from "./config/types.ts";
import { Proxy } from "./core/proxy.ts";
import { ControlSockets } from "./control/sockets.ts";
import { SinkPool } from "./log/sink.ts";
import { startDemoBackend } from "./demo/backends.ts";
import { demoConfigYaml } from "./demo/config.ts";
import type { HostRuntime, Listener } from "./runtime/types.ts";
import { VERSION } from "./version.ts";
import { startStatsListeners, type StatsListeners } from "./admin/listener.ts";
import { proxyStats } from "./stats/proxy-source.ts";
import { infoText, statCsv } from "./stats/csv.ts";

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
      io.out(`sluice ${VERSION} (${runtime.name} ${runtime.version})`);
      return 0;
    case "check":
      return check(loadConfigFiles(command.files), io);
    case "run": {
      const loaded = loadConfigFiles(command.files);
      if (!loaded.ok) return check(loaded, io);
      for (const w of loaded.warnings) io.err(`warning: ${w.message}`);
      return await serve(runtime, loaded.config, io, { strictOwnership: command.strictOwnership });
    }
    case "demo":
      return await demo(runtime, io);
  }
}

function check(loaded: LoadResult, io: Output): number {
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(e.message);
    io.err(`${loaded.errors.length} error${loaded.errors.length === 1 ? "" : "s"} in the configuration`);
    return 1;
  }
  for (const w of loaded.warnings) io.err(`warning: ${w.message}`);
  io.out("Configuration is valid");
  return 0;
}

async function serve(
  runtime: HostRuntime,
  config: Config,
  io: Output,
  options: { strictOwnership?: boolean; onStop?: () => void } = {},
): Promise<number> {
  const { onStop } = options;
  const pool = new SinkPool({ timers: runtime });
  const proxy = new Proxy(config, runtime, pool, { strictOwnership: options.strictOwnership });
  let control: ControlSockets | undefined;
  const figures = proxyStats(proxy, { pid: runtime.pid, version: VERSION });
  try {
    await proxy.start();
    control = await ControlSockets.start(runtime, proxy, {
      statCsv: () => statCsv(figures.rows()),
      infoText: () => infoText(figures.info()),
    });
  } catch (error) {
    await proxy.stop(0);
    io.err(`sluice: cannot start: ${(error as Error).message}`);
    return 1;
  }
  for (const l of control.listening) io.err(`runtime API listening on ${l.port === 0 ? l.hostname : `${l.hostname}:${l.port}`}`);
  for (const f of proxy.frontends) {
    for (const l of f.listening) io.err(`frontend '${f.name}' listening on ${l.hostname}:${l.port}`);
  }
  let stats: StatsListeners;
  try {
    stats = await startStatsListeners(runtime, config.stats ?? [], figures, control.ctx.ops);
  } catch (error) {
    io.err(`sluice: cannot start the stats listener: ${(error as Error).message}`);
    await proxy.stop(0);
    return 1;
  }
  for (const l of stats.listening) io.err(`stats '${l.name}' listening on ${l.hostname}:${l.port}`);
  io.err(`sluice ${VERSION} (${runtime.name} ${runtime.version}) ready`);
  return await new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (name: string) => {
      signals++;
      if (signals > 1) {
        io.err(`${name} again: stopping now`);
        for (const f of proxy.frontends) f.killAll();
        return;
      }
      io.err(`${name}: stopping; ${proxy.sessions} open connection(s) may finish within ` +
        `${config.global.hardStopAfter} ms`);
      // The figures stay readable while connections drain; the stats listener goes with the proxy.
      control?.close();
      proxy.stop().then(async () => {
        await stats.close();
        onStop?.();
        // Log lines still buffered are written before the process goes, but a
        // stuck destination (a full pipe nobody reads) does not hold the exit.
        await Promise.race([pool.close(), new Promise<void>((r) => runtime.setTimer(r, LOG_CLOSE_GRACE_MS))]);
        io.err("stopped");
        resolve(0);
      });
    };
    runtime.onSignal("SIGTERM", () => onSignal("SIGTERM"));
    runtime.onSignal("SIGINT", () => onSignal("SIGINT"));
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
