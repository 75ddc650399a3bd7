// `http-error status <code> [content-type <type>] [default-errorfiles |
// errorfile <file> | errorfiles <name> | file <file> | lf-file <file> |
// string <text> | lf-string <fmt>] [hdr <name> <fmt>]...` (HAProxy 2.2+):
// the proxy's answer for an error status, as an errorfile would give it,
// written with the words of `http-request return`. The pages are built once
// the files are read (sections.ts); `errorfiles <name>` takes the status's
// page from an http-errors section (error-answers.ts); a page with
// log-format parts (lf-string, lf-file, a `hdr` value with `%`) is built per
// transaction (config/rules.ts compiles it).
import { rulesSchema } from "./schema-check.ts";
import { readFileSync } from "node:fs";
import { ERRORFILE_CODES, type ErrorFileResult, isErrorFileCode, readErrorFile } from "./errorfile.ts";
import { isFieldValue, isToken } from "../http/edit-head.ts";
import { replyPageBytes } from "../http/reply-page.ts";
import type { ErrorPageFormat } from "./types.ts";

export type HttpErrorPayload =
  | { kind: "none" }
  | { kind: "default-errorfiles" }
  | { kind: "errorfile" | "file" | "lf-file"; path: string }
  | { kind: "string" | "lf-string"; text: string }
  /** The page of this status in an `http-errors` section (error-answers.ts imports it). */
  | { kind: "errorfiles"; section: string };

export interface HttpErrorPart {
  code: number;
  contentType?: string;
  payload: HttpErrorPayload;
  /** `hdr NAME FMT`: a value with `%` is a log-format string. */
  hdrs: [string, string][];
  /** What HAProxy accepts with a warning and drops (a content-type or hdr with an errorfile, a content-type without payload). */
  ignored?: string[];
}

const USAGE =
  "http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file> | string <text> | lf-string <fmt>] [hdr <name> <fmt>]...";

/** The words that give the page's payload. */
const PAYLOADS = ["default-errorfiles", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string"];

export function parseHttpError(words: readonly string[]): HttpErrorPart | string {
  if (words[0] !== "status" || words[1] === undefined) return `http-error: expects 'status <code>' first (usage: ${USAGE})`;
  const code = /^\d{3}$/.test(words[1]) ? Number(words[1]) : NaN;
  if (!isErrorFileCode(code)) return `http-error: status '${words[1]}' has no error message to replace (expected one of ${ERRORFILE_CODES.join(", ")})`;
  const part: HttpErrorPart = { code, payload: { kind: "none" }, hdrs: [] };
  let payloadWord: string | undefined;
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    const value = words[i + 1];
    // One payload per line, as HAProxy 2.6: "unexpected 'errorfile' argument, 'errorfiles' already defined".
    if (PAYLOADS.includes(word)) {
      if (payloadWord !== undefined) return `http-error: unexpected '${word}' argument, '${payloadWord}' already defined`;
      payloadWord = word;
    }
    if (word === "default-errorfiles") {
      part.payload = { kind: "default-errorfiles" };
      continue;
    }
    if (value === undefined) return `http-error: '${word}' expects an argument (usage: ${USAGE})`;
    if (word === "content-type") part.contentType = value;
    else if (word === "errorfile" || word === "file" || word === "lf-file") part.payload = { kind: word, path: value };
    else if (word === "errorfiles") part.payload = { kind: "errorfiles", section: value };
    else if (word === "string" || word === "lf-string") part.payload = { kind: word, text: value };
    else if (word === "hdr") {
      const field = words[i + 2];
      if (field === undefined) return `http-error: 'hdr ${value}' expects a value`;
      if (!isToken(value)) return `http-error: invalid header name '${value}'`;
      // A log-format value is checked when it is compiled; its result, per transaction.
      if (!field.includes("%") && !isFieldValue(field)) return `http-error: 'hdr ${value}': invalid value`;
      part.hdrs.push([value, field]);
      i++;
    } else {
      return `http-error: unknown argument '${word}' (usage: ${USAGE})`;
    }
    i++;
  }
  const kind = part.payload.kind;
  if (kind !== "none" && kind !== "default-errorfiles" && kind !== "errorfile" && kind !== "errorfiles" && part.contentType === undefined) {
    return "http-error: a content-type is required with a payload (add 'content-type <type>')";
  }
  // HAProxy 2.6.12 warns and drops what the page cannot carry.
  const ignored: string[] = [];
  if (kind === "errorfile" || kind === "default-errorfiles" || kind === "errorfiles") {
    if (part.contentType !== undefined) ignored.push(`content-type '${part.contentType}' is ignored with an errorfile`);
    if (part.hdrs.length > 0) ignored.push("'hdr' arguments are ignored with an errorfile");
    delete part.contentType;
    part.hdrs = [];
  } else if (kind === "none" && part.contentType !== undefined) {
    ignored.push(`content-type '${part.contentType}' is ignored without a payload`);
    delete part.contentType;
  }
  if (ignored.length > 0) part.ignored = ignored;
  return part;
}

/** `http-error` lines, in order (the last for a status wins). */
export const HttpErrorSchema = rulesSchema("http-error", parseHttpError);

/** What an `http-error` line makes: a page built now, one built per transaction, or what is wrong. */
export type HttpErrorPage = ErrorFileResult | { ok: true; format: PageFormat };

/** A page built per transaction, before its line's position is known (sections.ts adds it). */
type PageFormat = Omit<ErrorPageFormat, "origin" | "build">;

/**
 * The page an `http-error` line makes (`file`, `lf-file` and `errorfile`
 * read through `near`, relative to the configuration; a payload file must
 * fit in `bufsize`, tune.bufsize); undefined for
 * `default-errorfiles` and `errorfiles` (error-answers.ts applies them).
 */
export function httpErrorPage(e: HttpErrorPart, near: (path: string) => string, bufsize: number): HttpErrorPage | undefined {
  const p = e.payload;
  if (p.kind === "default-errorfiles" || p.kind === "errorfiles") return undefined;
  if (p.kind === "errorfile") return readErrorFile(e.code, near(p.path));
  let body: Uint8Array;
  if (p.kind === "file" || p.kind === "lf-file") {
    try {
      body = new Uint8Array(readFileSync(near(p.path)));
    } catch (err) {
      return { ok: false, error: `cannot read '${p.path}' (${(err as { code?: string }).code ?? String(err)})` };
    }
    // HAProxy 2.6.12 refuses a payload file larger than a buffer (and only warns when it eats into tune.maxrewrite).
    if (body.length > bufsize) return { ok: false, error: `file '${p.path}' exceeds the buffer size (${body.length} > ${bufsize})` };
  } else {
    body = new TextEncoder().encode(p.kind === "string" || p.kind === "lf-string" ? p.text : "");
  }
  const logFormat = p.kind === "lf-file" || p.kind === "lf-string";
  const bodyText = logFormat ? latin1Text(body) : undefined;
  if (bodyText?.includes("%") === true || e.hdrs.some(([, value]) => value.includes("%"))) {
    const format: PageFormat = { code: e.code, body: bodyText ?? "", hdrs: e.hdrs };
    if (bodyText === undefined) format.body = latin1Text(body).replaceAll("%", "%%");
    if (e.contentType !== undefined) format.contentType = e.contentType;
    return { ok: true, format };
  }
  return { ok: true, response: replyPageBytes(e.code, e.hdrs, e.contentType, body) };
}

/** Bytes as a string of one char per byte (log-format strings are evaluated as bytes, as samples are). */
function latin1Text(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
