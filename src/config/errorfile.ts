// `errorfile CODE FILE`: the file is a complete raw HTTP response that sluice
// sends instead of its own page for that status (HAProxy semantics). It is
// read once, at load, and checked here.
//
// FILE is resolved as schema-paths.ts says: by default relative to the
// directory of the config file that names it (HAProxy's `default-path
// config`), so it works the same whichever directory sluice is run from.

import { readFileSync } from "node:fs";
import { latin1, rawHeadLines } from "../http/raw-response.ts";
import { reasonPhrase } from "../http/reasons.ts";

/** The statuses HAProxy lets `errorfile` replace. */
export const ERRORFILE_CODES: readonly number[] = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

export function isErrorFileCode(code: number): boolean {
  return ERRORFILE_CODES.includes(code);
}

export type ErrorFileResult = { ok: true; response: Uint8Array } | { ok: false; error: string };

/** Reads and checks `file` (a path the process can open); the error names neither the code nor the file. */
export function readErrorFile(code: number, file: string): ErrorFileResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const reason = (e as { code?: unknown }).code;
    return {
      ok: false,
      error: `cannot read it (${typeof reason === "string" ? reason : String(e)})`,
    };
  }
  return normalizeResponse(code, bytes);
}

const STATUS_LINE = /^HTTP\/1\.[01] \d{3}(?: [^\r\n]*)?$/;

/**
 * Checks that `bytes` is a raw HTTP/1.x response and returns a copy whose head
 * ends its lines with CRLF (files edited by hand often have bare LF). The
 * body is kept byte for byte.
 */
export function normalizeResponse(code: number, bytes: Uint8Array): ErrorFileResult {
  // An empty file (`/dev/null`) is HAProxy's way to answer nothing: the connection is closed.
  if (bytes.length === 0) return { ok: true, response: bytes };
  const { lines, bodyAt } = rawHeadLines(bytes);
  const first = lines[0] ?? latin1(bytes, 0, Math.min(bytes.length, 64));
  if (!STATUS_LINE.test(first)) {
    return {
      ok: false,
      error: `not an HTTP response (it must start with a status line such as "HTTP/1.1 ${code} ${
        reasonPhrase(code, "Reason")
      }")`,
    };
  }
  if (bodyAt < 0) {
    return {
      ok: false,
      error: "not an HTTP response (its headers must end with an empty line)",
    };
  }
  const framing = framingProblem(lines.slice(1), bytes.length - bodyAt);
  if (framing !== undefined) return { ok: false, error: framing };
  const head = lines.join("\r\n") + "\r\n\r\n";
  const out = new Uint8Array(head.length + bytes.length - bodyAt);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i);
  out.set(bytes.subarray(bodyAt), head.length);
  return { ok: true, response: out };
}

/**
 * What HAProxy 2.6 refuses in the framing of an errorfile (measured on
 * 2.6.12): a Content-Length that is not the body's size ("payload size does
 * not match the announced content-length (6 != 2)"), two different ones,
 * and a chunked body ("chunk-encoded payload not supported").
 */
function framingProblem(fields: readonly string[], bodySize: number): string | undefined {
  const lengths = new Set<string>();
  for (const line of fields) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "transfer-encoding") return "chunk-encoded payload not supported (give the body as it is, with a content-length or none)";
    if (name === "content-length") for (const one of value.split(",")) lengths.add(one.trim());
  }
  if (lengths.size > 1) return `not an HTTP response (content-length given twice with different values: ${[...lengths].join(", ")})`;
  const [length] = lengths;
  if (length !== undefined && (!/^\d+$/.test(length) || Number(length) !== bodySize)) {
    return `payload size does not match the announced content-length (${bodySize} != ${length})`;
  }
  return undefined;
}
