// `http-error status <code> [content-type <type>] [default-errorfiles |
// errorfile <file> | file <file> | string <text>] [hdr <name> <value>]...`
// (HAProxy 2.2+): the proxy's answer for an error status, as an errorfile
// would give it, written with the words of `http-request return`. The pages
// are built once the files are read (sections.ts); `errorfiles <name>` takes
// the status's page from an http-errors section (error-answers.ts). The
// log-format payloads (lf-string, lf-file) are not taken.
import { rulesSchema } from "./schema-check.ts";
import { readFileSync } from "node:fs";
import { ERRORFILE_CODES, type ErrorFileResult, isErrorFileCode, readErrorFile } from "./errorfile.ts";
import { isFieldValue, isToken } from "../http/edit-head.ts";
import { reasonOrClass } from "../http/reasons.ts";

export type HttpErrorPayload =
  | { kind: "none" }
  | { kind: "default-errorfiles" }
  | { kind: "errorfile" | "file"; path: string }
  | { kind: "string"; text: string }
  /** The page of this status in an `http-errors` section (error-answers.ts imports it). */
  | { kind: "errorfiles"; section: string };

export interface HttpErrorPart {
  code: number;
  contentType?: string;
  payload: HttpErrorPayload;
  hdrs: [string, string][];
}

const USAGE = "http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | string <text>] [hdr <name> <value>]...";

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
    if (word === "lf-string" || word === "lf-file") {
      return `http-error: '${word}' is not supported yet (supported: default-errorfiles, errorfile, errorfiles, file, string)`;
    }
    if (value === undefined) return `http-error: '${word}' expects an argument (usage: ${USAGE})`;
    if (word === "content-type") part.contentType = value;
    else if (word === "errorfile" || word === "file") part.payload = { kind: word, path: value };
    else if (word === "errorfiles") part.payload = { kind: "errorfiles", section: value };
    else if (word === "string") part.payload = { kind: "string", text: value };
    else if (word === "hdr") {
      const field = words[i + 2];
      if (field === undefined) return `http-error: 'hdr ${value}' expects a value`;
      if (!isToken(value)) return `http-error: invalid header name '${value}'`;
      if (field.includes("%[")) return `http-error: 'hdr ${value}': log-format values are not supported yet (a constant is)`;
      if (!isFieldValue(field)) return `http-error: 'hdr ${value}': invalid value`;
      part.hdrs.push([value, field]);
      i++;
    } else {
      return `http-error: unknown argument '${word}' (usage: ${USAGE})`;
    }
    i++;
  }
  const kind = part.payload.kind;
  if ((kind === "file" || kind === "string") && part.contentType === undefined) return "http-error: a content-type is required with a payload (add 'content-type <type>')";
  if (kind === "errorfile" || kind === "default-errorfiles" || kind === "errorfiles") {
    if (part.contentType !== undefined || part.hdrs.length > 0) return `http-error: 'content-type' and 'hdr' cannot go with '${kind}' (the page has its own head)`;
  }
  return part;
}

/** `http-error` lines, in order (the last for a status wins). */
export const HttpErrorSchema = rulesSchema("http-error", parseHttpError);

/**
 * The page an `http-error` line makes (`file` and `errorfile` read through
 * `near`, relative to the configuration): raw HTTP/1.1 bytes as an errorfile
 * holds them; undefined for `default-errorfiles` (sluice's own page).
 */
export function httpErrorPage(e: HttpErrorPart, near: (path: string) => string): ErrorFileResult | undefined {
  const p = e.payload;
  if (p.kind === "default-errorfiles" || p.kind === "errorfiles") return undefined;
  if (p.kind === "errorfile") return readErrorFile(e.code, near(p.path));
  let body: Uint8Array;
  if (p.kind === "file") {
    try {
      body = new Uint8Array(readFileSync(near(p.path)));
    } catch (err) {
      return { ok: false, error: `cannot read '${p.path}' (${(err as { code?: string }).code ?? String(err)})` };
    }
  } else {
    body = new TextEncoder().encode(p.kind === "string" ? p.text : "");
  }
  // HAProxy's reply, in its order: the status line, the hdr fields, the length, the content-type.
  const fields = [...e.hdrs, ["content-length", String(body.length)], ...(e.contentType === undefined ? [] : [["content-type", e.contentType]])];
  const head = new TextEncoder().encode(`HTTP/1.1 ${e.code} ${reasonOrClass(e.code)}\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`);
  const page = new Uint8Array(head.length + body.length);
  page.set(head);
  page.set(body, head.length);
  return { ok: true, response: page };
}
