// The static table, RFC 7541 Appendix A: indices 1..61, fixed forever.

import type { HeaderField } from "./types.ts";

export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

export const STATIC_TABLE_LENGTH = 61;

/** Per name: its lowest static index, and the index of each value the table holds for it. */
export interface StaticName {
  readonly index: number;
  readonly values: ReadonlyMap<string, number>;
}

/** Encoder lookups: name → StaticName. */
export const STATIC_NAMES: ReadonlyMap<string, StaticName> = (() => {
  const names = new Map<string, { index: number; values: Map<string, number> }>();
  for (let i = 0; i < STATIC_TABLE.length; i++) {
    const [name, value] = STATIC_TABLE[i]!;
    let entry = names.get(name);
    if (entry === undefined) names.set(name, entry = { index: i + 1, values: new Map() });
    if (!entry.values.has(value)) entry.values.set(value, i + 1);
  }
  return names;
})();

/** The static entry at HPACK index 1..61, as a fresh field. */
export function staticField(index: number): HeaderField {
  const e = STATIC_TABLE[index - 1]!;
  return [e[0], e[1]];
}
