// The responses sluice writes itself (400, 408, 502, 503, 504, ...): small HTML
// bodies in HAProxy's manner, replaceable per proxy with `errorfile CODE FILE`
// (a complete raw HTTP response, sent as is).
import { reasonPhrase } from "./reasons.ts";

/** What each page says under its status line. */
const TEXTS: Readonly<Record<number, string>> = {
  200: "Service ready.",
  400: "The request could not be understood.",
  401: "Authentication is required.",
  403: "The request is forbidden by the rules of this proxy.",
  404: "The requested resource was not found.",
  405: "This method is not allowed.",
  407: "Proxy authentication is required.",
  408: "The request did not arrive completely in time.",
  410: "The requested resource is gone.",
  413: "The request body is too large.",
  414: "The request line is too long.",
  425: "The request was sent too early.",
  429: "Too many requests were sent.",
  431: "The request header fields are too large or too many.",
  500: "An internal error occurred.",
  501: "The request uses something this proxy does not implement.",
  502: "The server sent an invalid or incomplete response.",
  503: "No server is available to handle this request.",
  504: "The server did not answer in time.",
  505: "This HTTP version is not supported.",
};

const encoder = new TextEncoder();
const cache = new Map<number, Uint8Array>();

/** sluice's own response for `status`, closing the connection. */
export function defaultErrorPage(status: number): Uint8Array {
  let page = cache.get(status);
  if (page === undefined) {
    const reason = reasonPhrase(status, "Error");
    const text = TEXTS[status] ?? "An error occurred.";
    const body = `<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`;
    page = encoder.encode(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncache-control: no-cache\r\n` +
        `content-type: text/html\r\nconnection: close\r\n\r\n${body}`,
    );
    cache.set(status, page);
  }
  return page;
}

/** The page to send: the backend's errorfile, else the frontend's, else sluice's own. */
export function errorPage(
  status: number,
  backendFiles: Readonly<Record<number, Uint8Array>> | undefined,
  frontendFiles: Readonly<Record<number, Uint8Array>> | undefined,
): Uint8Array {
  return backendFiles?.[status] ?? frontendFiles?.[status] ?? defaultErrorPage(status);
}
