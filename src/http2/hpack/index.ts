// HPACK (RFC 7541) for the HTTP/2 mux: one HpackDecoder and one HpackEncoder
// per connection. Pure TypeScript, no imports from any runtime.

export { HpackDecoder, type HpackDecoderOptions } from "./decoder.ts";
export { HpackEncoder, type HpackEncoderOptions } from "./encoder.ts";
export { HeaderListTooLarge, HpackError } from "./errors.ts";
export type { HeaderField } from "./types.ts";
