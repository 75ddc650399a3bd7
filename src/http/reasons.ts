// RFC 9110 §15's reason phrases: the one table sluice uses wherever it writes
// a status line of its own (error pages, HTTP/2 responses relayed to HTTP/1.1
// clients, the errorfile checks).
const REASONS: Readonly<Record<number, string>> = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content",
  205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
  409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
  414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
  421: "Misdirected Request", 422: "Unprocessable Content", 425: "Too Early", 426: "Upgrade Required",
  428: "Precondition Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported", 511: "Network Authentication Required",
};

/** The reason phrase for `status`, or `fallback` for a code RFC 9110 does not name. */
export function reasonPhrase(status: number, fallback = ""): string {
  return REASONS[status] ?? fallback;
}

/**
 * The reason HAProxy gives a status it writes without one (`return`,
 * `set-status`): its own names where they differ from RFC 9110's, else
 * RFC 9110's, else the class's ("Success" for 299).
 */
export function reasonOrClass(status: number): string {
  return HAPROXY_REASONS[status] ?? REASONS[status] ?? (status < 100 || status > 599 ? "Other" : CLASSES[Math.floor(status / 100) - 1]!);
}
const CLASSES = ["Informational", "Success", "Redirection", "Client Error", "Server Error"];
/**
 * HAProxy 2.6's reason phrases where they are not RFC 9110's, and the codes
 * only it names (measured: `http-request return status N` on 2.6.12); 103 it
 * does not name.
 */
const HAPROXY_REASONS: Readonly<Record<number, string>> = {
  103: "Informational", 210: "Content Different", 226: "IM Used", 302: "Moved Temporarily", 305: "Use Proxy",
  310: "Too many Redirects", 408: "Request Time-out", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
  416: "Requested range unsatisfiable", 417: "Expectation failed", 418: "I'm a teapot", 423: "Locked",
  424: "Method failure", 449: "Retry With", 450: "Blocked by Windows Parental Controls", 456: "Unrecoverable Error",
  499: "client has closed connection", 502: "Bad Gateway or Proxy Error", 504: "Gateway Time-out",
  505: "HTTP Version not supported", 506: "Variant also negotiate", 507: "Insufficient storage", 508: "Loop detected",
  509: "Bandwidth Limit Exceeded", 510: "Not extended", 511: "Network authentication required",
  520: "Web server is returning an unknown error",
};
