// A stream's filters (issue 19, compress), as HAProxy 2.6 chains them: the
// frontend's `filter` lines then the backend's, each seeing the message as
// the filters before it left it. `compression` rewrites the response head and
// compresses the body (compression.ts, compress-body.ts); `trace` writes each
// event it sees to stderr in HAProxy's words (trace.ts), so a trace declared
// after the compression filter shows the compressed body. Made per request
// only for proxies that declare filters.
import type { CompressionAlgo, CompressionConfig, FilterConfig } from "../config/types.ts";
import type { ResponseWriter } from "../conn/server-mux.ts";
import { deleteField, fieldName } from "../http/edit-head.ts";
import type { Head } from "../http/message.ts";
import type { BodySink } from "../rules/cache/store.ts";
import { BodyCompressor } from "./compress-body.ts";
import { chooseAlgo, compressedHead, mayCompress, settingsOf } from "./compression.ts";
import { TraceFilter, type TraceOutput } from "./trace.ts";

const ACCEPT_ENCODING = fieldName("Accept-Encoding");
/** The number trace lines give each filtered stream. */
let tracedStreams = 0;

/** What a frontend's sessions share to make each stream's filters. */
export interface FilterSetup {
  readonly frontend: { name: string; filters?: FilterConfig[]; compression?: CompressionConfig };
  readonly trace: TraceOutput;
}

/** The backend side, as much as the filters read of it. */
export interface FilteredBackend {
  readonly name: string;
  readonly filters?: FilterConfig[];
  readonly compression?: CompressionConfig;
}

/** What the filters ask of the stream's host while they write for it. */
export interface FilterHost {
  readonly writer: ResponseWriter;
  tick(): number;
  flushToClient(): void;
}

/** The filters of one request: undefined when neither proxy declares any. `request` may lose Accept-Encoding (offload). */
export function streamFilters(setup: FilterSetup, request: Head, backend: FilteredBackend, host: FilterHost, streamId = ++tracedStreams): { filters: StreamFilters | undefined; request: Head } {
  const fe = setup.frontend.filters ?? [];
  const be = backend.name === setup.frontend.name ? [] : backend.filters ?? [];
  if (fe.length === 0 && be.length === 0) return { filters: undefined, request };
  const settings = settingsOf(setup.frontend.compression, backend.compression);
  const compresses = fe.some((f) => f.kind === "compression") || be.some((f) => f.kind === "compression");
  const algo = compresses ? chooseAlgo(request, settings) : undefined;
  const filters = new StreamFilters(host, request, algo, settings, streamId);
  // Traces before the compression filter (or all of them without one) see what comes in; the others what goes out.
  let afterCompression = false;
  const place = (list: readonly FilterConfig[], proxy: string, side: "frontend" | "backend"): void => {
    for (const f of list) {
      if (f.kind === "compression") afterCompression = true;
      else if (f.kind === "trace") (afterCompression ? filters.after : filters.before).push(new TraceFilter(f, proxy, side, setup.trace, streamId));
    }
  };
  place(fe, setup.frontend.name, "frontend");
  place(be, backend.name, "backend");
  let out = request;
  if (algo !== undefined && settings.offload) out = deleteField(request, ACCEPT_ENCODING);
  filters.start(request, backend.name);
  return { filters, request: out };
}

/** No compression: the settings of streams that only store into a cache. */
const NO_COMPRESSION = settingsOf(undefined, undefined);

/**
 * `http-response cache-store` gave the response a body sink: the stream's
 * filters feed it (made for the purpose when the proxies declare none). The
 * cache sees the body before compression, as HAProxy's implicit cache filter does.
 */
export function tapResponse(filters: StreamFilters | undefined, sink: BodySink | undefined, host: FilterHost, request: Head): StreamFilters | undefined {
  if (sink === undefined) return filters;
  const f = filters ?? new StreamFilters(host, request, undefined, NO_COMPRESSION, 0);
  f.sink = sink;
  return f;
}

export class StreamFilters {
  /** Where the body goes to be stored (cache-store), before any filter changes it. */
  sink: BodySink | undefined;
  readonly before: TraceFilter[] = [];
  readonly after: TraceFilter[] = [];
  private compressor: BodyCompressor | undefined;
  private endCallback: (() => void) | undefined;
  private trailers: Head | undefined;
  private stopped = false;

  constructor(
    private readonly host: FilterHost,
    private readonly request: Head,
    private readonly algo: CompressionAlgo | undefined,
    private readonly settings: ReturnType<typeof settingsOf>,
    readonly streamId: number,
  ) {}

  private all(): TraceFilter[] {
    return this.after.length === 0 ? this.before : [...this.before, ...this.after];
  }

  start(request: Head, backend: string): void {
    for (const t of this.all()) t.streamStart(request, backend);
  }

  requestData(chunk: Uint8Array): void {
    for (const t of this.all()) t.payload("REQUEST", chunk);
  }

  requestEnd(): void {
    for (const t of this.all()) t.end("REQUEST");
  }

  /** The response head as the client gets it. */
  responseHead(head: Head): Head {
    for (const t of this.before) t.headers("RESPONSE", head);
    if (this.algo !== undefined && mayCompress(this.request, head, this.settings)) {
      head = compressedHead(head, this.algo);
      this.compressor = new BodyCompressor(this.algo, {
        data: (c) => this.out(c),
        ended: () => this.finish(),
        failed: () => this.finish(),
      }, this.settings.level);
    }
    for (const t of this.after) t.headers("RESPONSE", head);
    return head;
  }

  data(chunk: Uint8Array): void {
    this.sink?.data(chunk);
    for (const t of this.before) t.payload("RESPONSE", chunk);
    const z = this.compressor;
    if (z === undefined) return this.pass(chunk);
    z.write(chunk);
  }

  /** The server's response ended; `done` runs once the last compressed bytes went to the client. */
  end(trailers: Head | undefined, done: () => void): void {
    this.trailers = trailers;
    this.endCallback = done;
    this.sink?.end();
    for (const t of this.before) t.end("RESPONSE");
    const z = this.compressor;
    if (z === undefined) return this.finish();
    z.end();
  }

  /** The stream is over (at its end or cut short): traces say so, an unfinished compression is dropped. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink?.abort();
    this.compressor?.close();
    for (const t of this.all()) t.streamStop();
  }

  private pass(chunk: Uint8Array): void {
    for (const t of this.after) t.payload("RESPONSE", chunk);
    this.host.writer.data(chunk);
  }

  /** Compressed bytes, on a later turn than the server's: written and flushed at once. */
  private out(chunk: Uint8Array): void {
    if (this.stopped) return;
    this.host.tick();
    this.pass(chunk);
    this.host.flushToClient();
  }

  private finish(): void {
    const done = this.endCallback;
    if (this.stopped || done === undefined) return;
    this.endCallback = undefined;
    for (const t of this.after) t.end("RESPONSE");
    this.host.writer.end(this.trailers);
    done();
  }
}
