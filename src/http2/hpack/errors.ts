// The two ways a header block can be refused. HpackError is fatal to the
// connection (RFC 9113 §4.3: COMPRESSION_ERROR): the decoding context can no
// longer be trusted. HeaderListTooLarge is not: the block was decoded in full,
// so the dynamic table is still in step with the peer, and only the one stream
// needs refusing (RFC 9113 §6.5.2, §8.2.3: 431 or RST_STREAM).

export class HpackError extends Error {
  readonly code = "COMPRESSION_ERROR";
  /** Offset in the header block of the representation (or octet) at fault; -1 when not about a position. */
  readonly offset: number;

  constructor(what: string, offset = -1) {
    super(
      offset >= 0 ? `HPACK: ${what} (at octet ${offset} of the header block)` : `HPACK: ${what}`,
    );
    this.name = "HpackError";
    this.offset = offset;
  }
}

export class HeaderListTooLarge extends Error {
  readonly code = "HEADER_LIST_TOO_LARGE";
  /** The list's size as RFC 9113 §6.5.2 counts it (name + value + 32 per field). */
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(`HPACK: header list of ${size} octets exceeds SETTINGS_MAX_HEADER_LIST_SIZE ${limit}`);
    this.name = "HeaderListTooLarge";
    this.size = size;
    this.limit = limit;
  }
}
