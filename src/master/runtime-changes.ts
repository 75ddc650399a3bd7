// The runtime changes the master keeps for its workers (issue 16), HAProxy's
// server-state-file semantics held in the master's memory instead of a file:
// per backend/server its admin state (MAINT/DRAIN/READY), its weight and its
// address and port; per map file (and ACL pattern file) the entries changed
// at run time. A command
// is recorded once the workers applied it (worker 1's answer says so), and
// the record is replayed, as the same runtime API commands, to every new
// worker (a reload's, or one restarted after it died) before it counts as
// ready, for the servers its configuration still has.
import type { Config } from "../config/types.ts";

/** A runtime API command to run again on a new worker. */
export interface ReplayCommand {
  readonly words: readonly string[];
  readonly payload?: string;
}

interface ServerRecord {
  readonly backend: string;
  readonly server: string;
  /** `set server state X` (absolute), then the `disable|enable server` since (relative: enable keeps a drain). */
  admin: ReplayCommand[];
  weight?: ReplayCommand;
  addr?: ReplayCommand;
}

type Kind = "admin-absolute" | "admin" | "weight" | "addr" | "map" | "map-clear";

/** Which kept change `words` is, and of what ("B/S" or a map's name); undefined: not one the record keeps. */
function classify(words: readonly string[]): { kind: Kind; target: string } | undefined {
  const [a, b, c, d] = words;
  if ((a === "disable" || a === "enable") && b === "server" && c !== undefined) return { kind: "admin", target: c };
  if (a === "set" && b === "weight" && c !== undefined) return { kind: "weight", target: c };
  if (a === "set" && b === "server" && c !== undefined) {
    if (d === "state") return { kind: "admin-absolute", target: c };
    if (d === "weight") return { kind: "weight", target: c };
    if (d === "addr") return { kind: "addr", target: c };
    return undefined;
  }
  // Versioned changes (`add map @V`, prepare, commit) are not kept: a new worker starts at version 0 (docs/runtime-api.md).
  if (c?.startsWith("@") === true) return undefined;
  // Nor changes naming a reference by `#<id>` or an entry by `#0x..`: a new configuration numbers its ACL lines and
  // entries anew, and the same id could be another list (an allow-list for a block-list). Files are named by name.
  if ((b === "map" || b === "acl") && (c?.startsWith("#") === true || d?.startsWith("#") === true)) return undefined;
  if (b === "map" && c !== undefined && (a === "add" || a === "set" || a === "del")) return { kind: "map", target: c };
  if (a === "clear" && b === "map" && c !== undefined) return { kind: "map-clear", target: c };
  // An ACL's patterns are kept as a map's entries are (a file may be both: one record per name and kind).
  if (b === "acl" && c !== undefined && (a === "add" || a === "del")) return { kind: "map", target: `acl ${c}` };
  if (a === "clear" && b === "acl" && c !== undefined) return { kind: "map-clear", target: `acl ${c}` };
  return undefined;
}

export class RuntimeChanges {
  private readonly servers = new Map<string, ServerRecord>();
  private readonly maps = new Map<string, ReplayCommand[]>();

  /**
   * Whether a worker's `answer` to `words` says the change was made: HAProxy's
   * setters answer nothing on success, `set server addr` says what changed.
   */
  applied(words: readonly string[], answer: string): boolean {
    if (classify(words)?.kind === "addr") return /^(IP changed|no need to change|port changed)/.test(answer);
    return answer.trim() === "";
  }

  /** Keeps `words` (and its payload) if it is a change the record keeps and `answer` says it was applied. */
  record(words: readonly string[], payload: string | undefined, answer: string): void {
    const what = classify(words);
    if (what === undefined || !this.applied(words, answer)) return;
    const command: ReplayCommand = payload === undefined ? { words: [...words] } : { words: [...words], payload };
    if (what.kind === "map") {
      const list = this.maps.get(what.target) ?? [];
      list.push(command);
      this.maps.set(what.target, list);
      return;
    }
    if (what.kind === "map-clear") {
      this.maps.set(what.target, [command]);
      return;
    }
    const slash = what.target.indexOf("/");
    if (slash <= 0) return;
    let server = this.servers.get(what.target);
    if (server === undefined) {
      server = { backend: what.target.slice(0, slash), server: what.target.slice(slash + 1), admin: [] };
      this.servers.set(what.target, server);
    }
    if (what.kind === "admin-absolute") server.admin = [command];
    else if (what.kind === "admin") server.admin.push(command);
    else if (what.kind === "weight") server.weight = command;
    else server.addr = command;
  }

  /** The commands that bring a fresh worker of `config` to the recorded state: servers it still has, then the maps. */
  replay(config: Pick<Config, "backends">): ReplayCommand[] {
    const exists = new Set<string>();
    for (const b of config.backends) for (const s of b.servers) exists.add(`${b.name}/${s.name}`);
    const out: ReplayCommand[] = [];
    for (const [name, s] of this.servers) {
      if (!exists.has(name)) continue;
      if (s.addr !== undefined) out.push(s.addr);
      if (s.weight !== undefined) out.push(s.weight);
      out.push(...s.admin);
    }
    for (const list of this.maps.values()) out.push(...list);
    return out;
  }
}
