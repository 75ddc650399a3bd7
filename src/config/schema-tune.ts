// Two global tunings HAProxy configs carry:
// - `tune.maxrewrite N`: the part of each buffer kept free for rewriting a
//   head (added and changed fields), so a received head may fill at most
//   tune.bufsize - tune.maxrewrite bytes. HAProxy's default is 1024, and
//   anything above half the buffer is cut to half (its cfgparse.c rule).
// - `max-spread-checks TIME`: the first health checks are spread over the
//   shortest check interval of all servers, but over no more than this.
// - `spread-checks N`: each check's next interval moves by a random part of
//   up to N % either way (0-50), so checks drift apart.
// - `unix-bind ...`: the UNIX sockets' defaults (schema-unix-bind.ts).
import * as v from "valibot";
import { duration, integer } from "./schema-values.ts";
import { type UnixBind, UnixBindSchema } from "./schema-unix-bind.ts";

export const TUNE_GLOBAL = {
  "tune.maxrewrite": v.optional(integer("tune.maxrewrite", 0, 1048576)),
  "max-spread-checks": v.optional(duration("max-spread-checks")),
  "spread-checks": v.optional(integer("spread-checks", 0, 50)),
  "unix-bind": v.optional(UnixBindSchema),
};

export interface TunePart {
  maxRewrite?: number;
  maxSpreadChecks?: number;
  spreadChecks?: number;
  unixBind?: UnixBind;
}

/** `unix-bind`: what the UNIX socket binds of proxies start from (schema-unix-bind.ts; applied in build.ts). */
export function tunePart(g: { "tune.maxrewrite"?: number; "max-spread-checks"?: number; "spread-checks"?: number; "unix-bind"?: UnixBind }): TunePart {
  const part: TunePart = {};
  if (g["tune.maxrewrite"] !== undefined) part.maxRewrite = g["tune.maxrewrite"];
  if (g["max-spread-checks"] !== undefined) part.maxSpreadChecks = g["max-spread-checks"];
  if (g["spread-checks"] !== undefined && g["spread-checks"] > 0) part.spreadChecks = g["spread-checks"];
  if (g["unix-bind"] !== undefined) part.unixBind = g["unix-bind"];
  return part;
}

/** The most bytes a received head may take: the buffer less the rewrite reserve (at most half of it). */
export function headRoom(bufsize: number, maxRewrite: number): number {
  return bufsize - Math.min(maxRewrite, Math.floor(bufsize / 2));
}
