// The master of the master-worker mode (issue 16), as HAProxy's: it reads and
// checks the configuration, starts the workers (each runs the whole proxy and
// listens on every bind with SO_REUSEPORT, so the kernel spreads connections),
// restarts a worker that dies, reloads and stops. It never proxies traffic.
//
// A reload reads and checks the configuration first: a bad one is refused with
// its errors and the running workers keep serving. A good one starts a new
// generation of workers, waits until every one of them listens (its "ready"
// on the control channel), and only then asks the old ones to stop softly
// (stop accepting, finish what is in flight, exit by hard-stop-after). A
// new worker that exits or is not ready in time fails the reload the same way.
//
// The master also asks its workers (protocol.ts requests): their figures for
// the stats it serves, and the runtime API commands its socket forwards. The
// runtime changes it recorded (runtime-changes.ts) are replayed to each new
// worker before it counts as ready, so a reload or a restart keeps them.
import { tellServiceManager } from "./service-manager.ts";
import type { LoadResult } from "../config/load.ts";
import { warningLine } from "../config/errors.ts";
import type { Config } from "../config/types.ts";
import type { ChildProcess, HostRuntime, Listener, Socket, TimerHandle } from "../runtime/types.ts";
import {
  encodeMessage,
  isReady,
  isUnlistened,
  isResponse,
  isServerState,
  MASTER_SOCKET_ENV,
  MessageReader,
  type ResponseMessage,
  type ServerStateMessage,
  WORKER_NUMBER_ENV,
  type WorkerAsk,
} from "./protocol.ts";
import { RuntimeChanges } from "./runtime-changes.ts";

/** How long a new worker may take to listen before the start or reload fails. */
const READY_TIMEOUT_MS = 20000;
/** After hard-stop-after, how long a stopping worker has before it is killed. */
const KILL_GRACE_MS = 3000;
/** How long a reload waits for an old worker to say its listeners are closed before it stops the next (it answers within a millisecond or two). */
const UNLISTEN_WAIT_MS = 1000;
/** A worker that keeps dying is restarted after this delay, doubled each time up to the max. */
const RESTART_DELAY_MS = 100;
const RESTART_DELAY_MAX_MS = 5000;
/** A worker that lived this long resets the restart delay. */
const HEALTHY_AFTER_MS = 10000;
/** A worker that does not answer a request within this is taken as having no answer. */
const REQUEST_TIMEOUT_MS = 5000;

export interface MasterOptions {
  runtime: HostRuntime;
  /** Reads and checks the configuration files (again at each reload). */
  load(): LoadResult;
  /** The arguments a worker is started with (its own `run -f ...`). */
  workerArgs: readonly string[];
  /** Where the control socket lives (a directory of this master's own). */
  socketPath: string;
  /** The master's own messages (stderr). */
  log(line: string): void;
}

type WorkerState = "starting" | "ready" | "stopping" | "exited";

/** One worker process, as the master sees it (HAProxy's `show proc` row). */
export interface WorkerInfo {
  readonly worker: number;
  readonly pid: number;
  readonly generation: number;
  readonly state: WorkerState;
  /** Monotonic ms when it was started. */
  readonly startedAt: number;
  readonly restarts: number;
}

class WorkerProcess implements WorkerInfo {
  state: WorkerState = "starting";
  socket: Socket | undefined;
  readonly startedAt: number;
  private readyWaiters: ((ok: boolean) => void)[] = [];
  killTimer: TimerHandle | undefined;
  /** Requests sent and not yet answered, by id. */
  readonly pending = new Map<number, (response: ResponseMessage | undefined) => void>();

  constructor(
    readonly worker: number,
    readonly generation: number,
    readonly config: Config,
    readonly child: ChildProcess,
    readonly restarts: number,
    readonly hardStopAfter: number,
    now: number,
  ) {
    this.startedAt = now;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Resolves true once ready, false if it exits first. */
  ready(): Promise<boolean> {
    if (this.state === "ready") return Promise.resolve(true);
    if (this.state !== "starting") return Promise.resolve(false);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  settle(ok: boolean): void {
    for (const wake of this.readyWaiters.splice(0)) wake(ok);
  }

  private unlistenedWaiters: (() => void)[] = [];
  private listenersClosed = false;

  /** Resolves once its listeners are closed (it said so, or it exited), or after `waitMs`. */
  unlistened(runtime: MasterOptions["runtime"], waitMs: number): Promise<void> {
    if (this.listenersClosed || this.state === "exited") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = runtime.setTimer(resolve, waitMs);
      this.unlistenedWaiters.push(() => {
        runtime.clearTimer(timer);
        resolve();
      });
    });
  }

  /** Its listeners are closed (its answer to "stop"), or it exited. */
  stoppedListening(): void {
    this.listenersClosed = true;
    for (const wake of this.unlistenedWaiters.splice(0)) wake();
  }

  /** The control connection is gone: every request still waiting has no answer. */
  unanswered(): void {
    for (const wake of this.pending.values()) wake(undefined);
    this.pending.clear();
  }
}

export type ReloadResult =
  | { readonly ok: true; readonly generation: number; readonly workers: readonly number[] }
  | { readonly ok: false; readonly reason: string; readonly errors: readonly string[] };

export class Master {
  private config: Config;
  private generation = 0;
  private readonly workers = new Set<WorkerProcess>();
  private control: Listener | undefined;
  private stopping = false;
  /** Reloads run one at a time, in order of request. */
  private reloadQueue: Promise<unknown> = Promise.resolve();
  private restartDelay = RESTART_DELAY_MS;
  private allExited: (() => void) | undefined;
  /** The last state the checking worker decided for each server, per generation ("backend/server" keys). */
  private readonly verdicts = new Map<number, Map<string, ServerStateMessage>>();
  private nextRequest = 1;
  /** Runtime changes and replays, one at a time (exclusive()). */
  private changeQueue: Promise<unknown> = Promise.resolve();
  /** Runtime changes applied through the master's socket, replayed to every new worker. */
  readonly changes = new RuntimeChanges();
  /** `show proc`: reloads done and refused, and when the master started (monotonic ms). */
  reloads = 0;
  failedReloads = 0;
  readonly startedAt: number;

  constructor(config: Config, private readonly options: MasterOptions) {
    this.config = config;
    this.startedAt = options.runtime.now();
  }

  /** The workers the configuration asks for (`workers auto`: one per core). */
  private workerCount(config: Config): number {
    const n = config.global.workers;
    return n === "auto" ? Math.max(1, this.options.runtime.cpuCount()) : n;
  }

  /** Opens the control socket and starts the first workers; rejects (after stopping them) if they do not all listen. */
  async start(): Promise<void> {
    this.control = await this.options.runtime.listenUnix(this.options.socketPath, (s) => this.accept(s));
    const started = await this.startGeneration(this.config);
    if (!started.ok) {
      this.control.close();
      throw new Error(started.reason);
    }
  }

  /** Every worker still running (for `show proc`). */
  processes(): WorkerInfo[] {
    return [...this.workers].filter((w) => w.state !== "exited");
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** The ready workers of the current generation, by worker number (those the runtime API and the stats ask). */
  serving(): WorkerInfo[] {
    return [...this.workers]
      .filter((w) => w.generation === this.generation && w.state === "ready")
      .sort((a, b) => a.worker - b.worker);
  }

  /**
   * The workers a runtime change goes to: the ready ones of the current
   * generation and those of a generation a reload is starting (ready: they
   * got the record replayed already).
   */
  changeTargets(): WorkerInfo[] {
    return [...this.workers]
      .filter((w) => w.generation >= this.generation && w.state === "ready")
      .sort((a, b) => a.generation - b.generation || a.worker - b.worker);
  }

  /**
   * Runs `fn` alone among the runtime changes and the replays to new workers,
   * so that a change made during a reload is either in a new worker's replay
   * or sent to it once it is ready, never neither.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.changeQueue.then(fn);
    this.changeQueue = next.catch(() => {});
    return next;
  }

  /** Asks one worker; undefined when it is gone, not on the control channel, or silent for too long. */
  ask(info: WorkerInfo, ask: WorkerAsk): Promise<ResponseMessage | undefined> {
    const w = [...this.workers].find((o) => o === info);
    const socket = w?.socket;
    if (w === undefined || socket === undefined || socket.closed) return Promise.resolve(undefined);
    const id = this.nextRequest++;
    const rt = this.options.runtime;
    return new Promise((resolve) => {
      const timer = rt.setTimer(() => {
        w.pending.delete(id);
        resolve(undefined);
      }, REQUEST_TIMEOUT_MS);
      w.pending.set(id, (response) => {
        rt.clearTimer(timer);
        resolve(response);
      });
      socket.write(encodeMessage({ type: "request", id, ...ask }));
    });
  }

  /**
   * Reloads (SIGUSR2, SIGHUP, the runtime API's `reload`): reads and checks the
   * configuration; a bad one is refused and the running workers keep serving;
   * a good one starts new workers and soft-stops the old ones once the new
   * ones listen. Concurrent requests run one after the other.
   */
  reload(): Promise<ReloadResult> {
    const next = this.reloadQueue.then(() => this.reloadNow()).then((result) => {
      if (result.ok) this.reloads++;
      else this.failedReloads++;
      return result;
    });
    this.reloadQueue = next.catch(() => {});
    return next;
  }

  private async reloadNow(): Promise<ReloadResult> {
    if (this.stopping) return { ok: false, reason: "the master is stopping", errors: [] };
    tellServiceManager(this.options.runtime, "reloading", this.options.log);
    const result = await this.reloadGeneration();
    // Serving again, with the new workers or the old ones.
    if (!this.stopping) tellServiceManager(this.options.runtime, "ready", this.options.log);
    return result;
  }

  private async reloadGeneration(): Promise<ReloadResult> {
    const loaded = this.options.load();
    for (const w of loaded.warnings) this.options.log(warningLine(w));
    if (!loaded.ok) {
      const errors = loaded.errors.map((e) => e.message);
      for (const e of errors) this.options.log(e);
      const reason = `reload refused: ${errors.length} error${errors.length === 1 ? "" : "s"} in the configuration; ` +
        `the running workers keep serving`;
      this.options.log(reason);
      return { ok: false, reason, errors };
    }
    const old = [...this.workers].filter((w) => w.state === "starting" || w.state === "ready");
    const started = await this.startGeneration(loaded.config);
    if (!started.ok) {
      this.options.log(`reload failed: ${started.reason}; the running workers keep serving`);
      return { ok: false, reason: started.reason, errors: [] };
    }
    this.config = loaded.config;
    // One after the other: a closing listener hands the connections queued on
    // it to another listener of its port (tcp_migrate_req), and one that is
    // closing at the same moment cannot take them: the kernel resets them.
    for (const w of old) {
      this.softStop(w);
      await w.unlistened(this.options.runtime, UNLISTEN_WAIT_MS);
    }
    this.options.log(`reload done: generation ${this.generation} serving (workers ${started.pids.join(", ")}); ` +
      `${old.length} old worker(s) finishing`);
    return { ok: true, generation: this.generation, workers: started.pids };
  }

  /** Graceful stop of every worker, then resolves (the caller exits). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => (this.allExited = resolve));
    for (const w of this.workers) this.softStop(w);
    this.checkAllExited();
    await exited;
    this.control?.close();
  }

  /** A second stop signal: every worker is killed now. */
  kill(): void {
    for (const w of this.workers) if (w.state !== "exited") w.child.kill("SIGKILL");
  }

  private checkAllExited(): void {
    if (this.stopping && [...this.workers].every((w) => w.state === "exited")) this.allExited?.();
  }

  private async startGeneration(config: Config): Promise<{ ok: true; pids: number[] } | { ok: false; reason: string }> {
    const generation = this.generation + 1;
    const count = this.workerCount(config);
    const fresh: WorkerProcess[] = [];
    for (let n = 1; n <= count; n++) fresh.push(this.spawn(n, generation, config, 0));
    let timer: TimerHandle | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = this.options.runtime.setTimer(() => resolve("timeout"), READY_TIMEOUT_MS);
    });
    const readiness = Promise.all(fresh.map((w) => w.ready())).then((all) => all.every(Boolean));
    const outcome = await Promise.race([readiness, timeout]);
    if (timer !== undefined) this.options.runtime.clearTimer(timer);
    if (outcome === true) {
      this.generation = generation;
      return { ok: true, pids: fresh.map((w) => w.pid) };
    }
    // Not all of them listen: none of them serves (the old generation goes on).
    for (const w of fresh) if (w.state !== "exited") this.terminate(w);
    const reason = outcome === "timeout"
      ? `new workers not ready within ${READY_TIMEOUT_MS} ms`
      : "a new worker exited before it was ready (its errors are above)";
    return { ok: false, reason };
  }

  private spawn(worker: number, generation: number, config: Config, restarts: number): WorkerProcess {
    const rt = this.options.runtime;
    const child = rt.spawnSelf({
      args: this.options.workerArgs,
      env: { [MASTER_SOCKET_ENV]: this.options.socketPath, [WORKER_NUMBER_ENV]: String(worker) },
    });
    const w = new WorkerProcess(worker, generation, config, child, restarts, config.global.hardStopAfter, rt.now());
    this.workers.add(w);
    child.exited.then((how) => this.exited(w, how.code, how.signal));
    return w;
  }

  /** A worker's control connection: it says ready with its pid. */
  private accept(socket: Socket): void {
    const reader = new MessageReader();
    let owner: WorkerProcess | undefined;
    socket.events = {
      data: (chunk) => {
        for (const message of reader.push(chunk)) {
          if (owner !== undefined && isServerState(message)) this.relay(owner, message);
          if (owner !== undefined && isUnlistened(message)) owner.stoppedListening();
          if (owner !== undefined && isResponse(message)) {
            const wake = owner.pending.get(message.id);
            owner.pending.delete(message.id);
            wake?.(message);
          }
          if (!isReady(message)) continue;
          owner = [...this.workers].find((w) => w.pid === message.pid && w.state === "starting");
          if (owner === undefined) {
            socket.destroy();
            return;
          }
          owner.socket = socket;
          // A worker started again catches up with the servers' states (the checker too: its checks go on from there).
          for (const verdict of this.verdicts.get(owner.generation)?.values() ?? []) socket.write(encodeMessage(verdict));
          void this.replayThenReady(owner);
        }
      },
      drain() {},
      end: () => socket.end(),
      close: () => {
        if (owner === undefined) return;
        owner.socket = undefined;
        owner.unanswered();
      },
    };
  }

  /**
   * The runtime changes recorded so far, for the servers and maps of this
   * worker's configuration, applied before the worker counts as ready (so a
   * reload stops the old workers only once the new ones carry the changes).
   */
  private replayThenReady(w: WorkerProcess): Promise<void> {
    return this.exclusive(() => this.replayNow(w));
  }

  private async replayNow(w: WorkerProcess): Promise<void> {
    const commands = this.changes.replay(w.config);
    for (const c of commands) {
      const response = await this.ask(w, { ask: "cli", words: c.words, ...(c.payload === undefined ? {} : { payload: c.payload }) });
      const answer = response !== undefined && "answer" in response ? response.answer : "no answer";
      if (!this.changes.applied(c.words, answer)) this.options.log(`worker ${w.worker} (pid ${w.pid}): replaying '${c.words.join(" ")}': ${answer.trim()}`);
    }
    if (w.state !== "starting") return;
    w.state = "ready";
    w.settle(true);
    const replayed = commands.length === 0 ? "" : `; ${commands.length} runtime change(s) replayed`;
    this.options.log(`worker ${w.worker} listening (pid ${w.pid}, generation ${w.generation})${replayed}`);
  }

  /** A change of state the checking worker decided: kept, and passed to its generation's other workers. */
  private relay(from: WorkerProcess, message: ServerStateMessage): void {
    const { backend, server, op, result } = message;
    const verdict: ServerStateMessage = { type: "server-state", backend, server, op, result };
    let known = this.verdicts.get(from.generation);
    if (known === undefined) this.verdicts.set(from.generation, (known = new Map()));
    known.set(`${backend}/${server}`, verdict);
    for (const w of this.workers) {
      if (w !== from && w.generation === from.generation && w.state === "ready") w.socket?.write(encodeMessage(verdict));
    }
  }

  /** Asks a worker to stop softly; it is killed if still there after its hard-stop-after and a grace. */
  private softStop(w: WorkerProcess): void {
    if (w.state === "exited" || w.state === "stopping") return;
    const wasReady = w.state === "ready";
    w.state = "stopping";
    w.settle(false);
    if (wasReady && w.socket !== undefined) w.socket.write(encodeMessage({ type: "stop" }));
    // Not yet on the control channel: SIGTERM is the same graceful stop.
    else w.child.kill("SIGTERM");
    w.killTimer = this.options.runtime.setTimer(() => {
      if (w.state === "exited") return;
      this.options.log(`worker ${w.worker} (pid ${w.pid}) still running after hard-stop-after: killed`);
      w.child.kill("SIGKILL");
    }, w.hardStopAfter + KILL_GRACE_MS);
  }

  private terminate(w: WorkerProcess): void {
    w.state = "stopping";
    w.settle(false);
    w.child.kill("SIGKILL");
  }

  private exited(w: WorkerProcess, code: number | null, signal: string | null): void {
    const was = w.state;
    w.state = "exited";
    w.settle(false);
    w.stoppedListening();
    w.unanswered();
    if (w.killTimer !== undefined) this.options.runtime.clearTimer(w.killTimer);
    this.workers.delete(w);
    if (![...this.workers].some((o) => o.generation === w.generation)) this.verdicts.delete(w.generation);
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (was === "stopping") {
      this.options.log(`worker ${w.worker} (pid ${w.pid}, generation ${w.generation}) exited (${how})`);
    } else if (!this.stopping && w.generation === this.generation) {
      // A serving worker died, or its replacement died before listening: again, later.
      this.restartLater(w, how);
    } else if (was === "starting") {
      this.options.log(`worker ${w.worker} (pid ${w.pid}) exited before it was ready (${how})`);
    }
    this.checkAllExited();
  }

  /** An unexpected exit of a serving worker: logged, and the same worker number started again. */
  private restartLater(w: WorkerProcess, how: string): void {
    const lived = this.options.runtime.now() - w.startedAt;
    if (lived > HEALTHY_AFTER_MS) this.restartDelay = RESTART_DELAY_MS;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_DELAY_MAX_MS, this.restartDelay * 2);
    this.options.log(`worker ${w.worker} (pid ${w.pid}) died unexpectedly (${how}); starting a new one in ${delay} ms`);
    this.options.runtime.setTimer(() => {
      if (this.stopping || w.generation !== this.generation) return;
      const next = this.spawn(w.worker, w.generation, this.config, w.restarts + 1);
      void next.ready();
    }, delay);
  }
}
