// Summarises a V8/JSC .cpuprofile (`bun --cpu-prof`, `deno --cpu-prof`):
// self time by function (name, file:line), then total (inclusive) time of the
// same functions, both in % of the samples. Profiles are relative: a busy
// machine slows every function alike.
//
// Usage: bun bench/cpuprofile.ts FILE.cpuprofile [--top N] [--filter TEXT] [--tree MIN%]
//
// --tree MIN%: the call tree instead, top-down, nodes of at least MIN % inclusive.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { root } from "./harness.ts";

const { values: opts, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, filter: { type: "string" }, tree: { type: "string" } },
});

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile { nodes: Node[]; samples?: number[]; timeDeltas?: number[] }

const file = positionals[0];
if (file === undefined) throw new Error("usage: bun bench/cpuprofile.ts FILE.cpuprofile");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self samples per node: from `samples` when present (weighted by timeDeltas), else hitCount.
const self = new Map<number, number>();
if (profile.samples !== undefined && profile.samples.length > 0) {
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const w = deltas[i + 1] ?? deltas[i] ?? 1;
    self.set(id, (self.get(id) ?? 0) + Math.max(w, 0));
  }
} else {
  for (const n of profile.nodes) self.set(n.id, n.hitCount ?? 0);
}

const keyOf = (n: Node) => {
  const f = n.callFrame;
  const url = f.url.startsWith("file://") ? f.url.slice(7) : f.url;
  const where = url === "" ? "" : ` ${url.startsWith(root) ? relative(root, url) : url}:${f.lineNumber + 1}`;
  return `${f.functionName || "(anonymous)"}${where}`;
};

let total = 0;
const selfBy = new Map<string, number>();
const totalBy = new Map<string, number>();
for (const [id, w] of self) {
  if (w === 0) continue;
  total += w;
  const n = byId.get(id)!;
  const k = keyOf(n);
  selfBy.set(k, (selfBy.get(k) ?? 0) + w);
  // Inclusive: each distinct function on the stack once.
  const seen = new Set<string>();
  for (let q: number | undefined = id; q !== undefined; q = parent.get(q)) {
    const kk = keyOf(byId.get(q)!);
    if (seen.has(kk)) continue;
    seen.add(kk);
    totalBy.set(kk, (totalBy.get(kk) ?? 0) + w);
  }
}

const top = Number(opts.top);
const filter = opts.filter;
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  const rows = [...m].filter(([k]) => filter === undefined || k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, w] of rows) console.log(`${((100 * w) / total).toFixed(1).padStart(6)} %  ${k}`);
};
console.log(`${file}: ${profile.samples?.length ?? "?"} samples`);
show("self time", selfBy);
show("total time (inclusive)", totalBy);

if (opts.tree !== undefined) {
  const min = Number(opts.tree);
  const incl = new Map<number, number>();
  const sum = (id: number): number => {
    const n = byId.get(id)!;
    let w = self.get(id) ?? 0;
    for (const c of n.children ?? []) w += sum(c);
    incl.set(id, w);
    return w;
  };
  const rootId = profile.nodes.find((n) => !parent.has(n.id))!.id;
  sum(rootId);
  console.log(`\ncall tree (nodes ≥ ${min} %): inclusive, self`);
  const walk = (id: number, depth: number) => {
    const n = byId.get(id)!;
    const w = incl.get(id)!;
    if ((100 * w) / total < min) return;
    console.log(`${" ".repeat(depth)}${((100 * w) / total).toFixed(1)} % (${((100 * (self.get(id) ?? 0)) / total).toFixed(1)}) ${keyOf(n)}`);
    const kids = [...(n.children ?? [])].sort((a, b) => incl.get(b)! - incl.get(a)!);
    for (const c of kids) walk(c, depth + 1);
  };
  walk(rootId, 0);
}
