// The stream of a request whose backend is chosen (by the rules, or without
// them the frontend's default): the proxies' filters, the fields the proxy
// adds for it (Host, the unique id, forwarding), and the stream itself.
import type { AddedFields, Head } from "../http/message.ts";
import type { Socket } from "../runtime/types.ts";
import { HttpStream } from "../stream/http-stream.ts";
import type { HttpStreamHost, RuledRequest } from "../stream/types.ts";
import type { Backend } from "../backend/backend.ts";
import type { HttpLogSubject } from "./log-subject.ts";
import type { UniqueIds } from "./unique-id.ts";
import type { CookieCapture } from "../rules/rule-set.ts";
import type { ForwardingPlan } from "./forwarding.ts";
import type { RulesHost } from "./request-rules.ts";
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
  /** `capture cookie`: the cookie each stream keeps for the log; undefined: none. */
  readonly cookieCapture?: CookieCapture | undefined;
}


const NO_FIELDS: Readonly<AddedFields> = Object.freeze([]) as Readonly<AddedFields>;

/**
 * The stream for a request whose backend is chosen: the proxies' filters, the
 * fields the proxy adds (Host, the unique id, forwarding), the stream itself.
 * `received`: the head as it came (what the log names).
 */
export function streamFor(
  host: StreamChoices,
  streamHost: HttpStreamHost<HttpStream> & HttpLogSubject,
  head: Head,
  client: Socket,
  backend: Backend,
  ruled: RuledRequest | undefined,
  received: Head,
  uniqueId: string | undefined,
): HttpStream {
  // A request without Host (HTTP/1.0) goes out as HTTP/1.1, which requires
  // one: an empty Host, as RFC 9112 §3.2 says for a target without authority.
  let filters: StreamFilters | undefined;
  if (host.filterSetup !== undefined) ({ filters, request: head } = streamFilters(host.filterSetup, head, backend.config, streamHost));
  let added: AddedFields | undefined;
  if (!head.hasHost) added = [["Host", ""]];
  const uniqueIds = host.uniqueIds;
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
  stream.cookieCapture = host.cookieCapture;
  return stream;
}
