// HTTP compression and stream filters (issue 19, compress) in the model:
// `compression algo|type|offload` and `filter compression|trace|cache` lines
// of HAProxy 2.6, in both syntaxes (YAML writes each line's words as a string
// or a list: `compression: ["algo gzip", "type text/html"]`). The filters
// sluice does not run (spoe, bwlim-*, fcgi-app, opentracing) are refused with
// the reason. HAProxy's rule that a proxy declaring other filters must also
// declare `filter compression` to compress is checked here.
import * as v from "valibot";
import { lineWords } from "./schema-check.ts";
import { describe } from "./schema-values.ts";
import type { CompressionAlgo, CompressionConfig, FilterConfig } from "./types-filters.ts";

/** haproxy.cfg lines kept as words, one list per line (cfg.ts). */
export const FILTER_LINES = new Set(["compression", "filter"]);

export const FILTER_USAGE: Record<string, string> = {
  compression: "compression algo <algorithm>..., compression type <mime type>..., or compression offload",
  filter: "filter compression, filter trace [name <name>] [random-parsing] [random-forwarding] [hexdump] [quiet], or filter cache <name>",
};

const ALGOS: readonly CompressionAlgo[] = ["identity", "gzip", "deflate", "raw-deflate"];

const REFUSED_FILTERS: Record<string, string> = {
  spoe: "filter 'spoe' is not supported: sluice has no Stream Processing Offload Engine (SPOP agents are not called)",
  "bwlim-in": "filter 'bwlim-in' is not supported yet: sluice does not limit bandwidth",
  "bwlim-out": "filter 'bwlim-out' is not supported yet: sluice does not limit bandwidth",
  "fcgi-app": "filter 'fcgi-app' is not supported: sluice speaks HTTP/1.1 and HTTP/2 to servers, not FastCGI",
  opentracing: "filter 'opentracing' is not supported: sluice has no OpenTracing",
};

/** The part of a proxy section these lines make. */
export interface FiltersPart {
  compression?: CompressionConfig;
  filters?: FilterConfig[];
}

/** `compression` lines in order → the settings (later `algo`/`type` lines add to the lists, as HAProxy does). */
export function parseCompressionLines(lines: readonly (readonly string[])[]): CompressionConfig | string {
  const c: CompressionConfig = { algos: [], types: [], offload: false };
  for (const [word, ...args] of lines) {
    if (word === "algo") {
      if (args.length === 0) return "compression algo: expects <algorithm> (identity, gzip, deflate or raw-deflate)";
      for (const a of args) {
        if (!ALGOS.includes(a as CompressionAlgo)) return `compression algo: unknown algorithm '${a}' (expected identity, gzip, deflate or raw-deflate)`;
        if (!c.algos.includes(a as CompressionAlgo)) c.algos.push(a as CompressionAlgo);
      }
    } else if (word === "type") {
      if (args.length === 0) return "compression type: expects <mime type>...";
      c.types.push(...args.map((t) => t.toLowerCase()));
    } else if (word === "offload") {
      if (args.length > 0) return `compression offload takes no argument, got '${args[0]}'`;
      c.offload = true;
    } else {
      return `unknown compression keyword '${word ?? ""}' (expected algo, type or offload)`;
    }
  }
  return c;
}

/** One `filter` line's words → the filter, or what is wrong. */
export function parseFilterLine(words: readonly string[]): FilterConfig | string {
  const [name, ...args] = words;
  if (name === "compression") {
    if (args.length > 0) return `filter compression takes no argument, got '${args[0]}'`;
    return { kind: "compression" };
  }
  if (name === "cache") {
    if (args.length !== 1) return "filter cache: expects <cache name> as its only argument";
    return { kind: "cache", cache: args[0]! };
  }
  if (name === "trace") {
    const t: FilterConfig = { kind: "trace", name: "TRACE", quiet: false, randomParsing: false, randomForwarding: false, hexdump: false };
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === "name") {
        const n = args[++i];
        if (n === undefined) return "filter trace: 'name' expects <name> as argument";
        t.name = n;
      } else if (a === "quiet") t.quiet = true;
      else if (a === "random-parsing") t.randomParsing = true;
      else if (a === "random-forwarding") t.randomForwarding = true;
      else if (a === "hexdump") t.hexdump = true;
      else return `filter trace: unknown option '${a}' (expected name, quiet, random-parsing, random-forwarding or hexdump)`;
    }
    return t;
  }
  if (name !== undefined && Object.hasOwn(REFUSED_FILTERS, name)) return REFUSED_FILTERS[name]!;
  return `unknown filter '${name ?? ""}' (expected compression, trace or cache)`;
}

/** A list of lines, each a string of words or a list of words (both syntaxes). */
function linesSchema(keyword: string) {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): string[][] => {
      const x = dataset.value;
      // cfg.ts gives a list of word lists; YAML a list of strings (one line each) or one string.
      const list: unknown[] = Array.isArray(x) ? x : [x];
      const out: string[][] = [];
      for (const line of list) {
        const words = lineWords(line);
        if (typeof words === "string") {
          addIssue({ message: `invalid ${keyword} line ${describe(line)} (expected words such as '${keyword === "filter" ? "trace name T1" : "algo gzip"}')` });
          return NEVER;
        }
        out.push(words);
      }
      return out;
    }),
  );
}

const CompressionSchema = v.pipe(
  linesSchema("compression"),
  v.rawTransform(({ dataset, addIssue, NEVER }): CompressionConfig => {
    const r = parseCompressionLines(dataset.value);
    if (typeof r === "string") {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  }),
);

const FilterSchema = v.pipe(
  linesSchema("filter"),
  v.rawTransform(({ dataset, addIssue, NEVER }): FilterConfig[] => {
    const out: FilterConfig[] = [];
    for (const words of dataset.value) {
      const r = parseFilterLine(words);
      if (typeof r === "string") {
        addIssue({ message: r });
        return NEVER;
      }
      out.push(r);
    }
    return out;
  }),
);

/** The keywords of defaults (compression only: HAProxy has no `filter` there). */
export const COMPRESSION_KEYWORD = { compression: v.optional(CompressionSchema) };
/** The keywords of frontend, backend and listen sections. */
export const FILTER_KEYWORDS = { compression: v.optional(CompressionSchema), filter: v.optional(FilterSchema) };

/** The part of a checked section these keywords make. */
export function filtersPart(o: { compression?: CompressionConfig; filter?: FilterConfig[] }): FiltersPart {
  const part: FiltersPart = {};
  if (o.compression !== undefined) part.compression = o.compression;
  if (o.filter !== undefined) part.filters = o.filter;
  return part;
}

/**
 * The filters a proxy runs, in order, as HAProxy 2.6 declares them: the
 * `filter` lines as written; without any, an implicit compression filter
 * when the proxy compresses. A proxy that compresses with other filters
 * declared must say where compression goes (HAProxy's error).
 */
export function proxyFilters(name: string, compression: CompressionConfig | undefined, written: readonly FilterConfig[] | undefined): FilterConfig[] | string {
  // Any `compression` line counts (HAProxy: the proxy has a comp struct), even one without `algo`.
  const compresses = compression !== undefined;
  if (written === undefined || written.length === 0) return compresses ? [{ kind: "compression" }] : [];
  const explicit = written.some((f) => f.kind === "compression");
  const others = written.some((f) => f.kind !== "compression" && f.kind !== "cache");
  if (compresses && !explicit && others) {
    return `require an explicit filter declaration to use HTTP compression (add 'filter compression' where it goes among the filters)`;
  }
  const cacheAt = written.findIndex((f) => f.kind === "cache");
  if (explicit && cacheAt > written.findIndex((f) => f.kind === "compression")) {
    return "'filter cache' after 'filter compression' is not supported yet (sluice's cache stores a response before it is compressed: declare the cache filter first)";
  }
  return compresses && !explicit ? [...written, { kind: "compression" }] : [...written];
}
