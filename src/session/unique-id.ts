// `unique-id-format` (HAProxy's): a request's unique id, made when its head
// is read, before any rule, with the log-format engine over what is known
// then (the client and the frontend's addresses, the accept date, the
// session and request numbers, the process id). The rules read it
// (`unique-id`), `unique-id-header` sends it to the server, the log's %ID
// writes it.
import { nextStreamIdPeek } from "../conn/ids.ts";
import { compileLogFormat, type LogFormatter } from "../log/format.ts";
import { createHttpLogRecord, type HttpLogRecord, resetHttpLogRecord } from "../log/http-log.ts";
import type { HttpLogSubject } from "./log-subject.ts";

export class UniqueIds {
  private readonly format: LogFormatter;
  private readonly record: HttpLogRecord = createHttpLogRecord();

  /** `format` was checked at load (the same compiler as log-format). */
  constructor(format: string, readonly header: string | undefined) {
    this.format = compileLogFormat(format);
  }

  /** The id of the request `subject` is starting now (its stream takes the next request number: %rt). */
  of(subject: HttpLogSubject): string {
    const r = this.record;
    resetHttpLogRecord(r);
    const client = subject.client;
    r.clientAddress = client.remoteAddress;
    r.clientPort = client.remotePort;
    r.frontendAddress = client.localAddress;
    r.frontendPort = client.localPort;
    r.frontend = subject.host.name;
    r.backend = subject.host.name;
    r.acceptTime = subject.acceptDate;
    r.requestTime = subject.acceptDate + Math.round(subject.requestStart - subject.accepted);
    r.sessionId = subject.id;
    r.streamId = nextStreamIdPeek();
    return this.format(r);
  }
}
