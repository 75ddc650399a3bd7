// Preloaded once per `bun test` run: the end-to-end suite runs the compiled
// binary too, so build it when any source is newer than it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ROOT } from "./e2e/harness.ts";

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const wantsBinary = (process.env.SLUICE_TARGETS ?? "binary").includes("binary");
if (wantsBinary && (!existsSync(BINARY) || statSync(BINARY).mtimeMs < newestSource(join(ROOT, "src")))) {
  const proc = Bun.spawnSync([process.execPath, join(ROOT, "build/build.ts")], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new Error("building the binary for the end-to-end tests failed");
}
