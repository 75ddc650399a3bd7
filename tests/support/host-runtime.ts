// The runtime adapter of whichever runtime runs this script (Bun or Deno), for
// tests and benchmarks that run under both and need the real clock and timers.
import type { Runtime } from "../../src/runtime/types.ts";

// Computed, so that the Bun-typed tsc pass does not follow it (see src/main.ts).
const DENO_ADAPTER = "../../src/runtime/deno.ts";

export async function hostRuntime(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("../../src/runtime/bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return ((await import(DENO_ADAPTER)) as { denoRuntime: Runtime }).denoRuntime;
  throw new Error("neither Bun nor Deno");
}
