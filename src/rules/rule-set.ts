// A proxy's compiled rules, as the stream runs them: the `http-request`,
// `http-response` and `http-after-response` actions in order, and the
// `use_backend` lines. Built once at load (config/rules.ts); run per request
// by the session layer, which owns the Txn.
import type { Action, ActionTxn, Condition, Reply, SampleFn, Txn, VerdictCode } from "./types.ts";
import { Verdict } from "./types.ts";

/** One `use_backend` line: a fixed name or a `%[expr]` one, and its condition. */
export interface BackendSwitch {
  /** The backend's name when it is fixed; undefined when `dynamic` computes it. */
  readonly name: string | undefined;
  readonly dynamic: ((t: Txn) => string) | undefined;
  readonly when: Condition | undefined;
}

/** A `use-server` line (backends): the server's name and its condition. */
export interface ServerSwitch {
  readonly server: string;
  readonly when: Condition | undefined;
}

/**
 * A `stick on|match|store-request` line (backends): the key expression, the
 * table it reads or writes (its proxy's unless `table` names another) and its
 * condition. `on` both matches and stores.
 */
export interface StickRule {
  readonly match: boolean;
  readonly store: boolean;
  readonly key: SampleFn;
  readonly table: string;
  readonly when: Condition | undefined;
}

export interface ProxyRules {
  readonly httpRequest: readonly Action[];
  /** `redirect` lines: after the http-request rules, even when one of them said `allow` (HAProxy's redirect_rules). */
  readonly redirects: readonly Action[];
  readonly httpResponse: readonly Action[];
  readonly httpAfterResponse: readonly Action[];
  readonly useBackend: readonly BackendSwitch[];
  readonly useServer: readonly ServerSwitch[];
  /** Expressions the log line wants evaluated per request (captures), if any. */
  readonly captures: readonly SampleFn[];
  /** `force-persist if ...` lines (backends): persistence may name a DOWN or maintenance server. */
  readonly forcePersist: readonly Condition[];
  /** `ignore-persist if ...` lines (backends): the cookie and stick tables do not choose the server. */
  readonly ignorePersist: readonly Condition[];
  /** `tcp-request connection` actions: run at accept, before anything is read. */
  readonly tcpConnection: readonly Action[];
  /** `tcp-request session` actions: run once the connection is complete (PROXY header read, TLS handshake done). */
  readonly tcpSession: readonly Action[];
  /** `tcp-request content` actions: run on the first bytes, until one decides or `inspectDelay` passes. */
  readonly tcpContent: readonly Action[];
  /** `tcp-request inspect-delay`, ms (0: the content rules run once, on what is there). */
  readonly inspectDelay: number;
  /** `capture request header NAME len N`: filled before the http-request rules, in the first slots. */
  readonly requestHeaderCaptures: readonly HeaderCapture[];
  /** `capture response header NAME len N`: filled before the http-response rules. */
  readonly responseHeaderCaptures: readonly HeaderCapture[];
  /** `capture cookie NAME len N` (frontends): the cookie the log's %CC and %CS name. */
  readonly cookieCapture?: CookieCapture;
  /** Request / response capture slots declared in all (header captures and `http-request capture ... len`): the log's %hr / %hs. */
  readonly requestCaptureSlots: number;
  readonly responseCaptureSlots: number;
  /** `monitor-uri` (mode http frontends): answered before any rule. */
  readonly monitor?: Monitor;
  /** `stats ...` in a proxy that routes, or a backend (issue 19): the page HAProxy's stats applet serves after the http-request rules. */
  readonly stats?: StatsRules;
  /** An `http-request wait-for-body` line: the request stage may pause for the body. */
  readonly waitsForBody?: boolean;
}

/** A proxy's stats page: requests under `uri` get it, once its `stats http-request` rules (allow, deny, auth) let them. */
export interface StatsRules {
  readonly uri: string;
  readonly request: readonly Action[];
}

/**
 * HAProxy's http_stats_check_uri: a GET, HEAD or POST whose target begins
 * with the stats uri (for a uri starting with '/', the path and query of an
 * absolute-form target).
 */
export function statsUriMatches(stats: StatsRules, head: { method: string; target: string }): boolean {
  const method = head.method;
  if (method !== "GET" && method !== "HEAD" && method !== "POST") return false;
  let target = head.target;
  if (stats.uri.startsWith("/") && !target.startsWith("/")) {
    const scheme = target.indexOf("://");
    if (scheme < 0) return false;
    const slash = target.indexOf("/", scheme + 3);
    target = slash < 0 ? "" : target.slice(slash);
  }
  return target.startsWith(stats.uri);
}

/**
 * HAProxy's `monitor-uri` with its `monitor fail` conditions: a request for
 * exactly `uri` gets `failed` (503) when one condition holds, else `ready`
 * (200), both the proxy's errorfile or HAProxy's page, keep-alive kept.
 */
export interface Monitor {
  readonly uri: string;
  readonly fail: readonly Condition[];
  readonly ready: Reply;
  readonly failed: Reply;
}

/** The monitor's answer to `t`. */
export function monitorReply(m: Monitor, t: Txn): Reply {
  for (let i = 0; i < m.fail.length; i++) if (m.fail[i]!(t)) return m.failed;
  return m.ready;
}

/** One `capture request|response header` line: the field (lower case) and the most characters kept. */
/** `capture cookie NAME len N`. */
export interface CookieCapture {
  /** The beginning of the cookie's `name=value`. */
  readonly name: string;
  /** At most this many characters are kept (HAProxy's limit: 63). */
  readonly length: number;
}

export interface HeaderCapture {
  readonly name: string;
  readonly length: number;
}

/** Fills capture slots from a head's fields (HAProxy keeps the last occurrence's value), each cut to its length. */
export function captureHeaders(captures: readonly HeaderCapture[], head: { fieldCount: number; name(i: number): string; value(i: number): string }, slots: string[]): void {
  for (let c = 0; c < captures.length; c++) {
    const want = captures[c]!;
    for (let i = head.fieldCount - 1; i >= 0; i--) {
      if (head.name(i) !== want.name) continue;
      const v = head.value(i);
      slots[c] = v.length > want.length ? v.slice(0, want.length) : v;
      break;
    }
  }
}

export const NO_RULES: ProxyRules = Object.freeze({
  httpRequest: [],
  redirects: [],
  httpResponse: [],
  httpAfterResponse: [],
  useBackend: [],
  useServer: [],
  captures: [],
  forcePersist: [],
  ignorePersist: [],
  tcpConnection: [],
  tcpSession: [],
  tcpContent: [],
  inspectDelay: 0,
  requestHeaderCaptures: [],
  responseHeaderCaptures: [],
  requestCaptureSlots: 0,
  responseCaptureSlots: 0,
});

/** True when the proxy has nothing for a request stage to run (the fast path skips the Txn). */
export function requestRulesEmpty(r: ProxyRules): boolean {
  return r.httpRequest.length === 0 && r.redirects.length === 0 && r.useBackend.length === 0 && r.useServer.length === 0;
}

/**
 * Runs actions in order until one does not say continue (HAProxy: `allow`
 * stops the set; a reply or a tarpit ends the transaction).
 */
export function runActions(actions: readonly Action[], t: ActionTxn): VerdictCode {
  for (let i = 0; i < actions.length; i++) {
    const verdict = actions[i]!(t);
    if (verdict !== Verdict.continue) return verdict;
  }
  return Verdict.continue;
}

/**
 * A proxy's request rules: its `http-request` set, then its `redirect`
 * lines unless the set ended the transaction (HAProxy's
 * http_process_req_common: `allow` stops the http-request rules only).
 */
export function runRequestRules(rules: ProxyRules, t: ActionTxn): VerdictCode {
  const verdict = runActions(rules.httpRequest, t);
  if (rules.redirects.length === 0 || (verdict !== Verdict.continue && verdict !== Verdict.stop)) return verdict;
  const redirected = runActions(rules.redirects, t);
  return redirected === Verdict.continue ? verdict : redirected;
}

/** The backend name the first matching `use_backend` line gives (perhaps no backend's, for a dynamic one), or undefined (the default backend). */
export function switchBackend(switches: readonly BackendSwitch[], t: Txn): string | undefined {
  for (let i = 0; i < switches.length; i++) {
    const s = switches[i]!;
    if (s.when !== undefined && !s.when(t)) continue;
    if (s.name !== undefined) return s.name;
    // HAProxy (process_switching_rules): a dynamic name that names no
    // backend ends the search and the default backend serves; the caller,
    // which knows the backends, makes that choice.
    return s.dynamic!(t);
  }
  return undefined;
}

/** The server name of the first matching `use-server` line, or undefined. */
export function switchServer(switches: readonly ServerSwitch[], t: Txn): string | undefined {
  for (let i = 0; i < switches.length; i++) {
    const s = switches[i]!;
    if (s.when === undefined || s.when(t)) return s.server;
  }
  return undefined;
}

/** Whether any of `conditions` holds (several lines of one keyword add up, as HAProxy's). */
export function anyHolds(conditions: readonly Condition[], t: Txn): boolean {
  for (let i = 0; i < conditions.length; i++) if (conditions[i]!(t)) return true;
  return false;
}
