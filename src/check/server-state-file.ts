// Server-state files at start (`load-server-state-from-file`): what `show
// servers state` printed before a reload (version 1) is read back and
// restored as HAProxy 2.6 does (checked against haproxy -db):
// - the address of a server written with a host name (init-addr `last`,
//   first by default); a server written as an IP keeps its address;
// - the port, the weight set at run time (only if the configured weight did
//   not change: the configuration wins), forced maintenance (unless the
//   configuration's `disabled` changed) and forced drain, paused checks;
// - for a checked server, DOWN ("is DOWN, changed from server-state after a
//   reload"), UP, and the last check's result.
// A line naming a backend or server that no longer exists is skipped.
import { readFileSync } from "node:fs";
import type { Backend } from "../backend/backend.ts";
import type { CheckStatus } from "../backend/server-state.ts";
import type { Server } from "../backend/server.ts";
import { serverStateFileOf } from "../config/schema-server-state.ts";
import { survivors } from "./transition-log.ts";
import { serversCount, serverWord } from "./transition-log.ts";

/** One server's line, the fields sluice restores. */
export interface SavedServer {
  backend: string;
  server: string;
  address: string;
  /** HAProxy's srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  op: number;
  /** srv_admin_state bits: 0x01 forced maintenance, 0x04 configured `disabled`, 0x08 forced drain. */
  admin: number;
  userWeight: number;
  initialWeight: number;
  /** Seconds since the last change of state. */
  sinceChange: number;
  checkStatus: number;
  checkHealth: number;
  /** srv_check_state bits: 0x02 configured, 0x04 enabled. */
  checkState: number;
  port: number;
}

const FIELDS = 19;

/** Parses a state file; `problems` gets one line per line that cannot be read (HAProxy skips those too). */
export function parseServerState(text: string, problems: string[]): SavedServer[] {
  const lines = text.split("\n");
  const version = lines[0]?.trim();
  if (version !== "1") {
    problems.push(`unknown version '${version ?? ""}' (expected 1)`);
    return [];
  }
  const out: SavedServer[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line.trim() === "" || line.startsWith("#")) return;
    const f = line.trim().split(/\s+/);
    const n = (k: number) => Number(f[k]);
    if (f.length < FIELDS || [0, 2, 5, 6, 7, 8, 9, 10, 12, 13, 18].some((k) => !/^-?\d+$/.test(f[k]!))) {
      problems.push(`line ${i + 1}: expected ${FIELDS} or more fields, numbers where numbers go`);
      return;
    }
    out.push({
      backend: f[1]!, server: f[3]!, address: f[4]!, op: n(5), admin: n(6), userWeight: n(7), initialWeight: n(8),
      sinceChange: n(9), checkStatus: n(10), checkHealth: n(12), checkState: n(13), port: n(18),
    });
  });
  return out;
}

/** HAProxy's healthcheck_status numbers back to sluice's check statuses (the others: none). */
const STATUS: Record<number, CheckStatus> = { 4: "HANA", 6: "L4OK", 7: "L4TOUT", 8: "L4CON", 9: "L6OK", 10: "L6TOUT", 11: "L6RSP", 12: "L7TOUT", 13: "L7RSP", 15: "L7OK", 16: "L7OKC", 17: "L7STS", 5: "SOCKERR", 18: "PROCERR", 19: "PROCTOUT", 20: "PROCOK" };
const MAX_WEIGHT = 256;

/** strerror's words for the usual reasons, as HAProxy prints them. */
const REASONS: Record<string, string> = { ENOENT: "No such file or directory", EACCES: "Permission denied", EISDIR: "Is a directory" };

/** Reads `file` (warnings for what cannot be read: HAProxy only warns and starts); `global`: the global file. */
export function readServerState(file: string, global: boolean, warn: (line: string) => void): SavedServer[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    warn(`Can't open ${global ? "global " : ""}server state file '${file}': ${(code !== undefined ? REASONS[code] : undefined) ?? (error as Error).message}`);
    return [];
  }
  const problems: string[] = [];
  const saved = parseServerState(text, problems);
  for (const p of problems) warn(`server state file '${file}': ${p}`);
  return saved;
}

/** The saved line of each server of `backend`, by name. */
export function savedOf(backend: Backend, saved: readonly SavedServer[]): Map<Server, SavedServer> {
  const out = new Map<Server, SavedServer>();
  for (const s of saved) {
    if (s.backend !== backend.name) continue;
    const server = backend.servers.find((x) => x.name === s.server);
    if (server !== undefined) out.set(server, s);
  }
  return out;
}

/** The address `init-addr last` finds: the saved one, when it was an address. */
export function lastAddress(s: SavedServer | undefined): string | undefined {
  return s === undefined || s.address === "-" ? undefined : s.address;
}

/** Restores one server before traffic and checks start; `checked`: it has an active check (whose state the file may hold). */
export function restoreServer(backend: Backend, server: Server, s: SavedServer, checked: boolean, now: number): void {
  const state = server.state;
  if (s.port > 0 && s.port <= 65535) server.port = s.port;
  // The configured weight wins over a run-time one when it changed.
  if (s.initialWeight === server.initialWeight && s.userWeight >= 0 && s.userWeight <= MAX_WEIGHT) {
    server.userWeight = s.userWeight;
    server.weight = s.userWeight;
    backend.reweighed(server);
  }
  const configDisabled = (s.admin & 0x04) !== 0;
  const forcedMaint = (s.admin & 0x01) !== 0;
  // The configuration's `disabled` wins when it changed; else the forced maintenance comes back.
  if (configDisabled === server.configDisabled && !server.configDisabled) state.admin = forcedMaint ? "MAINT" : "READY";
  if (state.admin !== "MAINT" && (s.admin & 0x08) !== 0 && (s.initialWeight > 0 || server.initialWeight === 0)) {
    state.admin = "DRAIN";
    server.report(`${serverWord(server.id, server.backup)} remains in forced drain mode.`);
  }
  const since = now - Math.max(0, s.sinceChange) * 1000;
  if (checked) {
    if ((s.checkState & 0x02) !== 0 && (s.checkState & 0x04) === 0) state.checksPaused = true;
    const status = STATUS[s.checkStatus];
    if (status !== undefined) state.last = { status, info: "", durationMs: 0 };
  }
  if (s.op === 0) {
    // HAProxy stops the server whatever its checks (it says so for one in maintenance too).
    if (state.admin !== "MAINT" && !state.checksPaused) state.force("DOWN", now);
    const left = survivors(backend);
    server.report(
      `${serverWord(server.id, server.backup)} is DOWN, changed from server-state after a reload. ${serversCount(left, "left")} ` +
        `${server.current} sessions active, 0 requeued, ${server.queued} remaining in queue.`,
    );
  } else if (s.op === 3 && checked) state.stopping = true;
  else if ((s.op === 1 || s.op === 2) && checked) state.health = state.rise + state.fall - 1;
  state.lastChange = since;
  state.lastAdminChange = since;
}

/**
 * Reads the state file of every backend that loads one (each file once) and
 * finds each server's saved line; warnings go to the backend's log.
 */
export function loadServerStates(
  global: { serverStateFile?: string; serverStateBase?: string },
  backends: Iterable<Backend>,
): Map<Server, SavedServer> {
  const files = new Map<string, SavedServer[]>();
  const out = new Map<Server, SavedServer>();
  for (const backend of backends) {
    const file = serverStateFileOf(global, backend.config);
    const say = backend.servers[0]?.report;
    if (file === undefined || say === undefined) continue;
    let saved = files.get(file);
    if (saved === undefined) {
      saved = readServerState(file, backend.config.loadServerState === "global", say);
      files.set(file, saved);
    }
    for (const [server, s] of savedOf(backend, saved)) out.set(server, s);
  }
  return out;
}

/** Restores every server that has a saved line, before traffic and checks start. */
export function restoreServerStates(saved: ReadonlyMap<Server, SavedServer>, backends: Iterable<Backend>, now: number): void {
  for (const backend of backends) {
    backend.servers.forEach((server, i) => {
      const s = saved.get(server);
      if (s !== undefined) restoreServer(backend, server, s, backend.config.servers[i]?.check !== undefined, now);
    });
  }
}
