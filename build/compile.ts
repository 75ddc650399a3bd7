// How sluice is compiled, written once for `npm run build` (build.ts, the host's
// binary) and `npm run release` (release.ts, every platform): bun build's flags
// and the build facts baked into the binary with --define (src/version.ts reads
// them; from source it finds the same facts at run time).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..");

/** The release targets: sluice's name → Bun's `--target`. */
export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64": "bun-linux-arm64",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
} as const;
export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

export function isTargetName(name: string): name is TargetName {
  return name in TARGETS;
}

/** The target this machine runs (what `bun build --compile` without --target makes). */
export function hostTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

/** What a binary says about itself in `sluice version` / `-vv`. */
export interface BuildFacts {
  /** package.json's version: the one place it is written. */
  readonly version: string;
  /** `git describe --always --dirty --abbrev=12` of the tree built, "-dirty" when it had changes. */
  readonly commit: string;
  /**
   * UTC, ISO 8601, to the second: SOURCE_DATE_EPOCH when set, else the commit's
   * date — never the wall clock, so that the same commit builds the same bytes;
   * "unknown" outside a git checkout without SOURCE_DATE_EPOCH.
   */
  readonly date: string;
  /** sluice's target name (linux-x64, …). */
  readonly target: string;
}

function git(args: string[]): string | undefined {
  const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Seconds since the epoch that stand for "when" in this build (the binary's
 * date, the archives' mtimes): SOURCE_DATE_EPOCH, else the commit's date;
 * undefined outside a git checkout without SOURCE_DATE_EPOCH (never the clock).
 */
export function sourceDateEpoch(): number | undefined {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  const committed = git(["log", "-1", "--format=%ct"]);
  return committed !== undefined && /^\d+$/.test(committed) ? Number(committed) : undefined;
}

export function buildFacts(target: string): BuildFacts {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const epoch = sourceDateEpoch();
  return {
    version: pkg.version,
    commit: git(["describe", "--always", "--dirty", "--abbrev=12"]) ?? "unknown commit",
    date: epoch === undefined ? "unknown" : new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z"),
    target,
  };
}

/**
 * The `bun build --compile` command line. Not stripped: the application lives
 * in a section of the executable. `bunTarget` undefined: the running Bun's own
 * platform, with no download.
 * --bytecode: JavaScriptCore's bytecode is compiled in, so a start parses no
 * JavaScript (a `check` of a small config took 93 → 34 ms of user CPU here;
 * +4 MiB). It needs --format=cjs, hence no top-level await in src/main.ts. The
 * output stays reproducible (it names the output file, always `sluice`).
 */
export function compileCommand(outfile: string, facts: BuildFacts, bunTarget?: string): string[] {
  const define = (name: string, value: string) => ["--define", `${name}=${JSON.stringify(value)}`];
  return [
    process.execPath,
    "build",
    "--compile",
    ...(bunTarget === undefined ? [] : [`--target=${bunTarget}`]),
    "--bytecode",
    "--format=cjs",
    "--minify-syntax",
    "--minify-whitespace",
    ...define("SLUICE_BUILD_VERSION", facts.version),
    ...define("SLUICE_BUILD_COMMIT", facts.commit),
    ...define("SLUICE_BUILD_DATE", facts.date),
    ...define("SLUICE_BUILD_TARGET", facts.target),
    join(ROOT, "src/main.ts"),
    "--outfile",
    outfile,
  ];
}

/** Runs the compile; throws with bun's output on failure. Returns the milliseconds it took. */
export function compile(outfile: string, facts: BuildFacts, bunTarget?: string): number {
  const started = performance.now();
  const [bun, ...args] = compileCommand(outfile, facts, bunTarget);
  const proc = spawnSync(bun!, args, { cwd: ROOT, encoding: "utf8" });
  if (proc.status !== 0) {
    throw new Error(`bun build --compile for ${facts.target} failed (exit ${proc.status}):\n${proc.stdout}${proc.stderr}`);
  }
  return performance.now() - started;
}
