// `agent-check`: HAProxy's auxiliary agent. Every `agent-inter` a connection
// to the agent (agent-addr, else the server's address; agent-port) sends
// `agent-send` and reads one line, its words separated by blanks or commas:
//   75%          the weight, that share of the configured one
//   maxconn:30   the server's maxconn
//   ready drain maint   its administrative state
//   down fail stopped   DOWN now (only the agent's "up" undoes it)
//   up           UP again, if the health check agrees
// Words it does not know change nothing. An agent that cannot be reached
// changes nothing either (the health check judges connectivity), as HAProxy.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { AgentResult, CheckResult } from "../backend/server-state.ts";
import type { ServerAgent } from "../config/types-checks.ts";
import { applyTransition, type CheckContext } from "./health-check.ts";
import { type Judge, Probe } from "./probe.ts";
import { REASONS } from "./status.ts";

/** What an agent check changes on its server (the runtime API's own operations: check/server-ops.ts). */
export interface AgentOps {
  setAdmin(backend: Backend, server: Server, next: "READY" | "DRAIN" | "MAINT"): void;
  setWeight(backend: Backend, server: Server, text: string): string | undefined;
  setMaxconn(backend: Backend, server: Server, text: string): string | undefined;
}

/** Most bytes of an answer read (HAProxy reads one line of its buffer). */
const MAX_LINE = 1024;

/**
 * The first line of the answer, up to a newline or a NUL. An agent that
 * closes without ending its line said nothing: HAProxy 2.6 waits for the
 * line's end until its timeout (a Layer7 timeout, measured), and so does
 * sluice (the probe's timer ends the run).
 */
const lineJudge: Judge = (received) => {
  let end = received.indexOf(0x0a);
  const nul = received.indexOf(0x00);
  if (nul >= 0 && (end < 0 || nul < end)) end = nul;
  if (end < 0) return received.length >= MAX_LINE ? { status: "L7TOUT", info: "" } : undefined;
  const text = new TextDecoder().decode(received.subarray(0, end));
  return { status: "L7OK", info: text.replace(/\r$/, "") };
};

/** The words of an agent's line, as HAProxy's agent parser reads them. */
export interface AgentWords {
  weight?: string;
  maxconn?: string;
  admin?: "READY" | "DRAIN" | "MAINT";
  /** down, fail or stopped (the word itself), or up. */
  state?: string;
}

export function agentWords(line: string): AgentWords {
  const words: AgentWords = {};
  for (const word of line.split(/[ \t,]+/)) {
    const w = word.toLowerCase();
    if (/^\d+%$/.test(w)) words.weight = w;
    else if (/^maxconn:\d+$/.test(w)) words.maxconn = w.slice(8);
    else if (w === "ready" || w === "drain" || w === "maint") words.admin = w.toUpperCase() as AgentWords["admin"];
    else if (w === "down" || w === "fail" || w === "stopped" || w === "up") words.state = w;
  }
  return words;
}

export class AgentCheck {
  private timer: ReturnType<CheckContext["runtime"]["setTimer"]> | undefined;
  private probe: Probe | undefined;
  private stopped = true;

  constructor(
    readonly server: Server,
    readonly backend: Backend,
    /** Its settings; the runtime API's `set server … agent-addr|agent-port|agent-send` changes them. */
    readonly spec: ServerAgent,
    private readonly ctx: CheckContext,
    private readonly ops: () => AgentOps | undefined,
    private readonly marks: { readonly down: boolean; readonly up: boolean },
  ) {
    server.state.agent = { enabled: false, down: false, last: undefined, running: false };
  }

  start(offsetMs: number): void {
    this.stopped = false;
    this.server.state.agent!.enabled = true;
    this.schedule(offsetMs);
  }

  stop(): void {
    this.stopped = true;
    this.server.state.agent!.enabled = false;
    if (this.timer !== undefined) this.ctx.runtime.clearTimer(this.timer);
    this.timer = undefined;
    this.probe?.abort();
    this.probe = undefined;
    this.server.state.agent!.running = false;
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.ctx.runtime.clearTimer(this.timer);
    this.timer = this.ctx.runtime.setTimer(this.run, ms);
  }

  private readonly run = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const server = this.server;
    const host = this.spec.addr ?? server.address;
    // Without an address yet (init-addr none) there is no one to ask.
    if (host === "") return this.schedule(this.spec.inter);
    const timeouts = this.backend.timeouts;
    const inter = this.spec.inter;
    const target = {
      host,
      port: this.spec.port,
      proxyHeader: "",
      tls: undefined,
      connectMs: timeouts.connect > 0 ? Math.min(timeouts.connect, inter) : inter,
      readMs: timeouts.check,
      totalMs: inter,
    };
    const steps = [
      { kind: "connect" as const },
      ...(this.spec.send === undefined ? [] : [{ kind: "send" as const, data: new TextEncoder().encode(this.spec.send) }]),
      { kind: "expect" as const, judge: lineJudge, onTimeout: { status: "L7TOUT" as const, info: "" } },
    ];
    server.state.agent!.running = true;
    this.probe = new Probe(this.ctx.runtime, target, steps, { status: "L7OK", info: "" }, (r) => {
      this.probe = undefined;
      server.state.agent!.running = false;
      if (this.stopped) return;
      this.answered(r);
      this.schedule(inter);
    });
  };

  /** The agent's answer (or why there was none) applied to its server. */
  private answered(r: CheckResult): void {
    const agent = this.server.state.agent!;
    if (r.status !== "L7OK") {
      // Unreachable or silent: told in the stats, nothing changed.
      agent.last = { status: r.status, desc: REASONS[r.status], durationMs: r.durationMs };
      return;
    }
    const words = agentWords(r.info);
    const ops = this.ops();
    this.ctx.tick();
    if (words.weight !== undefined) ops?.setWeight(this.backend, this.server, words.weight);
    if (words.maxconn !== undefined) ops?.setMaxconn(this.backend, this.server, words.maxconn);
    if (words.admin !== undefined && words.admin !== this.server.state.forcedAdmin) ops?.setAdmin(this.backend, this.server, words.admin);
    if (words.state === undefined) {
      agent.last = { status: "CHECKED", desc: "No status change", durationMs: r.durationMs };
      return;
    }
    const down = words.state !== "up";
    const status = down ? "L7STS" : "L7OK";
    const result: AgentResult = { status, code: 0, desc: REASONS[status], durationMs: r.durationMs };
    agent.last = result;
    const change = this.server.state.agentSays(down, this.ctx.runtime.now());
    if (change !== undefined) {
      const line: CheckResult = { status, code: 0, info: `via agent : ${words.state}`, durationMs: r.durationMs };
      applyTransition(this.ctx, this.server, this.backend, change, line, this.marks);
    }
  }
}
