// The configuration's shapes for HTTP compression, stream filters and the
// HTTP cache (issue 19, compress); types.ts re-exports them.

export type CompressionAlgo = "identity" | "gzip" | "deflate" | "raw-deflate";

/** `compression algo|type|offload` of a proxy (or its defaults). */
export interface CompressionConfig {
  /** In the order written: the first the client accepts at its best q-value wins. */
  algos: CompressionAlgo[];
  /** Lower-cased Content-Type prefixes; empty: any type. */
  types: string[];
  /** Remove Accept-Encoding from requests so that servers never compress. */
  offload: boolean;
  /** `tune.comp.maxlevel` (global): zlib's level for this proxy's responses; absent: BUILTIN.compressionLevel (HAProxy's 1). */
  level?: number;
}

/** One `filter` line, or the implicit compression filter. */
export type FilterConfig =
  | { kind: "compression" }
  | { kind: "cache"; cache: string }
  | {
    kind: "trace";
    name: string;
    quiet: boolean;
    randomParsing: boolean;
    randomForwarding: boolean;
    hexdump: boolean;
  };

/** A `cache NAME` section. */
export interface CacheConfig {
  name: string;
  /** total-max-size, in bytes (written in megabytes). */
  totalMaxSize: number;
  /** max-object-size, in bytes (default: a 256th of the total). */
  maxObjectSize: number;
  /** max-age, in seconds (default 60). */
  maxAgeSeconds: number;
  processVary: boolean;
  maxSecondaryEntries: number;
}
