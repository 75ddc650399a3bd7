// The meeting point of the two syntaxes: both parsers produce raw segments,
// the schemas in model.ts read nothing else.

import type { ConfigError, SourcePos } from "./errors.ts";

export type PathSeg = string | number;

/**
 * A document in the YAML shape (see yaml.ts): plain objects, arrays, strings,
 * numbers, booleans. Values are still unchecked text: validation is model.ts's job.
 */
export type RawDoc = Record<string, unknown>;

/**
 * A stretch of configuration that shares one `defaults`. A YAML file is one
 * segment; a haproxy.cfg file starts a new one at each `defaults` section,
 * which is how HAProxy scopes defaults to the proxies that follow them.
 * A segment whose doc has no `defaults` key keeps the defaults in force.
 */
export interface RawSegment {
  file: string;
  doc: RawDoc;
  /** path → where its value is written. */
  values: Map<string, SourcePos>;
  /** path → where its key (YAML) or keyword (cfg) is written. */
  keys: Map<string, SourcePos>;
}

export interface SyntaxResult {
  segments: RawSegment[];
  errors: ConfigError[];
  /** haproxy.cfg's `.warning`/`.notice`/`.diag` lines. */
  warnings?: ConfigError[];
}

/** Proxy categories of the raw document and how one of their sections is named. */
export const PROXY_KINDS = {
  frontends: "frontend",
  backends: "backend",
  listen: "listen",
} as const;
export type ProxyCategory = keyof typeof PROXY_KINDS;
export type ProxyKind = (typeof PROXY_KINDS)[ProxyCategory];

export function pathKey(path: readonly PathSeg[]): string {
  return path.join("\u001f");
}

/** Names that plain JS objects (and valibot records) would drop or misread. */
export function isReservedName(name: string): boolean {
  return name === "__proto__" || name === "prototype" || name === "constructor";
}

export function newSegment(file: string): RawSegment {
  return { file, doc: {}, values: new Map(), keys: new Map() };
}
