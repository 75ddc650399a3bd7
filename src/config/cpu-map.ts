// HAProxy's `cpu-map [auto:]<process-set>[/<thread-set>] <cpu-set>...`
// (global), read as pure functions: which CPUs each worker process may run
// on. sluice runs one thread per process, so HAProxy's thread N is sluice's
// worker N (a single process is worker 1), and HAProxy 2.6's only process is
// all of them. The words are read as HAProxy 2.6's parse_process_number and
// parse_cpu_set read them, with the same messages.
//
// What a worker gets: its own thread-level set; where a process-level set
// is given too, the CPUs both allow (when they share any); otherwise the
// process-level set. Threads past the workers that run are ignored, as
// HAProxy ignores threads past nbthread.

/** Process and thread numbers go from 1 to this (HAProxy's LONGBITS on 64-bit systems). */
export const MAX_SET_NUMBER = 64;
/** CPU numbers go from 0 to this minus one (glibc's CPU_SETSIZE, HAProxy's ha_cpuset_size()). */
export const CPU_SET_SIZE = 1024;

/** The CPU sets of a configuration's cpu-map lines. */
export interface CpuMap {
  /** A process-level line (`cpu-map 1 0-3`): every worker's CPUs, ascending. */
  process?: number[];
  /** Thread-level lines (`cpu-map 1/2 1`), by worker number: that worker's CPUs, ascending. */
  workers: Record<number, number[]>;
}

/** A process or thread set: its numbers (1-based, ascending), or what is wrong. */
export function parseNumberSet(word: string): number[] | string {
  const all = (keep: (n: number) => boolean) => Array.from({ length: MAX_SET_NUMBER }, (_, i) => i + 1).filter(keep);
  if (word === "all") return all(() => true);
  if (word === "odd") return all((n) => n % 2 === 1);
  if (word === "even") return all((n) => n % 2 === 0);
  if (!/^\d*-?\d*$/.test(word)) return `'${word}' is not a valid number/range.`;
  const dash = word.indexOf("-");
  let low = leadingNumber(word);
  let high = dash < 0 ? low : dash === word.length - 1 ? MAX_SET_NUMBER : leadingNumber(word.slice(dash + 1));
  if (high < low) [low, high] = [high, low];
  if (low < 1 || low > MAX_SET_NUMBER || high > MAX_SET_NUMBER) {
    return `'${word}' is not a valid number/range. It supports numbers from 1 to ${MAX_SET_NUMBER}.`;
  }
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

/** The CPU words of a line (`0-3`, `5`, `4-`): the CPUs, ascending and once each, or what is wrong. */
export function parseCpuSet(words: readonly string[]): number[] | string {
  const cpus = new Set<number>();
  for (const word of words) {
    if (!/^\d/.test(word)) return `'${word}' is not a CPU range.`;
    const dash = word.indexOf("-");
    let low = leadingNumber(word);
    let high = dash < 0 ? low : dash === word.length - 1 ? CPU_SET_SIZE - 1 : leadingNumber(word.slice(dash + 1));
    if (high < low) [low, high] = [high, low];
    if (high >= CPU_SET_SIZE) return `supports CPU numbers from 0 to ${CPU_SET_SIZE - 1}.`;
    for (let cpu = low; cpu <= high; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** C's strtoul on the leading digits (what HAProxy's str2uic reads): "" and "x" are 0, digits stop at the first non-digit. */
function leadingNumber(text: string): number {
  const digits = /^\d*/.exec(text)![0];
  return digits === "" ? 0 : Math.min(Number(digits), 2 ** 32 - 1);
}

/** One cpu-map line's words folded into `map` (later lines replace what they name), or HAProxy's message for what is wrong. */
export function addCpuMapLine(map: CpuMap, args: readonly string[]): string | undefined {
  if (args.length < 2) {
    return `cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to ${MAX_SET_NUMBER} or a range),  followed by a list of CPU ranges with numbers from 0 to ${MAX_SET_NUMBER - 1}.`;
  }
  let target = args[0]!;
  const auto = target.startsWith("auto:");
  if (auto) target = target.slice(5);
  const slash = target.indexOf("/");
  const processes = parseNumberSet(slash < 0 ? target : target.slice(0, slash));
  if (typeof processes === "string") return `cpu-map : ${processes}`;
  const threads = slash < 0 ? [] : parseNumberSet(target.slice(slash + 1));
  if (typeof threads === "string") return `cpu-map : ${threads}`;
  const cpus = parseCpuSet(args.slice(1));
  if (typeof cpus === "string") return `cpu-map : ${cpus}`;
  if (auto && processes.length !== cpus.length && threads.length !== cpus.length) {
    return "cpu-map : PROC/THREAD range and CPU sets must have the same size to be automatically bound";
  }
  // auto: one CPU each, in order, to the numbers named (past the CPUs given, none).
  const each = (i: number): number[] => (auto ? (i < cpus.length ? [cpus[i]!] : []) : cpus);
  // HAProxy 2.6 has one process: the process set is read and checked, then ignored (measured: `cpu-map 2 1` and
  // `cpu-map odd/2 1` pin as `cpu-map 1 1` and `cpu-map 1/2 1` do).
  if (threads.length === 0) map.process = each(0);
  else threads.forEach((worker, i) => (map.workers[worker] = each(i)));
  return undefined;
}

/** The CPUs worker `worker` (1-based) runs on, or undefined: not pinned. */
export function workerCpus(map: CpuMap | undefined, worker: number): number[] | undefined {
  if (map === undefined) return undefined;
  const own = map.workers[worker];
  const process = map.process;
  if (own === undefined || own.length === 0) return process !== undefined && process.length > 0 ? process : undefined;
  if (process === undefined || process.length === 0) return own;
  const both = own.filter((cpu) => process.includes(cpu));
  return both.length > 0 ? both : process;
}
