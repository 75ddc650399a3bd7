// `http-errors <name>` sections (HAProxy 2.2+): named groups of
// `errorfile <code> <file>` lines that proxies import with `errorfiles <name>
// [<code>...]`, `http-error status <code> errorfiles <name>`, or name in the
// reply of `http-request|http-response return|deny ... errorfiles <name>`.
// The files are read once, at load (sections.ts), as a proxy's errorfiles.
import * as v from "valibot";
import { ErrorFilesSchema } from "./schema-http.ts";
import { keywords } from "./schema-keywords.ts";

/** An `http-errors` section as written: its `errorfile` lines, files not read yet. */
export const HttpErrorsSectionSchema = keywords(
  { errorfile: v.optional(ErrorFilesSchema) },
  {
    expected: "a mapping of http-errors keywords",
    unknown: (key) => `unknown keyword '${key}' in an 'http-errors' section (expected errorfile)`,
  },
);

/** The pages of one `http-errors` section once read: status → a complete raw HTTP/1.x response. */
export type HttpErrorsPages = Readonly<Record<number, Uint8Array>>;
