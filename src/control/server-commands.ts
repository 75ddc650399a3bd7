// Servers on the runtime API, as HAProxy 2.6 answers: `disable|enable
// server`, `set server B/S state|weight|addr|health|agent|agent-addr|
// agent-port|agent-send`, `set weight`, `get weight`, `disable|enable
// health|agent`, `show servers state`. The changes
// themselves are check/server-ops.ts's (the JSON API calls the same).
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { CheckStatus } from "../backend/server-state.ts";
import { isIpAddress, type ServerOps } from "../check/server-ops.ts";
import { type Command, type ControlContext, say, splitServerName } from "./commands.ts";
import { proxyIds } from "../config/proxy-ids.ts";

const REQUIRE = say("Require 'backend/server'.");
const SET_SERVER_USAGE = say("usage: set server <backend>/<server> addr | health | state | weight");

/** The server a "B/S" argument names, or the answer saying why not (HAProxy's cli_find_server). */
export function lookup(ops: ServerOps, name: string | undefined): { backend: Backend; server: Server } | string {
  const names = splitServerName(name);
  if (names === undefined) return REQUIRE;
  const found = ops.find(names[0], names[1]);
  return "error" in found ? say(found.error) : found;
}

function adminCommand(words: string[], usage: string, help: string, next: "READY" | "MAINT"): Command {
  return {
    words,
    usage,
    help,
    level: "admin",
    run(call, ctx) {
      const found = lookup(ctx.ops, call.args[0]);
      if (typeof found === "string") return found;
      // `enable server` leaves maintenance only (a drain stays, as HAProxy's FDRAIN flag does).
      if (next === "READY" && found.server.state.admin !== "MAINT") return "";
      ctx.ops.setAdmin(found.backend, found.server, next);
      return "";
    },
  };
}

/**
 * `disable|enable health` and `disable|enable agent`: pause or resume a
 * server's check or agent. HAProxy: pausing one that does not exist is no
 * error, resuming one is (`missing` says so).
 */
function toggleCommand(
  words: string[],
  usage: string,
  help: string,
  enabled: boolean,
  toggle: (ops: ServerOps, found: { backend: Backend; server: Server }, enabled: boolean) => boolean,
  missing: string,
): Command {
  return {
    words,
    usage,
    help,
    level: "admin",
    run(call, ctx) {
      const found = lookup(ctx.ops, call.args[0]);
      if (typeof found === "string") return found;
      if (!toggle(ctx.ops, found, enabled) && enabled) return say(missing);
      return "";
    },
  };
}

const setChecks = (ops: ServerOps, f: { backend: Backend; server: Server }, on: boolean) => ops.setChecks(f.backend, f.server, on);
const setAgent = (ops: ServerOps, f: { server: Server }, on: boolean) => ops.setAgent(f.server, on);
const NO_CHECK = "Health check was not configured on this server, cannot enable.";
const NO_AGENT = "Agent was not configured on this server, cannot enable.";

function setWeight(ctx: ControlContext, found: { backend: Backend; server: Server }, weight: string | undefined): string {
  if (weight === undefined) return say("Require <weight> or <weight%>.");
  const refused = ctx.ops.setWeight(found.backend, found.server, weight);
  return refused === undefined ? "" : say(refused);
}

function setServer(call: { args: readonly string[] }, ctx: ControlContext): string {
  const found = lookup(ctx.ops, call.args[0]);
  if (typeof found === "string") return found;
  const [, what, value, ...rest] = call.args;
  switch (what) {
    case "state": {
      const next = value === "ready" ? "READY" : value === "drain" ? "DRAIN" : value === "maint" ? "MAINT" : undefined;
      if (next === undefined) return say("'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
      ctx.ops.setAdmin(found.backend, found.server, next);
      return "";
    }
    case "weight":
      return setWeight(ctx, found, value);
    case "health": {
      if (value === "up" || value === "down") {
        ctx.ops.setHealth(found.backend, found.server, value === "up" ? "UP" : "DOWN");
        return "";
      }
      if (value === "stopping") return say("'set server <srv> health stopping' is not supported: sluice has no STOPPING state (use 'state drain').");
      return say("'set server <srv> health' expects 'up', 'stopping', or 'down'.");
    }
    case "agent": {
      if (ctx.ops.agent(found.server) === undefined || found.server.state.agent?.enabled !== true) return say("agent checks are not enabled on this server.");
      if (value !== "up" && value !== "down") return say("'set server <srv> agent' expects 'up' or 'down'.");
      ctx.ops.setAgentHealth(found.backend, found.server, value === "up" ? "UP" : "DOWN");
      return "";
    }
    case "agent-addr":
    case "agent-port":
    case "agent-send": {
      const agent = ctx.ops.agent(found.server);
      if (agent === undefined || found.server.state.agent?.enabled !== true) return say("agent checks are not enabled on this server.");
      if (what === "agent-send") {
        agent.spec.send = [value, ...rest].filter((w) => w !== undefined).join(" ");
        return "";
      }
      if (what === "agent-addr") {
        // HAProxy's answer lacks its newline (no blank line after it): kept as is.
        if (value === undefined || !isIpAddress(value)) return `invalid addr '${value ?? ""}'`;
        agent.spec.addr = value;
        return "";
      }
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) return "provided port is not an integer";
      agent.spec.port = Number(value);
      return "";
    }
    case "addr": {
      if (value === undefined) return say("set server <b>/<s> addr requires an address and optionally a port.");
      if (!isIpAddress(value)) return say(`Invalid addr '${value}' by 'stats socket command'`);
      let port: number | undefined;
      if (rest.length > 0) {
        if (rest[0] !== "port" || rest.length !== 2) return say("set server <b>/<s> addr requires an address and optionally a port.");
        const p = rest[1]!;
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return say(`problem converting port '${p}' to an int by 'stats socket command' (expected 1-65535)`);
        port = Number(p);
      }
      return say(ctx.ops.setAddress(found.server, value, port));
    }
    default:
      return SET_SERVER_USAGE;
  }
}

/** HAProxy's healthcheck_status numbers (checks.h), as `show servers state` prints them. */
const CHECK_STATUS: Record<CheckStatus, number> = { HANA: 4, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17, SOCKERR: 5, PROCERR: 18, PROCTOUT: 19, PROCOK: 20 };
const CHECK_PASSED = 3;
const CHECK_FAILED = 2;

/** One `show servers state` line (format version 1). */
function stateLine(ctx: ControlContext, backendId: number, backend: Backend, server: Server, index: number, now: number): string {
  const state = server.state;
  const check = ctx.ops.healthCheck(server);
  const ramping = server.weight < server.userWeight && state.op === "UP";
  const op = state.op === "DOWN" || state.admin === "MAINT" ? 0 : state.stopping ? 3 : ramping ? 1 : 2;
  // HAProxy's flags: FMAINT, IMAINT (a tracked server's), CMAINT (the configuration's), FDRAIN, IDRAIN.
  const admin = (state.forcedAdmin === "MAINT" ? 0x01 : 0) | (state.inheritedAdmin === "MAINT" ? 0x02 : 0) | (server.configDisabled ? 0x04 : 0) |
    (state.forcedAdmin === "DRAIN" ? 0x08 : 0) | (state.inheritedAdmin === "DRAIN" ? 0x10 : 0);
  const last = state.last;
  const status = check === undefined ? 1 : last === undefined ? 1 : CHECK_STATUS[last.status];
  const result = check === undefined || last === undefined ? 0 : state.health >= state.rise && state.op === "UP" ? CHECK_PASSED : CHECK_FAILED;
  const health = check === undefined ? 0 : state.admin === "MAINT" ? 0 : state.health;
  const checkState = check === undefined
    ? (state.admin === "MAINT" ? 0x08 : 0)
    : 0x02 | (state.checksPaused ? 0 : 0x04) | (state.admin === "MAINT" ? 0x08 : 0);
  // HAProxy's last_change moves with either state.
  const since = Math.max(0, Math.floor((now - Math.max(state.lastChange, state.lastAdminChange)) / 1000));
  const fqdn = /^[\d.]+$/.test(server.host) || server.host.includes(":") ? "-" : server.host;
  const checkPort = check?.spec.port ?? 0;
  const checkAddr = check?.spec.addr ?? "-";
  // An agent: HAProxy's CHK_ST_CONFIGURED | ENABLED | AGENT, and INPROGRESS while it runs.
  const agent = backend.config.servers[index]?.agent;
  const agentState = agent === undefined ? 0 : 0x12 | (state.agent?.enabled === true ? 0x04 : 0) | (state.agent?.running === true ? 0x01 : 0);
  return [
    backendId, backend.name, index + 1, server.name, server.address === "" ? "-" : server.address, op, admin,
    server.userWeight, server.initialWeight, since, status, result, health, checkState, agentState, 0, 0,
    fqdn, server.port, "-", server.tls === undefined ? 0 : 1, checkPort, checkAddr, agent?.addr ?? "-", agent?.port ?? 0,
  ].join(" ");
}

const STATE_HEADER = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
  "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state " +
  "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr " +
  "srv_agent_addr srv_agent_port";

export const SERVER_COMMANDS: readonly Command[] = [
  adminCommand(["disable", "server"], "disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)", "MAINT"),
  adminCommand(["enable", "server"], "enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)", "READY"),
  toggleCommand(["disable", "health"], "disable health", "disable health checks", false, setChecks, NO_CHECK),
  toggleCommand(["enable", "health"], "enable health", "enable health checks", true, setChecks, NO_CHECK),
  toggleCommand(["disable", "agent"], "disable agent", "disable agent checks", false, setAgent, NO_AGENT),
  toggleCommand(["enable", "agent"], "enable agent", "enable agent checks", true, setAgent, NO_AGENT),
  {
    words: ["set", "server"],
    usage: "set server <bk>/<srv> [opts]",
    help: "change a server's state, weight, address or health",
    level: "admin",
    run: setServer,
  },
  {
    words: ["set", "weight"],
    usage: "set weight <bk>/<srv>  (DEPRECATED)",
    help: "change a server's weight (use 'set server' instead)",
    level: "admin",
    run(call, ctx) {
      const found = lookup(ctx.ops, call.args[0]);
      return typeof found === "string" ? found : setWeight(ctx, found, call.args[1]);
    },
  },
  {
    words: ["get", "weight"],
    usage: "get weight <bk>/<srv>",
    help: "report a server's current weight",
    level: "user",
    run(call, ctx) {
      const found = lookup(ctx.ops, call.args[0]);
      if (typeof found === "string") return found;
      return say(`${found.server.userWeight} (initial ${found.server.initialWeight})`);
    },
  },
  {
    words: ["show", "servers", "state"],
    usage: "show servers state [<backend>]",
    help: "dump volatile server information (all or for a single backend)",
    level: "user",
    run(call, ctx) {
      const wanted = call.args[0];
      const ids = proxyIds(ctx.proxy.config);
      const backends = [...ctx.proxy.backends.values()].filter((b) => wanted === undefined || b.name === wanted);
      if (wanted !== undefined && backends.length === 0) return say("Can't find backend.");
      const now = ctx.proxy.clock.tick();
      let out = `1\n${STATE_HEADER}\n`;
      for (const b of backends) b.servers.forEach((s, i) => (out += `${stateLine(ctx, ids.get(b.name) ?? 0, b, s, i, now)}\n`));
      return out;
    },
  },
];
