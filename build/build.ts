// Builds the self-contained executable build/out/sluice for this machine
// (the flags and the baked-in version facts: compile.ts, shared with release.ts).
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildFacts, compile, hostTarget, ROOT } from "./compile.ts";

const outfile = join(ROOT, "build/out/sluice");
mkdirSync(join(ROOT, "build/out"), { recursive: true });
try {
  const ms = compile(outfile, buildFacts(hostTarget()));
  const size = statSync(outfile).size;
  console.log(`built ${outfile}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(ms)} ms`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
