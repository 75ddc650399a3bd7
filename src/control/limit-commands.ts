// Connection limits on the runtime API, as HAProxy 2.6 answers (measured
// beside it): `set maxconn server B/S N`, `set maxconn frontend F N`, `set
// maxconn global N`. Each parses its number as HAProxy's C does (strtol for
// a server, atoi for the others: "3x" is 3 there, "x" is 0), and a higher
// limit lets what waits for a slot through at once.
import { parseStrtol, toInt32 } from "../check/server-ops.ts";
import type { Frontend } from "../core/frontend.ts";
import type { Proxy } from "../core/proxy.ts";
import { type Command, type ControlContext, say } from "./commands.ts";
import { lookup } from "./server-commands.ts";

/** C's atoi: strtol's number stored in an int; 0 when no digit comes. */
export function atoi(text: string): number {
  const parsed = parseStrtol(text);
  return parsed === undefined ? 0 : toInt32(parsed.value);
}

/** A frontend (or a listen section) by name, or HAProxy's answer saying why not. */
export function findFrontend(proxy: Proxy, name: string | undefined): Frontend | string {
  if (name === undefined || name === "") return say("A frontend name is expected.");
  return proxy.frontends.find((f) => f.name === name) ?? say("No such frontend.");
}

function setServerMaxconn(args: readonly string[], ctx: ControlContext): string {
  const found = lookup(ctx.ops, args[0]);
  if (typeof found === "string") return found;
  if (args[1] === undefined) return say("Require <maxconn>.");
  // HAProxy's two parse errors lack their newline: its answer has no blank line after them, kept as is.
  return ctx.ops.setMaxconn(found.backend, found.server, args[1]) ?? "";
}

function setFrontendMaxconn(args: readonly string[], ctx: ControlContext): string {
  const found = findFrontend(ctx.proxy, args[0]);
  if (typeof found === "string") return found;
  if (args[1] === undefined || args[1] === "") return say("Integer value expected.");
  const v = atoi(args[1]);
  if (v < 0) return say("Value out of range.");
  // A command is an event of its own: sessions started now are timed from now.
  ctx.proxy.clock.tick();
  found.setMaxconn(v);
  return "";
}

function setGlobalMaxconn(args: readonly string[], ctx: ControlContext): string {
  if (args[0] === undefined || args[0] === "") return say("Expects an integer value.");
  const v = atoi(args[0]);
  if (v > ctx.proxy.hardMaxconn) return say("Value out of range.");
  ctx.proxy.clock.tick();
  ctx.proxy.setGlobalMaxconn(v);
  return "";
}

/** HAProxy's answer to a `set rate-limit` it cannot read. */
const RATE_LIMIT_USAGE = say(
  "'set rate-limit' only supports :\n" +
    "   - 'connections global' to set the per-process maximum connection rate\n" +
    "   - 'sessions global' to set the per-process maximum session rate\n" +
    "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n" +
    "   - 'http-compression global' to set the per-process maximum compression speed in kB/s",
);

/**
 * `set rate-limit connections|sessions global N` (HAProxy's maxconnrate,
 * maxsessrate; 0: none). `ssl-sessions` and `http-compression` are
 * HAProxy's too, and refused: sluice limits neither its TLS handshakes nor
 * its compressor's speed.
 */
function setRateLimit(args: readonly string[], ctx: ControlContext): string {
  const [kind, scope, value] = args;
  if ((kind !== "connections" && kind !== "sessions" && kind !== "ssl-sessions" && kind !== "http-compression") || scope !== "global") return RATE_LIMIT_USAGE;
  if (kind === "ssl-sessions" || kind === "http-compression") {
    return say(`'set rate-limit ${kind}' is not supported: sluice does not limit ${kind === "ssl-sessions" ? "the TLS session rate (maxsslrate)" : "the compression speed (maxcomprate)"}.`);
  }
  if (value === undefined || value === "") return say("Expects an integer value.");
  const v = atoi(value);
  if (v < 0) return say("Value out of range.");
  ctx.proxy.clock.tick();
  ctx.proxy.setRateLimit(kind, v);
  return "";
}

export const LIMIT_COMMANDS: readonly Command[] = [
  {
    words: ["set", "maxconn", "server"],
    usage: "set maxconn server <bk>/<srv>",
    help: "change a server's maxconn setting",
    level: "admin",
    run: (call, ctx) => setServerMaxconn(call.args, ctx),
  },
  {
    words: ["set", "maxconn", "frontend"],
    usage: "set maxconn frontend <frontend> <value>",
    help: "change a frontend's maxconn setting",
    level: "admin",
    run: (call, ctx) => setFrontendMaxconn(call.args, ctx),
  },
  {
    words: ["set", "rate-limit"],
    usage: "set rate-limit <setting> <value>",
    help: "change a rate limiting value",
    level: "admin",
    run: (call, ctx) => setRateLimit(call.args, ctx),
  },
  {
    words: ["set", "maxconn", "global"],
    usage: "set maxconn global <value>",
    help: "change the per-process maxconn setting",
    level: "admin",
    run: (call, ctx) => setGlobalMaxconn(call.args, ctx),
  },
];
