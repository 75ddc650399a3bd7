// Entry point: picks the runtime adapter, runs the command line, exits.
import { parseCommandLine } from "./cli.ts";
import { isCompiledBun, tuneAllocator, type ExecProcess } from "./runtime/bun-allocator.ts";
import type { HostRuntime } from "./runtime/types.ts";

// Deno's adapter is loaded by a computed specifier so that Bun's bundler (the
// compiled binary is Bun-only) and the Bun-typed `tsc` pass leave it alone;
// `deno check src/runtime/deno-host.ts` checks it against Deno's own types.
const DENO_ADAPTER = "./runtime/deno-host.ts";

async function pickRuntime(): Promise<HostRuntime> {
  if (typeof Bun !== "undefined") return (await import("./runtime/bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return ((await import(DENO_ADAPTER)) as { denoRuntime: HostRuntime }).denoRuntime;
  throw new Error("sluice runs on Bun or Deno");
}

// No top-level await: the binary is compiled to bytecode as CommonJS (build/compile.ts).
async function main(): Promise<never> {
  const runtime = await pickRuntime();
  // Loaded here, not imported above: a process about to execute itself again loads no more than it must.
  const { runCommandLine } = await import("./app.ts");
  const code = await runCommandLine(runtime, runtime.args(), {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
  return runtime.exit(code);
}

// Before the rest of the program is loaded: a Bun process about to serve
// executes itself again with its allocator tuned (runtime/bun-allocator.ts).
if (typeof Bun !== "undefined") {
  const kind = parseCommandLine(process.argv.slice(2)).kind;
  if (kind === "run" || kind === "demo") tuneAllocator(process as unknown as ExecProcess, isCompiledBun(Bun.main));
}
void main();
