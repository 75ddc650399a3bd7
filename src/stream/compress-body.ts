// The body transform of HTTP compression over node:zlib (the same module on
// Bun and Deno): each chunk the server sends is compressed and flushed
// (Z_SYNC_FLUSH) at once, as HAProxy flushes at the end of each forwarded
// batch, so a streamed response (server-sent events, a slow page) reaches
// the client as it comes. zlib answers on a later turn: the output and the
// end are callbacks.
import * as zlib from "node:zlib";
import { BUILTIN } from "../config/types.ts";
import type { CompressionAlgo } from "../config/types.ts";

export interface CompressedOutput {
  data(chunk: Uint8Array): void;
  /** Everything was written: the encoder's trailer went out with the last data. */
  ended(): void;
  /** zlib failed (never with valid input): the response is cut. */
  failed(error: unknown): void;
}

export class BodyCompressor {
  private readonly z: zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | undefined;
  private closed = false;

  constructor(algo: CompressionAlgo, private readonly out: CompressedOutput, level: number = BUILTIN.compressionLevel) {
    // identity changes nothing: the data passes as it is (HAProxy's debugging algorithm).
    if (algo === "identity") return;
    const options = { level };
    const z = this.z = algo === "gzip" ? zlib.createGzip(options) : algo === "deflate" ? zlib.createDeflate(options) : zlib.createDeflateRaw(options);
    z.on("data", (chunk: Uint8Array) => {
      if (!this.closed) out.data(chunk);
    });
    z.on("end", () => {
      if (!this.closed) out.ended();
    });
    z.on("error", (error: unknown) => {
      if (!this.closed) out.failed(error);
    });
  }

  write(chunk: Uint8Array): void {
    const z = this.z;
    if (z === undefined) return this.out.data(chunk);
    // zlib keeps the chunk until it runs: a view of a reused buffer must be copied.
    z.write(chunk.slice());
    z.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  end(): void {
    if (this.z === undefined) return this.out.ended();
    this.z.end();
  }

  /** The stream stopped early: nothing more is said. */
  close(): void {
    this.closed = true;
    this.z?.destroy();
  }
}
