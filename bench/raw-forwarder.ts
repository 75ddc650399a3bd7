// The floor the runtimes set: a minimal TCP forwarder (no parsing, no timers,
// no pools), run by bench/run.ts beside sluice as `--proxy bun-raw,deno-raw`.
// What it measures is what Bun's or Deno's socket I/O alone costs on the same
// load, so sluice's rows can be read against it: the distance between sluice
// and this row is the engine's; the distance between this row and HAProxy's
// is the runtime's. Not a product: it reads only `bind` and the first
// `server` of the generated config, and handles backpressure just enough
// for the benchmark's cases.
//   bun bench/raw-forwarder.ts -f CFG        deno run -A bench/raw-forwarder.ts -f CFG

import { readFileSync } from "node:fs";
import type { Endpoint } from "./raw/endpoint.ts";

const args = (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const cfgPath = args[args.indexOf("-f") + 1];
if (args.indexOf("-f") < 0 || cfgPath === undefined) throw new Error("usage: raw-forwarder.ts -f CFG");
const cfg = readFileSync(cfgPath, "utf8");
const bind = cfg.match(/^\s*bind\s+([\d.]+):(\d+)/m);
const server = cfg.match(/^\s*server\s+\S+\s+([\d.]+):(\d+)/m);
if (!bind || !server) throw new Error(`${cfgPath}: no bind or server line`);
const listen: Endpoint = { hostname: bind[1]!, port: Number(bind[2]) };
const upstream: Endpoint = { hostname: server[1]!, port: Number(server[2]) };
const ready = () => console.error(`raw forwarder (${"Bun" in globalThis ? "bun" : "deno"}) ready`);

// One module per runtime, each type-checked against its own runtime's types.
const { forward }: { forward(listen: Endpoint, upstream: Endpoint, ready: () => void): unknown } =
  await import("Bun" in globalThis ? "./raw/bun.ts" : "./raw/deno.ts");
await forward(listen, upstream, ready);
