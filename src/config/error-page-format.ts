// `http-error` pages with log-format parts (lf-string, lf-file, `hdr` values
// with `%`), compiled into a builder run per transaction. HAProxy 2.6
// evaluates them like a log line: it takes request and response fetches
// alike at load (measured on 2.6.12), so they are compiled at the log stage.
// A `hdr` whose value cannot be written is left out, as in the rules' replies.
import { isFieldValue } from "../http/edit-head.ts";
import { replyPageBytes } from "../http/reply-page.ts";
import { byteString } from "../rules/actions/common.ts";
import { compileFormatString } from "../rules/log-format.ts";
import type { CompileEnv, Txn } from "../rules/types.ts";
import { LOG_STAGE } from "./log-format.ts";
import type { ErrorPageFormat } from "./types.ts";

/** The page's builder, or what is wrong with one of its log-format strings. */
export function compileErrorPage(format: ErrorPageFormat, env: CompileEnv): ((t: Txn) => Uint8Array) | string {
  const body = compileFormatString(format.body, LOG_STAGE, env);
  if (typeof body === "string") return body;
  const hdrs: [string, (t: Txn) => string][] = [];
  for (const [name, value] of format.hdrs) {
    const fn = compileFormatString(value, LOG_STAGE, env);
    if (typeof fn === "string") return `hdr ${name}: ${fn}`;
    hdrs.push([name, fn]);
  }
  const { code, contentType } = format;
  return (t) => {
    const fields: [string, string][] = [];
    for (const [name, fn] of hdrs) {
      const value = fn(t);
      if (isFieldValue(value)) fields.push([name, value]);
    }
    return replyPageBytes(code, fields, contentType, byteString(body(t)));
  };
}
