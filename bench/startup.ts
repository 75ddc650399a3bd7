// Start-up time, beside HAProxy's (issue 17: goal ≤ 50 ms from start to the first byte served).
//   ready       spawn → "ready" on stderr, for the binary, Bun and Deno (examples/tcp.cfg)
//   first byte  spawn → the first byte of a response to a request sent through the
//               proxy to a backend (the client retries its connect every millisecond
//               until the listener is up), for sluice's binary and `haproxy -db`, on a
//               small config and on a generated one with 1 000 backends × 10 servers
//   check       `sluice check` and `haproxy -c` on the same configs, to exit
// Usage: bun bench/startup.ts [runs] [--only ready,first,check]   (default 10 runs; medians)
//        bun bench/startup.ts --write FILE   writes the 1 000 × 10 config and exits (to profile
//        `bun --cpu-prof src/main.ts check -f FILE` with bench/cpuprofile.ts)
// Run it on a quiet machine: every figure is a wall-clock time.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUN, DENO, freePort, median, root } from "./harness.ts";

const { values: opts, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { only: { type: "string", default: "ready,first,check" }, write: { type: "string" } },
});
const runs = Number(positionals[0] ?? 10);
const only = new Set(opts.only!.split(","));
const BINARY = join(root, "build/out/sluice");
const HAPROXY = Bun.which("haproxy") ?? "/usr/sbin/haproxy";

/** A config both sluice and HAProxy read: one frontend to `backends` backends of `servers` servers each. */
export function generatedConfig(frontPort: number, backendPort: number, backends: number, servers: number): string {
  const out = [
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 30s",
    "    timeout server 30s",
    "",
    "frontend fe",
    `    bind 127.0.0.1:${frontPort}`,
    "    default_backend be0",
    "",
  ];
  for (let b = 0; b < backends; b++) {
    out.push(`backend be${b}`, "    balance roundrobin");
    // be0's servers are the one real backend; the others' addresses are never dialled.
    for (let s = 0; s < servers; s++) {
      out.push(b === 0 ? `    server s${s} 127.0.0.1:${backendPort}` : `    server s${s} 127.0.${1 + (b >> 8)}.${b & 255}:${10000 + s}`);
    }
    out.push("");
  }
  return out.join("\n");
}

async function toReady(cmd: string[]): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { stderr: "pipe", stdout: "ignore" });
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(") ready")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before ready: ${text}`);
    text += decoder.decode(value);
  }
  const ms = performance.now() - started;
  proc.kill("SIGKILL");
  await proc.exited;
  return ms;
}

/** Resolves with the time the first response byte arrives, or rejects on a refused connect. */
function firstByte(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => socket.write("GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"));
    socket.once("data", () => {
      resolve(performance.now());
      socket.destroy();
    });
    socket.once("error", (e) => {
      socket.destroy();
      reject(e);
    });
  });
}

async function toFirstByte(cmd: string[], port: number): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { stderr: "pipe", stdout: "ignore" });
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${cmd[0]} exited with ${proc.exitCode}`);
      try {
        return (await firstByte(port)) - started;
      } catch {
        if (performance.now() - started > 30_000) throw new Error(`${cmd.join(" ")}: nothing served in 30 s`);
        await Bun.sleep(1);
      }
    }
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

function toExit(cmd: string[]): number {
  const started = performance.now();
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

async function measure(label: string, once: () => Promise<number> | number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} median ${median(times).toFixed(1).padStart(7)} ms  (min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)}, ${runs} runs)`);
}

if (opts.write !== undefined) {
  writeFileSync(opts.write, generatedConfig(8080, 9001, 1000, 10));
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "sluice-startup-"));
const backendPort = await freePort();
const backend = Bun.serve({ hostname: "127.0.0.1", port: backendPort, fetch: () => new Response("ok\n") });
try {
  if (only.has("ready")) {
    const config = join(root, "examples/tcp.cfg");
    console.log("spawn → \"ready\" on stderr (examples/tcp.cfg):");
    await measure("  sluice binary", () => toReady([BINARY, "-f", config]));
    await measure("  sluice on bun (source)", () => toReady([BUN, join(root, "src/main.ts"), "-f", config]));
    await measure("  sluice on deno (source)", () => toReady([DENO, "run", "-A", join(root, "src/main.ts"), "-f", config]));
  }
  const frontPort = await freePort();
  const configs = [
    { name: "1 backend × 1 server", file: join(work, "small.cfg"), text: generatedConfig(frontPort, backendPort, 1, 1) },
    { name: "1 000 backends × 10 servers", file: join(work, "big.cfg"), text: generatedConfig(frontPort, backendPort, 1000, 10) },
  ];
  for (const c of configs) writeFileSync(c.file, c.text);
  if (only.has("first")) {
    console.log("spawn → first byte of a response served through the proxy (goal: ≤ 50 ms):");
    for (const c of configs) {
      await measure(`  sluice binary, ${c.name}`, () => toFirstByte([BINARY, "-f", c.file], frontPort));
      await measure(`  haproxy -db, ${c.name}`, () => toFirstByte([HAPROXY, "-db", "-f", c.file], frontPort));
    }
  }
  if (only.has("check")) {
    console.log("check the configuration, spawn → exit:");
    for (const c of configs) {
      await measure(`  sluice check, ${c.name}`, () => toExit([BINARY, "check", "-f", c.file]));
      await measure(`  haproxy -c, ${c.name}`, () => toExit([HAPROXY, "-c", "-q", "-f", c.file]));
    }
  }
} finally {
  await backend.stop(true);
  rmSync(work, { recursive: true, force: true });
}
