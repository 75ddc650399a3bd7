// Server-state files (HAProxy's `show servers state` output, version 1, read
// at start to restore what the runtime API changed before a reload): the
// global `server-state-file PATH` and `server-state-base DIR`, and per proxy
// (defaults, backend, listen) `load-server-state-from-file global|local|none`
// and `server-state-file NAME` (backend, listen: the file of `local`).
import * as v from "valibot";
import { describe } from "./schema-values.ts";

export const LOAD_SERVER_STATE = ["global", "local", "none"] as const;
export type LoadServerState = (typeof LOAD_SERVER_STATE)[number];

export const LoadServerStateSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): LoadServerState => {
    const x = dataset.value;
    if (typeof x === "string" && (LOAD_SERVER_STATE as readonly string[]).includes(x)) return x as LoadServerState;
    addIssue({ message: `invalid load-server-state-from-file ${describe(x)} (expected global, local or none)` });
    return NEVER;
  }),
);

/** A file or directory name, as written. */
export const StatePathSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    if (typeof x === "string" && x !== "" && !x.includes("\0")) return x;
    addIssue({ message: `expected a path, got ${describe(x)}` });
    return NEVER;
  }),
);

/**
 * The file a backend restores its servers from, as HAProxy finds it: `global`
 * reads the global server-state-file, `local` the backend's own
 * server-state-file (else a file named after the backend); a relative name
 * is under server-state-base when set. undefined: nothing to load.
 */
export function serverStateFileOf(
  global: { serverStateFile?: string; serverStateBase?: string },
  backend: { name: string; loadServerState?: LoadServerState; serverStateFile?: string },
): string | undefined {
  const mode = backend.loadServerState;
  if (mode === undefined || mode === "none") return undefined;
  const name = mode === "global" ? global.serverStateFile : (backend.serverStateFile ?? backend.name);
  if (name === undefined) return undefined;
  const base = global.serverStateBase;
  if (name.startsWith("/") || base === undefined) return name;
  return base.endsWith("/") ? `${base}${name}` : `${base}/${name}`;
}
