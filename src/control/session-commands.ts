// Sessions and counters on the runtime API, as HAProxy 2.6 answers (measured
// beside it): `shutdown session ID` (the ids `show sess` prints: sluice's
// session numbers in hex, where HAProxy prints stream pointers), `shutdown
// sessions server B/S` (every stream holding a slot on it; those queued for
// it stay) and `clear counters [all]`.
import { clearCounters } from "../stats/clear.ts";
import { type Command, type ControlContext, PERMISSION_DENIED, allows, say } from "./commands.ts";
import { lookup } from "./server-commands.ts";

const POINTER_EXPECTED = say("Session pointer expected (use 'show sess').");

/**
 * C's strtoul in base 0, as HAProxy reads the id: "0x" hex, a leading 0
 * octal, else decimal, up to the first character that is not a digit; 0
 * when none comes (HAProxy then asks for a pointer). A "-" gives a number
 * no session has.
 */
export function strtoulBase0(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(.*)$/s.exec(text)!;
  let rest = m[2]!;
  let digits: RegExp = /^[0-9]*/;
  let radix = 10;
  if (/^0[xX][0-9a-fA-F]/.test(rest)) {
    rest = rest.slice(2);
    [digits, radix] = [/^[0-9a-fA-F]*/, 16];
  } else if (rest.startsWith("0")) {
    [digits, radix] = [/^[0-7]*/, 8];
  }
  const found = digits.exec(rest)![0];
  const value = found === "" ? 0 : parseInt(found, radix);
  return m[1] === "-" && value !== 0 ? -1 : value;
}

function shutdownSession(args: readonly string[], ctx: ControlContext): string {
  const id = strtoulBase0(args[0] ?? "");
  if (id === 0) return POINTER_EXPECTED;
  // A command is an event of its own: the streams it ends are logged with its time.
  ctx.proxy.clock.tick();
  for (const f of ctx.proxy.frontends) {
    if (f.shutdownStreams((s) => s.id === id) > 0) return "";
    // A session found with nothing left to end is found all the same.
    for (const s of f.sessions) if (s.id === id) return "";
  }
  return say("No such session (use 'show sess').");
}

function shutdownServerSessions(args: readonly string[], ctx: ControlContext): string {
  const found = lookup(ctx.ops, args[0]);
  if (typeof found === "string") return found;
  ctx.proxy.clock.tick();
  for (const f of ctx.proxy.frontends) f.shutdownStreams(() => true, found.server);
  return "";
}

export const SESSION_COMMANDS: readonly Command[] = [
  {
    words: ["shutdown", "session"],
    usage: "shutdown session [id]",
    help: "kill a specific session",
    level: "admin",
    run: (call, ctx) => shutdownSession(call.args, ctx),
  },
  {
    words: ["shutdown", "sessions", "server"],
    usage: "shutdown sessions server <bk>/<srv>",
    help: "kill sessions on a server",
    level: "admin",
    run: (call, ctx) => shutdownServerSessions(call.args, ctx),
  },
  {
    words: ["clear", "counters"],
    usage: "clear counters [all]",
    help: "clear max statistics counters (or all counters)",
    // `all` needs admin (HAProxy checks it in the command); any other word is ignored, as there.
    level: "operator",
    run(call, ctx) {
      const all = call.args[0] === "all";
      if (all && !allows(call.level, "admin")) return PERMISSION_DENIED;
      clearCounters(ctx.proxy, all);
      return "";
    },
  },
];
