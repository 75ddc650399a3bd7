// cpu-map's words read as HAProxy 2.6 reads them (its messages checked with
// `haproxy -c` on these lines), and the CPUs each worker gets from them.
import { describe, expect, test } from "bun:test";
import { addCpuMapLine, type CpuMap, parseCpuSet, parseNumberSet, workerCpus } from "../../../src/config/cpu-map.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";

const loadConfigText = (text: string, name: string) => loadConfigTexts([{ name, text }]);

function mapOf(...lines: string[]): CpuMap {
  const map: CpuMap = { workers: {} };
  for (const line of lines) expect(addCpuMapLine(map, line.split(" "))).toBeUndefined();
  return map;
}

describe("process and thread sets", () => {
  test("numbers, ranges, open ranges, swapped ranges and the named sets", () => {
    expect(parseNumberSet("3")).toEqual([3]);
    expect(parseNumberSet("2-4")).toEqual([2, 3, 4]);
    expect(parseNumberSet("4-2")).toEqual([2, 3, 4]);
    expect(parseNumberSet("62-")).toEqual([62, 63, 64]);
    expect(parseNumberSet("all")).toHaveLength(64);
    expect(parseNumberSet("odd")).toEqual(Array.from({ length: 32 }, (_, i) => 2 * i + 1));
    expect(parseNumberSet("even")).toEqual(Array.from({ length: 32 }, (_, i) => 2 * i + 2));
  });

  test("what HAProxy refuses, with its messages", () => {
    expect(parseNumberSet("x")).toBe("'x' is not a valid number/range.");
    expect(parseNumberSet("1-a")).toBe("'1-a' is not a valid number/range.");
    expect(parseNumberSet("1-2-3")).toBe("'1-2-3' is not a valid number/range.");
    expect(parseNumberSet("0")).toBe("'0' is not a valid number/range. It supports numbers from 1 to 64.");
    expect(parseNumberSet("99")).toBe("'99' is not a valid number/range. It supports numbers from 1 to 64.");
    expect(parseNumberSet("-3")).toBe("'-3' is not a valid number/range. It supports numbers from 1 to 64.");
  });
});

describe("CPU sets", () => {
  test("several words, ranges, an open range up to the last CPU", () => {
    expect(parseCpuSet(["0", "2-3", "1"])).toEqual([0, 1, 2, 3]);
    expect(parseCpuSet(["3-1"])).toEqual([1, 2, 3]);
    expect(parseCpuSet(["1020-"])).toEqual([1020, 1021, 1022, 1023]);
  });

  test("what HAProxy refuses", () => {
    expect(parseCpuSet(["x"])).toBe("'x' is not a CPU range.");
    expect(parseCpuSet(["-1"])).toBe("'-1' is not a CPU range.");
    expect(parseCpuSet(["2000"])).toBe("supports CPU numbers from 0 to 1023.");
  });
});

describe("cpu-map lines", () => {
  test("the messages of HAProxy 2.6", () => {
    const problem = (line: string) => addCpuMapLine({ workers: {} }, line.split(" "));
    expect(problem("1")).toBe(
      "cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.",
    );
    expect(problem("x 0")).toBe("cpu-map : 'x' is not a valid number/range.");
    expect(problem("1/99 0")).toBe("cpu-map : '99' is not a valid number/range. It supports numbers from 1 to 64.");
    expect(problem("1 x")).toBe("cpu-map : 'x' is not a CPU range.");
    expect(problem("1 2000")).toBe("cpu-map : supports CPU numbers from 0 to 1023.");
    expect(problem("auto:all 0-1")).toBe("cpu-map : PROC/THREAD range and CPU sets must have the same size to be automatically bound");
    expect(problem("auto:1-2/1-2 0-3")).toBe("cpu-map : PROC/THREAD range and CPU sets must have the same size to be automatically bound");
    // Accepted by HAProxy 2.6 as they are.
    expect(problem("auto:1/1-2 0")).toBeUndefined();
    expect(problem("auto:1-2/1-2 0-1")).toBeUndefined();
    expect(problem("1/2 1-")).toBeUndefined();
  });

  test("auto: one CPU each, in order; a thread past the CPUs gets none", () => {
    expect(mapOf("auto:1/1-4 0-3").workers).toEqual({ 1: [0], 2: [1], 3: [2], 4: [3] });
    expect(mapOf("auto:1/1-2 4 6").workers).toEqual({ 1: [4], 2: [6] });
    expect(mapOf("auto:1/1-2 0").workers).toEqual({ 1: [0], 2: [] });
    expect(mapOf("auto:1-4 0-3").process).toEqual([0]);
  });

  test("process level, thread level, the first thread of every process, later lines replacing earlier ones", () => {
    expect(mapOf("1 0-3")).toEqual({ process: [0, 1, 2, 3], workers: {} });
    expect(mapOf("all 2")).toEqual({ process: [2], workers: {} });
    expect(mapOf("1/all 1").workers[64]).toEqual([1]);
    expect(mapOf("all/1 3").workers).toEqual({ 1: [3] });
    expect(mapOf("1/2 1", "1/2 0").workers).toEqual({ 2: [0] });
    // HAProxy 2.6 has one process: the process set is checked, then ignored (measured on 2.6.12).
    expect(mapOf("2 1")).toEqual({ process: [1], workers: {} });
    expect(mapOf("2/1-2 1").workers).toEqual({ 1: [1], 2: [1] });
    expect(mapOf("all/1-2 1").workers).toEqual({ 1: [1], 2: [1] });
    expect(mapOf("odd/2 1").workers).toEqual({ 2: [1] });
    expect(mapOf("auto:all/1-2 0-1").workers).toEqual({ 1: [0], 2: [1] });
  });

  test("a worker's CPUs: its own, within the process's when both share some, else the process's", () => {
    expect(workerCpus(undefined, 1)).toBeUndefined();
    expect(workerCpus(mapOf("1/2 1"), 1)).toBeUndefined();
    expect(workerCpus(mapOf("1/2 1"), 2)).toEqual([1]);
    expect(workerCpus(mapOf("1 2-3"), 7)).toEqual([2, 3]);
    expect(workerCpus(mapOf("1 2-3", "1/1 3-4"), 1)).toEqual([3]);
    expect(workerCpus(mapOf("1 2-3", "1/1 5"), 1)).toEqual([2, 3]);
    expect(workerCpus(mapOf("auto:1/1-2 0"), 2)).toBeUndefined();
  });
});

describe("in a configuration", () => {
  test("haproxy.cfg lines in order, and the YAML twin", () => {
    const cfg = loadConfigText("global\n  nbthread 2\n  cpu-map 1 0-1\n  cpu-map auto:1/1-2 0-1\n", "haproxy.cfg");
    const yaml = loadConfigText("global:\n  nbthread: 2\n  cpu-map: ['1 0-1', 'auto:1/1-2 0-1']\n", "sluice.yaml");
    for (const loaded of [cfg, yaml]) {
      expect(loaded.ok).toBe(true);
      if (loaded.ok) expect(loaded.config.global.cpuMap).toEqual({ process: [0, 1], workers: { 1: [0], 2: [1] } });
    }
  });

  test("an error names the file, the line and HAProxy's message", () => {
    const loaded = loadConfigText("global\n  nbthread 2\n  cpu-map 1/2 x\n", "haproxy.cfg");
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.errors[0]!.message).toContain("haproxy.cfg:3");
    if (!loaded.ok) expect(loaded.errors[0]!.message).toContain("cpu-map : 'x' is not a CPU range.");
  });

  test("only in the global section", () => {
    const loaded = loadConfigText("defaults\n  mode http\n  cpu-map 1 0\n", "haproxy.cfg");
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.errors[0]!.message).toContain("cpu-map");
  });
});
