// The runtime API's command table and its dispatch: a command is the words
// that select it, its usage and help line (help lists them), the level a
// socket needs to run it (HAProxy's user < operator < admin: a lower level
// gets "Permission denied"), and what it answers. Answers are text ending
// with a newline (or empty); the connection adds the blank line that ends
// every answer.
import type { InfoField } from "../stats/types.ts";
import type { ServerOps } from "../check/server-ops.ts";
import type { ControlLevel } from "../config/types.ts";
import type { Proxy } from "../core/proxy.ts";
import type { MapRegistry } from "../rules/match/map-ref.ts";
import type { CertTransactions } from "./cert-transaction.ts";
import { type Described, helpText, unknownText } from "./usage.ts";

/**
 * The figures `show stat` and `show info` print (src/stats/ builds them): the
 * CSV of HAProxy's `show stat` (header line first) and the `Name: value`
 * lines of `show info`.
 */
export interface StatsText {
  statCsv(): string;
  /** `show info`'s fields (the command prints them in the form asked for). */
  info(): readonly InfoField[];
  /** `show stat typed`: HAProxy's typed lines (F.2.0.0.pxname.1:KNSN:str:fe); absent: the command says it is not available. */
  statTyped?(): string;
}

/** What the commands act on: the running proxy and what operates it. */
export interface ControlContext {
  readonly proxy: Proxy;
  readonly ops: ServerOps;
  /** Undefined until the stats are wired: `show stat` and `show info` say so. */
  readonly stats: StatsText | undefined;
  readonly certs: CertTransactions;
  /** The configuration's map files; undefined when its rules read none. */
  readonly maps: MapRegistry | undefined;
}

/** One command as typed: the words after its keywords, its payload (after "<<"), the socket's level. */
export interface Invocation {
  readonly args: readonly string[];
  readonly payload: string | undefined;
  readonly level: ControlLevel;
}

/** A command's answer: text, or (a master's command, which asks its workers) text to come. */
export type Answer = string | Promise<string>;

/** A command of a table whose commands act on `C` (the worker's ControlContext; a master's CLI brings its own). */
export interface Command<C = ControlContext, A extends Answer = string> extends Described {
  readonly level: ControlLevel;
  run(call: Invocation, ctx: C): A;
}

const RANK: Record<ControlLevel, number> = { user: 0, operator: 1, admin: 2 };

export const PERMISSION_DENIED = "Permission denied\n";

/** The socket's level is at least `needed`. */
export function allows(level: ControlLevel, needed: ControlLevel): boolean {
  return RANK[level] >= RANK[needed];
}

/** An answer of one line (HAProxy's cli_msg / cli_err). */
export function say(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** The commands, sorted as HAProxy's help lists them. */
export class CommandTable<C = ControlContext, A extends Answer = string> {
  readonly commands: readonly Command<C, A>[];

  constructor(commands: readonly Command<C, A>[]) {
    this.commands = [...commands].sort((a, b) => (a.usage < b.usage ? -1 : a.usage > b.usage ? 1 : 0));
  }

  /** The command `words` select: the one with the longest matching keywords. */
  find(words: readonly string[]): Command<C, A> | undefined {
    let found: Command<C, A> | undefined;
    for (const c of this.commands) {
      if (c.words.length > words.length) continue;
      if (!c.words.every((w, i) => words[i] === w)) continue;
      if (found === undefined || c.words.length > found.words.length) found = c;
    }
    return found;
  }

  /** Runs one command's words; `help` is answered here, `prompt` and `quit` by the connection. */
  run(words: readonly string[], payload: string | undefined, level: ControlLevel, ctx: C): A | string {
    if (words[0] === "help") return helpText(this.commands, words.slice(1));
    const found = this.find(words);
    if (found === undefined) return unknownText(this.commands, words);
    if (!allows(level, found.level)) return PERMISSION_DENIED;
    return found.run({ args: words.slice(found.words.length), payload, level }, ctx);
  }
}

/** "backend/server" → the two names, or undefined (HAProxy: "Require 'backend/server'."). */
export function splitServerName(text: string | undefined): [string, string] | undefined {
  if (text === undefined) return undefined;
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return [text.slice(0, slash), text.slice(slash + 1)];
}
