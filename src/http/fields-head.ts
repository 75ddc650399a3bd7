// A head built from a list of fields rather than parsed from HTTP/1.1 bytes:
// what an HTTP/2 header list becomes (http2/translate.ts), with the framing
// the model needs derived once. Names are kept as given (HTTP/2's are lower
// case), values as given, order kept.
import { BodyKind, type Head } from "./message.ts";

export type Field = readonly [name: string, value: string];

const NO_TOKENS: readonly string[] = Object.freeze([]);

export interface FieldsHeadInit {
  isRequest: boolean;
  /** Requests: the method and the request-target (origin-form, or what the client sent); responses: "". */
  method?: string;
  target?: string;
  /** Responses: the status; requests: 0. */
  status?: number;
  bodyKind: BodyKind;
  /** Content-Length when bodyKind is Length, else -1. */
  contentLength?: number;
  /** Requests: the authority (Host, or HTTP/2's :authority). */
  host?: string;
  /** HTTP/2 requests with an :authority: their :scheme (Head.absoluteScheme). */
  absoluteScheme?: string | undefined;
  // A head derived from another (./edit-head.ts) keeps the version and the
  // connection semantics of the message it came from: the HTTP/1 writer and
  // the session decide keep-alive and hop-by-hop fields from them. Defaults:
  // HTTP/1.1, persistent, no Connection tokens, no upgrade, no 100-continue.
  versionMinor?: 0 | 1;
  keepAlive?: boolean;
  connectionTokens?: readonly string[];
  upgrade?: string;
  expectContinue?: boolean;
  /** Responses: a reason phrase of its own (`set-status 503 reason "Slow Down"`); undefined: RFC 9110's. */
  reason?: string;
}

/**
 * The request's URI as HAProxy shows it (logs, the `url` fetch): an HTTP/2
 * request that named an :authority in absolute form, `scheme://authority`
 * then its path (the authority as Host now says, which rules keep in step);
 * any other, its target as sent.
 */
export function requestUri(head: Head): string {
  const scheme = head.absoluteScheme;
  const target = head.target;
  const host = head.host;
  if (scheme === undefined || host === undefined || host === "" || target.charCodeAt(0) !== 0x2f) return target;
  return `${scheme}://${host}${target}`;
}

/** Whether a field name as received is `lowerName` (lower-case ASCII bytes), case-insensitively and without allocating. */
export function fieldNameIs(name: string, lowerName: Uint8Array): boolean {
  if (name.length !== lowerName.length) return false;
  for (let k = 0; k < name.length; k++) {
    let c = name.charCodeAt(k);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lowerName[k]) return false;
  }
  return true;
}

export class FieldsHead implements Head {
  readonly isRequest: boolean;
  readonly method: string;
  readonly target: string;
  readonly status: number;
  /** Heads of the model carry HTTP/1.1 semantics unless derived from another head (FieldsHeadInit). */
  readonly versionMinor: 0 | 1;
  readonly keepAlive: boolean;
  readonly connectionTokens: readonly string[];
  readonly upgrade: string | undefined;
  readonly expectContinue: boolean;
  readonly reason: string | undefined;
  readonly bodyKind: BodyKind;
  readonly contentLength: number;
  readonly host: string | undefined;
  readonly absoluteScheme: string | undefined;

  /**
   * @param fields the list the fields come from (not copied)
   * @param from the first of them that is a field of this head (HTTP/2's pseudo-headers come before)
   */
  constructor(private readonly fields: readonly Field[], init: FieldsHeadInit, private readonly from = 0) {
    this.isRequest = init.isRequest;
    this.method = init.method ?? "";
    this.target = init.target ?? "";
    this.status = init.status ?? 0;
    this.bodyKind = init.bodyKind;
    this.contentLength = init.bodyKind === BodyKind.Length ? init.contentLength ?? -1 : -1;
    this.host = init.host;
    this.absoluteScheme = init.absoluteScheme;
    this.versionMinor = init.versionMinor ?? 1;
    this.keepAlive = init.keepAlive ?? true;
    this.connectionTokens = init.connectionTokens ?? NO_TOKENS;
    this.upgrade = init.upgrade;
    this.expectContinue = init.expectContinue ?? false;
    this.reason = init.reason;
  }

  get fieldCount(): number {
    return this.fields.length - this.from;
  }

  get hasHost(): boolean {
    return this.host !== undefined;
  }

  /** Field i as stored, [name as given, value] (no copy: edits share unchanged fields). */
  field(i: number): Field {
    return this.fields[this.from + i]!;
  }

  originalName(i: number): string {
    return this.fields[this.from + i]![0];
  }

  name(i: number): string {
    return this.fields[this.from + i]![0].toLowerCase();
  }

  value(i: number): string {
    return this.fields[this.from + i]![1];
  }

  nameIs(i: number, lowerName: Uint8Array): boolean {
    return fieldNameIs(this.fields[this.from + i]![0], lowerName);
  }

  get(lowerName: string): string | undefined {
    // Compared char by char: rules read fields on every request, and a lower-cased copy per field would allocate.
    outer: for (let i = this.from; i < this.fields.length; i++) {
      const name = this.fields[i]![0];
      if (name.length !== lowerName.length) continue;
      for (let k = 0; k < name.length; k++) {
        let c = name.charCodeAt(k);
        if (c >= 0x41 && c <= 0x5a) c += 0x20;
        if (c !== lowerName.charCodeAt(k)) continue outer;
      }
      return this.fields[i]![1];
    }
    return undefined;
  }
}
