// `log-format` strings: HAProxy's custom log format. The config keeps the
// string as written; whether it is well formed is the log engine's parser's
// call (parseLogFormat in src/log/format.ts, which also holds the one list of
// variables), and each `%[expr]` the rules' (the fetch and converters named,
// their arguments counted, available when the line is written). This file
// only words the refusals the config's way; config/rules.ts compiles the
// samples once the whole configuration is read.

import { LOG_FORMAT_VARIABLE_NAMES, LogFormatError, parseLogFormat } from "../log/format.ts";
import { parseExprText } from "../rules/expr-parse.ts";
import { resolveTerms } from "../rules/expr.ts";
import { Stage } from "../rules/types.ts";

/** The stage a log line's samples are read in: after the response, with the request still at hand (HAProxy's LOG_END). */
export const LOG_STAGE = Stage.httpAfterResponse;

/** undefined when `format` is well formed, else what is wrong. `%%` is a literal '%'. */
export function checkLogFormat(format: string): string | undefined {
  try {
    for (const part of parseLogFormat(format)) {
      if (part.type !== "sample") continue;
      const problem = checkSample(part.expr);
      if (problem !== undefined) return `%[${part.expr}]: ${problem}`;
    }
    return undefined;
  } catch (e) {
    if (!(e instanceof LogFormatError)) throw e;
    const at = snippet(format, e.position);
    if (e.code === "unknown-variable") {
      return `unknown variable '%${e.variable}' (known: ${LOG_FORMAT_VARIABLE_NAMES.join(", ")})`;
    }
    if (e.code === "unsupported") return `sample expressions such as '${at}' are not supported yet`;
    return `malformed variable '${at}' (expected %name or %{flags}name, such as %ci or %{+Q}r; ` +
      "write %% for a literal '%')";
  }
}

/** The `%[...]` expressions of a format, in order (empty when it has none or is malformed). */
export function logFormatSamples(format: string): string[] {
  try {
    return parseLogFormat(format).flatMap((p) => (p.type === "sample" ? [p.expr] : []));
  } catch {
    return [];
  }
}

function checkSample(expr: string): string | undefined {
  const parsed = parseExprText(expr);
  if (typeof parsed === "string") return parsed;
  if (parsed.end < expr.length) return `unexpected '${expr.slice(parsed.end)}' after the sample expression`;
  const resolved = resolveTerms(parsed.terms, expr);
  if (typeof resolved === "string") return resolved;
  if ((resolved.fetch.stages & LOG_STAGE) === 0) return `'${resolved.fetch.name}' is not available when the log line is written`;
  return undefined;
}

/** From `at` to the next space, at most 20 characters. */
function snippet(format: string, at: number): string {
  const space = format.slice(at).search(/\s/);
  const end = space < 0 ? format.length : at + space;
  return format.slice(at, Math.min(end, at + 20));
}
