// The runtimes' floor for idle keep-alive connections (bench/churn-memory.ts):
// a listener on Bun's or Deno's sockets that answers each request with a fixed
// 13-byte response and holds the connection, with nothing of sluice in it. The
// RSS it adds per held connection is what the runtime's socket costs by itself.
// Reads only the `bind` line of the generated config.
//   bun bench/raw-answer.ts -f CFG        deno run -A bench/raw-answer.ts -f CFG
import { readFileSync } from "node:fs";
import type { Endpoint } from "./raw/endpoint.ts";

const args = (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const cfgPath = args[args.indexOf("-f") + 1];
if (args.indexOf("-f") < 0 || cfgPath === undefined) throw new Error("usage: raw-answer.ts -f CFG");
const bind = readFileSync(cfgPath, "utf8").match(/^\s*bind\s+([\d.]+):(\d+)/m);
if (!bind) throw new Error(`${cfgPath}: no bind line`);
const listen: Endpoint = { hostname: bind[1]!, port: Number(bind[2]) };
const response = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world\n");
const ready = () => console.error(`raw answer (${"Bun" in globalThis ? "bun" : "deno"}) ready`);

const { answer }: { answer(listen: Endpoint, response: Uint8Array, ready: () => void): unknown } =
  await import("Bun" in globalThis ? "./raw/bun.ts" : "./raw/deno.ts");
await answer(listen, response, ready);
