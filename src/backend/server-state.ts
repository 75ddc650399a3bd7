// A server's state, in one place (issue 14): administrative (READY, MAINT,
// DRAIN) and operational (UP, DOWN) with HAProxy's health counter, the last
// check's result, when it came UP, and the counters the operations issue
// shows. Active checks (check/) and passive observation (what streams see)
// change it through the methods below; the balancer only reads
// `Server.usable`, which follows it.

/** READY: takes traffic if UP; MAINT: none (`disabled`); DRAIN: no new load-balanced traffic. */
export type AdminState = "READY" | "MAINT" | "DRAIN";
export type OpState = "UP" | "DOWN";

/**
 * HAProxy's check status codes (the stats page's `check_status`): L4 a
 * connect's result, L6 the TLS handshake's (check-ssl; `option ssl-hello-chk`'s hello), L7 the answer's (L7OKC: a 404 under
 * `http-check disable-on-404`, "conditionally passed"), HANA a passive verdict (health analyze),
 * PROC* an external check's program (`option external-check`), SOCKERR a check that could not start.
 */
export type CheckStatus =
  | "L4OK" | "L4TOUT" | "L4CON" | "L6OK" | "L6TOUT" | "L6RSP" | "L7OK" | "L7OKC" | "L7TOUT" | "L7RSP" | "L7STS" | "HANA"
  | "SOCKERR" | "PROCERR" | "PROCTOUT" | "PROCOK";

/** One check's verdict. */
export interface CheckResult {
  readonly status: CheckStatus;
  /** The HTTP status of an HTTP check's answer, when there was one; an external check's exit code. */
  readonly code?: number;
  /** What HAProxy prints as info: the reason in words ("Connection refused", "TCPCHK did not match content..."). */
  readonly info: string;
  /** ms from the check's start to its verdict. */
  readonly durationMs: number;
}

/** What a stream saw of its server, for passive checks (`observe`). */
export const Observed = {
  /** Connected (layer 4). */
  connectOk: 0,
  /** The connect failed or timed out (layer 4). */
  connectFailed: 1,
  /** A valid HTTP answer, not a server error (layer 7). */
  httpOk: 2,
  /** 5xx but 501 and 505 (layer 7), as HAProxy counts them. */
  httpError: 3,
  /** The answer was malformed (layer 7). */
  httpBroken: 4,
  /** The connection was lost before an answer (layer 7). */
  httpReadError: 5,
  /** No answer within `timeout server` (layer 7). */
  httpTimeout: 6,
} as const;
export type ObservedCode = (typeof Observed)[keyof typeof Observed];

/** An HTTP answer's status as passive checks count it: 5xx is an error, but 501 and 505 (the request's fault). */
export function observedStatus(status: number): ObservedCode {
  return status < 500 || status === 501 || status === 505 ? Observed.httpOk : Observed.httpError;
}

/** The passive checker of a server (check/observer.ts), told what streams see. */
export interface Observer {
  observe(what: ObservedCode): void;
}

/** What the agent (`agent-check`) last said and how it stands. */
export interface AgentState {
  /** It runs (`disable agent` stops it; its columns in `show stat` are then empty). */
  enabled: boolean;
  /** It said down, fail or stopped, and not up since (HAProxy's agent health 0). */
  down: boolean;
  /** Its last answer: a check status, or CHECKED (it said nothing of the state); undefined before the first. */
  last: AgentResult | undefined;
  /** An agent check is running now. */
  running: boolean;
}

/** An agent's answer as `show stat` gives it (agent_status, agent_code, agent_desc, agent_duration). */
export interface AgentResult {
  readonly status: CheckStatus | "CHECKED";
  readonly code?: number;
  readonly desc: string;
  readonly durationMs: number;
}

/** A change of operational state, for whoever logs it and moves traffic. */
export type Transition = "up" | "down" | undefined;

export class ServerState {
  /** What the configuration (`disabled`), the runtime API or the state file set for this server itself (HAProxy's forced flags). */
  forcedAdmin: AdminState;
  /** `track`: what the tracked server passes on, its own state whether forced or inherited in turn (HAProxy's IMAINT, IDRAIN). */
  inheritedAdmin: AdminState = "READY";
  /** `track`: "backend/server" this one follows (check/tracking.ts); undefined: it does not track. */
  trackedId: string | undefined;
  op: OpState = "UP";
  /**
   * HAProxy's health counter, 0 .. rise+fall-1: UP while at least `rise`.
   * It starts at `rise`: a server is UP at start and a first failed check
   * takes it DOWN (HAProxy: "up, but will fall down at first failure").
   */
  health: number;
  /** The last check's verdict, undefined before the first. */
  last: CheckResult | undefined;
  /** A check is running now (HAProxy's CHK_ST_INPROGRESS: the stats show `* ` before the last status). */
  checkRunning = false;
  /** Monotonic ms when it last came UP after being DOWN; -1 while never down (slowstart reads it). */
  upSince = -1;
  /** Monotonic ms of the last change of operational state. */
  lastChange: number;
  /** Monotonic ms of the last change of administrative state (runtime API); the start until then. */
  lastAdminChange: number;
  /** Counters since start: checks run, failed checks, times it went DOWN, ms spent DOWN (until the last UP). */
  checks = 0;
  fails = 0;
  downs = 0;
  downtimeMs = 0;
  /** Consecutive errors passive checks counted. */
  consecutiveErrors = 0;
  /** Set by a passive checker (`observe`); streams tell it what they see. */
  observer: Observer | undefined;
  /**
   * HAProxy's STOPPING ("NOLB"): an UP server whose check answered 404 under
   * `http-check disable-on-404` takes no new load-balanced traffic, only what
   * names it; the next passed check clears it, going DOWN does too.
   */
  stopping = false;
  /** `disable health` (runtime API): checks do not run, and the server counts as UP meanwhile (HAProxy's paused check). */
  checksPaused = false;
  /**
   * `agent-check`: the agent said down, fail or stopped (its health 0); only
   * its "up" brings the server UP again, and then only if the health check
   * agrees. Undefined: no agent.
   */
  agent: AgentState | undefined;

  constructor(
    /** `rise`/`fall`: 1 each without checks (nothing moves them then). */
    readonly rise: number,
    readonly fall: number,
    disabled: boolean,
    now: number,
  ) {
    this.forcedAdmin = disabled ? "MAINT" : "READY";
    this.health = rise;
    this.lastChange = now;
    this.lastAdminChange = now;
  }

  /**
   * The administrative state in force: maintenance if this server or the one
   * it tracks is in it, else drain if either drains. Setting it sets this
   * server's own (forced) state.
   */
  get admin(): AdminState {
    const forced = this.forcedAdmin;
    const inherited = this.inheritedAdmin;
    if (forced === "MAINT" || inherited === "MAINT") return "MAINT";
    return forced === "DRAIN" || inherited === "DRAIN" ? "DRAIN" : "READY";
  }

  set admin(state: AdminState) {
    this.forcedAdmin = state;
  }

  /** Fully healthy: the top of the counter. */
  get full(): boolean {
    return this.health === this.rise + this.fall - 1;
  }

  /** A check passed: one step up; "up" when it reaches rise from DOWN (and no agent says down). */
  passed(result: CheckResult, now: number): Transition {
    this.checks++;
    this.last = result;
    if (this.health < this.rise + this.fall - 1) {
      this.health++;
      if (this.health >= this.rise) this.health = this.rise + this.fall - 1;
    }
    if (this.op === "DOWN" && this.health >= this.rise && !this.agentHoldsDown) return this.setUp(now);
    return undefined;
  }

  /** A running agent said down: the server stays DOWN whatever its check says (a disabled agent holds nothing, as HAProxy's). */
  get agentHoldsDown(): boolean {
    return this.agent?.enabled === true && this.agent.down;
  }

  /**
   * The agent said down (true) or up (false): DOWN at once, or UP again if
   * the health check agrees. In maintenance nothing moves (HAProxy's
   * srv_set_stopped does nothing then); what it said is kept.
   */
  agentSays(down: boolean, now: number): Transition {
    const agent = this.agent;
    if (agent === undefined) return undefined;
    agent.down = down;
    if (down) return this.op === "UP" && this.admin !== "MAINT" ? this.setDown(now) : undefined;
    return this.op === "DOWN" && this.health >= this.rise ? this.setUp(now) : undefined;
  }

  /** A check failed: one step down (to 0 once below rise); "down" when it reaches 0 while UP. */
  failed(result: CheckResult, now: number): Transition {
    this.checks++;
    this.last = result;
    if (this.health > 0) {
      this.fails++;
      this.health--;
      if (this.health < this.rise) this.health = 0;
    }
    if (this.op === "UP" && this.health === 0) return this.setDown(now);
    return undefined;
  }

  /** `on-error sudden-death`: one more failure takes it DOWN, then that failure. */
  suddenDeath(result: CheckResult, now: number): Transition {
    if (this.health > this.rise) this.health = this.rise + 1;
    return this.failed(result, now);
  }

  /** `on-error mark-down`: DOWN now. */
  markDown(result: CheckResult, now: number): Transition {
    this.health = this.rise;
    return this.failed(result, now);
  }

  /**
   * Forces the operational state (runtime API: leaving maintenance, `set
   * server health`, `disable health`): the health counter goes to the top
   * (UP) or to 0 (DOWN), as HAProxy's srv_set_running / srv_set_stopped do.
   */
  force(op: OpState, now: number): Transition {
    if (op === "UP") {
      this.health = this.rise + this.fall - 1;
      return this.op === "DOWN" && !this.agentHoldsDown ? this.setUp(now) : undefined;
    }
    this.health = 0;
    return this.op === "UP" ? this.setDown(now) : undefined;
  }

  /**
   * Another process's checks decided (a worker of a master that does not
   * check itself): the counter goes to the top or the bottom, and the state
   * follows; "up"/"down" when it changed.
   */
  follow(op: OpState, result: CheckResult, now: number): Transition {
    this.last = result;
    this.health = op === "UP" ? this.rise + this.fall - 1 : 0;
    if (op === this.op || (op === "UP" && this.agentHoldsDown)) return undefined;
    return op === "UP" ? this.setUp(now) : this.setDown(now);
  }

  /** Counters of time spent DOWN so far (the current stretch included). */
  downtime(now: number): number {
    return this.op === "DOWN" ? this.downtimeMs + (now - this.lastChange) : this.downtimeMs;
  }

  private setUp(now: number): Transition {
    this.downtimeMs += now - this.lastChange;
    this.op = "UP";
    this.lastChange = now;
    this.upSince = now;
    return "up";
  }

  private setDown(now: number): Transition {
    this.op = "DOWN";
    this.stopping = false;
    this.downs++;
    this.lastChange = now;
    return "down";
  }
}
