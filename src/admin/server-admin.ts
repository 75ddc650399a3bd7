// What the stats listener's forms and JSON API act through (issue 16): one
// process's servers (local(), over check/server-ops.ts, as the runtime API),
// or, in master-worker mode, the master's relay to its workers
// (master/fleet-admin.ts). Asynchronous because the master asks over its
// control channel; the app does not know which of the two it has.
import type { ServerOps } from "../check/server-ops.ts";
import { type ApiAnswer, changeServer, pageAction, serverViews, type ServerView } from "./server-api.ts";

export interface ServerAdmin {
  /** Every server of every backend (`GET <uri>api/servers`). */
  views(): Promise<ServerView[]>;
  /** `POST <uri>api/servers/<backend>/<server>` with its JSON body. */
  change(backendName: string, serverName: string, body: unknown): Promise<ApiAnswer>;
  /** The page's form: one action on servers of one backend, answered with a result code of PAGE_RESULTS. */
  act(backendName: string, serverNames: readonly string[], action: string): Promise<string>;
}

/** The servers of this process. */
export function localAdmin(ops: ServerOps): ServerAdmin {
  return {
    views: () => Promise.resolve(serverViews(ops)),
    change: (backendName, serverName, body) => Promise.resolve(changeServer(ops, backendName, serverName, body)),
    act: (backendName, serverNames, action) => Promise.resolve(pageAction(ops, backendName, serverNames, action)),
  };
}
