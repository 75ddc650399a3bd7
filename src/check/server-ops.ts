// What an operator does to a server at run time, in one place: the runtime
// API's commands (control/) and the admin listener's JSON API (admin/) both
// call these. Each change goes through the server's one state (ServerState)
// and its backend's one dispatch loop, and is logged in HAProxy's words
// (server.c's srv_set_admin_flag / srv_clr_admin_flag):
//   READY  takes load-balanced traffic (if UP and its weight is above 0);
//   DRAIN  takes no new load-balanced session, only those that name it (a
//          persistence cookie, a stick table, use-server); current ones finish;
//   MAINT  takes nothing; streams waiting for it go elsewhere, its idle pooled
//          connections close and those in use close when done.
// A weight change reaches the balancer at once (Backend.reweighed); an
// address change sends new connections to the new address and retires the
// pooled ones to the old.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { AdminState, Transition } from "../backend/server-state.ts";
import type { HealthChecks } from "./checks.ts";
import type { HealthCheck } from "./health-check.ts";
import type { Tracking } from "./tracking.ts";
import type { AgentCheck } from "./agent-check.ts";
import { survivors } from "./transition-log.ts";
import { serversCount, serverWord } from "./transition-log.ts";

/** A server found by "backend/server", or why not (HAProxy's answers). */
export type Found = { backend: Backend; server: Server } | { error: string };

/** Dotted IPv4 or an IPv6 address (a name is not an address here, as HAProxy's `set server addr`). */
export function isIpAddress(text: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) return v4.slice(1).every((p) => Number(p) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(text) && text.includes(":") && text.split("::").length <= 2;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/**
 * C's strtol in base 10 (a 64-bit long): leading blanks, a sign, digits,
 * clamped to the long's range; and what follows them. Undefined when no
 * digit comes.
 */
export function parseStrtol(text: string): { value: bigint; rest: string } | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)(.*)$/s.exec(text);
  if (m === null) return undefined;
  const v = BigInt(m[1]!);
  return { value: v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v, rest: m[2]! };
}

/** A long stored into a C int (HAProxy's `int maxconn`): the low 32 bits, signed. */
export function toInt32(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

/** The weight's highest value (HAProxy's SRV_UWGHT_MAX). */
export const MAX_WEIGHT = 256;

export class ServerOps {
  private readonly checkOf = new Map<Server, HealthCheck>();
  private readonly tracking: Tracking;
  private readonly agentOf = new Map<Server, AgentCheck>();

  constructor(
    readonly backends: ReadonlyMap<string, Backend>,
    checks: HealthChecks,
    /** Monotonic ms (the proxy's clock, read fresh: a command is an event of its own). */
    private readonly now: () => number,
  ) {
    for (const c of checks.all) this.checkOf.set(c.server, c);
    this.tracking = checks.tracking;
    for (const a of checks.agents) this.agentOf.set(a.server, a);
  }

  /** The server's agent, if it has one (`agent-check`). */
  agent(server: Server): AgentCheck | undefined {
    return this.agentOf.get(server);
  }

  /** `disable agent` / `enable agent`: stop or start the agent; false when the server has none. */
  setAgent(server: Server, enabled: boolean): boolean {
    const agent = this.agentOf.get(server);
    if (agent === undefined) return false;
    if (server.state.agent!.enabled === enabled) return true;
    if (enabled) agent.start(0);
    else agent.stop();
    return true;
  }

  /** `set server B/S agent up|down`: what the agent would say, until it says otherwise. */
  setAgentHealth(backend: Backend, server: Server, op: "UP" | "DOWN"): void {
    this.apply(backend, server, server.state.agentSays(op === "DOWN", this.now()), "changed from CLI");
  }

  /** `backend/server` → the server, or HAProxy's message ("No such backend.", "No such server."). */
  find(backendName: string, serverName: string): Found {
    const backend = this.backends.get(backendName);
    if (backend === undefined) return { error: "No such backend." };
    const server = backend.servers.find((s) => s.name === serverName);
    if (server === undefined) return { error: "No such server." };
    return { backend, server };
  }

  /** The server's active check, if it has one (`check` on its line). */
  healthCheck(server: Server): HealthCheck | undefined {
    return this.checkOf.get(server);
  }

  /**
   * READY, DRAIN or MAINT (`set server B/S state`, `enable|disable server`):
   * the server's own state; in force is the stronger of it and what a
   * tracked server passes on. Its trackers follow what is in force.
   */
  setAdmin(backend: Backend, server: Server, next: AdminState): void {
    const state = server.state;
    const was = state.forcedAdmin;
    if (was === next) return;
    const before = state.admin;
    state.forcedAdmin = next;
    // Its own clock: lastChange times the operational state (downtime counts from it).
    state.lastAdminChange = this.now();
    this.adminChanged(backend, server, was, before, state.admin);
    this.tracking.admin(server);
  }

  private adminChanged(backend: Backend, server: Server, was: AdminState, before: AdminState, after: AdminState): void {
    const who = serverWord(server.id, server.backup);
    if (before === after) {
      // Its own maintenance (or drain) ends, the tracked server's goes on: HAProxy's words for it.
      if (was === "MAINT" && after === "MAINT") server.report(`${who} is leaving forced maintenance but remains in maintenance via ${server.state.trackedId}.`);
      else if (was === "DRAIN" && after === "DRAIN") server.report(`${who} is leaving forced drain but remains in drain mode via ${server.state.trackedId}.`);
      return;
    }
    if (after === "MAINT") return this.enterMaintenance(backend, server);
    if (before === "MAINT") return this.leaveMaintenance(backend, server, after);
    if (after === "DRAIN") {
      backend.noteAvailability();
      // Its own queue holds streams bound to it: it still serves them. Nothing else is requeued.
      server.report(`${who} enters drain state${online(backend, server, 0)}.`);
      return;
    }
    backend.serverUp(server);
    server.report(`${who} is ${server.state.op} (leaving forced drain).`);
  }

  /** `set server B/S weight N[%]` / `set weight`: the message when refused, else undefined. */
  setWeight(backend: Backend, server: Server, text: string): string | undefined {
    const m = /^(-?\d+)(%?)(.*)$/.exec(text);
    if (m === null) return "Empty weight string empty or preceded by garbage";
    let w = Number(m[1]);
    if (m[2] === "%") {
      if (m[3] !== "") return "Trailing garbage in weight string";
      if (w < 0) return "Relative weight must be positive.";
      w = Math.min(MAX_WEIGHT, Math.floor((server.initialWeight * w) / 100));
    } else if (w < 0 || w > MAX_WEIGHT) {
      return `Absolute weight can only be between 0 and ${MAX_WEIGHT} inclusive.`;
    } else if (m[3] !== "") {
      return "Trailing garbage in weight string";
    }
    if (w !== 0 && w !== server.initialWeight && backend.staticWeights) {
      return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.";
    }
    server.userWeight = w;
    server.weight = server.rampedWeight(this.now());
    backend.reweighed(server);
    return undefined;
  }

  /**
   * `set maxconn server B/S N`: HAProxy's server_parse_maxconn_change_request
   * (strtol: a sign and leading blanks pass, 0 lifts the limit, a negative
   * value is taken as is). Its two messages have no newline in HAProxy, so
   * its answer has no blank line after it: the caller keeps them as they
   * are. A higher limit lets the server's waiting streams through at once.
   */
  setMaxconn(backend: Backend, server: Server, text: string): string | undefined {
    const parsed = parseStrtol(text);
    if (parsed === undefined) return "maxconn string empty or preceded by garbage";
    if (parsed.rest !== "") return "Trailing garbage in maxconn string";
    const maxconn = toInt32(parsed.value);
    // HAProxy 2.6 (measured): a ramp whose top was set down to its floor is a fixed limit from then on, and the next
    // value moves both; otherwise only the top moves.
    if (server.minconn !== 0 && server.minconn === server.maxconn) server.minconn = maxconn;
    server.maxconn = maxconn;
    // A command is an event of its own: streams let through now are timed from now.
    this.now();
    backend.maxconnChanged(server);
    return undefined;
  }

  /**
   * `set server B/S addr IP [port N]`: new connections go to the new address;
   * connections to the old one are retired (idle ones close now, busy ones
   * when done). Returns HAProxy's report of what changed.
   */
  setAddress(server: Server, address: string, port: number | undefined): string {
    const by = "by 'stats socket command'";
    const before = `${server.address}:${server.port}`;
    const addrChanged = address !== server.address;
    const portChanged = port !== undefined && port !== server.port;
    const parts: string[] = [];
    parts.push(addrChanged ? `IP changed from '${server.address}' to '${address}'` : "no need to change the addr");
    if (portChanged) parts.push(`port changed from '${server.port}' to '${port}'`);
    if (!addrChanged && !portChanged) return `${parts.join(", ")} ${by}`;
    server.address = address;
    if (port !== undefined) server.port = port;
    server.pool.retire();
    server.report(`${server.id} changed its address from ${before} to ${server.address}:${server.port} ${by}.`);
    return `${parts.join(", ")} ${by}`;
  }

  /** `disable health` / `enable health`: pause or resume the active check; false when the server has none. */
  setChecks(backend: Backend, server: Server, enabled: boolean): boolean {
    const check = this.checkOf.get(server);
    if (check === undefined) return false;
    const state = server.state;
    if (state.checksPaused === !enabled) return true;
    state.checksPaused = !enabled;
    if (enabled) {
      check.checkNow();
      return true;
    }
    // Unchecked, a server counts as UP (HAProxy's paused check).
    this.apply(backend, server, state.force("UP", this.now()), "health check disabled");
    return true;
  }

  /** `set server B/S health up|down`: forces the operational state until the next check says otherwise. */
  setHealth(backend: Backend, server: Server, op: "UP" | "DOWN"): void {
    this.apply(backend, server, server.state.force(op, this.now()), "changed from CLI");
  }

  private enterMaintenance(backend: Backend, server: Server): void {
    const state = server.state;
    if (state.op === "DOWN") {
      server.pool.retire();
      server.report(`${serverWord(server.id, server.backup)} was DOWN and now enters maintenance.`);
      return;
    }
    const requeued = backend.serverDown(server);
    server.pool.retire();
    const left = survivors(backend);
    server.report(
      `${serverWord(server.id, server.backup)} is going DOWN for maintenance. ${serversCount(left, "left")} ` +
        `${server.current} sessions active, ${requeued} requeued, ${server.queued} remaining in queue.`,
    );
    if (left.active + left.backup === 0) server.report(`backend '${backend.name}' has no server available!`);
  }

  /** Back from maintenance: UP at once, checked again right away (HAProxy: "start OK but check immediately"). */
  private leaveMaintenance(backend: Backend, server: Server, next: AdminState): void {
    const state = server.state;
    const check = this.checkOf.get(server);
    const tracked = this.tracked(server);
    // A tracker is as healthy as the server it tracks; an unchecked server is UP.
    if (tracked !== undefined) state.force(tracked.state.op, this.now());
    else if (check === undefined || state.checksPaused) state.force("UP", this.now());
    else {
      state.health = state.rise;
      if (state.op === "DOWN") state.force("UP", this.now());
      check.checkNow();
    }
    backend.serverUp(server);
    server.report(`${serverWord(server.id, server.backup)} is ${state.op}/${next === "DRAIN" ? "DRAIN" : "READY"} (leaving forced maintenance).`);
  }

  /** The server `server` tracks, if it tracks one. */
  private tracked(server: Server): Server | undefined {
    const id = server.state.trackedId;
    if (id === undefined) return undefined;
    const slash = id.indexOf("/");
    return this.backends.get(id.slice(0, slash))?.servers.find((s) => s.name === id.slice(slash + 1));
  }

  /** A forced change of operational state moves traffic as a check's would, and is logged; trackers follow. */
  private apply(backend: Backend, server: Server, change: Transition, why: string): void {
    if (change === undefined) return;
    this.applyOwn(backend, server, change, why);
    this.tracking.operational(server, change === "down" ? "DOWN" : "UP");
  }

  private applyOwn(backend: Backend, server: Server, change: "up" | "down", why: string): void {
    if (change === "down") {
      const requeued = backend.serverDown(server);
      server.pool.closeIdle();
      const left = survivors(backend);
      server.report(`${serverWord(server.id, server.backup)} is DOWN, ${why}. ${serversCount(left, "left")} ${server.current} sessions active, ${requeued} requeued, ${server.queued} remaining in queue.`);
      if (left.active + left.backup === 0) server.report(`backend '${backend.name}' has no server available!`);
      return;
    }
    backend.serverUp(server);
    server.report(`${serverWord(server.id, server.backup)} is UP, ${why}${online(backend, server, 0)}.`);
  }
}


/** HAProxy's tail for a server that still runs: servers online, streams requeued, waiting. */
function online(backend: Backend, server: Server, requeued: number): string {
  return `. ${serversCount(survivors(backend), "online")} ${requeued} sessions requeued, ${server.queued} total in queue`;
}
