// Which server an HTTP stream must use before any balancing, in HAProxy's
// order: the server of a connection-auth challenge (invariant 13), then
// force-persist / ignore-persist, use-server, the persistence cookie and the
// stick rules (after the cookie and use-server, which win).
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { Head } from "../http/message.ts";
import { anyHolds, switchServer } from "../rules/rule-set.ts";
import { CookieStep } from "./cookie-step.ts";
import { type StickStep, stickStep } from "./stick-step.ts";
import type { RuledRequest } from "./types.ts";

export interface Persistence {
  /** The one server the stream goes to, when one was chosen. */
  only: Server | undefined;
  /** The server a rule, the cookie or a stick table chose (HAProxy's SF_DIRECT while the stream stays on it). */
  persistServer: Server | undefined;
  /** `force-persist` matched: `only` is taken even while DOWN or in maintenance. */
  forced: boolean;
  cookie: CookieStep | undefined;
  /** The request as it goes to the server (the persistence cookie may be taken off). */
  head: Head;
  stick: StickStep | undefined;
}

/**
 * `authServer`: the server that challenged this session with NTLM/Negotiate;
 * `firstTry`: no server was tried yet; `wallSeconds`: the time for cookies.
 */
export function choosePersistence(
  backend: Backend,
  request: Head,
  ruled: RuledRequest | undefined,
  authServer: Server | undefined,
  firstTry: boolean,
  wallSeconds: number,
): Persistence {
  // After a connection-auth challenge the session's next requests go to the
  // same server, even if they must queue for it (invariant 13).
  let only = authServer !== undefined && firstTry && backend.servers.includes(authServer) && authServer.usable ? authServer : undefined;
  let persistServer: Server | undefined;
  let head = request;
  // force-persist / ignore-persist (HAProxy's SF_FORCE_PRST / SF_IGNORE_PRST), decided before the server is.
  const rules = backend.config.rules;
  const txn = ruled?.txn;
  const forced = rules !== undefined && txn !== undefined && rules.forcePersist.length > 0 && anyHolds(rules.forcePersist, txn);
  const ignore = rules !== undefined && txn !== undefined && rules.ignorePersist.length > 0 && anyHolds(rules.ignorePersist, txn);
  // `use-server NAME if ...`: that server while it runs, draining or at weight 0 too; a DOWN one only under force-persist.
  const useServer = rules?.useServer;
  if (only === undefined && useServer !== undefined && useServer.length > 0 && txn !== undefined) {
    const name = switchServer(useServer, txn);
    const server = name === undefined ? undefined : backend.servers.find((s) => s.name === name);
    if (server !== undefined && (server.running || forced)) only = persistServer = server;
  }
  let cookie: CookieStep | undefined;
  if (backend.config.cookie !== undefined) {
    cookie = new CookieStep(backend.config.cookie);
    // ignore-persist: the cookie chooses nothing (it is still read, stripped and set as usual).
    const r = cookie.request(request, backend.servers, wallSeconds, only !== undefined || ignore, forced);
    if (r.server !== undefined) only = persistServer = r.server;
    head = r.head;
  }
  const stick = stickStep(backend, txn, only !== undefined || ignore);
  if (stick?.server !== undefined) only = persistServer = stick.server;
  return { only, persistServer, forced, cookie, head, stick };
}
