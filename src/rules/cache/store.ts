// A `cache NAME` section's store (issue 19, compress): HAProxy's small RAM
// cache. Entries are found by host and URI (the primary key) and, for a
// response that varies, by the request fields it varies on (the secondary
// key, at most max-secondary-entries per primary). The whole store is
// bounded by total-max-size: the oldest entries go first to make room, as
// HAProxy's do. Bodies are kept whole, once the response has ended; one above
// max-object-size is never stored. Times are the proxy's monotonic ms.
import type { Head } from "../../http/message.ts";
import { responseLifetime, secondaryKey } from "./cacheability.ts";

/** A `cache` section's settings (config/ checks them; sizes in bytes, max-age in seconds). */
export interface CacheSettings {
  readonly totalMaxSize: number;
  readonly maxObjectSize: number;
  readonly maxAgeSeconds: number;
  readonly processVary: boolean;
  readonly maxSecondaryEntries: number;
}

/** A stored answer. */
export interface StoredResponse {
  readonly status: number;
  readonly fields: readonly [string, string][];
  readonly body: Uint8Array;
  /** When it was stored and until when it is fresh (monotonic ms). */
  readonly storedAt: number;
  readonly expiresAt: number;
  /** The Age the server gave it, in seconds. */
  readonly initialAge: number;
  readonly size: number;
}

/** Where a response's body goes while it is being stored. */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  abort(): void;
}

/** Fields a stored answer does not keep: the connection's, the framing (the reply writes its own Content-Length) and Age (computed on each hit). */
const NOT_STORED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "te", "trailer", "upgrade", "age"]);

interface Primary {
  vary: string[];
  entries: Map<string, StoredResponse>;
}

export class HttpCache {
  private readonly primaries = new Map<string, Primary>();
  /** Every entry in the order stored (the oldest first), with where it is. */
  private readonly order = new Map<StoredResponse, { key: string; secondary: string }>();
  private used = 0;
  /** Hits and lookups (the runtime API's `show cache` would read them). */
  hits = 0;
  lookups = 0;

  constructor(readonly config: CacheSettings) {}

  get bytesUsed(): number {
    return this.used;
  }

  get entries(): number {
    return this.order.size;
  }

  /** The fresh stored answer for this request, if any (an expired one is dropped). */
  lookup(key: string, request: Head, now: number): StoredResponse | undefined {
    this.lookups++;
    const primary = this.primaries.get(key);
    if (primary === undefined) return undefined;
    const secondary = secondaryKey(request, primary.vary);
    const entry = primary.entries.get(secondary);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.remove(entry);
      return undefined;
    }
    this.hits++;
    return entry;
  }

  /** Every stored answer for `key` (all its Vary variants) goes: a POST, PUT or DELETE changed what it named. */
  invalidate(key: string): void {
    const primary = this.primaries.get(key);
    if (primary === undefined) return;
    for (const entry of [...primary.entries.values()]) this.remove(entry);
  }

  /** A sink for this response's body when it may be stored, else undefined. */
  store(key: string, request: Head, response: Head, now: number, wallNow = NaN): BodySink | undefined {
    const c = this.config;
    const life = responseLifetime(response, c.maxAgeSeconds, c.processVary, wallNow);
    if (life === undefined) return undefined;
    const primary = this.primaries.get(key);
    const secondary = secondaryKey(request, life.vary);
    if (primary !== undefined && !primary.entries.has(secondary) && primary.entries.size >= c.maxSecondaryEntries) return undefined;
    const fields: [string, string][] = [];
    let headBytes = 0;
    let initialAge = 0;
    for (let i = 0; i < response.fieldCount; i++) {
      const name = response.name(i);
      if (name === "age") initialAge = Number.parseInt(response.value(i), 10) || 0;
      if (NOT_STORED.has(name)) continue;
      const value = response.value(i);
      fields.push([response.originalName(i), value]);
      headBytes += name.length + value.length + 4;
    }
    if (response.contentLength >= 0 && response.contentLength + headBytes > c.maxObjectSize) return undefined;
    // Already this old when it came (its Age): what is left of its lifetime; none left, not stored (HAProxy's).
    const remaining = life.seconds - initialAge;
    if (remaining <= 0) return undefined;
    const chunks: Uint8Array[] = [];
    let size = headBytes;
    let open = true;
    return {
      data: (chunk) => {
        if (!open) return;
        size += chunk.length;
        if (size > c.maxObjectSize) {
          open = false;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk.slice());
      },
      end: () => {
        if (!open) return;
        open = false;
        const body = new Uint8Array(size - headBytes);
        let off = 0;
        for (const b of chunks) {
          body.set(b, off);
          off += b.length;
        }
        this.insert(key, life.vary, secondary, {
          status: response.status,
          fields,
          body,
          storedAt: now,
          expiresAt: now + remaining * 1000,
          initialAge,
          size,
        });
      },
      abort: () => {
        open = false;
        chunks.length = 0;
      },
    };
  }

  private insert(key: string, vary: string[], secondary: string, entry: StoredResponse): void {
    let primary = this.primaries.get(key);
    if (primary !== undefined && primary.vary.join() !== vary.join()) {
      // The server changed what it varies on: the older variants no longer apply.
      for (const old of [...primary.entries.values()]) this.remove(old);
      primary = undefined;
    }
    if (primary === undefined) this.primaries.set(key, (primary = { vary, entries: new Map() }));
    const previous = primary.entries.get(secondary);
    if (previous !== undefined) this.remove(previous);
    // The oldest go first until the new one fits.
    for (const oldest of this.order.keys()) {
      if (this.used + entry.size <= this.config.totalMaxSize) break;
      this.remove(oldest);
    }
    if (this.used + entry.size > this.config.totalMaxSize) return;
    const again = this.primaries.get(key) ?? { vary, entries: new Map<string, StoredResponse>() };
    this.primaries.set(key, again);
    again.entries.set(secondary, entry);
    this.order.set(entry, { key, secondary });
    this.used += entry.size;
  }

  private remove(entry: StoredResponse): void {
    const at = this.order.get(entry);
    if (at === undefined) return;
    this.order.delete(entry);
    this.used -= entry.size;
    const primary = this.primaries.get(at.key);
    primary?.entries.delete(at.secondary);
    if (primary !== undefined && primary.entries.size === 0) this.primaries.delete(at.key);
  }
}

/** The Age of a stored answer now, in seconds. */
export function ageOf(entry: StoredResponse, now: number): number {
  return entry.initialAge + Math.max(0, Math.floor((now - entry.storedAt) / 1000));
}
