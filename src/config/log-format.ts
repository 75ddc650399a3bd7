// `log-format` strings: HAProxy's custom log format. The config keeps the
// string as written and only checks that every %variable is well formed and
// known; rendering is the log engine's business.

/**
 * The variables a `log-format` may use: HAProxy's common ones, each of which
 * the log engine (src/log/format.ts) renders. HAProxy's own httplog format
 * ("%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r")
 * and tcplog format only use these.
 */
export const LOG_FORMAT_VARIABLES = [
  "ci", // client IP
  "cp", // client port
  "fi", // frontend (listening) IP
  "fp", // frontend port
  "bi", // backend source IP (sluice's side of the server connection)
  "bp", // backend source port
  "si", // server IP
  "sp", // server port
  "tr", // request date (accept date for TCP), 10/Oct/2000:13:55:36.468
  "trg", // request date, GMT
  "trl", // request date, local time
  "t", // accept date
  "T", // accept date, GMT
  "Tl", // accept date, local time
  "Ts", // accept date, Unix seconds
  "ms", // accept date, milliseconds part
  "ts", // termination state
  "tsc", // termination state with cookie status
  "f", // frontend name
  "ft", // frontend name (with ~ for TLS)
  "b", // backend name
  "s", // server name
  "Tq", // time to receive the request head (ms)
  "Tw", // time waiting in queues
  "Tc", // time to connect to the server
  "Tr", // server response time
  "Ta", // active time of the request
  "Tt", // total session time
  "Tu", // total time as the user sees it (Tt without the idle time)
  "Td", // data transmission time
  "TR", // time to receive the request head after the first byte
  "Th", // handshake time
  "Ti", // idle time before the request
  "ST", // status code
  "B", // bytes sent to the client
  "U", // bytes received from the client
  "r", // request line
  "HM", // method
  "HU", // URI
  "HP", // path
  "HPO", // path only (no authority)
  "HQ", // query string, with its '?'
  "HV", // HTTP version
  "CC", // captured request cookie
  "CS", // captured response cookie
  "hr", // captured request headers
  "hs", // captured response headers
  "hrl", // captured request headers, as a list
  "hsl", // captured response headers, as a list
  "ac", // active connections on the process
  "fc", // frontend connections
  "bc", // backend connections
  "sc", // server connections
  "rc", // retries
  "sq", // server queue length
  "bq", // backend queue length
  "ID", // unique id
  "pid", // process id
  "H", // hostname
  "rt", // request counter
  "lc", // log counter
] as const;

export type LogFormatVariable = (typeof LOG_FORMAT_VARIABLES)[number];

const KNOWN = new Set<string>(LOG_FORMAT_VARIABLES);
const FLAGS = /^(?:[+-][A-Za-z]+)+$/;
const NAME = /[A-Za-z]+/y;

/** undefined when `format` is well formed, else what is wrong. `%%` is a literal '%'. */
export function checkLogFormat(format: string): string | undefined {
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") continue;
    const start = i++;
    if (format[i] === "%") continue;
    if (format[i] === "{") {
      const close = format.indexOf("}", i);
      if (close < 0 || !FLAGS.test(format.slice(i + 1, close))) return malformed(format, start);
      i = close + 1;
    }
    if (format[i] === "[") {
      return `sample expressions such as '${snippet(format, start)}' are not supported yet`;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(format)?.[0];
    if (name === undefined) return malformed(format, start);
    if (!KNOWN.has(name)) {
      return `unknown variable '%${name}' (known: ${LOG_FORMAT_VARIABLES.join(", ")})`;
    }
    i += name.length - 1;
  }
  return undefined;
}

function malformed(format: string, at: number): string {
  return `malformed variable '${
    snippet(format, at)
  }' (expected %name or %{flags}name, such as %ci or %{+Q}r; write %% for a literal '%')`;
}

/** From `at` to the next space, at most 20 characters. */
function snippet(format: string, at: number): string {
  const space = format.slice(at).search(/\s/);
  const end = space < 0 ? format.length : at + space;
  return format.slice(at, Math.min(end, at + 20));
}
