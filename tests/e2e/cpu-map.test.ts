// `cpu-map` on real processes: HAProxy 2.6 (master-worker, `nbthread 2`)
// and sluice (master-worker, 2 workers) run the same haproxy.cfg, and the
// CPUs each of HAProxy's threads may run on (/proc/PID/task/TID/status) are
// those of sluice's worker of the same number, every thread of that worker
// (the runtime's own threads too). A single sluice process is worker 1.
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, spawnSluice, stopSluice, tempDir, waitFor } from "./harness.ts";

/** The CPUs this test may use: the first two it is allowed (the same one twice on a one-CPU machine). */
const allowed = cpuList(readFileSync("/proc/self/status", "utf8"));
const [A, B] = [allowed[0]!, allowed[1] ?? allowed[0]!];
const ALL = allowed.join(",");

function cpuList(status: string): number[] {
  const text = /Cpus_allowed_list:\s*(\S+)/.exec(status)![1]!;
  return text.split(",").flatMap((part) => {
    const [lo, hi] = part.split("-").map(Number) as [number, number?];
    return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
  });
}

/** Each thread's CPUs, in thread order (the main thread first, then by id), as "0,1". */
function threadCpus(pid: number): string[] {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b));
  return tids.map((tid) => cpuList(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8")).join(","));
}

function config(port: number, lines: string): string {
  return `global
    master-worker
    nbthread 2
${lines}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200
`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(!!s.destroy()));
    s.once("error", () => resolve(false));
  });
}

/** HAProxy's worker threads' CPUs, thread 1 first. */
async function haproxyThreads(file: string, port: number): Promise<string[]> {
  const master = spawn("haproxy", ["-W", "-f", file], { stdio: "ignore" });
  try {
    for (let i = 0; i < 500 && !(await canConnect(port)); i++) await sleep(20);
    let worker = 0;
    await waitFor(() => {
      const children = readFileSync(`/proc/${master.pid}/task/${master.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      worker = Number(children[0] ?? 0);
      return worker > 0 && readdirSync(`/proc/${worker}/task`).length === 2;
    }, 10000, "haproxy's worker and its 2 threads");
    // The threads pin themselves as they start: give them a moment past listening.
    await sleep(200);
    return threadCpus(worker);
  } finally {
    master.kill("SIGTERM");
    await new Promise((r) => master.once("exit", r));
  }
}

/** Worker number → pid, from the master's lines. */
function workerPids(run: Run): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of run.errLines) {
    const m = /worker (\d+) listening \(pid (\d+)/.exec(line);
    if (m) pids.set(Number(m[1]), Number(m[2]));
  }
  return pids;
}

const CASES: { name: string; lines: string; threads: string[] }[] = [
  { name: "auto: one CPU each", lines: `    cpu-map auto:1/1-2 ${A} ${B}`, threads: [`${A}`, `${B}`] },
  { name: "every thread on one CPU (1/all)", lines: `    cpu-map 1/all ${B}`, threads: [`${B}`, `${B}`] },
  { name: "the second thread only (all/2)", lines: `    cpu-map all/2 ${B}`, threads: [ALL, `${B}`] },
  { name: "the whole process (1)", lines: `    cpu-map 1 ${A}`, threads: [`${A}`, `${A}`] },
  { name: "a thread that does not run (1/3)", lines: `    cpu-map 1/3 ${A}`, threads: [ALL, ALL] },
  { name: "the process set ignored (2/1-2, as HAProxy 2.6 has one process)", lines: `    cpu-map 2/1-2 ${B}`, threads: [`${B}`, `${B}`] },
  { name: "auto over every process (auto:all/1-2)", lines: `    cpu-map auto:all/1-2 ${A} ${B}`, threads: [`${A}`, `${B}`] },
].filter((c) => A !== B || !c.lines.includes("auto:")); // auto: needs two CPUs for two threads

const dir = tempDir();
const runs: Run[] = [];
afterAll(async () => {
  for (const run of runs) await stopSluice(run);
});

describe("cpu-map beside HAProxy", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      let reference: string[] = [];
      test("HAProxy's threads", async () => {
        const port = await freePort();
        const file = join(dir, `haproxy-${CASES.indexOf(c)}.cfg`);
        writeFileSync(file, config(port, c.lines));
        const threads = await haproxyThreads(file, port);
        // The worker's two threads, as the case says HAProxy pins them.
        expect(threads).toEqual(c.threads);
        reference = threads;
      });
      for (const target of selectedTargets()) {
        test(`sluice ${target.name}: worker N on HAProxy's thread N's CPUs, every thread of it`, async () => {
          const port = await freePort();
          const file = join(dir, `sluice-${target.name}-${CASES.indexOf(c)}.cfg`);
          writeFileSync(file, config(port, c.lines));
          const run = spawnSluice(target, ["-f", file]);
          runs.push(run);
          await waitFor(() => run.proc.exitCode !== null || workerPids(run).size === 2, 20000, `sluice ${target.name} workers`);
          expect(run.proc.exitCode).toBeNull();
          const pids = workerPids(run);
          const perWorker = [1, 2].map((n) => [...new Set(threadCpus(pids.get(n)!))]);
          // Every thread of a worker alike: one set per worker.
          expect(perWorker.map((sets) => sets.length)).toEqual([1, 1]);
          expect(perWorker.map((sets) => sets[0])).toEqual(reference.length > 0 ? reference : c.threads);
          // The master is not pinned (nor is HAProxy's).
          expect([...new Set(threadCpus(run.proc.pid))]).toEqual([ALL]);
          await stopSluice(run);
        }, 40000);
      }
    });
  }
});

describe("a single process is worker 1", () => {
  for (const target of selectedTargets()) {
    test(`sluice ${target.name}: cpu-map 1/1 pins every thread of the process`, async () => {
      const port = await freePort();
      const file = join(dir, `single-${target.name}.cfg`);
      writeFileSync(file, config(port, `    cpu-map 1/1 ${B}`).replace("    master-worker\n    nbthread 2\n", ""));
      const run = spawnSluice(target, ["-f", file]);
      runs.push(run);
      await waitFor(() => run.proc.exitCode !== null || run.errLines.some((l) => l.includes(") ready")), 20000, `sluice ${target.name} ready`);
      expect(run.proc.exitCode).toBeNull();
      expect([...new Set(threadCpus(run.proc.pid))]).toEqual([`${B}`]);
      await stopSluice(run);
    }, 40000);
  }
});

describe("a CPU the system does not have", () => {
  for (const target of selectedTargets()) {
    test(`sluice ${target.name}: the worker serves unpinned, with a warning`, async () => {
      const port = await freePort();
      const file = join(dir, `missing-${target.name}.cfg`);
      writeFileSync(file, config(port, "    cpu-map 1/2 1023"));
      const run = spawnSluice(target, ["-f", file]);
      runs.push(run);
      await waitFor(() => run.proc.exitCode !== null || workerPids(run).size === 2, 20000, `sluice ${target.name} workers`);
      expect(run.errLines.some((l) => l.includes("cpu-map: worker 2 not pinned to CPUs 1023") && l.includes("EINVAL"))).toBe(true);
      expect([...new Set(threadCpus(workerPids(run).get(2)!))]).toEqual([ALL]);
      expect(await canConnect(port)).toBe(true);
      await stopSluice(run);
    }, 40000);
  }
});
