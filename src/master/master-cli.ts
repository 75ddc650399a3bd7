// The runtime API on the master's `stats socket`s (issue 16). The master
// answers `show proc` (HAProxy 2.6's layout), `reload`, and `show info` /
// `show stat` from the figures of all its workers (fleet-stats.ts, asked
// afresh for each command). Every other command of the workers' table goes
// to the ready workers of the current generation: one that changes state
// (set, enable, disable, add, del, clear, commit, abort) to each of them (and
// to those of a generation a reload is starting) —
// answered with their common answer, or the first that says it failed — and
// is recorded for new workers (runtime-changes.ts); one that reads (show,
// get) to worker 1 only. HAProxy's prefixes address one process: `@N CMD`
// worker N of the current generation, `@!PID CMD` any worker by pid (an old
// one still draining too), `@master CMD` the master itself; a command sent
// with them is not recorded.
import { type Answer, type Command, CommandTable, type Invocation, PERMISSION_DENIED, allows, say } from "../control/commands.ts";
import { STATS_COMMANDS } from "../control/proxy-commands.ts";
import { commandTable } from "../control/sockets.ts";
import type { ControlLevel } from "../config/types.ts";
import { statCsv } from "../stats/csv.ts";
import { statTyped } from "../stats/typed.ts";
import type { FleetStats } from "./fleet-stats.ts";
import type { Master, WorkerInfo } from "./master.ts";
import type { ResponseMessage, WorkerAsk } from "./protocol.ts";

export interface MasterCliContext {
  readonly master: Master;
  readonly stats: FleetStats;
  readonly pid: number;
  readonly version: string;
  /** Monotonic ms (the runtime's clock). */
  now(): number;
}

type MasterCommand = Command<MasterCliContext, Answer>;

/** Commands that only read: worker 1 answers them. */
const READING = new Set(["show", "get"]);

function cliAsk(words: readonly string[], payload: string | undefined): WorkerAsk {
  return payload === undefined ? { ask: "cli", words } : { ask: "cli", words, payload };
}

function answerText(response: ResponseMessage | undefined, w: WorkerInfo): string {
  if (response !== undefined && "answer" in response) return response.answer;
  return say(`worker ${w.worker} (pid ${w.pid}) did not answer`);
}

/**
 * One answer for the answers of several workers (in worker order): their
 * common one, else the first that does not say the change was made, else
 * worker 1's.
 */
export function pickAnswer(answers: readonly string[], applied: (answer: string) => boolean): string {
  const first = answers[0] ?? "";
  if (answers.every((a) => a === first)) return first;
  return answers.find((a) => !applied(a)) ?? first;
}

/** A change to every worker (of a reload's new generation too), recorded for the workers to come (the stats page's forms and JSON API send theirs so too). */
export function toAll(ctx: MasterCliContext, words: readonly string[], payload: string | undefined): Promise<string> {
  const { master } = ctx;
  return master.exclusive(async () => {
    const workers = master.changeTargets();
    if (workers.length === 0) return say("No worker is serving.");
    const answers = await Promise.all(workers.map(async (w) => answerText(await master.ask(w, cliAsk(words, payload)), w)));
    master.changes.record(words, payload, answers[0]!);
    return pickAnswer(answers, (a) => master.changes.applied(words, a));
  });
}

async function toOne(ctx: MasterCliContext, w: WorkerInfo | undefined, words: readonly string[], payload: string | undefined): Promise<string> {
  if (w === undefined) return say("No worker is serving.");
  return answerText(await ctx.master.ask(w, cliAsk(words, payload)), w);
}

/** A worker's command on the master: same words, usage and level; run by the workers. */
function forwarded(c: Command<never, Answer>): MasterCommand {
  const reads = READING.has(c.words[0]!);
  return {
    words: c.words,
    usage: c.usage,
    help: c.help,
    level: c.level,
    run(call: Invocation, ctx: MasterCliContext): Promise<string> {
      const words = [...c.words, ...call.args];
      return reads ? toOne(ctx, ctx.master.serving()[0], words, call.payload) : toAll(ctx, words, call.payload);
    },
  };
}

/** `show info` and `show stat` of the workers' table, answered from fresh merged figures. */
function summed(c: (typeof STATS_COMMANDS)[number]): MasterCommand {
  return {
    ...c,
    async run(call, ctx) {
      const f = await ctx.stats.fresh();
      return c.run(call, {
        stats: { statCsv: () => statCsv(f.rows), info: () => f.info, statTyped: () => statTyped(f.rows) },
      });
    },
  };
}

/** HAProxy's uptime in `show proc`: 0d00h01m02s. */
export function procUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h${two(Math.floor((s % 3600) / 60))}m${two(s % 60)}s`;
}

const cell = (text: string | number) => String(text).padEnd(15);

/** `show proc`, as HAProxy 2.6's master prints it (no relative pid column since 2.5; `@N` still addresses worker N). */
export function showProc(ctx: MasterCliContext, now: number): string {
  const { master } = ctx;
  const row = (pid: number, type: string, reloads: string | number, startedAt: number) =>
    `${cell(pid)} ${cell(type)} ${cell(reloads)} ${cell(procUptime(now - startedAt))} ${cell(ctx.version)}\n`;
  let out = `#${"<PID>".padEnd(14)} ${cell("<type>")} ${cell("<reloads>")} ${cell("<uptime>")} ${cell("<version>")}\n`;
  out += row(ctx.pid, "master", `${master.reloads} [failed: ${master.failedReloads}]`, master.startedAt);
  const all = master.processes().sort((a, b) => a.generation - b.generation || a.worker - b.worker);
  const current = all.filter((w) => w.generation === master.currentGeneration);
  const old = all.filter((w) => w.generation !== master.currentGeneration);
  out += "# workers\n";
  for (const w of current) out += row(w.pid, "worker", 0, w.startedAt);
  if (old.length > 0) {
    out += "# old workers\n";
    for (const w of old) out += row(w.pid, "worker", master.currentGeneration - w.generation, w.startedAt);
  }
  return `${out}# programs\n`;
}

const MASTER_COMMANDS: readonly MasterCommand[] = [
  {
    words: ["show", "proc"],
    usage: "show proc",
    help: "show processes status",
    level: "user",
    run: (_call, ctx) => showProc(ctx, ctx.now()),
  },
  {
    words: ["reload"],
    usage: "reload",
    help: "reload sluice (the configuration is checked first)",
    level: "admin",
    async run(_call, ctx) {
      // HAProxy 2.6 answers nothing (its master re-executes); sluice answers once the new workers serve, or says why not.
      const result = await ctx.master.reload();
      return result.ok ? "" : say([result.reason, ...result.errors].join("\n"));
    },
  },
  ...STATS_COMMANDS.map(summed),
];

/** The master's table: its own commands, the workers' forwarded, and the `@` prefixes. */
export class MasterCommandTable extends CommandTable<MasterCliContext, Answer> {
  private readonly workerTable = commandTable();

  constructor() {
    const own = new Set(MASTER_COMMANDS.map((c) => c.words.join(" ")));
    const theirs = commandTable().commands.filter((c) => !own.has(c.words.join(" ")));
    super([...MASTER_COMMANDS, ...theirs.map((c) => forwarded(c))]);
  }

  override run(words: readonly string[], payload: string | undefined, level: ControlLevel, ctx: MasterCliContext): Answer {
    const at = words[0];
    if (at === undefined || !at.startsWith("@")) return super.run(words, payload, level, ctx);
    const rest = words.slice(1);
    if (at === "@master") return super.run(rest, payload, level, ctx);
    // HAProxy's `@1` alone makes worker 1 the connection's target for what follows; sluice asks for the command on the same line.
    if (rest.length === 0) return say(`'${at}' needs a command after it (e.g. '${at} show info')`);
    const needed = this.workerTable.find(rest);
    if (needed !== undefined && !allows(level, needed.level)) return PERMISSION_DENIED;
    const target = at.startsWith("@!")
      ? ctx.master.processes().find((w) => String(w.pid) === at.slice(2))
      : ctx.master.serving().find((w) => String(w.worker) === at.slice(1));
    if (target === undefined) return say(`Can't find the target PID matching the prefix '${at}'`);
    return toOne(ctx, target, rest, payload);
  }
}
