// `declare capture request|response len N` (frontends and listens; issue 19,
// bindopts): as HAProxy 2.6, a capture slot of N characters that rules fill
// with `http-request capture SAMPLE id I` / `http-response capture ... id I`,
// shown by the log's %hr / %hs like the header captures.
// HAProxy numbers a proxy's slots in the order their lines are written
// (`capture request header`, `declare capture`, `http-request capture ...
// len`). sluice gives header captures the first slots and `http-request
// capture ... len` the last: a `declare capture` line written before a header
// capture, or after an `http-request capture ... len` line, would be numbered
// otherwise than in HAProxy, and is refused naming the order to write.
import type { RuleLine, RuleLines } from "./types.ts";

export interface DeclaredCaptures {
  request: number[];
  response: number[];
}

const USAGE = "expected 'declare capture request|response len <length>'";

export function declaredCaptures(lines: RuleLines, fail: (line: RuleLine, keyword: string, detail: string) => void): DeclaredCaptures {
  const out: DeclaredCaptures = { request: [], response: [] };
  const headerLines = (direction: string) => lines.capture.filter((l) => l.words[0] === direction);
  const lenRules = lines["http-request"].filter((l) => l.words[0] === "capture" && l.words.includes("len"));
  for (const line of lines.declare) {
    const [what, direction, len, length, ...extra] = line.words;
    const n = Number(length);
    if (what !== "capture" || (direction !== "request" && direction !== "response") || len !== "len" || extra.length > 0) {
      fail(line, "declare", USAGE);
      continue;
    }
    if (!/^\d+$/.test(length ?? "") || n < 1 || n > 65535) {
      fail(line, "declare", `invalid length '${length ?? ""}' (expected 1-65535)`);
      continue;
    }
    const laterHeader = headerLines(direction).find((h) => before(line, h));
    if (laterHeader !== undefined) {
      fail(line, "declare", `this slot would be numbered after the 'capture ${direction} header' line ${laterHeader.origin.line ?? ""} below it (HAProxy numbers it before): write the header captures first`);
      continue;
    }
    const earlierRule = direction === "request" ? lenRules.find((r) => before(r, line)) : undefined;
    if (earlierRule !== undefined) {
      fail(line, "declare", `this slot would be numbered before the 'http-request capture ... len' of line ${earlierRule.origin.line ?? ""} above it (HAProxy numbers it after): write 'declare capture' lines first`);
      continue;
    }
    out[direction].push(n);
  }
  return out;
}

/** `a` is written above `b` in the same file. */
function before(a: RuleLine, b: RuleLine): boolean {
  return a.origin.file === b.origin.file && (a.origin.line ?? 0) < (b.origin.line ?? 0);
}
