// Frontends on the runtime API, as HAProxy 2.6 answers (measured beside it):
// `disable frontend F` closes its listeners (on Linux HAProxy's paused
// listener refuses connects: nothing waits in a backlog), established
// connections go on, and `show stat` says PAUSED; `enable frontend F` listens
// again and answers once it does.
import { type Answer, type Command, type ControlContext, say } from "./commands.ts";
import { findFrontend } from "./limit-commands.ts";

function disableFrontend(args: readonly string[], ctx: ControlContext): string {
  const found = findFrontend(ctx.proxy, args[0]);
  if (typeof found === "string") return found;
  if (found.stopped) return say("Frontend was already shut down.");
  if (!found.pause()) return say("All sockets are already disabled.");
  return "";
}

async function enableFrontend(args: readonly string[], ctx: ControlContext): Promise<string> {
  const found = findFrontend(ctx.proxy, args[0]);
  if (typeof found === "string") return found;
  if (found.stopped) return say("Frontend was previously shut down, cannot enable.");
  try {
    if (!(await found.resume())) return say("All sockets are already enabled.");
  } catch (error) {
    // HAProxy's words, and sluice's cause (the bind and the listen error).
    return say(`Failed to resume frontend, check logs for precise cause (port conflict?).\n${(error as Error).message}`);
  }
  return "";
}

export const FRONTEND_COMMANDS: readonly Command<ControlContext, Answer>[] = [
  {
    words: ["disable", "frontend"],
    usage: "disable frontend <frontend>",
    help: "temporarily disable specific frontend",
    level: "admin",
    run: (call, ctx) => disableFrontend(call.args, ctx),
  },
  {
    words: ["enable", "frontend"],
    usage: "enable frontend <frontend>",
    help: "re-enable specific frontend",
    level: "admin",
    run: (call, ctx) => enableFrontend(call.args, ctx),
  },
];
