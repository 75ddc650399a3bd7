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
import { BodyKind, type Head } from "../http/message.ts";
import { captureHeaders, monitorReply, type ProxyRules, runActions, runRequestRules, statsUriMatches, switchBackend } from "../rules/rule-set.ts";
import { type Action, type BodyWanted, Verdict, type VerdictCode } from "../rules/types.ts";
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
  /** `option http-buffer-request` on the frontend: the body is waited for before its rules, for its `timeout http-request` (0: none). */
  readonly bufferRequest?: BodyWanted | undefined;
  /** The most body bytes held for the rules: tune.bufsize − tune.maxrewrite (HAProxy's buffer less its reserve). */
  readonly bodyRoom: number;
  /** Some proxy this frontend reaches waits for request bodies (its option, a backend's, a wait-for-body rule): requests go through RequestStage. */
  readonly mayWait?: boolean;
}

export interface RequestDecision {
  readonly head: Head;
  readonly backend: Backend;
  readonly ruled: RuledRequest;
}

const NONE: readonly (readonly Action[])[] = [];

/** Whether the body asked for is there: the session's holder of the body answers (body-wait.ts). */
export interface BodyGate {
  ready(wanted: BodyWanted): boolean;
}

/** Where a stage stands: it resumes there after a wait for the body. */
const Step = { frontWait: 0, frontRules: 1, backWait: 2, backRules: 3 } as const;
type StepCode = (typeof Step)[keyof typeof Step];

/**
 * The request stage of one request, for a proxy with rules. `run()` gives the
 * decision, or undefined while it waits for the request body (`option
 * http-buffer-request`, `http-request wait-for-body`: `wanted` says what
 * for); the session holds the body meanwhile and calls `run()` again once
 * the body asked for is there, or answers 408 when it does not come in time
 * (HAProxy's http_wait_for_msg_body). The rules resume after the action that
 * waited, as HAProxy's resume a yielded rule; without a wait the stage runs
 * once, from the head, as before.
 */
export class RequestStage {
  readonly txn: HttpTxn;
  /** What the stage waits for while run() says undefined. */
  wanted: BodyWanted | undefined = undefined;
  /** The session's holder of the body, once there is one. */
  gate: BodyGate | undefined = undefined;
  private step: StepCode = Step.frontWait;
  /** The rule of the current set to run next. */
  private at = 0;
  private backend: Backend;
  private tarpitMs = -1;
  private rejected = false;

  constructor(
    private readonly host: RulesHost,
    readonly head: Head,
    client: Socket,
    private readonly defaultBackend: Backend,
    now: number,
    requestVersion?: string,
    uniqueId?: string,
  ) {
    this.backend = defaultBackend;
    const txn = this.txn = new HttpTxn(now, client, host.name, head, host.world, requestVersion);
    if (uniqueId !== undefined) txn.uniqueId = uniqueId;
    if (host.rules.requestHeaderCaptures.length > 0) captureHeaders(host.rules.requestHeaderCaptures, head, txn.captures);
  }

  /** Whether the body `wanted` asks for is there (a request without a body always has it). */
  private bodyReady(wanted: BodyWanted): boolean {
    const head = this.head;
    // HAProxy waits for nothing on a bodyless request, nor on CONNECT.
    if (head.bodyKind === BodyKind.None || head.contentLength === 0 || head.method === "CONNECT") return true;
    return this.gate !== undefined && this.gate.ready(wanted);
  }

  /** Waits for the body unless it is there already: true when the stage must stop here. */
  private mustWait(wanted: BodyWanted): boolean {
    if (this.bodyReady(wanted)) {
      this.wanted = undefined;
      return false;
    }
    this.wanted = wanted;
    return true;
  }

  run(): RequestDecision | undefined {
    const host = this.host;
    const front = host.rules;
    const txn = this.txn;
    const head = this.head;
    if (this.step === Step.frontWait) {
      // HAProxy's monitor-uri: answered before any rule (http_wait_for_request), the request target compared as sent.
      const monitor = front.monitor;
      if (this.wanted === undefined && monitor !== undefined && head.target === monitor.uri) {
        txn.reply = monitorReply(monitor, txn);
        txn.backend = host.name;
        const sets = stageSets(front, undefined);
        return { head, backend: this.defaultBackend, ruled: { txn, response: NONE, after: sets.after, tarpitMs: -1, responseHeaderCaptures: front.responseHeaderCaptures, rejected: false } };
      }
      // option http-buffer-request (HAProxy's AN_REQ_HTTP_BODY, before the frontend's rules).
      if (host.bufferRequest !== undefined && this.mustWait(host.bufferRequest)) return undefined;
      this.step = Step.frontRules;
      this.at = 0;
    }
    if (this.step === Step.frontRules) {
      if (this.wanted !== undefined) {
        if (!this.bodyReady(this.wanted)) return undefined;
        this.wanted = undefined;
      }
      const verdict = this.runFrom(front);
      if (verdict === Verdict.wait) return undefined;
      return this.afterFront(verdict);
    }
    return this.resumeBack();
  }

  /**
   * Runs `rules`' http-request set from `at`, then its redirect lines unless
   * the set ended the transaction (HAProxy's http_process_req_common: `allow`
   * stops the http-request rules only). Verdict.wait: stopped at a
   * wait-for-body whose body is not there yet; `at` is the rule after it.
   */
  private runFrom(rules: ProxyRules): VerdictCode {
    const actions = rules.httpRequest;
    const txn = this.txn;
    let verdict: VerdictCode = Verdict.continue;
    while (this.at < actions.length) {
      verdict = actions[this.at++]!(txn);
      if (verdict === Verdict.wait) {
        const wanted = txn.bodyWanted!;
        txn.bodyWanted = undefined;
        if (this.mustWait(wanted)) return Verdict.wait;
        verdict = Verdict.continue;
        continue;
      }
      if (verdict !== Verdict.continue) break;
    }
    if (rules.redirects.length === 0 || (verdict !== Verdict.continue && verdict !== Verdict.stop)) return verdict;
    const redirected = runActions(rules.redirects, txn);
    return redirected === Verdict.continue ? verdict : redirected;
  }

  private afterFront(verdict: VerdictCode): RequestDecision | undefined {
    const host = this.host;
    const front = host.rules;
    const txn = this.txn;
    const head = this.head;
    // Whose `timeout tarpit` holds a tarpitted request: the proxy whose rule said so (HAProxy's s->be then).
    if (verdict === Verdict.tarpit) this.tarpitMs = host.tarpitTimeout;
    if ((verdict === Verdict.continue || verdict === Verdict.stop) && applet(host.services, front, host.name, txn, head) !== undefined) {
      // The frontend's own applet answers: the transaction stays the frontend's, as a reply of its rules.
      txn.backend = host.name;
      const sets = stageSets(front, undefined);
      return { head: txn.request ?? head, backend: this.defaultBackend, ruled: { txn, response: NONE, after: sets.after, tarpitMs: -1, responseHeaderCaptures: front.responseHeaderCaptures, rejected: false } };
    }
    if (verdict === Verdict.continue || verdict === Verdict.stop) {
      const name = switchBackend(front.useBackend, txn);
      // A name that is no backend's (a dynamic one): the default backend, as HAProxy.
      if (name !== undefined) this.backend = host.backendNamed(name) ?? this.defaultBackend;
      txn.backend = this.backend.name;
      this.step = Step.backWait;
      return this.resumeBack();
    }
    // The frontend answered before switching: as in HAProxy, the transaction
    // is still the frontend's (be_name, and the log's %b, say its name).
    txn.backend = host.name;
    // `http-request reject`: the connection closes without an answer (PR--).
    if (verdict === Verdict.reject) this.rejected = true;
    return this.decided();
  }

  /** The chosen backend's part, when it has rules of its own: its body wait, content rules, http-request rules. */
  private resumeBack(): RequestDecision | undefined {
    const backend = this.backend;
    const back = backend.config.rules;
    const txn = this.txn;
    if (this.step === Step.backWait) {
      // The backend's option http-buffer-request: its own wait, with its own timeout http-request (HAProxy's s->be),
      // whether it has rules or not (a slow client's body is then whole before a server is asked).
      const wanted = backendBodyWait(backend);
      if (wanted !== undefined && this.mustWait(wanted)) return undefined;
      if (back === undefined || back === this.host.rules) return this.decided();
      // The backend's tcp-request content rules first (HAProxy's AN_REQ_INSPECT_BE): the request head is whole
      // here, so they decide at once; a reject closes the connection without an answer.
      if (back.tcpContent.length > 0 && runActions(back.tcpContent, txn) === Verdict.reject) {
        this.rejected = true;
        return this.decided();
      }
      this.step = Step.backRules;
      this.at = 0;
    } else if (this.wanted !== undefined) {
      if (!this.bodyReady(this.wanted)) return undefined;
      this.wanted = undefined;
    }
    const verdict = this.runFrom(back!);
    if (verdict === Verdict.wait) return undefined;
    if (verdict === Verdict.reject) this.rejected = true;
    const t = backend.config.timeouts;
    if (verdict === Verdict.tarpit) this.tarpitMs = t.tarpit ?? t.connect;
    if (verdict === Verdict.continue || verdict === Verdict.stop) applet(this.host.services, back!, backend.name, txn, this.head);
    return this.decided();
  }

  /**
   * The wait gave up (408): the transaction as it stands, logged against the
   * proxy whose wait it was (the frontend before switching, as HAProxy's s->be).
   */
  unfinished(): RequestDecision {
    this.txn.backend ??= this.host.name;
    return this.decided();
  }

  private decided(): RequestDecision {
    const front = this.host.rules;
    const backend = this.backend;
    const txn = this.txn;
    const back = backend.config.rules;
    const sets = stageSets(front, back !== undefined && back !== front ? back : undefined);
    const ruled: RuledRequest = {
      txn,
      response: sets.response,
      after: sets.after,
      tarpitMs: this.tarpitMs,
      responseHeaderCaptures: front.responseHeaderCaptures,
      // Always present: one shape for every request's object, and no spread on the hot path.
      rejected: this.rejected,
    };
    return { head: txn.request ?? this.head, backend, ruled };
  }
}

/** A backend's option http-buffer-request as a wait: its `timeout http-request` (0: none of its own), the whole body. */
const backendWaits = new WeakMap<Backend, BodyWanted | null>();
function backendBodyWait(backend: Backend): BodyWanted | undefined {
  let wanted = backendWaits.get(backend);
  if (wanted === undefined) {
    wanted = backend.config.bufferRequest === true ? Object.freeze({ timeMs: backend.config.timeouts.httpRequest ?? 0, atLeast: 0 }) : null;
    backendWaits.set(backend, wanted);
  }
  return wanted ?? undefined;
}

/**
 * Runs the request stage for `head`: the decision, or the stage waiting for
 * the body when a proxy may wait for one (RequestStage). The caller reads
 * `ruled.txn.reply` for sluice's own answer.
 */
export function decideRequest(host: RulesHost, head: Head, client: Socket, defaultBackend: Backend, now: number, requestVersion?: string, uniqueId?: string): RequestDecision | RequestStage {
  if (host.mayWait !== true) return decideAtOnce(host, head, client, defaultBackend, now, requestVersion, uniqueId);
  const stage = new RequestStage(host, head, client, defaultBackend, now, requestVersion, uniqueId);
  return stage.run() ?? stage;
}

/**
 * The same stage in one go, for a frontend where no proxy waits for a body
 * (no option http-buffer-request, no wait-for-body: nearly all): no stage
 * object per request, the path as it was before waits existed. RequestStage
 * runs the same steps with its places to resume.
 */
function decideAtOnce(host: RulesHost, head: Head, client: Socket, defaultBackend: Backend, now: number, requestVersion?: string, uniqueId?: string): RequestDecision {
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
