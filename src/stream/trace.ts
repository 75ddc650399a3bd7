// HAProxy's trace filter (`filter trace [name N] [quiet] [random-parsing]
// [random-forwarding] [hexdump]`): one line per event it sees, on stderr, in
// HAProxy 2.6's words (`<sec>.<usec> [NAME/proxy] [strm id] trace_http_headers
// : channel=RESPONSE - mode=HTTP (backend)`). `quiet` says nothing; sluice
// forwards everything a filter parsed at once, so random-parsing and
// random-forwarding change nothing but the flags the start line reports.
import type { FilterConfig } from "../config/types.ts";
import type { Head } from "../http/message.ts";

/** Where trace lines go (stderr) and the wall clock they are dated by (ms). */
export interface TraceOutput {
  write(line: string): void;
  wallNow(): number;
}

type TraceConfig = Extract<FilterConfig, { kind: "trace" }>;
export type Channel = "REQUEST" | "RESPONSE";

export class TraceFilter {
  private readonly label: string;

  constructor(
    private readonly config: TraceConfig,
    proxy: string,
    private readonly side: "frontend" | "backend",
    private readonly out: TraceOutput,
    private readonly streamId: number,
    private readonly mode: "HTTP" | "TCP" = "HTTP",
  ) {
    this.label = `[${`${config.name}/${proxy}`.padEnd(20)}]`;
  }

  private line(event: string, detail: string): void {
    if (this.config.quiet) return;
    const ms = this.out.wallNow();
    const sec = Math.floor(ms / 1000);
    const usec = String(Math.floor((ms - sec * 1000) * 1000)).padStart(6, "0");
    this.out.write(`${sec}.${usec} ${this.label} [strm ${this.streamId}] ${event.padEnd(24)} ${detail === "" ? "" : `: ${detail}`}`.trimEnd());
  }

  private where(channel: Channel): string {
    return `channel=${channel.padEnd(10)} - mode=${this.mode.padEnd(4)} (${this.side})`;
  }

  streamStart(request: Head | undefined, backend: string): void {
    this.line("trace_attach", `filter-type=${this.side}`);
    this.line("trace_stream_start", "");
    if (this.side === "frontend") this.line("trace_stream_set_backend", `backend=${backend}`);
    if (request !== undefined) this.headers("REQUEST", request);
  }

  headers(channel: Channel, head: Head): void {
    const start = head.isRequest ? `${head.method} ${head.target} HTTP/1.${head.versionMinor}` : `HTTP/1.${head.versionMinor} ${head.status}`;
    const lines = [start];
    for (let i = 0; i < head.fieldCount; i++) lines.push(`\t${head.name(i)}: ${head.value(i)}`);
    this.line("trace_http_headers", `${this.where(channel)}\t${lines.join("\n")}`);
  }

  payload(channel: Channel, chunk: Uint8Array): void {
    const event = this.mode === "HTTP" ? "trace_http_payload" : "trace_tcp_payload";
    this.line(event, `${this.where(channel)} - len=${chunk.length} - forward=${chunk.length}`);
    if (this.config.hexdump && !this.config.quiet) this.out.write(hexdump(chunk));
  }

  end(channel: Channel): void {
    this.line("trace_http_end", this.where(channel));
  }

  streamStop(): void {
    this.line("trace_stream_stop", "");
    this.line("trace_detach", `filter-type=${this.side}`);
  }
}

/** A TCP stream's traces (the frontend's `filter trace` lines, then its backend's), or undefined when there are none. */
export function tcpTraces(
  frontend: { name: string; filters?: FilterConfig[] },
  backend: { name: string; filters?: FilterConfig[] },
  out: TraceOutput,
): TraceFilter[] | undefined {
  const id = ++tracedTcpStreams;
  const list: TraceFilter[] = [];
  for (const f of frontend.filters ?? []) if (f.kind === "trace") list.push(new TraceFilter(f, frontend.name, "frontend", out, id, "TCP"));
  if (backend.name !== frontend.name) {
    for (const f of backend.filters ?? []) if (f.kind === "trace") list.push(new TraceFilter(f, backend.name, "backend", out, id, "TCP"));
  }
  return list.length === 0 ? undefined : list;
}

/** The number trace lines give each traced TCP stream. */
let tracedTcpStreams = 0;

/** 16 bytes a line: offset, hex, and the printable characters. */
export function hexdump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    let hex = "";
    let text = "";
    for (let i = 0; i < 16; i++) {
      const b = row[i];
      hex += b === undefined ? "   " : `${b.toString(16).padStart(2, "0")} `;
      if (i === 7) hex += " ";
      if (b !== undefined) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    lines.push(`  ${off.toString(16).padStart(8, "0")}  ${hex} |${text}|`);
  }
  return lines.join("\n");
}
