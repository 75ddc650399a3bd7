// A request head becomes a stream, the same way whatever the client's
// protocol: the phase where the backend is chosen (request rules will run
// there), the fields the proxy adds for it, and the stream itself.
import type { UniqueIds } from "./unique-id.ts";
import type { HttpLogSubject } from "./log-subject.ts";
import type { AddedFields, Head } from "../http/message.ts";
import type { Socket } from "../runtime/types.ts";
import { HttpStream } from "../stream/http-stream.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import type { Backend } from "../backend/backend.ts";
import type { ForwardingPlan } from "./forwarding.ts";
import { decideRequest, type RulesHost } from "./request-rules.ts";
import type { RuledRequest } from "../stream/types.ts";
import { type FilterSetup, type StreamFilters, streamFilters } from "../stream/response-filters.ts";

/** What the frontend decides for each request (the part of HttpSessionHost a new stream needs). */
export interface StreamChoices {
  chooseBackend(request: Head, defaultBackend: Backend): Backend;
  forwarding(backend: Backend): ForwardingPlan;
  serverKeepAlive(backend: Backend): boolean | "pretend";
  /** The request stage of rules; undefined when neither the frontend nor any backend has rules (no Txn is built). */
  readonly rulesHost: RulesHost | undefined;
  /** Filters (compression, trace): what each stream's are made from; undefined: no proxy declares any. */
  readonly filterSetup?: FilterSetup | undefined;
  /** `unique-id-format`: each request's id, made before the rules; undefined: none. */
  readonly uniqueIds?: UniqueIds | undefined;
}

const NO_FIELDS: Readonly<AddedFields> = Object.freeze([]) as Readonly<AddedFields>;

/**
 * The stream for `head`, not started yet. `streamHost`: the session (HTTP/1.1) or the stream's slot (HTTP/2);
 * `requestVersion`: "2.0" for an HTTP/2 client (the rules' req.ver), undefined for HTTP/1.x.
 */
export function openStream(
  host: StreamChoices,
  streamHost: HttpStreamHost<HttpStream> & HttpLogSubject,
  head: Head,
  client: Socket,
  defaultBackend: Backend,
  now: number,
  requestVersion?: string,
): HttpStream {
  let backend: Backend;
  let ruled: RuledRequest | undefined;
  const received = head;
  // HAProxy makes it as the request head is read, before the rules (which may read it: `unique-id`).
  const uniqueIds = host.uniqueIds;
  const uniqueId = uniqueIds === undefined ? undefined : uniqueIds.of(streamHost);
  const rules = host.rulesHost;
  if (rules === undefined) {
    backend = host.chooseBackend(head, defaultBackend);
  } else {
    const decision = decideRequest(rules, head, client, defaultBackend, now, requestVersion, uniqueId);
    head = decision.head;
    backend = decision.backend;
    ruled = decision.ruled;
  }
  // A request without Host (HTTP/1.0) goes out as HTTP/1.1, which requires
  // one: an empty Host, as RFC 9112 §3.2 says for a target without authority.
  let filters: StreamFilters | undefined;
  if (host.filterSetup !== undefined) ({ filters, request: head } = streamFilters(host.filterSetup, head, backend.config, streamHost));
  let added: AddedFields | undefined;
  if (!head.hasHost) added = [["Host", ""]];
  if (uniqueId !== undefined && uniqueIds!.header !== undefined) (added ??= []).push([uniqueIds!.header, uniqueId]);
  const plan = host.forwarding(backend);
  if (!plan.empty) {
    plan.add(head, {
      clientAddress: client.remoteAddress,
      frontendAddress: client.localAddress,
      frontendPort: client.localPort,
      https: client.tls !== undefined,
    }, (added ??= []));
  }
  const stream = new HttpStream(streamHost, head, backend, added ?? NO_FIELDS, host.serverKeepAlive(backend), ruled, filters, received);
  if (uniqueId !== undefined) stream.uniqueId = uniqueId;
  return stream;
}
