// The arguments HttpStream hands the HTTP/1.1 serializer: shared framings,
// and scratch objects reused for every call (the serializer reads them and
// keeps nothing), so that no object is made per request for them.
import type { Framing, HeadRewrite } from "./serialize.ts";

// Framings that carry no per-message value are shared, not built per request.
export const NO_BODY: Framing = { kind: "none" };
export const CHUNKED: Framing = { kind: "chunked" };
export const KEEP: Framing = { kind: "keep" };

// Scratch arguments for the serializer, which reads them and keeps nothing:
// no objects made per request for them. Valid until the next call.
const LENGTH = { kind: "length" as const, length: 0 };
const REWRITE: HeadRewrite = { framing: NO_BODY };

export function lengthOf(length: number): Framing {
  LENGTH.length = length;
  return LENGTH;
}

export function rewriteOf(
  framing: Framing,
  connection?: HeadRewrite["connection"],
  keepUpgrade = false,
  add?: HeadRewrite["add"],
  names?: HeadRewrite["names"],
): HeadRewrite {
  REWRITE.framing = framing;
  REWRITE.connection = connection;
  REWRITE.keepUpgrade = keepUpgrade;
  REWRITE.add = add;
  REWRITE.names = names;
  return REWRITE;
}

const ascii = new TextEncoder();
export function encodeAscii(text: string): Uint8Array {
  return ascii.encode(text);
}
