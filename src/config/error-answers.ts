// A proxy's answers for the error statuses, as HAProxy 2.6 settles them:
// every errorfile, errorloc*, errorfiles and http-error line of the proxy's
// defaults, then of the proxy, applied in the order written, the later line
// for a status replacing the earlier (measured on 2.6.12: `errorfile 503 A`
// then `errorfiles S` serves S's 503; the other way round, A; an
// `http-error status 404 default-errorfiles` in a frontend undoes its
// defaults' `errorfile 404`). sections.ts turns each section's lines into
// steps in that order; build.ts applies its defaults' steps then its own,
// once every file is read (an `errorfiles` may name an http-errors section
// written further down, or in another file).
import { ConfigError, type SourcePos } from "./errors.ts";
import type { HttpErrorsPages } from "./schema-http-errors.ts";
import type { ErrorFiles, ErrorFormats, ErrorPageFormat } from "./types.ts";

export type ErrorAnswerStep =
  /** errorfile, errorloc*, http-error with its own page: the status's answer from now on. */
  | { kind: "page"; code: number; page: Uint8Array }
  /** http-error with log-format parts: a page built per transaction from now on. */
  | { kind: "format"; code: number; format: ErrorPageFormat }
  /** `http-error status N default-errorfiles`: no answer of the proxy's for N (the frontend's, else sluice's own page). */
  | { kind: "reset"; code: number }
  /** `errorfiles S [codes]` or `http-error status N errorfiles S`: S's pages (all, or those of `codes`). */
  | { kind: "import"; section: string; codes?: readonly number[]; at: SourcePos; context: string[] };

/** Where the problems of an import go: an unknown section is an error, a code the section lacks a warning (as HAProxy). */
export interface ErrorAnswerReport {
  errors: ConfigError[];
  warnings: ConfigError[];
}

/** A proxy's answers: fixed pages, and those built per transaction; a status is in one of them at most. */
export interface ErrorAnswers {
  pages: ErrorFiles;
  formats: ErrorFormats;
}

/** The answers the steps make, with the http-errors sections found by name. */
export function applyErrorSteps(
  steps: readonly ErrorAnswerStep[],
  sections: Readonly<Record<string, HttpErrorsPages>>,
  report: ErrorAnswerReport,
): ErrorAnswers {
  const pages: ErrorFiles = {};
  const formats: ErrorFormats = {};
  for (const step of steps) {
    if (step.kind === "import") {
      for (const code of importPages(step, sections, pages, report)) delete formats[code];
      continue;
    }
    delete pages[step.code];
    delete formats[step.code];
    if (step.kind === "page") pages[step.code] = step.page;
    else if (step.kind === "format") formats[step.code] = step.format;
  }
  return { pages, formats };
}

function importPages(
  step: Extract<ErrorAnswerStep, { kind: "import" }>,
  sections: Readonly<Record<string, HttpErrorsPages>>,
  out: ErrorFiles,
  report: ErrorAnswerReport,
): number[] {
  const pages = Object.hasOwn(sections, step.section) ? sections[step.section] : undefined;
  if (pages === undefined) {
    report.errors.push(new ConfigError(step.at, step.context, `unknown http-errors section '${step.section}'`));
    return [];
  }
  const codes = step.codes ?? Object.keys(pages).map(Number);
  const imported: number[] = [];
  for (const code of codes) {
    const page = pages[code];
    if (page !== undefined) imported.push(code);
    if (page !== undefined) out[code] = page;
    else report.warnings.push(new ConfigError(step.at, step.context, `status '${code}' not declared in http-errors section '${step.section}' (the proxy's own answer stays)`));
  }
  return imported;
}
