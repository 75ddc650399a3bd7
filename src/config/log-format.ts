// `log-format` strings: HAProxy's custom log format. The config keeps the
// string as written; whether it is well formed is the log engine's parser's
// call (parseLogFormat in src/log/format.ts, which also holds the one list of
// variables). This file only words its refusal the config's way.

import { LOG_FORMAT_VARIABLE_NAMES, LogFormatError, parseLogFormat } from "../log/format.ts";

/** undefined when `format` is well formed, else what is wrong. `%%` is a literal '%'. */
export function checkLogFormat(format: string): string | undefined {
  try {
    parseLogFormat(format);
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

/** From `at` to the next space, at most 20 characters. */
function snippet(format: string, at: number): string {
  const space = format.slice(at).search(/\s/);
  const end = space < 0 ? format.length : at + space;
  return format.slice(at, Math.min(end, at + 20));
}
