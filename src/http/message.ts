// The message model every layer above the codecs speaks: a request or
// response head, its fields in the order and case received, and how its body
// is delimited. HTTP/1.1 heads implement it over the bytes they were parsed
// from (http1/head.ts); HTTP/2 header lists are translated into it
// (http2/translate.ts). Protocol-neutral: nothing here knows either codec.

/**
 * How a message's body is delimited, decided (and validated) from its head.
 * A plain object rather than a const enum: each file is transpiled alone on
 * Bun and Deno, where const enums do not inline across modules.
 */
export const BodyKind = {
  /** No body: GET without length, HEAD/204/304/1xx responses, ... */
  None: 0,
  /** Content-Length bytes. */
  Length: 1,
  /** Transfer-Encoding: chunked (final coding), possibly with trailers. */
  Chunked: 2,
  /** Response without length: the body runs until the server closes. */
  UntilClose: 3,
} as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/**
 * A validated message head, whatever protocol brought it: start-line facts,
 * fields in the order received, and its framing and connection semantics.
 * HTTP/1.1 heads (http1/head.ts) keep their bytes too, so that the HTTP/1.1
 * writer can copy field lines as ranges; other heads (./fields-head.ts) are
 * written from their names and values.
 */
export interface Head {
  readonly isRequest: boolean;
  /** Requests: the method token as written (case-sensitive), e.g. "GET". */
  readonly method: string;
  /** Requests: the request-target as written. */
  readonly target: string;
  /** Responses: the status code; requests: 0. */
  readonly status: number;
  /**
   * Responses: the reason phrase as received or set ("" for none); undefined
   * when there is none of its own (HTTP/2, requests): RFC 9110's is written.
   */
  readonly reason?: string | undefined;
  /** HTTP/1.0 → 0, HTTP/1.1 (and every later version, whose semantics are 1.1's) → 1. */
  readonly versionMinor: 0 | 1;
  /** Number of header fields. */
  readonly fieldCount: number;

  // ---- framing and connection semantics, derived once ----
  readonly bodyKind: BodyKind;
  /** Content-Length when bodyKind is Length, else -1. */
  readonly contentLength: number;
  /** Persistent after this message (RFC 9112 §9.3: version and Connection close/keep-alive). */
  readonly keepAlive: boolean;
  /** Lower-cased tokens of every Connection field (hop-by-hop names, "close", "upgrade", ...). */
  readonly connectionTokens: readonly string[];
  /** Requests: the Upgrade field's value when Connection lists "upgrade"; else undefined. */
  readonly upgrade: string | undefined;
  /** Requests: the Host field's value (exactly one is required in HTTP/1.1). */
  readonly host: string | undefined;
  /**
   * HTTP/2 requests that named an :authority: their :scheme. Their URI is then
   * the absolute `scheme://authority/path`, as HAProxy logs it and its `url`
   * reads it (requestUri); undefined for the others, and HTTP/1.x.
   */
  readonly absoluteScheme?: string | undefined;
  /** Requests: a Host field is present (no string made). */
  readonly hasHost: boolean;
  /** Requests: Expect: 100-continue. */
  readonly expectContinue: boolean;

  /** Name of field i as received, case kept (allocates): what a writer forwards. */
  originalName(i: number): string;
  /** Lower-cased name of field i (allocates). */
  name(i: number): string;
  /** Value of field i (allocates). */
  value(i: number): string;
  /** Case-insensitive test of field i's name against a lower-case ASCII name, without allocating. */
  nameIs(i: number, lowerName: Uint8Array): boolean;
  /** First value of a field by lower-case name, or undefined. */
  get(lowerName: string): string | undefined;
}

/** Fields the proxy adds to a forwarded request (X-Forwarded-For, Forwarded, ...): name, value. */
export type AddedFields = [string, string][];

/** A message refused by a codec: the status sluice answers and a short stable code for logs and counters. */
export interface ProtocolRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** The refused bytes, when the codec kept them (`show errors`). */
  readonly capture?: RefusedBytes;
}

/** A refused message's bytes from its first one (a copy), and the offset in them where the refusal fell. */
export interface RefusedBytes {
  readonly bytes: Uint8Array;
  readonly position: number;
}

/** How large a head may be, whatever the codec: tune.bufsize and tune.http.maxhdr. */
export interface HeadLimits {
  /** tune.bufsize: the largest head (request/status line + fields), bytes. Default 16384. */
  maxHeadBytes: number;
  /** tune.http.maxhdr: the most header fields. Default 101. */
  maxFields: number;
}
