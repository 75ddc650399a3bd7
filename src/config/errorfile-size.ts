// HAProxy 2.6 keeps an error page (errorfile, http-errors, http-error) in one
// buffer of its internal HTTP representation (HTX) and refuses, at load, a
// page that does not fit: "unable to add payload into the HTX message", or
// for a file longer than tune.bufsize, which it truncates, a content-length
// that no longer matches. Measured on 2.6.12 by bisection, the room is
// tune.bufsize - 93 bytes, the page taking the lengths of the status line's
// version, code and reason, 8 + name + value per header field, and the body
// (16291 bytes with the default 16384: a 16279-byte body under
// "HTTP/1.1 503 B" and no field). sluice refuses the same pages, so that a
// configuration loads in both or in neither.
import { rawHeadLines } from "../http/raw-response.ts";

/** The part of tune.bufsize HAProxy's HTX structure and its fixed blocks take. */
const HTX_OVERHEAD = 93;
/** Each header field's HTX block. */
const FIELD_BLOCK = 8;

export const DEFAULT_BUFSIZE = 16384;

/** The bytes `response` (a checked raw HTTP/1.x response) takes in HAProxy's buffer. */
export function htxSize(response: Uint8Array): number {
  const { lines, bodyAt } = rawHeadLines(response);
  const [version = "", code = "", ...reason] = (lines[0] ?? "").split(" ");
  let size = version.length + code.length + reason.join(" ").length;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    size += FIELD_BLOCK + line.slice(0, colon).trim().length + line.slice(colon + 1).trim().length;
  }
  return size + response.length - bodyAt;
}

/** Why `response` is refused with this tune.bufsize, or undefined when it fits. */
export function tooLargeProblem(response: Uint8Array, bufsize: number): string | undefined {
  const room = bufsize - HTX_OVERHEAD;
  const size = htxSize(response);
  if (size <= room) return undefined;
  return `too large: HAProxy holds an error page in one buffer (tune.bufsize ${bufsize}) and refuses this one ("unable to add payload into the HTX message"): its status line, fields and body take ${size} bytes there, ${room} fit`;
}
