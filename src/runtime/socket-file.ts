// A unix-domain listener's socket file, the same on both runtimes (node:fs):
// a stale one left by a dead process is removed before listening, and the
// file gets the mode and owner the configuration asks for once it exists.
import { chmodSync, chownSync, existsSync, lstatSync, unlinkSync } from "node:fs";
import type { SocketFileAccess } from "./types.ts";

/** A socket file left by a process that died: listening there would fail with EADDRINUSE. */
export function removeStaleSocket(path: string): void {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
  unlinkSync(path);
}

/** Sets the socket file's mode and owner; `uid`/`gid` absent leave that id as it is (chown(2)'s -1). */
export function applySocketAccess(path: string, access: SocketFileAccess | undefined): void {
  if (access === undefined) return;
  if (access.mode !== undefined) chmodSync(path, access.mode);
  if (access.uid !== undefined || access.gid !== undefined) chownSync(path, access.uid ?? -1, access.gid ?? -1);
}

/** The socket file is removed with its listener (someone else may have removed it already). */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
