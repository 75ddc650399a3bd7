// Entry point: picks the runtime adapter, runs the command line, exits.
import { runCommandLine } from "./app.ts";
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
  const code = await runCommandLine(runtime, runtime.args(), {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
  return runtime.exit(code);
}

void main();
