// A request whose rules wait for its body (`option http-buffer-request`,
// `http-request wait-for-body`): the session feeds it what the client sends
// after the head, and gets its stream once the request stage has decided
// (the held body then goes to the stream, replayed as it came). The wait ends
// as HAProxy's http_wait_for_msg_body ends it: the body is whole, the buffer
// is full, `at-least` bytes came, or the client went away (the rules decide
// on what is there); past its time, 408.
import { FieldsHead } from "../http/fields-head.ts";
import { BodyKind, type Head } from "../http/message.ts";
import { deleteField, fieldName } from "../http/edit-head.ts";
import type { Socket } from "../runtime/types.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import { Cause, Phase } from "../stream/termination.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import { BodyWait } from "../stream/body-wait.ts";
import type { HttpLogSubject } from "./log-subject.ts";
import type { RequestDecision, RequestStage } from "./request-rules.ts";
import { type StreamChoices, streamFor } from "./stream-for.ts";

const EXPECT = fieldName("expect");

export class PendingRequest {
  readonly body: BodyWait;
  /** Set once the stage decided: the stream the session goes on with. */
  private stream: HttpStream | undefined;

  constructor(
    private readonly choices: StreamChoices,
    private readonly streamHost: HttpStreamHost<HttpStream> & HttpLogSubject,
    private readonly stage: RequestStage,
    private readonly client: Socket,
    room: number,
    now: number,
    private readonly uniqueId: string | undefined,
  ) {
    const head = stage.head;
    this.body = new BodyWait(head.bodyKind === BodyKind.Length ? head.contentLength : -1, room);
    this.body.waitFor(stage.wanted!, now);
    stage.gate = this.body;
    stage.txn.body = this.body;
    this.continueIfExpected();
  }

  /** When the wait gives up (monotonic ms), for the session's timer. */
  get deadline(): number {
    return this.body.deadline;
  }

  /**
   * HAProxy's http_handle_expect_hdr: a client that waits for `100 Continue`
   * before it sends its body gets one from the proxy (it would wait for the
   * server's, and the server is not asked before the body comes), and the
   * field is not forwarded. HTTP/1.1 and HTTP/2 clients; an HTTP/1.0 one knows
   * no 1xx.
   */
  private continueIfExpected(): void {
    const txn = this.stage.txn;
    const head = txn.request ?? this.stage.head;
    if (head.versionMinor !== 1 && txn.requestVersion === undefined) return;
    let expects = false;
    for (let i = 0; i < head.fieldCount; i++) {
      if (head.name(i) === "expect" && head.value(i).toLowerCase() === "100-continue") expects = true;
    }
    if (!expects) return;
    this.streamHost.writer.interim(new FieldsHead([], { isRequest: false, status: 100, bodyKind: BodyKind.None }));
    this.streamHost.flushToClient();
    txn.request = deleteField(head, EXPECT);
  }

  /** A chunk of the body: the stream once the stage decided, else undefined. */
  data(chunk: Uint8Array, now: number): HttpStream | undefined {
    this.body.data(chunk);
    return this.advance(now);
  }

  trailers(trailers: Head): void {
    this.body.setTrailers(trailers);
  }

  end(now: number): HttpStream | undefined {
    this.body.end();
    return this.advance(now);
  }

  /** The client went away before the body was whole: the rules decide on what came, and the stream is aborted (HAProxy's CR). */
  clientGone(now: number): HttpStream {
    this.body.clientGone();
    const stream = this.advance(now)!;
    stream.setTermination(Cause.clientAbort, Phase.request);
    stream.abort(Cause.clientAbort);
    return stream;
  }

  /**
   * The wait cannot end well (its time passed: HAProxy's 408, logged cR with
   * no request time; a malformed body; the proxy kills the session): the
   * stream of the transaction as it stands, against the proxy that waited,
   * made for that answer and its log line only.
   */
  unfinished(): HttpStream {
    const decision = this.stage.unfinished();
    const stream = this.build(decision);
    stream.requestNotReceived = true;
    return stream;
  }

  /** Runs the stage again if the body it waits for is there; the stream once decided. */
  private advance(now: number): HttpStream | undefined {
    if (this.stream !== undefined) return this.stream;
    const wanted = this.stage.wanted;
    if (wanted === undefined || !this.body.ready(wanted)) return undefined;
    this.stage.txn.now = now;
    const decision = this.stage.run();
    if (decision === undefined) {
      // A later wait-for-body: its own time, from now.
      this.body.waitFor(this.stage.wanted!, now);
      return undefined;
    }
    return (this.stream = this.build(decision));
  }

  private build(decision: RequestDecision): HttpStream {
    return streamFor(this.choices, this.streamHost, decision.head, this.client, decision.backend, decision.ruled, this.stage.head, this.uniqueId);
  }
}
