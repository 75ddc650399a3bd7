// Copy-on-write edits of a message head, as HAProxy's http-request and
// http-response actions make them: each edit returns a new head (a
// FieldsHead over a new list of fields) and leaves the one it was given
// untouched; an edit that changes nothing returns the head it was given.
//
// A derived head keeps what the codecs decided about the message it came
// from — framing (bodyKind, contentLength), version, keep-alive, Connection
// tokens, upgrade, 100-continue — because the HTTP/1 writer and the session
// frame and route the message by them; only the start line and the fields
// change. Host follows the fields, and HAProxy's coupling of Host with an
// absolute-form target is kept: setting Host rewrites the target's
// authority, setting an absolute URI rewrites the Host fields.
//
// Edits refuse input that could not be written on the wire (a field name
// that is not a token, a value with CR/LF or another control, a target with
// a space): they return undefined and the caller keeps its head.
import { type Field, FieldsHead } from "./fields-head.ts";
import type { Head } from "./message.ts";
import { authorityOf, isWritableTarget, withAuthority } from "./request-target.ts";
import { reasonOrClass } from "./reasons.ts";

/** A field name compiled once: as written, lower-cased, and as bytes for allocation-free comparison (Head.nameIs). */
export interface FieldName {
  readonly text: string;
  readonly lower: string;
  readonly bytes: Uint8Array;
}

const HOST = fieldName("host");

/** RFC 9110 §5.6.2 tchar. */
function isTchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

/** A token (field names, methods): one or more tchar. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTchar(text.charCodeAt(i))) return false;
  return true;
}

/** A field value the writers accept: latin1 without CR, LF, NUL or other controls (HTAB allowed). */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || c === 0x7f || (c < 0x20 && c !== 0x09)) return false;
  }
  return true;
}

/** Compiles a field name; throws on a name that is not a token (names come from the configuration, checked at load). */
export function fieldName(name: string): FieldName {
  if (!isToken(name)) throw new TypeError(`invalid field name ${JSON.stringify(name)}`);
  const lower = name.toLowerCase();
  const bytes = new Uint8Array(lower.length);
  for (let i = 0; i < lower.length; i++) bytes[i] = lower.charCodeAt(i);
  return { text: name, lower, bytes };
}

/** Field i of any head as [name as received, value]; a FieldsHead's own pair is shared, not copied. */
function fieldAt(head: Head, i: number): Field {
  return head instanceof FieldsHead ? head.field(i) : [head.originalName(i), head.value(i)];
}

/** The first value of the Host fields of `fields`, or undefined. */
function hostIn(fields: readonly Field[]): string | undefined {
  for (const f of fields) if (f[0].length === 4 && f[0].toLowerCase() === "host") return f[1];
  return undefined;
}

/** The response's own reason phrase (the server's as received, or one set), kept when its fields are edited. */
function reasonOf(head: Head): string | undefined {
  return head.reason;
}

/** A head like `head` (framing, version, connection semantics) with these fields and start line. */
function derive(
  head: Head,
  fields: Field[],
  method: string,
  target: string,
  status: number,
  reason: string | undefined,
  host: string | undefined,
): FieldsHead {
  return new FieldsHead(fields, {
    isRequest: head.isRequest,
    method,
    target,
    status,
    reason,
    bodyKind: head.bodyKind,
    contentLength: head.contentLength,
    host,
    absoluteScheme: head.absoluteScheme,
    versionMinor: head.versionMinor,
    keepAlive: head.keepAlive,
    connectionTokens: head.connectionTokens,
    upgrade: head.upgrade,
    expectContinue: head.expectContinue,
  });
}

/**
 * The head with new fields. When Host fields may have changed
 * (`hostTouched`), host is read again from them; a Host value just written
 * (`hostValue`) also becomes the authority of an absolute-form or CONNECT
 * target (HAProxy's http_update_authority).
 */
function withFields(head: Head, fields: Field[], hostTouched: boolean, hostValue?: string): FieldsHead {
  if (!head.isRequest) return derive(head, fields, head.method, head.target, head.status, reasonOf(head), undefined);
  let target = head.target;
  if (hostValue !== undefined) target = withAuthority(target, head.method === "CONNECT", hostValue);
  return derive(head, fields, head.method, target, head.status, undefined, hostTouched ? hostIn(fields) : head.host);
}

function isHost(name: FieldName): boolean {
  return name.lower === HOST.lower;
}

/** Appends `name: value` (add-header). */
export function addField(head: Head, name: FieldName, value: string): Head | undefined {
  if (!isFieldValue(value)) return undefined;
  const n = head.fieldCount;
  const fields = new Array<Field>(n + 1);
  for (let i = 0; i < n; i++) fields[i] = fieldAt(head, i);
  fields[n] = [name.text, value];
  return isHost(name) ? withFields(head, fields, true, value) : withFields(head, fields, false);
}

/** Removes every field called `name` (any case) and appends `name: value` (set-header). */
export function setField(head: Head, name: FieldName, value: string): Head | undefined {
  if (!isFieldValue(value)) return undefined;
  const n = head.fieldCount;
  const fields: Field[] = [];
  for (let i = 0; i < n; i++) if (!head.nameIs(i, name.bytes)) fields.push(fieldAt(head, i));
  fields.push([name.text, value]);
  return isHost(name) ? withFields(head, fields, true, value) : withFields(head, fields, false);
}

/** Removes every field called `name` (any case); `head` itself when there is none (del-header). */
export function deleteField(head: Head, name: FieldName): Head {
  const n = head.fieldCount;
  let first = -1;
  for (let i = 0; i < n && first < 0; i++) if (head.nameIs(i, name.bytes)) first = i;
  if (first < 0) return head;
  const fields: Field[] = [];
  for (let i = 0; i < n; i++) if (i < first || (i > first && !head.nameIs(i, name.bytes))) fields.push(fieldAt(head, i));
  return withFields(head, fields, isHost(name));
}

/**
 * Removes every field whose lower-case name passes `test` (del-header -m
 * beg|end|sub|reg); `head` itself when none does. `test` sees every name
 * (lower-cased: one string per field).
 */
export function deleteFieldsWhere(head: Head, test: (lowerName: string) => boolean): Head {
  const n = head.fieldCount;
  const fields: Field[] = [];
  let hostTouched = false;
  for (let i = 0; i < n; i++) {
    const name = head.name(i);
    if (!test(name)) fields.push(fieldAt(head, i));
    else if (name === HOST.lower) hostTouched = true;
  }
  return fields.length === n ? head : withFields(head, fields, hostTouched);
}

/**
 * Replaces the value of each field called `name` by what `map` makes of it
 * (replace-header); `map` returns undefined to leave a value alone. `head`
 * itself when nothing changes; undefined when a new value could not be
 * written (the head is then left as it was).
 */
export function mapFieldValues(head: Head, name: FieldName, map: (value: string) => string | undefined): Head | undefined {
  const n = head.fieldCount;
  let fields: Field[] | undefined;
  let host: string | undefined;
  for (let i = 0; i < n; i++) {
    if (!head.nameIs(i, name.bytes)) continue;
    const field = fieldAt(head, i);
    const next = map(field[1]);
    if (next === undefined || next === field[1]) continue;
    if (!isFieldValue(next)) return undefined;
    fields ??= copyFields(head);
    fields[i] = [field[0], next];
    if (host === undefined && isHost(name)) host = next;
  }
  if (fields === undefined) return head;
  return host === undefined ? withFields(head, fields, false) : withFields(head, fields, true, host);
}

/**
 * Like mapFieldValues, but over each comma-separated element of the values
 * (replace-value): commas inside a quoted string do not separate. A
 * replaced element takes the place of the element and the blanks around it
 * (HAProxy's http_replace_header_value); elements left alone keep theirs.
 */
export function mapFieldListValues(head: Head, name: FieldName, map: (element: string) => string | undefined): Head | undefined {
  return mapFieldValues(head, name, (value) => mapListElements(value, map));
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** The list value with each element mapped; undefined when no element changed. */
export function mapListElements(value: string, map: (element: string) => string | undefined): string | undefined {
  let out: string | undefined;
  let copied = 0;
  let i = 0;
  while (i <= value.length) {
    const start = i;
    let quoted = false;
    while (i < value.length) {
      const c = value.charCodeAt(i);
      if (quoted && c === 0x5c) i++;
      else if (c === 0x22) quoted = !quoted;
      else if (c === 0x2c && !quoted) break;
      i++;
    }
    const end = Math.min(i, value.length);
    let a = start;
    let e = end;
    while (a < e && isBlank(value.charCodeAt(a))) a++;
    while (e > a && isBlank(value.charCodeAt(e - 1))) e--;
    const element = value.slice(a, e);
    const next = map(element);
    if (next !== undefined && next !== element) {
      out = (out ?? "") + value.slice(copied, start) + next;
      copied = end;
    }
    i = end + 1;
  }
  return out === undefined ? undefined : out + value.slice(copied);
}

/** The request with another method (set-method); undefined unless `method` is a token. */
export function setMethod(head: Head, method: string): Head | undefined {
  if (!head.isRequest || !isToken(method)) return undefined;
  if (method === head.method) return head;
  return derive(head, copyFields(head), method, head.target, head.status, undefined, head.host);
}

/**
 * The request with another target, as given (set-path, set-query... build
 * it with ./request-target.ts); the Host fields are not touched. Undefined
 * unless the target is writable (visible ASCII, not empty).
 */
export function setTarget(head: Head, target: string): Head | undefined {
  if (!head.isRequest || !isWritableTarget(target)) return undefined;
  if (target === head.target) return head;
  return derive(head, copyFields(head), head.method, target, head.status, undefined, head.host);
}

/**
 * The request with another URI (set-uri): as setTarget, and when the URI
 * carries an authority (absolute-form, or CONNECT's), every Host field takes
 * it (HAProxy's http_update_host). Undefined for an absolute URI without one.
 */
export function setUri(head: Head, uri: string): Head | undefined {
  if (!head.isRequest || !isWritableTarget(uri)) return undefined;
  const authority = authorityOf(uri, head.method === "CONNECT");
  if (authority === undefined) return setTarget(head, uri);
  if (authority.length === 0 || !isFieldValue(authority)) return undefined;
  const n = head.fieldCount;
  const fields = new Array<Field>(n);
  for (let i = 0; i < n; i++) {
    const field = fieldAt(head, i);
    fields[i] = head.nameIs(i, HOST.bytes) ? [field[0], authority] : field;
  }
  return derive(head, fields, head.method, uri, head.status, undefined, hostIn(fields));
}

/**
 * The response with another status and reason (set-status); no reason: RFC
 * 9110's, else the status class's (HAProxy's http_get_reason: 299 "Success"),
 * never the old status's own.
 */
export function setStatus(head: Head, status: number, reason?: string): Head | undefined {
  if (head.isRequest || !Number.isInteger(status) || status < 100 || status > 999) return undefined;
  if (reason !== undefined && !isFieldValue(reason)) return undefined;
  return derive(head, copyFields(head), head.method, head.target, status, reason ?? reasonOrClass(status), undefined);
}

function copyFields(head: Head): Field[] {
  const n = head.fieldCount;
  const fields = new Array<Field>(n);
  for (let i = 0; i < n; i++) fields[i] = fieldAt(head, i);
  return fields;
}
