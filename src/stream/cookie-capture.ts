// `capture cookie NAME len N` (frontends): the first request cookie and the
// first response cookie whose `name=value` begins with NAME, kept for the
// log's %CC and %CS, as HAProxy's http_manage_client_side_cookies and
// _server_side_cookies keep them: blanks around '=' dropped (HAProxy
// rewrites the field so), a cookie without '=' never taken, the text cut at
// N characters. NAME ending in '=' asks for that exact name.
import { cookieItemAt, cookieItems } from "../backend/cookie-fields.ts";
import type { Head } from "../http/message.ts";
import type { CookieCapture } from "../rules/rule-set.ts";

/** The request's captured cookie (every Cookie field, in order), or undefined. */
export function captureRequestCookie(head: Head, capture: CookieCapture): string | undefined {
  for (let i = 0; i < head.fieldCount; i++) {
    if (head.name(i) !== "cookie") continue;
    const text = head.value(i);
    for (const item of cookieItems(text)) {
      if (item.valueStart < 0) continue;
      const found = taken(text.slice(item.nameStart, item.nameEnd), text.slice(item.valueStart, item.valueEnd), capture);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The response's captured cookie: the cookie (first item) of each Set-Cookie field, in order, or undefined. */
export function captureResponseCookie(head: Head, capture: CookieCapture): string | undefined {
  for (let i = 0; i < head.fieldCount; i++) {
    if (head.name(i) !== "set-cookie") continue;
    const text = head.value(i);
    const item = cookieItemAt(text, 0);
    if (item.valueStart < 0) continue;
    const found = taken(text.slice(item.nameStart, item.nameEnd), text.slice(item.valueStart, item.valueEnd), capture);
    if (found !== undefined) return found;
  }
  return undefined;
}

function taken(name: string, value: string, capture: CookieCapture): string | undefined {
  const whole = name + "=" + value;
  return whole.startsWith(capture.name) ? whole.slice(0, capture.length) : undefined;
}
