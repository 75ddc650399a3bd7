// What the stats listener does to servers (issue 16): the JSON API's list and
// change of one server, and the page's form actions (HAProxy's stats page:
// a set of servers of one backend, one action). Every change goes through
// check/server-ops.ts, as the runtime API's commands do, with the same
// validation and the same messages.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { isIpAddress, type ServerOps } from "../check/server-ops.ts";

/** One server as the JSON API shows it. */
export interface ServerView {
  backend: string;
  server: string;
  /** What the page shows: MAINT, else DOWN, else DRAIN, else UP. */
  state: "UP" | "DOWN" | "MAINT" | "DRAIN";
  /** The administrative state (READY, DRAIN, MAINT) and the operational one (UP, DOWN). */
  admin: string;
  operational: string;
  /** The weight set (`weight`, `set server ... weight`), the configured one, and the one the balancer uses now (slowstart ramps it). */
  weight: number;
  initialWeight: number;
  effectiveWeight: number;
  address: string;
  port: number;
  sessions: number;
  /** The active check: its last status (L4OK, L7STS...; undefined before the first) and whether it runs. */
  check: { status: string | undefined; enabled: boolean } | null;
}

function viewOf(ops: ServerOps, backend: Backend, server: Server): ServerView {
  const s = server.state;
  const check = ops.healthCheck(server);
  const state = s.admin === "MAINT" ? "MAINT" : s.op === "DOWN" ? "DOWN" : s.admin === "DRAIN" ? "DRAIN" : "UP";
  return {
    backend: backend.name,
    server: server.name,
    state,
    admin: s.admin,
    operational: s.op,
    weight: server.userWeight,
    initialWeight: server.initialWeight,
    effectiveWeight: server.weight,
    address: server.address,
    port: server.port,
    sessions: server.current,
    check: check === undefined ? null : { status: s.last?.status, enabled: !s.checksPaused },
  };
}

export function serverViews(ops: ServerOps): ServerView[] {
  const out: ServerView[] = [];
  for (const backend of ops.backends.values()) for (const server of backend.servers) out.push(viewOf(ops, backend, server));
  return out;
}

/** An answer of the API: the status and the JSON body. */
export type ApiAnswer = { status: 200; body: ServerView & { messages: string[] } } | { status: 400 | 404; body: { error: string } };

const FIELDS = ["state", "weight", "address", "port", "checks", "health"];
const STATES = { ready: "READY", drain: "DRAIN", maint: "MAINT" } as const;

const refused = (error: string): ApiAnswer => ({ status: 400, body: { error } });

/** A change as the JSON body asks it, checked whole before anything is applied (the weight is checked by applying it first). */
export interface Change {
  state?: "READY" | "DRAIN" | "MAINT";
  weight?: string;
  address?: string;
  port?: number;
  checks?: boolean;
  health?: "UP" | "DOWN";
}

/** The JSON body as a change, or what is wrong with it (HAProxy's runtime API messages where one fits). */
export function readChange(body: unknown): Change | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "expected a JSON object such as {\"state\": \"drain\"}";
  const o = body as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) return `unknown field '${unknown}' (expected ${FIELDS.join(", ")})`;
  const change: Change = {};
  if (o.state !== undefined) {
    const next = typeof o.state === "string" ? STATES[o.state as keyof typeof STATES] : undefined;
    if (next === undefined) return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.";
    change.state = next;
  }
  if (o.weight !== undefined) {
    if (typeof o.weight !== "string" && typeof o.weight !== "number") return "Require <weight> or <weight%>.";
    change.weight = String(o.weight);
  }
  if (o.address !== undefined) {
    if (typeof o.address !== "string" || !isIpAddress(o.address)) return `Invalid addr '${String(o.address)}' by 'stats socket command'`;
    change.address = o.address;
  }
  if (o.port !== undefined) {
    const p = o.port;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 65535) return `problem converting port '${String(p)}' to an int by 'stats socket command' (expected 1-65535)`;
    change.port = p;
  }
  if (o.checks !== undefined) {
    if (typeof o.checks !== "boolean") return "'checks' expects true or false";
    change.checks = o.checks;
  }
  if (o.health !== undefined) {
    if (o.health === "stopping") return "'set server <srv> health stopping' is not supported: sluice has no STOPPING state (use 'state drain').";
    if (o.health !== "up" && o.health !== "down") return "'set server <srv> health' expects 'up', 'stopping', or 'down'.";
    change.health = o.health === "up" ? "UP" : "DOWN";
  }
  return change;
}

/** `POST <uri>api/servers/<backend>/<server>`: applies the body's changes in one go (weight, state, address, checks, health). */
export function changeServer(ops: ServerOps, backendName: string, serverName: string, body: unknown): ApiAnswer {
  const found = ops.find(backendName, serverName);
  if ("error" in found) return { status: 404, body: { error: found.error } };
  const { backend, server } = found;
  const change = readChange(body);
  if (typeof change === "string") return refused(change);
  if (change.checks === true && ops.healthCheck(server) === undefined) return refused("Health check was not configured on this server, cannot enable.");
  const messages: string[] = [];
  if (change.weight !== undefined) {
    const no = ops.setWeight(backend, server, change.weight);
    if (no !== undefined) return refused(no);
  }
  if (change.state !== undefined) ops.setAdmin(backend, server, change.state);
  if (change.address !== undefined || change.port !== undefined) messages.push(ops.setAddress(server, change.address ?? server.address, change.port));
  if (change.checks !== undefined) ops.setChecks(backend, server, change.checks);
  if (change.health !== undefined) ops.setHealth(backend, server, change.health);
  return { status: 200, body: { ...viewOf(ops, backend, server), messages } };
}

/** The page's actions (HAProxy's stats page names them so). */
export const PAGE_ACTIONS: readonly (readonly [string, string])[] = [
  ["ready", "Set state to READY"],
  ["drain", "Set state to DRAIN"],
  ["maint", "Set state to MAINT"],
  ["hrunn", "Health: force UP"],
  ["hdown", "Health: force DOWN"],
  ["dhlth", "Health: disable checks"],
  ["ehlth", "Health: enable checks"],
];

/**
 * The page action a form's `action` names: one of PAGE_ACTIONS, or HAProxy's
 * older names it still takes (`disable`: maintenance, `enable`: ready again),
 * which scripts written for older pages post; undefined: no action.
 */
export function pageActionOf(action: string): string | undefined {
  if (action === "disable") return "maint";
  if (action === "enable") return "ready";
  return PAGE_ACTIONS.some(([a]) => a === action) ? action : undefined;
}

/** HAProxy's result codes of a page action (`<uri>;st=CODE` after the redirect) and what the page says for each. */
export const PAGE_RESULTS: Readonly<Record<string, string>> = {
  DONE: "Action processed successfully.",
  NONE: "Nothing has changed.",
  PART: "Action not processed for every server: some server names are unknown, or have no health check.",
  ERRP: "Action not processed because of invalid parameters: the action or the backend is unknown, or no server named could take it.",
  DENY: "Action denied.",
};

/** One form's action on the servers it names in one backend: a result code of PAGE_RESULTS. */
export function pageAction(ops: ServerOps, backendName: string, serverNames: readonly string[], posted: string): string {
  const backend = ops.backends.get(backendName);
  const action = pageActionOf(posted);
  if (backend === undefined || action === undefined) return "ERRP";
  if (serverNames.length === 0) return "NONE";
  let done = 0;
  for (const name of serverNames) {
    const server = backend.servers.find((s) => s.name === name);
    if (server === undefined) continue;
    if (action === "ready" || action === "drain" || action === "maint") ops.setAdmin(backend, server, STATES[action]);
    else if (action === "hrunn" || action === "hdown") ops.setHealth(backend, server, action === "hrunn" ? "UP" : "DOWN");
    else if (!ops.setChecks(backend, server, action === "ehlth")) continue;
    done++;
  }
  // As HAProxy's stats page: nothing changed among the servers named is ERRP, some of them PART.
  return done === 0 ? "ERRP" : done === serverNames.length ? "DONE" : "PART";
}
