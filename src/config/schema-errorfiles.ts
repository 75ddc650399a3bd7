// `errorfiles <name> [<code> ...]` in a proxy or defaults: imports all the
// pages of the `http-errors` section <name>, or those of the codes listed.
// HAProxy applies it where it is written among the proxy's errorfile,
// errorloc and http-error lines (error-answers.ts keeps that order); the
// section is looked up once every file is read (it may come later).
import { rulesSchema } from "./schema-check.ts";
import { ERRORFILE_CODES, isErrorFileCode } from "./errorfile.ts";

export interface ErrorFilesImport {
  /** The `http-errors` section. */
  section: string;
  /** The codes imported; absent: every page of the section. */
  codes?: number[];
}

const USAGE = "errorfiles <name> [<code> ...]";

export function parseErrorFilesImport(words: readonly string[]): ErrorFilesImport | string {
  const [section, ...listed] = words;
  if (section === undefined || section === "") return `errorfiles: expects <name> as argument (usage: ${USAGE})`;
  const codes: number[] = [];
  for (const word of listed) {
    // A code HAProxy has no message for is refused, as HAProxy refuses it (2.6.12: "status code '999' not handled").
    const code = /^\d{3}$/.test(word) ? Number(word) : NaN;
    if (!isErrorFileCode(code)) return `errorfiles ${section}: status code '${word}' not handled (expected one of ${ERRORFILE_CODES.join(", ")})`;
    codes.push(code);
  }
  return codes.length === 0 ? { section } : { section, codes };
}

/** `errorfiles` lines, in order. */
export const ErrorFilesImportSchema = rulesSchema("errorfiles", parseErrorFilesImport);
