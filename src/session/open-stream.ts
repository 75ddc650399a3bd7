// A request head becomes a stream, the same way whatever the client's
// protocol: the phase where the backend is chosen (request rules will run
// there), the fields the proxy adds for it, and the stream itself.
import type { AddedFields, Head } from "../http/message.ts";
import type { Socket } from "../runtime/types.ts";
import { HttpStream } from "../stream/http-stream.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import type { Backend } from "../backend/backend.ts";
import type { ForwardingPlan } from "./forwarding.ts";

/** What the frontend decides for each request (the part of HttpSessionHost a new stream needs). */
export interface StreamChoices {
  chooseBackend(request: Head, defaultBackend: Backend): Backend;
  forwarding(backend: Backend): ForwardingPlan;
  serverKeepAlive(backend: Backend): boolean;
}

const NO_FIELDS: Readonly<AddedFields> = Object.freeze([]) as Readonly<AddedFields>;

/** The stream for `head`, not started yet. `streamHost`: the session (HTTP/1.1) or the stream's slot (HTTP/2). */
export function openStream(
  host: StreamChoices,
  streamHost: HttpStreamHost<HttpStream>,
  head: Head,
  client: Socket,
  defaultBackend: Backend,
): HttpStream {
  // A request without Host (HTTP/1.0) goes out as HTTP/1.1, which requires
  // one: an empty Host, as RFC 9112 §3.2 says for a target without authority.
  let added: AddedFields | undefined;
  if (!head.hasHost) added = [["Host", ""]];
  const backend = host.chooseBackend(head, defaultBackend);
  const plan = host.forwarding(backend);
  if (!plan.empty) {
    plan.add(head, {
      clientAddress: client.remoteAddress,
      frontendAddress: client.localAddress,
      frontendPort: client.localPort,
      https: client.tls !== undefined,
    }, (added ??= []));
  }
  return new HttpStream(streamHost, head, backend, added ?? NO_FIELDS, host.serverKeepAlive(backend));
}
