// Builds the self-contained executable build/out/sluice with `bun build --compile`.
// Not stripped: the application lives in an ELF section of the binary.
import { mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const outfile = join(root, "build/out/sluice");
mkdirSync(join(root, "build/out"), { recursive: true });

const started = performance.now();
const proc = Bun.spawnSync(
  [process.execPath, "build", "--compile", "--minify-syntax", "--minify-whitespace", join(root, "src/main.ts"), "--outfile", outfile],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (proc.exitCode !== 0) {
  console.error(`build failed (exit ${proc.exitCode})`);
  process.exit(1);
}
const size = statSync(outfile).size;
console.log(`built ${outfile}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(performance.now() - started)} ms`);
