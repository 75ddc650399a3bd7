// Start-up time: from spawn to "ready" on stderr, for the binary, Bun and Deno.
// Usage: bun bench/startup.ts [runs]
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const runs = Number(process.argv[2] ?? 10);
const config = join(root, "examples/tcp.cfg");
const commands: Record<string, string[]> = {
  binary: [join(root, "build/out/sluice"), "-f", config],
  bun: [join(root, "node_modules/.bin/bun"), join(root, "src/main.ts"), "-f", config],
  deno: [join(root, "node_modules/.bin/deno"), "run", "-A", join(root, "src/main.ts"), "-f", config],
};

async function once(cmd: string[]): Promise<number> {
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

for (const [name, cmd] of Object.entries(commands)) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once(cmd));
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(7)} median ${times[Math.floor(runs / 2)]!.toFixed(0)} ms to ready (min ${times[0]!.toFixed(0)}, max ${times[runs - 1]!.toFixed(0)}) over ${runs} runs`);
}
