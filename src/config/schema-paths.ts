// Where relative file names are read from (issue 19, bindopts), as HAProxy 2.6:
//   default-path current|config|parent|origin <path>
//       the directory relative names start from, for the file it is written
//       in (HAProxy chdir()s there while it parses that file): the process's
//       working directory, the config file's directory, its parent, or <path>.
//   crt-base <dir>   where a relative `crt` (bind and server, and the
//                    certificates a crt-list names) is read from.
//   ca-base <dir>    the same for a relative `ca-file`.
// Without default-path sluice starts from the config file's directory (as
// `default-path config`; HAProxy's default is `current`): the same file
// means the same thing whichever directory sluice is started from. A relative
// crt-base or ca-base starts from that directory too, as in HAProxy.
// One default-path per file (HAProxy replaces it from its line on; sluice
// applies the file's last one to the whole file, which is the same in every
// file that writes it once, at the top).
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as v from "valibot";
import { describe } from "./schema-values.ts";

export type DefaultPath =
  | { kind: "current" }
  | { kind: "config" }
  | { kind: "parent" }
  | { kind: "origin"; path: string };

const USAGE = "usage: default-path current|config|parent|origin <path>";

export const DefaultPathSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): DefaultPath => {
    const x = dataset.value;
    const words = typeof x === "string" ? x.split(/\s+/).filter((w) => w !== "") : [];
    const [kind, path, extra] = words;
    if ((kind === "current" || kind === "config" || kind === "parent") && path === undefined) return { kind };
    if (kind === "origin" && path !== undefined && extra === undefined) return { kind, path };
    addIssue({ message: kind === "origin" ? `default-path origin needs one <path> (${USAGE})` : `invalid default-path ${describe(x)} (${USAGE})` });
    return NEVER;
  }),
);

function directory(name: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      if (typeof x === "string" && x !== "") return x;
      addIssue({ message: `invalid ${name} ${describe(x)} (expected a directory)` });
      return NEVER;
    }),
  );
}

/** The global keywords (same keys in YAML; default-path in YAML: "config" or "origin /etc/x"). */
export const PATHS_GLOBAL = {
  "default-path": v.optional(DefaultPathSchema),
  "ca-base": v.optional(directory("ca-base")),
  "crt-base": v.optional(directory("crt-base")),
};

const PathKeysSchema = v.object(PATHS_GLOBAL);

/** What one `global` section says of paths, or nothing when it says nothing valid (GlobalSchema reports errors). */
export function pathKeywords(global: unknown): v.InferOutput<typeof PathKeysSchema> {
  if (global === null || typeof global !== "object") return {};
  const g = global as Record<string, unknown>;
  const r = v.safeParse(PathKeysSchema, { "default-path": g["default-path"], "ca-base": g["ca-base"], "crt-base": g["crt-base"] });
  return r.success ? r.output : {};
}

/** How the files one config file names are found. */
export interface FilePaths {
  /** Any relative name (errorfile, crt-list, log file...). */
  near(file: string): string;
  /** A certificate: `crt` on binds and servers, the entries of a crt-list. */
  crt(file: string): string;
  /** `ca-file`. */
  ca(file: string): string;
}

export function filePaths(configFile: string, bases: { defaultPath?: DefaultPath; caBase?: string; crtBase?: string }, cwd: string): FilePaths {
  const start = startDirectory(configFile, bases.defaultPath, cwd);
  const near = (file: string) => (isAbsolute(file) ? file : join(start, file));
  const under = (base: string | undefined) => (file: string) => (isAbsolute(file) || base === undefined ? near(file) : join(near(base), file));
  return { near, crt: under(bases.crtBase), ca: under(bases.caBase) };
}

function startDirectory(configFile: string, defaultPath: DefaultPath | undefined, cwd: string): string {
  const own = dirname(configFile);
  switch (defaultPath?.kind) {
    case undefined:
    case "config":
      return own;
    case "current":
      return cwd;
    case "parent":
      return join(own, "..");
    case "origin":
      return resolve(cwd, defaultPath.path);
  }
}
