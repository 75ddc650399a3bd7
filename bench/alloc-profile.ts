// Where the engine allocates, per client connection: V8's sampling heap
// profiler (through node:inspector, under Deno) with the objects later
// collected kept in, around bench/conn-objects.ts (its N idle keep-alive
// connections, then N that each send one `Connection: close` GET; 200 more
// warm it up). With --h2, per HTTP/2 request instead, around
// bench/h2-engine.ts (N requests on one connection, 10 streams in flight). Bun has no allocation sampler; the engine's JavaScript
// allocates alike on both (the runtime's own socket objects aside: the
// sockets here are in memory). What it prints: the bytes allocated per
// connection, by the nearest frame in src/ of each allocation.
//
//   deno run -A --v8-flags=--expose-gc bench/alloc-profile.ts [N] [--top K] [--h2]
import { Session } from "node:inspector";

const args = ((globalThis as { process?: { argv: string[] } }).process?.argv ?? []).slice(2);
const n = Number(args[0] ?? "") || 5000;
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
const h2 = args.includes("--h2");
// --callers TEXT: for the sites whose name holds TEXT, the call paths (last frames) that allocate there.
const callersAt = args.indexOf("--callers");
const callersOf = callersAt >= 0 ? args[callersAt + 1] : undefined;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) => session.post(method, params, (e: Error | null, r?: object) => (e ? reject(e) : resolve(r as T))));

await post("HeapProfiler.enable");
await post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await import(h2 ? "./h2-engine.ts" : "./conn-objects.ts");
const { profile } = await post<{ profile: { head: ProfileNode } }>("HeapProfiler.stopSampling");

const root = new URL("..", import.meta.url).href;
const where = (f: ProfileNode["callFrame"]) => `${f.functionName || "(anonymous)"} ${f.url.startsWith(root) ? f.url.slice(root.length) : f.url || "(native)"}:${f.lineNumber + 1}`;
const bySite = new Map<string, number>();
const byPath = new Map<string, number>();
let total = 0;
function walk(node: ProfileNode, nearestSrc: string | undefined, path: string[]): void {
  const site = node.callFrame.url.startsWith(root + "src/") ? where(node.callFrame) : nearestSrc;
  path.push(where(node.callFrame));
  if (node.selfSize > 0) {
    total += node.selfSize;
    const key = site ?? where(node.callFrame);
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    if (callersOf !== undefined && key.includes(callersOf)) {
      const trail = path.slice(-6).join(" → ");
      byPath.set(trail, (byPath.get(trail) ?? 0) + node.selfSize);
    }
  }
  for (const child of node.children) walk(child, site, path);
  path.pop();
}
walk(profile.head, undefined, []);

// What each script runs: h2-engine.ts 500 warm-up requests, a warm-up round of up to 50 000, five rounds of N and a last batch of 10.
const batches = Math.ceil(n / 10);
const units = h2 ? 500 + Math.min(batches, 5_000) * 10 + 5 * batches * 10 + 10 : 2 * n + 200;
const unit = h2 ? "request" : "connection";
console.log(`\n${(total / 1e6).toFixed(1)} MB allocated (sampled) over ${units} ${unit}s: ${(total / units).toFixed(0)} B per ${unit}`);
console.log("by the nearest function in src/ (its line is where the function starts):");
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(bytes / units).toFixed(0).padStart(7)} B  ${site}`);
}
if (callersOf !== undefined) {
  console.log(`\ncall paths allocating at sites named "${callersOf}" (outermost first):`);
  for (const [trail, bytes] of [...byPath].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(bytes / units).toFixed(0).padStart(7)} B  ${trail}`);
}
