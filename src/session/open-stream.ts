// A request head becomes a stream, the same way whatever the client's
// protocol: the phase where the backend is chosen (request rules will run
// there, perhaps after waiting for the body), the fields the proxy adds for
// it, and the stream itself.
import type { HttpLogSubject } from "./log-subject.ts";
import type { Head } from "../http/message.ts";
import type { Socket } from "../runtime/types.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import type { Backend } from "../backend/backend.ts";
import { decideRequest, RequestStage } from "./request-rules.ts";
import { PendingRequest } from "./pending-request.ts";
import { type StreamChoices, streamFor } from "./stream-for.ts";

export type { StreamChoices } from "./stream-for.ts";


/**
 * The stream for `head`, not started yet, or the request waiting for its body
 * before the rules decide (`option http-buffer-request`, `wait-for-body`):
 * the session feeds that one the body and gets the stream from it once it is
 * decided. `streamHost`: the session (HTTP/1.1) or the stream's slot (HTTP/2);
 * `requestVersion`: "2.0" for an HTTP/2 client (the rules' req.ver),
 * undefined for HTTP/1.x.
 */
export function openStream(
  host: StreamChoices,
  streamHost: HttpStreamHost<HttpStream> & HttpLogSubject,
  head: Head,
  client: Socket,
  defaultBackend: Backend,
  now: number,
  requestVersion?: string,
): HttpStream | PendingRequest {
  // HAProxy makes it as the request head is read, before the rules (which may read it: `unique-id`).
  const uniqueIds = host.uniqueIds;
  const uniqueId = uniqueIds === undefined ? undefined : uniqueIds.of(streamHost);
  const rules = host.rulesHost;
  if (rules === undefined) return streamFor(host, streamHost, head, client, host.chooseBackend(head, defaultBackend), undefined, head, uniqueId);
  const decision = decideRequest(rules, head, client, defaultBackend, now, requestVersion, uniqueId);
  if (decision instanceof RequestStage) return new PendingRequest(host, streamHost, decision, client, rules.bodyRoom, now, uniqueId);
  return streamFor(host, streamHost, decision.head, client, decision.backend, decision.ruled, head, uniqueId);
}
