// npm run release [-- --targets linux-x64,linux-arm64,...]: one binary per
// platform with `bun build --compile --target` (the flags: compile.ts), laid out
// as docs/install.md describes, in dist/:
//   dist/sluice-VERSION-TARGET/{sluice|sluice.exe, README.md, LICENSE}
//   dist/sluice-VERSION-TARGET.tar.gz (.zip for windows), dist/SHA256SUMS
// Cross-compiling fetches Bun's runtime for each other platform from the npm
// registry once (@oven/bun-*; kept in Bun's install cache). Same commit → same bytes:
// the build date is the commit's (or SOURCE_DATE_EPOCH) and the archives are
// deterministic (archive.ts).
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ArchiveEntry, tarGz, zip } from "./archive.ts";
import { buildFacts, compile, isTargetName, ROOT, sourceDateEpoch, TARGET_NAMES, TARGETS, type TargetName } from "./compile.ts";

/** The files beside the binary in every archive, from the repository's root. */
const DOCS = ["README.md", "LICENSE"] as const;

export interface Built {
  readonly target: TargetName;
  readonly archive: string;
  readonly binaryBytes: number;
  readonly archiveBytes: number;
  readonly compileMs: number;
}

/** `--targets a,b` (default: all, in TARGET_NAMES's order) and `--dist DIR` (default: dist/). */
function parseOptions(argv: string[]): { targets: TargetName[]; dist: string } {
  const { values } = parseArgs({ args: argv, options: { targets: { type: "string" }, dist: { type: "string" } }, strict: true });
  return { targets: parseTargets(values.targets), dist: values.dist ?? join(ROOT, "dist") };
}

function parseTargets(list: string | undefined): TargetName[] {
  if (list === undefined) return TARGET_NAMES;
  const names = list.split(",").map((t) => t.trim()).filter((t) => t !== "");
  const unknown = names.filter((t) => !isTargetName(t));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`unknown target ${unknown.join(", ") || "(none given)"}; the targets are ${TARGET_NAMES.join(", ")}`);
  }
  return TARGET_NAMES.filter((t) => names.includes(t));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Builds `targets` into `dist`. A previous release there goes first (dist/
 * holds one release: SHA256SUMS names every archive in it); other files stay.
 */
export function release(targets: readonly TargetName[], dist: string, log: (line: string) => void = console.log): Built[] {
  mkdirSync(dist, { recursive: true });
  for (const entry of readdirSync(dist)) {
    if (entry.startsWith("sluice-") || entry === "SHA256SUMS") rmSync(join(dist, entry), { recursive: true, force: true });
  }
  const mtime = sourceDateEpoch();
  if (mtime === undefined) throw new Error("a release needs a git checkout or SOURCE_DATE_EPOCH to date its files by");
  const built: Built[] = [];
  for (const target of targets) {
    const facts = buildFacts(target);
    const name = `sluice-${facts.version}-${target}`;
    const dir = join(dist, name);
    mkdirSync(dir);
    const windows = target.startsWith("windows");
    const exe = windows ? "sluice.exe" : "sluice";
    const compileMs = compile(join(dir, exe), facts, TARGETS[target]);
    chmodSync(join(dir, exe), 0o755);
    for (const doc of DOCS) copyFileSync(join(ROOT, doc), join(dir, doc));
    const entries: ArchiveEntry[] = [
      { path: `${name}/`, mode: 0o755 },
      ...[exe, ...DOCS].sort().map((file) => ({
        path: `${name}/${file}`,
        data: readFileSync(join(dir, file)),
        mode: file === exe ? 0o755 : 0o644,
      })),
    ];
    const archive = `${name}${windows ? ".zip" : ".tar.gz"}`;
    writeFileSync(join(dist, archive), windows ? zip(entries, mtime) : tarGz(entries, mtime));
    const b: Built = {
      target,
      archive,
      binaryBytes: statSync(join(dir, exe)).size,
      archiveBytes: statSync(join(dist, archive)).size,
      compileMs,
    };
    built.push(b);
    log(`${archive}: binary ${b.binaryBytes} bytes (${(b.binaryBytes / 2 ** 20).toFixed(1)} MiB), ` +
      `archive ${b.archiveBytes} bytes (${(b.archiveBytes / 2 ** 20).toFixed(1)} MiB), compiled in ${Math.round(compileMs)} ms`);
  }
  // sha256sum's format, sorted: `sha256sum -c SHA256SUMS` in dist/ checks them.
  const sums = built
    .map((b) => b.archive)
    .sort()
    .map((archive) => `${sha256(readFileSync(join(dist, archive)))}  ${archive}\n`)
    .join("");
  writeFileSync(join(dist, "SHA256SUMS"), sums);
  return built;
}

if (import.meta.main) {
  try {
    const { targets, dist } = parseOptions(process.argv.slice(2));
    const started = performance.now();
    const built = release(targets, dist);
    console.log(`${built.length} target(s) in ${dist} in ${((performance.now() - started) / 1000).toFixed(1)} s; SHA256SUMS written`);
  } catch (error) {
    console.error(`release: ${(error as Error).message}`);
    process.exit(1);
  }
}
