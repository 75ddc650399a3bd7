// The responses sluice writes itself (400, 408, 502, 503, 504, ...): small HTML
// bodies, replaceable per proxy with `errorfile CODE FILE` and the like
// (session/proxy-error-page.ts picks the proxy's page). For the statuses
// HAProxy has messages for, the status line and the text are HAProxy 2.6's,
// as its clients and monitors see them (its 501 text begins with a stray "."
// there too); the others are sluice's.
import { reasonPhrase } from "./reasons.ts";

/** What each page says: its reason phrase (where HAProxy's pages differ from the standard one) and its text. */
const PAGES: Readonly<Record<number, { reason?: string; text: string }>> = {
  200: { text: "Service ready." },
  400: { reason: "Bad request", text: "Your browser sent an invalid request." },
  401: { text: "You need a valid user and password to access this content." },
  403: { text: "Request forbidden by administrative rules." },
  404: { text: "The resource could not be found." },
  405: { text: "A request was made of a resource using a request method not supported by that resource" },
  407: { reason: "Unauthorized", text: "You need a valid user and password to access this content." },
  408: { reason: "Request Time-out", text: "Your browser didn't send a complete request in time." },
  410: { text: "The resource is no longer available and will not be available again." },
  413: { reason: "Payload Too Large", text: "The request entity exceeds the maximum allowed." },
  414: { text: "The request line is too long." },
  425: { text: "Your browser sent early data." },
  429: { text: "You have sent too many requests in a given amount of time." },
  431: { text: "The request header fields are too large or too many." },
  500: { text: "An internal server error occurred." },
  501: { text: ".The server does not support the functionality required to fulfill the request." },
  502: { text: "The server returned an invalid or incomplete response." },
  503: { text: "No server is available to handle this request." },
  504: { reason: "Gateway Time-out", text: "The server didn't respond in time." },
  505: { text: "This HTTP version is not supported." },
};

const encoder = new TextEncoder();
const closing = new Map<number, Uint8Array>();
const keeping = new Map<number, Uint8Array>();

/** sluice's own response for `status`; `keepAlive`: without `connection: close`, the connection stays. */
export function defaultErrorPage(status: number, keepAlive = false): Uint8Array {
  const cache = keepAlive ? keeping : closing;
  let page = cache.get(status);
  if (page === undefined) {
    const reason = PAGES[status]?.reason ?? reasonPhrase(status, "Error");
    const body = errorPageBody(status);
    page = encoder.encode(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncache-control: no-cache\r\n` +
        `content-type: text/html\r\n${keepAlive ? "" : "connection: close\r\n"}\r\n${body}`,
    );
    cache.set(status, page);
  }
  return page;
}

/** The HTML of sluice's own page for `status` (HAProxy's text where it has one). */
export function errorPageBody(status: number): string {
  const known = PAGES[status];
  return `<html><body><h1>${status} ${known?.reason ?? reasonPhrase(status, "Error")}</h1>\n${known?.text ?? "An error occurred."}\n</body></html>\n`;
}
