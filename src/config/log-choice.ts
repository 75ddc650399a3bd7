// Which of `option tcplog`, `option httplog` and `log-format` a section
// means, when it has more than one: HAProxy keeps the last one written (each
// replaces the proxy's log format). The model reads them into separate fields
// (`log`, `logFormat`), losing their order; the raw document's positions give
// it back. After this, a part has at most one of them, and `logChoiceAt` says
// where it was written (the place a warning or an error about it points to).

import { locate } from "./issues.ts";
import type { ProxyPart } from "./model.ts";
import { type PathSeg, type RawSegment } from "./raw.ts";

/** Keeps the last written of the section's log format choices; records where it is. */
export function settleLogChoice(part: ProxyPart, seg: RawSegment, base: readonly PathSeg[]): void {
  const formatAt = part.logFormat === undefined ? undefined : locate(seg, [...base, "log-format"]);
  const optionAt = part.log === undefined ? undefined : lastLogOptionAt(seg, base);
  if (formatAt !== undefined && optionAt !== undefined) {
    if (before(formatAt, optionAt)) delete part.logFormat;
    else delete part.log;
  }
  const at = part.logFormat !== undefined ? formatAt : optionAt;
  if (at !== undefined) part.logChoiceAt = at;
}

type Pos = ReturnType<typeof locate>;

function before(a: Pos, b: Pos): boolean {
  return (a.line ?? 0) < (b.line ?? 0) || ((a.line ?? 0) === (b.line ?? 0) && (a.col ?? 0) < (b.col ?? 0));
}

/** Where the section's last `option tcplog` / `option httplog` entry is written. */
function lastLogOptionAt(seg: RawSegment, base: readonly PathSeg[]): Pos {
  let owner: unknown = seg.doc;
  for (const key of base) owner = (owner as Record<string, unknown> | undefined)?.[key as string];
  const option = (owner as Record<string, unknown> | undefined)?.option;
  const entries = Array.isArray(option) ? option : [option];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    const name = typeof entry === "string" ? entry.trim().split(/\s+/)[0] : undefined;
    if (name === "tcplog" || name === "httplog") {
      return locate(seg, Array.isArray(option) ? [...base, "option", i] : [...base, "option"]);
    }
  }
  return locate(seg, [...base, "option"]);
}
