// An HTTP/2 client over an in-memory socket (mem-runtime.ts), for tests of
// the server-side mux and the multiplexed session: it writes frames the test
// chooses (well formed or not) and decodes every frame the proxy wrote back.
// Also a small HTTP/1.1 server side for the proxy's backend connections.
import { CONNECTION_PREFACE, FrameType } from "../../src/http2/constants.ts";
import { FrameReader } from "../../src/http2/frame-reader.ts";
import * as write from "../../src/http2/frame-writer.ts";
import type { Frame } from "../../src/http2/frames.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../src/http2/hpack/index.ts";
import type { Timers, TlsFacts } from "../../src/runtime/types.ts";
import { type MemRuntime, MemSocket } from "./mem-runtime.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A frame as received, HEADERS decoded. */
export type Got = Frame & { fields?: HeaderField[] };

export class H2MemClient {
  readonly socket: MemSocket;
  readonly frames: Got[] = [];
  private readonly encoder = new HpackEncoder();
  private readonly decoder = new HpackDecoder();
  private readonly reader: FrameReader;
  private read = 0;

  /** `tls`: the socket terminated TLS with these facts (ALPN "h2" picks the HTTP/2 mux on any bind). */
  constructor(runtime: MemRuntime<Timers>, port = 40000, tls?: TlsFacts) {
    this.socket = new MemSocket("127.0.0.1", port, true);
    if (tls !== undefined) Object.defineProperty(this.socket, "tls", { value: tls });
    this.reader = new FrameReader({
      frame: (f) => {
        if (f.type === FrameType.HEADERS) this.frames.push({ ...f, fields: this.decoder.decode(f.fragment) });
        else this.frames.push(f);
      },
      error: (e) => {
        throw e;
      },
    }, { role: "client", preface: true, maxFrameSize: 16384 });
    runtime.accept(this.socket);
  }

  send(...chunks: Uint8Array[]): void {
    for (const c of chunks) this.socket.events.data(c);
  }

  /** The preface and an empty (or given) SETTINGS. */
  preface(settings: [number, number][] = []): void {
    const s = write.settings(settings);
    const out = new Uint8Array(CONNECTION_PREFACE.length + s.length);
    out.set(CONNECTION_PREFACE);
    out.set(s, CONNECTION_PREFACE.length);
    this.send(out);
  }

  /** A request's HEADERS frame (fields as given, encoded with this client's HPACK context). */
  headers(id: number, fields: HeaderField[], endStream: boolean): Uint8Array {
    return write.headers(id, this.encoder.encode(fields), endStream);
  }

  block(fields: HeaderField[]): Uint8Array {
    return this.encoder.encode(fields);
  }

  request(id: number, path: string, endStream = true, extra: HeaderField[] = []): void {
    this.send(this.headers(id, [[":method", endStream ? "GET" : "POST"], [":scheme", "http"], [":authority", "example.test"], [":path", path], ...extra], endStream));
  }

  /** Decodes what the proxy wrote since the last call; returns all frames so far. */
  pump(): Got[] {
    const kept = this.socket.kept;
    for (; this.read < kept.length; this.read++) this.reader.push(kept[this.read]!);
    return this.frames;
  }

  of(type: number, streamId?: number): Got[] {
    return this.pump().filter((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }

  /** The :status of each response HEADERS on `id`. */
  statuses(id: number): string[] {
    return this.of(FrameType.HEADERS, id).map((f) => f.fields!.find(([n]) => n === ":status")?.[1] ?? "-");
  }

  body(id: number): string {
    return this.of(FrameType.DATA, id).map((f) => (f.type === FrameType.DATA ? dec.decode(f.data) : "")).join("");
  }

  /** The error code of the RST_STREAM on `id`, or undefined. */
  rst(id: number): number | undefined {
    const f = this.of(FrameType.RST_STREAM, id).at(-1);
    return f?.type === FrameType.RST_STREAM ? f.errorCode : undefined;
  }

  goaway(): { lastStreamId: number; errorCode: number } | undefined {
    const f = this.of(FrameType.GOAWAY).at(-1);
    return f?.type === FrameType.GOAWAY ? { lastStreamId: f.lastStreamId, errorCode: f.errorCode } : undefined;
  }

  /** The stream's answer ended (END_STREAM on HEADERS or DATA). */
  ended(id: number): boolean {
    return this.pump().some((f) => f.streamId === id && (f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.endStream);
  }
}

/** Text a backend socket was sent (the proxy's HTTP/1.1 request), from its kept writes. */
export function sentTo(socket: MemSocket): string {
  return socket.text();
}

/** Answers on a backend socket with raw HTTP/1.1 bytes. */
export function answer(socket: MemSocket, text: string): void {
  socket.events.data(enc.encode(text));
}

export function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}

/** A proxy configuration: one frontend with `bind ... proto h2` on 127.0.0.1:9200, one HTTP/1.1 server at 127.0.0.1:9100. */
export function h2Config(extraGlobal = "", extraDefaults = "", bindOptions = "proto h2"): string {
  return `global
${extraGlobal}
defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 20s
${extraDefaults}
frontend fe
    bind 127.0.0.1:9200 ${bindOptions}
    default_backend be
backend be
    server s1 127.0.0.1:9100
`;
}

