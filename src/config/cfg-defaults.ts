// Which `defaults` a haproxy.cfg proxy uses, as HAProxy 2.6 decides it:
// the last `defaults` section above it, or the one it names with `from NAME`
// (`defaults NAME [from OTHER]`, `frontend|backend|listen NAME from OTHER`).
// A segment (raw.ts) carries one defaults; a proxy whose defaults differ from
// its segment's starts a segment with a copy of them (their keywords and the
// positions they were written at, so messages still point at the defaults).
//
// Also each section's `default-server` line(s): the options every `server`
// below it in the section starts from, the defaults' own first (HAProxy
// applies a `default-server` line to the servers that follow it).

import type { SourcePos } from "./errors.ts";
import { newSegment, pathKey, type RawSegment } from "./raw.ts";

/** Server option → its value and the `default-server` line that set it. */
export type DefaultServer = Map<string, { value: unknown; at: SourcePos }>;

export interface DefaultsRecord {
  /** The segment whose `doc.defaults` this section fills. */
  seg: RawSegment;
  defaultServer: DefaultServer;
}

const DEFAULTS_PREFIX = pathKey(["defaults"]);

/** A new segment of `file` whose defaults are a copy of `from`'s (keywords and their positions). */
export function segmentWithDefaults(file: string, from: DefaultsRecord | undefined): RawSegment {
  const seg = newSegment(file);
  if (from === undefined) return seg;
  seg.doc.defaults = structuredClone(from.seg.doc.defaults ?? {});
  for (const [map, source] of [[seg.keys, from.seg.keys], [seg.values, from.seg.values]] as const) {
    for (const [key, at] of source) {
      if (key === DEFAULTS_PREFIX || key.startsWith(`${DEFAULTS_PREFIX}\u001f`)) map.set(key, at);
    }
  }
  return seg;
}

export class DefaultsKeeper {
  private named = new Map<string, DefaultsRecord>();
  /** The last defaults section: what a proxy without `from` uses. */
  last: DefaultsRecord | undefined;

  /** The named defaults section, or undefined. */
  byName(name: string): DefaultsRecord | undefined {
    return this.named.get(name);
  }

  /** Records a new defaults section (named or not); returns an error when the name is taken. */
  add(record: DefaultsRecord, name: string | undefined): string | undefined {
    this.last = record;
    if (name === undefined) return undefined;
    if (this.named.has(name)) return `defaults '${name}' is already defined (a named defaults section must be unique)`;
    this.named.set(name, record);
    return undefined;
  }
}

/**
 * `<name> ... from <defaults>` at the end of a section header: the
 * arguments without it, and the defaults' name.
 */
export function splitFrom(args: string[]): { args: string[]; from?: string } {
  const i = args.indexOf("from");
  if (i < 0 || i !== args.length - 2) return { args };
  return { args: args.slice(0, i), from: args[i + 1]! };
}
