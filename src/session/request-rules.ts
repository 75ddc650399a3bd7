// The request stage of a proxy with rules, before a stream exists (HAProxy's
// http_process_req_common then process_switching_rules): the frontend's
// `http-request` rules, its `redirect` lines (compiled among them), then
// `use_backend`, then the chosen backend's own `tcp-request content` and
// `http-request` rules. The
// result is the request as rewritten, the backend, and the transaction the
// response stage goes on with — or sluice's own reply, or an applet of its own
// (issue 19): `use-service prometheus-exporter`, or the stats page of the
// frontend or of the backend chosen, reached as HAProxy's stats applet is:
// after that proxy's http-request rules, when the target begins with its
// `stats uri`, through its `stats http-request` rules.
import type { Backend } from "../backend/backend.ts";
import type { Head } from "../http/message.ts";
import { captureHeaders, monitorReply, type ProxyRules, runActions, runRequestRules, statsUriMatches, switchBackend } from "../rules/rule-set.ts";
import { type Action, Verdict, type VerdictCode } from "../rules/types.ts";
import type { Socket } from "../runtime/types.ts";
import type { RuledRequest, Services } from "../stream/types.ts";
import { HttpTxn, type RulesWorld } from "./txn.ts";

/** What the frontend gives the request stage. */
export interface RulesHost {
  readonly name: string;
  readonly rules: ProxyRules;
  readonly world: RulesWorld;
  /** A backend by name (use_backend), or undefined. */
  backendNamed(name: string): Backend | undefined;
  /** How long the frontend's own tarpit holds a request: its `timeout tarpit`, else its `timeout connect` (HAProxy). */
  readonly tarpitTimeout: number;
  /** The applets of the proxy (stats pages, the exporter). */
  readonly services: Services;
}

export interface RequestDecision {
  readonly head: Head;
  readonly backend: Backend;
  readonly ruled: RuledRequest;
}

const NONE: readonly (readonly Action[])[] = [];

/**
 * Runs the request stage for `head`. The caller reads `ruled.txn.reply` for sluice's own answer.
 * `requestVersion`: "2.0" for an HTTP/2 client's stream (req.ver), undefined for HTTP/1.x.
 */
export function decideRequest(host: RulesHost, head: Head, client: Socket, defaultBackend: Backend, now: number, requestVersion?: string, uniqueId?: string): RequestDecision {
  const front = host.rules;
  const txn = new HttpTxn(now, client, host.name, head, host.world, requestVersion);
  if (uniqueId !== undefined) txn.uniqueId = uniqueId;
  if (front.requestHeaderCaptures.length > 0) captureHeaders(front.requestHeaderCaptures, head, txn.captures);
  // HAProxy's monitor-uri: answered before any rule (http_wait_for_request), the request target compared as sent.
  const monitor = front.monitor;
  if (monitor !== undefined && head.target === monitor.uri) {
    txn.reply = monitorReply(monitor, txn);
    txn.backend = host.name;
    const sets = stageSets(front, undefined);
    return { head, backend: defaultBackend, ruled: { txn, response: NONE, after: sets.after, tarpitMs: -1, responseHeaderCaptures: front.responseHeaderCaptures, rejected: false } };
  }
  let backend = defaultBackend;
  let rejected = false;
  let verdict = runRequestRules(front, txn);
  // Whose `timeout tarpit` holds a tarpitted request: the proxy whose rule said so (HAProxy's s->be then).
  let tarpitMs = verdict === Verdict.tarpit ? host.tarpitTimeout : -1;
  if ((verdict === Verdict.continue || verdict === Verdict.stop) && applet(host.services, front, host.name, txn, head) !== undefined) {
    // The frontend's own applet answers: the transaction stays the frontend's, as a reply of its rules.
    txn.backend = host.name;
    const sets = stageSets(front, undefined);
    return { head: txn.request ?? head, backend: defaultBackend, ruled: { txn, response: NONE, after: sets.after, tarpitMs: -1, responseHeaderCaptures: front.responseHeaderCaptures, rejected: false } };
  } else if (verdict === Verdict.continue || verdict === Verdict.stop) {
    const name = switchBackend(front.useBackend, txn);
    // A name that is no backend's (a dynamic one): the default backend, as HAProxy.
    if (name !== undefined) backend = host.backendNamed(name) ?? defaultBackend;
    txn.backend = backend.name;
    const back = backend.config.rules;
    if (back !== undefined && back !== front) {
      // The backend's tcp-request content rules first (HAProxy's AN_REQ_INSPECT_BE): the request head is whole
      // here, so they decide at once; a reject closes the connection without an answer.
      if (back.tcpContent.length > 0 && runActions(back.tcpContent, txn) === Verdict.reject) rejected = true;
      else verdict = runRequestRules(back, txn);
      if (verdict === Verdict.reject) rejected = true;
      const t = backend.config.timeouts;
      if (verdict === Verdict.tarpit) tarpitMs = t.tarpit ?? t.connect;
      if (verdict === Verdict.continue || verdict === Verdict.stop) applet(host.services, back, backend.name, txn, head);
    }
  } else {
    // The frontend answered before switching: as in HAProxy, the transaction
    // is still the frontend's (be_name, and the log's %b, say its name).
    txn.backend = host.name;
    // `http-request reject`: the connection closes without an answer (PR--).
    if (verdict === Verdict.reject) rejected = true;
  }
  const back = backend.config.rules;
  const sets = stageSets(front, back !== undefined && back !== front ? back : undefined);
  const ruled: RuledRequest = {
    txn,
    response: sets.response,
    after: sets.after,
    tarpitMs,
    responseHeaderCaptures: front.responseHeaderCaptures,
    // Always present: one shape for every request's object, and no spread on the hot path.
    rejected,
  };
  return { head: txn.request ?? head, backend, ruled };
}

/**
 * After a proxy's http-request rules let the request through: the applet that
 * answers it, if any (set on the transaction: `service`, or `reply` when its
 * `stats http-request` rules deny or ask for credentials), else undefined.
 */
function applet(services: Services, rules: ProxyRules, proxy: string, txn: HttpTxn, head: Head): VerdictCode | undefined {
  if (txn.serviceName === "prometheus-exporter") {
    txn.service = services.prometheus ?? unavailable("the Prometheus exporter");
    return Verdict.stop;
  }
  const stats = rules.stats;
  if (stats === undefined || !statsUriMatches(stats, txn.request ?? head)) return undefined;
  const verdict = runActions(stats.request, txn);
  if (txn.reply !== undefined) return verdict;
  const page = services.stats;
  txn.service = page === undefined ? unavailable("the stats page") : (request) => page(proxy, request);
  return Verdict.stop;
}

/** An applet the process did not start (`sluice check`, a test's bare Proxy): 503, as a request with no server. */
function unavailable(what: string) {
  return () => Promise.resolve({ status: 503, fields: [["content-type", "text/plain"]] as [string, string][], body: new TextEncoder().encode(`${what} is not served by this process\n`) });
}

interface StageSets {
  readonly response: readonly (readonly Action[])[];
  readonly after: readonly (readonly Action[])[];
}

/** The response stages' sets of each (backend rules, frontend rules) pair, joined once rather than per request. */
const joined = new WeakMap<ProxyRules, Map<ProxyRules, StageSets>>();

function stageSets(front: ProxyRules, back: ProxyRules | undefined): StageSets {
  const key = back ?? front;
  let byFront = joined.get(key);
  if (byFront === undefined) joined.set(key, byFront = new Map());
  let sets = byFront.get(front);
  if (sets === undefined) {
    sets = { response: collect(back?.httpResponse, front.httpResponse), after: collect(back?.httpAfterResponse, front.httpAfterResponse) };
    byFront.set(front, sets);
  }
  return sets;
}

function collect(first: readonly Action[] | undefined, second: readonly Action[]): readonly (readonly Action[])[] {
  if (first === undefined || first.length === 0) return second.length === 0 ? NONE : [second];
  return second.length === 0 ? [first] : [first, second];
}
