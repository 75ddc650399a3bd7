// Deno's whole runtime: the proxy core's adapter (deno.ts) and the operations side (deno-system.ts).
import { denoRuntime as core } from "./deno.ts";
import { denoSystem } from "./deno-system.ts";
import type { HostRuntime } from "./types.ts";

export const denoRuntime: HostRuntime = { ...core, ...denoSystem };
