// The master-worker keywords of the global section (issue 16): `master-worker`
// (HAProxy's; also `sluice -W`), `workers N|auto` and HAProxy's `nbthread N`,
// which sluice reads as the same number of worker processes (sluice runs one
// thread per process), and `cpu-map` (cpu-map.ts: HAProxy's thread N is
// worker N). YAML writes the same names: `master-worker: true`,
// `workers: 2` or `workers: auto`, `nbthread: 2`, `cpu-map: ["auto:1/1-2 0-1"]`.

import * as v from "valibot";
import { addCpuMapLine, type CpuMap } from "./cpu-map.ts";
import { describe, integer } from "./schema-values.ts";

/** More worker processes than this is a typo, not a machine. */
const MAX_WORKERS = 256;

const WorkerCount = integer("workers", 1, MAX_WORKERS);

const WorkersSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): number | "auto" => {
    const x = dataset.value;
    if (x === "auto") return "auto";
    const n = v.safeParse(WorkerCount, x);
    if (n.success) return n.output;
    addIssue({ message: `invalid workers ${describe(x)} (expected 'auto' or an integer, 1-${MAX_WORKERS})` });
    return NEVER;
  }),
);

const MasterWorkerSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): boolean => {
    const x = dataset.value;
    // haproxy.cfg's bare keyword arrives as true; YAML writes a boolean.
    if (typeof x === "boolean") return x;
    addIssue({ message: `invalid master-worker ${describe(x)} (expected true or false; haproxy.cfg: the bare keyword)` });
    return NEVER;
  }),
);

/** One `cpu-map` line, its words in one string (haproxy.cfg's line, or a YAML list's entry), checked alone. */
const CpuMapLine = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = addCpuMapLine({ workers: {} }, words(dataset.value));
    if (problem !== undefined) addIssue({ message: problem });
  }),
);

/** `cpu-map` lines in order (YAML: one string or a list of them), folded into the CPU sets of each worker. */
const CpuMapSchema = v.pipe(
  v.lazy((x) => (Array.isArray(x) ? v.array(CpuMapLine) : v.pipe(CpuMapLine, v.transform((one): string[] => [one])))),
  v.transform((lines): CpuMap => {
    const map: CpuMap = { workers: {} };
    for (const line of lines) addCpuMapLine(map, words(line));
    return map;
  }),
);

function words(line: string): string[] {
  return line.split(/\s+/).filter((w) => w !== "");
}

/** The entries the global section's schema adds. */
export const MASTER_GLOBAL = {
  "master-worker": v.optional(MasterWorkerSchema),
  workers: v.optional(WorkersSchema),
  nbthread: v.optional(integer("nbthread", 1, MAX_WORKERS)),
  "cpu-map": v.optional(CpuMapSchema),
};

export interface MasterPart {
  masterWorker?: boolean;
  workers?: number | "auto";
  cpuMap?: CpuMap;
}

type MasterEntries = { "master-worker"?: boolean; workers?: number | "auto"; nbthread?: number; "cpu-map"?: CpuMap };

/** `workers` and `nbthread` both given with different counts: the message, else undefined. */
export function masterConflict(g: MasterEntries): string | undefined {
  if (g.workers === undefined || g.nbthread === undefined || g.workers === g.nbthread) return undefined;
  return `'workers ${g.workers}' and 'nbthread ${g.nbthread}' disagree (both set the number of worker processes: keep one)`;
}

/**
 * What these keywords set. More than one worker (or `auto`) implies the
 * master-worker mode, as HAProxy's nbthread implies threads.
 */
export function masterPart(g: MasterEntries): MasterPart {
  const part: MasterPart = {};
  const workers = g.workers ?? g.nbthread;
  if (workers !== undefined) {
    part.workers = workers;
    if (workers === "auto" || workers > 1) part.masterWorker = true;
  }
  if (g["master-worker"] !== undefined) part.masterWorker = g["master-worker"];
  if (g["cpu-map"] !== undefined) part.cpuMap = g["cpu-map"];
  return part;
}
