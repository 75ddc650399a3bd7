// HPACK (RFC 7541) for the HTTP/2 mux: one HpackDecoder and one HpackEncoder
// per connection. Pure TypeScript, no imports from any runtime.

export { HpackDecoder, type HpackDecoderOptions } from "./decoder.ts";
export { HpackEncoder, type HpackEncoderOptions } from "./encoder.ts";
export { HeaderListTooLarge, HpackError } from "./errors.ts";
export type { HeaderField } from "./types.ts";
export { ENTRY_OVERHEAD } from "./dynamic-table.ts";
export { NOT_INDEXED, SHORT_COOKIE } from "./encoder.ts";
export { writeInteger } from "./integer.ts";
export { STATIC_NAMES, STATIC_TABLE, STATIC_TABLE_LENGTH } from "./static-table.ts";
