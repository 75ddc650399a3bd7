// A request an applet of the proxy's own answers (issue 19: a section's stats
// page, HAProxy's stats applet; `use-service prometheus-exporter`): the
// stream keeps the request body, bounded, calls the applet with the request
// once it is whole, and hands its answer back to be written as the stream's
// reply. No server, no connection.
import type { Head } from "../http/message.ts";
import type { RuledTxn, ServiceAnswer, ServiceCall } from "./types.ts";

/** The most body bytes kept for an applet; one more tells it the body was larger (the stats page answers 413). */
export const SERVICE_MAX_BODY = 65536;

const NO_BODY = new Uint8Array(0);

export class ServiceStep {
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly call: ServiceCall,
    private readonly request: Head,
    private readonly txn: RuledTxn,
    /** Writes `txn.reply` as the stream's answer (nothing when the stream is over). */
    private readonly reply: () => void,
  ) {}

  /** A chunk of the request body (copied: the codec may reuse its buffer); beyond the bound, dropped. */
  data(chunk: Uint8Array): void {
    const room = SERVICE_MAX_BODY + 1 - this.size;
    if (room <= 0) return;
    const kept = chunk.byteLength <= room ? chunk.slice() : chunk.slice(0, room);
    this.chunks.push(kept);
    this.size += kept.byteLength;
  }

  /** The whole request is in: calls the applet. */
  run(): void {
    const { request, txn } = this;
    // The applet's answer (HEAD: without its body), or a 500 when it throws, goes out as the rules' replies do.
    const answered = (answer: ServiceAnswer) => {
      txn.reply = { ...answer, local: true };
      this.reply();
    };
    const fields: [string, string][] = [];
    for (let i = 0; i < request.fieldCount; i++) fields.push([request.name(i), request.value(i)]);
    const body = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    this.chunks = [];
    const c = txn.client;
    const head = request.method === "HEAD";
    this.call({
      method: request.method,
      target: request.target,
      fields,
      body,
      remote: { address: c.address, port: c.port },
      local: { address: c.localAddress, port: c.localPort },
    }).then(
      (answer) => answered(head ? { ...answer, body: NO_BODY } : answer),
      (error: unknown) =>
        answered({ status: 500, fields: [["content-type", "text/plain"]], body: new TextEncoder().encode(`the applet failed: ${(error as Error).message}\n`) }),
    );
  }
}
