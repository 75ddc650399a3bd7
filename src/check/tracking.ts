// `server … track [BACKEND/]SERVER`: a server without checks of its own that
// goes DOWN and UP with the server it tracks, and into maintenance or drain
// with it, down a chain of trackers (HAProxy's srv_set_stopped/running and
// srv_set_admin_flag through `trackers`). Each change is logged in HAProxy's
// words, "via" the server it came from:
//   Server b/s2 is DOWN via b/s1. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
//   Server c/s3 is going DOWN for maintenance via b/s2. 0 active and 0 backup servers left. ...
// A tracker's own runtime changes (`disable server`) stay its own: it is in
// maintenance while either it or the server it tracks is (ServerState.admin).
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { AdminState, OpState } from "../backend/server-state.ts";
import { LEVEL } from "../log/target.ts";
import { noServerLine, noServerSyslogLine, serversCount, serverWord, survivors } from "./transition-log.ts";

interface Tracker {
  readonly server: Server;
  readonly backend: Backend;
}

export class Tracking {
  private readonly trackers = new Map<Server, Tracker[]>();

  constructor(backends: Iterable<Backend>, private readonly now: () => number) {
    const all = [...backends];
    const byName = new Map(all.map((b) => [b.name, b]));
    for (const backend of all) {
      backend.servers.forEach((server, i) => {
        const track = backend.config.servers[i]?.track;
        if (track === undefined) return;
        const owner = track.backend === undefined ? backend : byName.get(track.backend);
        const tracked = owner?.servers.find((s) => s.name === track.server);
        // The configuration was checked: a reference that does not resolve is not reached.
        if (owner === undefined || tracked === undefined) return;
        server.state.trackedId = `${owner.name}/${tracked.name}`;
        const list = this.trackers.get(tracked);
        if (list === undefined) this.trackers.set(tracked, [{ server, backend }]);
        else list.push({ server, backend });
      });
    }
    // A server `disabled` in the configuration: its trackers start in maintenance too, down the chains, quietly.
    for (let changed = true, rounds = 0; changed && rounds < 1000; rounds++) {
      changed = false;
      for (const [tracked, list] of this.trackers) {
        for (const t of list) {
          if (t.server.state.inheritedAdmin === tracked.state.admin) continue;
          t.server.state.inheritedAdmin = tracked.state.admin;
          changed = true;
        }
      }
    }
  }

  /** Some server is tracked (nothing to do otherwise). */
  get active(): boolean {
    return this.trackers.size > 0;
  }

  /** `server` went DOWN or came UP: its trackers follow, and theirs. */
  operational(server: Server, op: OpState): void {
    for (const t of this.trackers.get(server) ?? []) {
      const change = t.server.state.force(op, this.now());
      if (change === undefined) continue;
      // In maintenance it takes no traffic either way: its health follows without a word, as HAProxy's.
      if (t.server.state.admin === "MAINT") {
        this.operational(t.server, op);
        continue;
      }
      const who = serverWord(t.server.id, t.server.backup);
      if (change === "down") {
        const requeued = t.backend.serverDown(t.server);
        t.server.pool.closeIdle();
        const left = survivors(t.backend);
        t.server.report(
          `${who} is DOWN via ${server.id}. ${serversCount(left, "left")} ${t.server.current} sessions active, ${requeued} requeued, ${t.server.queued} remaining in queue.`,
          LEVEL.alert,
        );
        if (left.active + left.backup === 0) t.server.report(noServerLine(t.backend.name), LEVEL.emerg, noServerSyslogLine(t.backend.name));
      } else {
        t.backend.serverUp(t.server);
        t.server.report(`${who} is UP via ${server.id}. ${serversCount(survivors(t.backend), "online")} 0 sessions requeued, ${t.backend.queued} total in queue.`);
      }
      this.operational(t.server, op);
    }
  }

  /** `server`'s administrative state in force changed (or may have): its trackers inherit it, and theirs. */
  admin(server: Server): void {
    for (const t of this.trackers.get(server) ?? []) {
      const state = t.server.state;
      const before = state.admin;
      if (state.inheritedAdmin === server.state.admin) continue;
      state.inheritedAdmin = server.state.admin;
      state.lastAdminChange = this.now();
      this.changed(t, server, before, state.admin);
      this.admin(t.server);
    }
  }

  /** A tracker's state in force went from `before` to `after` by what `via` passed on: traffic moves, HAProxy's line says so. */
  private changed(t: Tracker, via: Server, before: AdminState, after: AdminState): void {
    const { server, backend } = t;
    const state = server.state;
    const who = serverWord(server.id, server.backup);
    if (before === after) {
      // Its own drain holds whatever the tracked server does.
      if (after === "DRAIN" && state.forcedAdmin === "DRAIN") server.report(`${who} remains in forced drain mode.`);
      return;
    }
    if (after === "MAINT") {
      if (state.op === "DOWN") {
        server.pool.retire();
        server.report(`${who} was DOWN and now enters maintenance via ${via.id}.`);
        return;
      }
      const requeued = backend.serverDown(server);
      server.pool.retire();
      const left = survivors(backend);
      server.report(
        `${who} is going DOWN for maintenance via ${via.id}. ${serversCount(left, "left")} ${server.current} sessions active, ${requeued} requeued, ${server.queued} remaining in queue.`,
      );
      if (left.active + left.backup === 0) server.report(noServerLine(backend.name), LEVEL.emerg, noServerSyslogLine(backend.name));
      return;
    }
    if (before === "MAINT") {
      // Out of maintenance it is as healthy as the server it tracks.
      state.force(via.state.op, this.now());
      if (state.op === "UP") backend.serverUp(server);
      server.report(`${who} is ${state.op}/${after === "DRAIN" ? "DRAIN" : "READY"} (leaving maintenance).`);
      return;
    }
    if (after === "DRAIN") {
      backend.noteAvailability();
      const online = survivors(backend);
      server.report(`${who} enters drain state via ${via.id}. ${serversCount(online, "online")} 0 sessions requeued, ${server.queued} total in queue.`);
      if (online.active + online.backup === 0) server.report(noServerLine(backend.name), LEVEL.emerg, noServerSyslogLine(backend.name));
      return;
    }
    backend.serverUp(server);
    server.report(`${who} is ${state.op} (leaving forced drain).`);
  }
}
