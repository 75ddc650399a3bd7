// The master's side of the figures and the runtime API that is pure: merging
// the workers' answers, picking one answer of several, `show proc`'s layout.
import { describe, expect, test } from "bun:test";
import { FleetStats, mergeFigures } from "../../../src/master/fleet-stats.ts";
import { pickAnswer, procUptime, showProc, type MasterCliContext } from "../../../src/master/master-cli.ts";
import type { WorkerFigures } from "../../../src/master/protocol.ts";
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
