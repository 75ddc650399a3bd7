// An `http-error` page as HAProxy 2.6 writes one from its parts (measured on
// 2.6.12): the status line with HAProxy's reason, the `hdr` fields, the
// Content-Length, the Content-Type, then the body; raw HTTP/1.1 bytes, as an
// errorfile holds them. Built at load for constant parts, per transaction
// for log-format ones.
import { reasonOrClass } from "./reasons.ts";

export function replyPageBytes(code: number, hdrs: readonly (readonly [string, string])[], contentType: string | undefined, body: Uint8Array): Uint8Array {
  const fields = [...hdrs, ["content-length", String(body.length)], ...(contentType === undefined ? [] : [["content-type", contentType]])];
  let head = `HTTP/1.1 ${code} ${reasonOrClass(code)}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  head += "\r\n";
  const page = new Uint8Array(head.length + body.length);
  // Header values are latin1 strings here (a sample's bytes), one byte per char.
  for (let i = 0; i < head.length; i++) page[i] = head.charCodeAt(i) & 0xff;
  page.set(body, head.length);
  return page;
}
