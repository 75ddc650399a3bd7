// `show errors [<px>] [request|response]`: the last request each frontend's
// HTTP/1.1 codec refused and the last response each backend's did, in
// HAProxy 2.6's layout (measured on 2.6.12):
//
//   Total events captured on [07/Dec/2026:18:03:47.048] : 3
//    
//   [07/Dec/2026:18:03:38.348] backend app (#3): invalid response
//     frontend www (#2), server s1 (#1), event #0, src 127.0.0.1:35250
//     buffer starts at 0 (including 0 out), 16332 free,
//     len 52, wraps at 16384, error at position 39
//     
//     00000  HTTP/1.1 200 OK\r\n
//
// HAProxy's three `H1 connection flags / msg state / chunk len` lines describe
// its own parser's internals and are left out; `wraps at` is sluice's head
// limit (tune.bufsize) where HAProxy's is 48 bytes less (its HTX header).
import type { ErrorSnapshot } from "../http/error-snapshot.ts";
import { formatLogDate } from "../log/text.ts";
import { proxyIds } from "../stats/proxy-ids.ts";
import { type Command, type ControlContext, say } from "./commands.ts";
import { dumpText } from "./text-dump.ts";

/** Which snapshots the arguments ask for: a proxy's number (-1: all) and the sides. */
interface Selection {
  readonly iid: number;
  readonly request: boolean;
  readonly response: boolean;
}

const NO_SUCH_PROXY = say("No such proxy.");

/**
 * HAProxy's reading of the proxy argument: a name or `#<id>`, else a number
 * by atoi (a negative one: every proxy; 0 or no number: no such proxy).
 */
function selectedProxy(word: string | undefined, ids: ReadonlyMap<string, number>): number | undefined {
  if (word === undefined || word === "") return -1;
  const byName = ids.get(word);
  if (byName !== undefined) return byName;
  if (word.startsWith("#")) {
    const id = Number(word.slice(1));
    if ([...ids.values()].includes(id)) return id;
  }
  const n = Number.parseInt(word, 10);
  if (Number.isNaN(n) || n === 0) return undefined;
  return n < 0 ? -1 : n;
}

function header(s: ErrorSnapshot, ids: ReadonlyMap<string, number>): string {
  const id = (name: string | undefined) => (name === undefined ? -1 : ids.get(name) ?? -1);
  const when = `[${formatLogDate(s.when)}]`;
  const server = s.server === undefined ? "server <NONE> (#-1)" : `server ${s.server.name} (#${s.server.id})`;
  if (s.side === "request") {
    return `${when} frontend ${s.frontend} (#${id(s.frontend)}): invalid request\n` +
      `  backend ${s.backend ?? "<NONE>"} (#${id(s.backend)}), ${server}, event #${s.event}, src ${s.source}\n`;
  }
  return `${when} backend ${s.backend} (#${id(s.backend)}): invalid response\n` +
    `  frontend ${s.frontend} (#${id(s.frontend)}), ${server}, event #${s.event}, src ${s.source}\n`;
}

function snapshotText(s: ErrorSnapshot, ids: ReadonlyMap<string, number>, bufsize: number): string {
  const len = s.bytes.length;
  return " \n" + header(s, ids) +
    `  buffer starts at 0 (including 0 out), ${bufsize - len} free,\n` +
    `  len ${len}, wraps at ${bufsize}, error at position ${s.position}\n` +
    "  \n" + dumpText(s.bytes);
}

/** The snapshots in HAProxy's order: by proxy number, a proxy's request then its response. */
function listed(ctx: ControlContext, ids: ReadonlyMap<string, number>, sel: Selection): ErrorSnapshot[] {
  const frontends = new Map(ctx.proxy.frontends.map((f) => [f.name, f]));
  const out: ErrorSnapshot[] = [];
  // A snapshot shows under its own proxy's number and under the other end's (a response under its frontend's).
  const wanted = (s: ErrorSnapshot, own: number, other: string | undefined) =>
    sel.iid === -1 || own === sel.iid || (other !== undefined && ids.get(other) === sel.iid);
  for (const [name, iid] of [...ids].sort((a, b) => a[1] - b[1])) {
    const req = frontends.get(name)?.lastRequestError;
    if (sel.request && req !== undefined && wanted(req, iid, req.backend)) out.push(req);
    const rsp = ctx.proxy.backends.get(name)?.lastResponseError;
    if (sel.response && rsp !== undefined && wanted(rsp, iid, rsp.frontend)) out.push(rsp);
  }
  return out;
}

export const ERROR_COMMANDS: readonly Command[] = [
  {
    words: ["show", "errors"],
    usage: "show errors [<px>] [request|response]",
    help: "report last request and/or response errors for each proxy",
    level: "operator",
    run(call, ctx) {
      const ids = proxyIds(ctx.proxy.config);
      const iid = selectedProxy(call.args[0], ids);
      if (iid === undefined) return NO_SUCH_PROXY;
      const side = call.args[1];
      const sel: Selection = { iid, request: side !== "response", response: side !== "request" };
      const now = ctx.proxy.runtime.wallNow();
      let out = `Total events captured on [${formatLogDate(now)}] : ${ctx.proxy.totals.errorEvents}\n`;
      for (const s of listed(ctx, ids, sel)) out += snapshotText(s, ids, ctx.proxy.config.global.bufsize);
      return out;
    },
  },
];
