// The stats listener's forms and JSON API in master-worker mode (issue 16).
// The master has no servers of its own: it reads them from its workers (the
// first serving worker's states, every worker's sessions summed) and makes a
// change as the runtime API commands that mean it (`set server B/S state`,
// `weight`, `addr`, `health`, `enable|disable health`), sent to every worker
// through master-cli.ts's toAll, so a change from the page is recorded and
// replayed to new workers exactly as one typed on the master's socket.
import type { ServerAdmin } from "../admin/server-admin.ts";
import { type ApiAnswer, type Change, pageActionOf, readChange, type ServerView } from "../admin/server-api.ts";
import { type MasterCliContext, toAll } from "./master-cli.ts";

const key = (backend: string, server: string) => `${backend}/${server}`;

/** The workers' servers: the first's views, sessions summed over all. */
async function fleetViews(ctx: MasterCliContext): Promise<ServerView[]> {
  const answers = await Promise.all(ctx.master.serving().map((w) => ctx.master.ask(w, { ask: "servers" })));
  const lists: ServerView[][] = [];
  for (const a of answers) if (a !== undefined && "servers" in a) lists.push(a.servers);
  const [first, ...others] = lists;
  if (first === undefined) return [];
  const sessions = new Map<string, number>();
  for (const list of others) for (const v of list) sessions.set(key(v.backend, v.server), (sessions.get(key(v.backend, v.server)) ?? 0) + v.sessions);
  return first.map((v) => ({ ...v, sessions: v.sessions + (sessions.get(key(v.backend, v.server)) ?? 0) }));
}

/** The runtime API commands that make `change` on `name` (B/S), in the order the local API applies them. */
function commandsFor(name: string, change: Change, view: ServerView): string[][] {
  const out: string[][] = [];
  if (change.weight !== undefined) out.push(["set", "server", name, "weight", change.weight]);
  if (change.state !== undefined) out.push(["set", "server", name, "state", change.state.toLowerCase()]);
  if (change.address !== undefined || change.port !== undefined) {
    out.push(["set", "server", name, "addr", change.address ?? view.address, ...(change.port === undefined ? [] : ["port", String(change.port)])]);
  }
  if (change.checks !== undefined) out.push([change.checks ? "enable" : "disable", "health", name]);
  if (change.health !== undefined) out.push(["set", "server", name, "health", change.health.toLowerCase()]);
  return out;
}

/** A page action as the runtime API command that makes it on `name` (B/S). */
function actionCommand(action: string, name: string): string[] {
  if (action === "ready" || action === "drain" || action === "maint") return ["set", "server", name, "state", action];
  if (action === "hrunn" || action === "hdown") return ["set", "server", name, "health", action === "hrunn" ? "up" : "down"];
  return [action === "ehlth" ? "enable" : "disable", "health", name];
}

export function fleetAdmin(ctx: MasterCliContext): ServerAdmin {
  const applied = (words: readonly string[], answer: string) => ctx.master.changes.applied(words, answer);
  return {
    views: () => fleetViews(ctx),
    async change(backendName, serverName, body): Promise<ApiAnswer> {
      const views = await fleetViews(ctx);
      const view = views.find((v) => v.backend === backendName && v.server === serverName);
      if (view === undefined) {
        if (views.length === 0) return { status: 404, body: { error: "No worker is serving." } };
        return { status: 404, body: { error: views.some((v) => v.backend === backendName) ? "No such server." : "No such backend." } };
      }
      const change = readChange(body);
      if (typeof change === "string") return { status: 400, body: { error: change } };
      if (change.checks === true && view.check === null) return { status: 400, body: { error: "Health check was not configured on this server, cannot enable." } };
      const messages: string[] = [];
      for (const words of commandsFor(key(backendName, serverName), change, view)) {
        const answer = await toAll(ctx, words, undefined);
        if (!applied(words, answer)) return { status: 400, body: { error: answer.trim() } };
        if (words[3] === "addr") messages.push(answer.trim());
      }
      const after = (await fleetViews(ctx)).find((v) => v.backend === backendName && v.server === serverName) ?? view;
      return { status: 200, body: { ...after, messages } };
    },
    async act(backendName, serverNames, posted) {
      const views = (await fleetViews(ctx)).filter((v) => v.backend === backendName);
      const action = pageActionOf(posted);
      if (views.length === 0 || action === undefined) return "ERRP";
      if (serverNames.length === 0) return "NONE";
      let done = 0;
      for (const name of serverNames) {
        const view = views.find((v) => v.server === name);
        // As the local form: a server without a check is skipped for the check actions.
        if (view === undefined || ((action === "ehlth" || action === "dhlth") && view.check === null)) continue;
        const words = actionCommand(action, key(backendName, name));
        if (applied(words, await toAll(ctx, words, undefined))) done++;
      }
      return done === 0 ? "ERRP" : done === serverNames.length ? "DONE" : "PART";
    },
  };
}
