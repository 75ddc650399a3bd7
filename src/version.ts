// sluice's version and build facts. The compiled binary has them baked in by
// `bun build --define` (build/compile.ts reads package.json and git once, at
// build time); run from source, they are read from package.json and git here,
// at run time. package.json is the one place the version is written.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

declare const SLUICE_BUILD_VERSION: string | undefined;
declare const SLUICE_BUILD_COMMIT: string | undefined;
declare const SLUICE_BUILD_DATE: string | undefined;
declare const SLUICE_BUILD_TARGET: string | undefined;

export interface BuildInfo {
  readonly version: string;
  /** git describe of the tree built ("-dirty": with uncommitted changes), or "unknown commit". */
  readonly commit: string;
  /** The commit's date (or SOURCE_DATE_EPOCH) for a binary; undefined from source. */
  readonly date: string | undefined;
  /** The release target (linux-x64, …) for a binary; undefined from source. */
  readonly target: string | undefined;
}

/** True in a binary made by build/compile.ts (the defines replace the typeof tests with constants). */
export const COMPILED = typeof SLUICE_BUILD_VERSION === "string";

export const VERSION: string = typeof SLUICE_BUILD_VERSION === "string" ? SLUICE_BUILD_VERSION : packageVersion();

/**
 * `show info` Release_date, HAProxy's `YYYY/MM/DD`: the build's date for a
 * binary; undefined from source (no release was made), and the field is not shown.
 */
export const RELEASE_DATE: string | undefined = typeof SLUICE_BUILD_DATE === "string" && /^\d{4}-\d{2}-\d{2}/.test(SLUICE_BUILD_DATE)
  ? SLUICE_BUILD_DATE.slice(0, 10).replaceAll("-", "/")
  : undefined;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * From source: the checkout's commit, as build/compile.ts would bake it in;
 * asked only when printed (node:child_process is loaded then, not at every start).
 */
async function sourceCommit(): Promise<string> {
  try {
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync("git", ["describe", "--always", "--dirty", "--abbrev=12"], {
      cwd: dirname(fileURLToPath(import.meta.url)),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    });
    return out.trim() || "unknown commit";
  } catch {
    return "unknown commit";
  }
}

export async function buildInfo(): Promise<BuildInfo> {
  if (typeof SLUICE_BUILD_VERSION === "string") {
    return {
      version: SLUICE_BUILD_VERSION,
      commit: typeof SLUICE_BUILD_COMMIT === "string" ? SLUICE_BUILD_COMMIT : "unknown commit",
      date: typeof SLUICE_BUILD_DATE === "string" ? SLUICE_BUILD_DATE : undefined,
      target: typeof SLUICE_BUILD_TARGET === "string" ? SLUICE_BUILD_TARGET : undefined,
    };
  }
  return { version: VERSION, commit: await sourceCommit(), date: undefined, target: undefined };
}
