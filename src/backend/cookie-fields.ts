// The text of Cookie and Set-Cookie fields as HAProxy reads them for
// persistence (http_manage_client_side_cookies / _server_side_cookies): a
// Cookie value is a list of `name=value` items separated by ';' or ',' (a
// quoted value may hold either); a Set-Cookie value's first item is the
// cookie, the rest its attributes. And a head with some fields replaced,
// which keeps every decision the codec made about the message it came from.
import { type Field, fieldNameIs } from "../http/fields-head.ts";
import type { Head } from "../http/message.ts";

/** One item of a Cookie field: offsets into the value. */
export interface CookieItem {
  /** The name, blanks around it excluded. */
  nameStart: number;
  nameEnd: number;
  /** The value, blanks excluded; -1 when the item has no '='. */
  valueStart: number;
  valueEnd: number;
  /** Where the item ends: its separator (';' or ','), or the end of the field. */
  end: number;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** The end of a cookie value starting at `i`: the first ';' or ',' outside a quoted string (HAProxy's http_find_cookie_value_end). */
function valueEnd(text: string, i: number): number {
  let quoted = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3b || c === 0x2c) return i;
  }
  return text.length;
}

/** The item that starts at `from` (just after a separator, or 0). */
export function cookieItemAt(text: string, from: number): CookieItem {
  let i = from;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  const nameStart = i;
  let nameEnd = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d || c === 0x3b || c === 0x2c) break;
    if (!isBlank(c)) nameEnd = i + 1;
  }
  if (i >= text.length || text.charCodeAt(i) !== 0x3d) return { nameStart, nameEnd, valueStart: -1, valueEnd: -1, end: i };
  let v = i + 1;
  while (v < text.length && isBlank(text.charCodeAt(v))) v++;
  const end = valueEnd(text, v);
  let e = end;
  while (e > v && isBlank(text.charCodeAt(e - 1))) e--;
  return { nameStart, nameEnd, valueStart: v, valueEnd: e, end };
}

/** Every item of a Cookie field's value, in order. */
export function cookieItems(text: string): CookieItem[] {
  const items: CookieItem[] = [];
  let from = 0;
  while (from < text.length) {
    const item = cookieItemAt(text, from);
    if (item.nameEnd > item.nameStart || item.valueStart >= 0) items.push(item);
    from = item.end + 1;
  }
  return items;
}

/** The item's name equals `name` (case-sensitive, as cookie names are), without allocating. */
export function nameIs(text: string, item: CookieItem, name: string): boolean {
  return item.nameEnd - item.nameStart === name.length && text.startsWith(name, item.nameStart);
}

/**
 * A head like `base` — start line, framing, version, keep-alive, Connection
 * tokens, upgrade, 100-continue, Host — with other fields. The cookie edits
 * touch neither Host nor a framing field, so all of that stays true.
 */
export class ReplacedFieldsHead implements Head {
  constructor(private readonly base: Head, private readonly fields: readonly Field[]) {}

  get isRequest(): boolean {
    return this.base.isRequest;
  }
  get method(): string {
    return this.base.method;
  }
  get target(): string {
    return this.base.target;
  }
  get status(): number {
    return this.base.status;
  }
  get versionMinor(): 0 | 1 {
    return this.base.versionMinor;
  }
  get fieldCount(): number {
    return this.fields.length;
  }
  get bodyKind(): Head["bodyKind"] {
    return this.base.bodyKind;
  }
  get contentLength(): number {
    return this.base.contentLength;
  }
  get keepAlive(): boolean {
    return this.base.keepAlive;
  }
  get connectionTokens(): readonly string[] {
    return this.base.connectionTokens;
  }
  get upgrade(): string | undefined {
    return this.base.upgrade;
  }
  get host(): string | undefined {
    return this.base.host;
  }
  get hasHost(): boolean {
    return this.base.hasHost;
  }
  get expectContinue(): boolean {
    return this.base.expectContinue;
  }

  originalName(i: number): string {
    return this.fields[i]![0];
  }

  name(i: number): string {
    return this.fields[i]![0].toLowerCase();
  }

  value(i: number): string {
    return this.fields[i]![1];
  }

  nameIs(i: number, lowerName: Uint8Array): boolean {
    return fieldNameIs(this.fields[i]![0], lowerName);
  }

  get(lowerName: string): string | undefined {
    for (const [name, value] of this.fields) if (name.toLowerCase() === lowerName) return value;
    return undefined;
  }
}

/** The fields of `head` as a list (copied), for an edit. */
export function fieldsOf(head: Head): Field[] {
  const n = head.fieldCount;
  const fields = new Array<Field>(n);
  for (let i = 0; i < n; i++) fields[i] = [head.originalName(i), head.value(i)];
  return fields;
}
