// The master's side of the figures and the runtime API: merging the workers'
// answers, picking one answer of several, `show proc`'s layout, and the
// command table's routing over a stand-in master (the real one in
// tests/e2e/master-stats.test.ts).
import { describe, expect, test } from "bun:test";
import { FleetStats, mergeFigures } from "../../../src/master/fleet-stats.ts";
import { MasterCommandTable, pickAnswer, procUptime, showProc, type MasterCliContext } from "../../../src/master/master-cli.ts";
import type { WorkerAsk, WorkerFigures } from "../../../src/master/protocol.ts";
import { RuntimeChanges } from "../../../src/master/runtime-changes.ts";
import type { StatRow } from "../../../src/stats/types.ts";

function worker(pid: number, stot: number, req: number): WorkerFigures {
  const rows: StatRow[] = [
    { pxname: "web", svname: "FRONTEND", scur: 1, smax: 3, stot, req_tot: req, pid, type: 0 },
    { pxname: "app", svname: "s1", scur: 0, smax: 2, stot, weight: 1, status: "UP", pid, type: 2 },
  ];
  return {
    rows,
    info: [
      { name: "Nbproc", value: 1 },
      { name: "Process_num", value: pid - 100 },
      { name: "Pid", value: pid },
      { name: "CumConns", value: stot, summed: true },
    ],
    durations: [{ proxy: "app", bounds: [0.1, 1], counts: [stot, 1, 0], sum: stot / 10, count: stot + 1 }],
  };
}

describe("the figures of all workers", () => {
  test("counters add up, maxima take the highest, configuration comes from the first; info speaks for the master", () => {
    const merged = mergeFigures([worker(101, 7, 7), worker(102, 5, 5)], { pid: 100 });
    expect(merged.rows.find((r) => r.svname === "FRONTEND")).toMatchObject({ stot: 12, req_tot: 12, scur: 2, smax: 3, pid: 101 });
    expect(merged.rows.find((r) => r.svname === "s1")).toMatchObject({ stot: 12, weight: 1, status: "UP" });
    expect(merged.info).toEqual([
      { name: "Nbproc", value: 2 },
      { name: "Process_num", value: 0 },
      { name: "Pid", value: 100 },
      { name: "CumConns", value: 12, summed: true },
    ]);
    expect(merged.durations).toEqual([{ proxy: "app", bounds: [0.1, 1], counts: [12, 2, 0], sum: 1.2, count: 14 }]);
  });

  test("the cache is what the listener reads; fresh() asks again, concurrent calls share one round", async () => {
    let asked = 0;
    let stot = 1;
    const stats = new FleetStats(async () => {
      asked++;
      return [worker(101, stot, 1), worker(102, stot, 1)];
    }, { pid: 100 });
    expect(stats.rows()).toEqual([]);
    await Promise.all([stats.fresh(), stats.fresh()]);
    expect(asked).toBe(1);
    expect(stats.rows()[0]!.stot).toBe(2);
    stot = 10;
    expect(stats.rows()[0]!.stot).toBe(2);
    await stats.fresh();
    expect(asked).toBe(2);
    expect(stats.rows()[0]!.stot).toBe(20);
  });
});

describe("the master's runtime API", () => {
  const applied = (a: string) => a.trim() === "";

  test("one answer for several workers: the common one, else the first failure, else worker 1's", () => {
    expect(pickAnswer(["", ""], applied)).toBe("");
    expect(pickAnswer(["", "No such server.\n"], applied)).toBe("No such server.\n");
    expect(pickAnswer(["Transaction created\n", "Transaction created\n"], applied)).toBe("Transaction created\n");
    expect(pickAnswer(["a\n", "b\n"], () => true)).toBe("a\n");
  });

  test("uptime as HAProxy writes it", () => {
    expect(procUptime(0)).toBe("0d00h00m00s");
    expect(procUptime((((1 * 24 + 2) * 60 + 3) * 60 + 4) * 1000 + 999)).toBe("1d02h03m04s");
  });

  test("show proc: HAProxy 2.6's columns, the current workers, the old ones still draining with the reloads they saw", () => {
    const processes = [
      { worker: 2, pid: 302, generation: 3, state: "ready", startedAt: 5000, restarts: 0 },
      { worker: 1, pid: 301, generation: 3, state: "ready", startedAt: 5000, restarts: 0 },
      { worker: 1, pid: 201, generation: 2, state: "stopping", startedAt: 2000, restarts: 0 },
    ];
    const ctx = {
      pid: 100,
      version: "0.1.0",
      master: { reloads: 2, failedReloads: 1, startedAt: 0, currentGeneration: 3, processes: () => [...processes] },
    } as unknown as MasterCliContext;
    expect(showProc(ctx, 65000)).toBe(
      "#<PID>          <type>          <reloads>       <uptime>        <version>      \n" +
        "100             master          2 [failed: 1]   0d00h01m05s     0.1.0          \n" +
        "# workers\n" +
        "301             worker          0               0d00h01m00s     0.1.0          \n" +
        "302             worker          0               0d00h01m00s     0.1.0          \n" +
        "# old workers\n" +
        "201             worker          1               0d00h01m03s     0.1.0          \n" +
        "# programs\n",
    );
  });
});

describe("the master's command table", () => {
  /** A master of two workers that answer each command with `answer(worker, line)`. */
  function fakeMaster(answer: (worker: number, line: string) => string) {
    const workers = [{ worker: 1, pid: 301, generation: 1 }, { worker: 2, pid: 302, generation: 1 }];
    const asked: string[] = [];
    const changes = new RuntimeChanges();
    const master = {
      changes,
      serving: () => workers,
      changeTargets: () => workers,
      processes: () => workers,
      exclusive: <T>(fn: () => Promise<T>) => fn(),
      ask: async (w: { worker: number }, ask: WorkerAsk) => {
        const line = ask.ask === "cli" ? ask.words.join(" ") : "stats";
        asked.push(`${w.worker}: ${line}`);
        return { type: "response", id: 0, answer: answer(w.worker, line) };
      },
    };
    const ctx = { master, pid: 100, version: "0.1.0", now: () => 0 } as unknown as MasterCliContext;
    return { ctx, asked, changes };
  }
  const table = new MasterCommandTable();

  test("a state change goes to every worker and is recorded; a read goes to worker 1", async () => {
    const m = fakeMaster((_w, line) => (line.startsWith("get") ? "1 (initial 1)\n" : ""));
    expect(await table.run(["set", "server", "app/a", "weight", "0"], undefined, "admin", m.ctx)).toBe("");
    expect(await table.run(["get", "weight", "app/a"], undefined, "admin", m.ctx)).toBe("1 (initial 1)\n");
    expect(m.asked).toEqual(["1: set server app/a weight 0", "2: set server app/a weight 0", "1: get weight app/a"]);
    expect(m.changes.replay({ backends: [{ name: "app", servers: [{ name: "a" }] }] } as never).map((c) => c.words.join(" ")))
      .toEqual(["set server app/a weight 0"]);
  });

  test("a worker that refuses: its answer is the one given; the record follows worker 1's answer", async () => {
    const config = { backends: [{ name: "app", servers: [{ name: "a" }] }] } as never;
    const m = fakeMaster((w) => (w === 2 ? "No such server.\n" : ""));
    expect(await table.run(["disable", "server", "app/a"], undefined, "admin", m.ctx)).toBe("No such server.\n");
    expect(m.changes.replay(config)).toEqual([{ words: ["disable", "server", "app/a"] }]);
    const refused = fakeMaster((w) => (w === 1 ? "No such server.\n" : ""));
    expect(await table.run(["disable", "server", "app/a"], undefined, "admin", refused.ctx)).toBe("No such server.\n");
    expect(refused.changes.replay(config)).toEqual([]);
  });

  test("@N, @!PID and @master address one process; the socket's level is checked first", async () => {
    const m = fakeMaster((w, line) => `${w}: ${line}\n`);
    expect(await table.run(["@2", "show", "sess"], undefined, "admin", m.ctx)).toBe("2: show sess\n");
    expect(await table.run(["@!301", "get", "weight", "app/a"], undefined, "admin", m.ctx)).toBe("1: get weight app/a\n");
    expect(await table.run(["@3", "show", "sess"], undefined, "admin", m.ctx)).toBe("Can't find the target PID matching the prefix '@3'\n");
    expect(await table.run(["@1", "set", "weight", "app/a", "0"], undefined, "user", m.ctx)).toBe("Permission denied\n");
    expect(await table.run(["set", "weight", "app/a", "0"], undefined, "operator", m.ctx)).toBe("Permission denied\n");
    expect(m.asked).toEqual(["2: show sess", "1: get weight app/a"]);
    expect(await table.run(["@master", "help"], undefined, "admin", m.ctx)).toContain("  show proc                               : show processes status\n");
  });
});
