// The HTTP/1.1 codec's public surface.

export { H1Parser } from "./parser.ts";
export {
  chunkPrefix,
  CRLF,
  type Framing,
  type HeadRewrite,
  serializeRequestHead,
  serializeResponseHead,
  serializeTrailers,
  simpleResponse,
} from "./serialize.ts";
export { CONNECTION, CONTENT_LENGTH, EXPECT, HOST, KEEP_ALIVE, PROXY_CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE } from "./fields.ts";
export { H1Head } from "./head.ts";
export { BodyKind, DEFAULT_LIMITS, H1Error, type H1Events, type H1Limits, type Head } from "./types.ts";
