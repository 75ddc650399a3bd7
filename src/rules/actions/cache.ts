// `http-request cache-use NAME` and `http-response cache-store NAME` (HAProxy
// 2.6, section 6 of its configuration manual): cache-use computes the key
// (host and URI) and answers from the cache when a fresh entry is there, with
// its Age; cache-store hands a storable response's body to the cache, which
// keeps it once the response has ended (rules/cache/).
import { invalidates, notModified, requestCacheability } from "../cache/cacheability.ts";

const NO_BODY = new Uint8Array(0);
import { ageOf, type HttpCache } from "../cache/store.ts";
import { type ActionTxn, Verdict, type VerdictCode } from "../types.ts";
import type { ActionContext, ActionDef, Parsed } from "./types.ts";

function cacheNamed(words: readonly string[], ctx: ActionContext): HttpCache | string {
  const name = words[1];
  if (name === undefined || name === "if" || name === "unless") return `'${words[0]}' expects <cache name> as argument`;
  return ctx.env.cache?.(name) ?? `unable to find cache '${name}' (declare a 'cache ${name}' section)`;
}

function use(cache: HttpCache, t: ActionTxn): VerdictCode {
  const request = t.request;
  if (request === undefined) return Verdict.continue;
  const key = `${request.host ?? ""}\n${request.target}`;
  if (invalidates(request.method)) {
    cache.invalidate(key);
    return Verdict.continue;
  }
  const allowed = requestCacheability(request);
  if (allowed.store) t.cacheKey = { cache, key };
  if (!allowed.use) return Verdict.continue;
  const hit = cache.lookup(key, request, t.now);
  if (hit === undefined) return Verdict.continue;
  // The answer comes from the cache: the response rules run on it (HAProxy's), but cache-store has nothing to store.
  t.cacheKey = undefined;
  const age: [string, string] = ["Age", String(ageOf(hit, t.now))];
  // A conditional request the stored answer satisfies: 304 from the cache, its fields without the body.
  if (notModified(request, hit.fields)) t.reply = { status: 304, fields: [...hit.fields, age], body: NO_BODY, local: true, cached: true };
  else t.reply = { status: hit.status, fields: [...hit.fields, age], body: hit.body, local: true, cached: true };
  return Verdict.reply;
}

function store(cache: HttpCache, t: ActionTxn): VerdictCode {
  const k = t.cacheKey;
  if (k === undefined || k.cache !== cache || t.request === undefined || t.response === undefined || t.responseSink !== undefined) return Verdict.continue;
  const sink = cache.store(k.key, t.request, t.response, t.now, t.world.wallNow());
  if (sink !== undefined) t.responseSink = sink;
  return Verdict.continue;
}

export const CACHE_ACTIONS: readonly ActionDef[] = [
  {
    name: "cache-use",
    sets: ["http-request"],
    parse(words, _arg, ctx): Parsed | string {
      const cache = cacheNamed(words, ctx);
      return typeof cache === "string" ? cache : { run: (t) => use(cache, t), next: 2 };
    },
  },
  {
    name: "cache-store",
    sets: ["http-response"],
    parse(words, _arg, ctx): Parsed | string {
      const cache = cacheNamed(words, ctx);
      return typeof cache === "string" ? cache : { run: (t) => store(cache, t), next: 2 };
    },
  },
];
