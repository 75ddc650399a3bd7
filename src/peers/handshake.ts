// The text handshake of HAProxy's peers protocol: the connecting side sends
// three lines,
//   HAProxyS 2.1
//   <name of the peer it connects to>
//   <its own name> <pid> <relative pid>
// and the other answers with one status line (200 and the binary messages
// follow; else the code and a close). Pure: lines in, verdicts out.

export const PROTOCOL_NAME = "HAProxyS";
export const MAJOR = 2;
/** 2.1: timed updates, expiry and counter periods in table definitions (HAProxy 1.9+). 2.0 is read too. */
export const MINOR = 1;

export const STATUS_SUCCESS = 200;
export const STATUS_TRY_AGAIN = 300;
export const STATUS_PROTOCOL_ERROR = 501;
export const STATUS_BAD_VERSION = 502;
export const STATUS_LOCAL_NAME_MISMATCH = 503;
export const STATUS_UNKNOWN_PEER = 504;

/** The longest handshake line accepted (a name is a config word). */
export const MAX_LINE = 512;

export function helloText(remoteName: string, localName: string, pid: number): string {
  return `${PROTOCOL_NAME} ${MAJOR}.${MINOR}\n${remoteName}\n${localName} ${pid} 1\n`;
}

export function statusText(code: number): string {
  return `${code}\n`;
}

/** The first line: the protocol and a version this side speaks, or the status to refuse with. */
export function checkVersionLine(line: string): { ok: true; minor: number } | { ok: false; status: number } {
  const prefix = `${PROTOCOL_NAME} `;
  if (!line.startsWith(prefix)) return { ok: false, status: STATUS_PROTOCOL_ERROR };
  const m = /^(\d+)\.(\d+)$/.exec(line.slice(prefix.length));
  if (m === null || Number(m[1]) !== MAJOR || Number(m[2]) > MINOR) return { ok: false, status: STATUS_BAD_VERSION };
  return { ok: true, minor: Number(m[2]) };
}

/** The third line: the connecting peer's name (the pids after it are informative). */
export function peerNameOfLine(line: string): string | undefined {
  const space = line.indexOf(" ");
  return space <= 0 ? undefined : line.slice(0, space);
}

/** A status line's code (NaN when it is none). */
export function statusOfLine(line: string): number {
  return /^\d+$/.test(line) ? Number(line) : NaN;
}

/**
 * Takes the next line out of `text` (LF-terminated, an optional CR before
 * it removed): the line and what follows, or undefined while no LF came.
 */
export function takeLine(text: string): { line: string; rest: string } | undefined {
  const lf = text.indexOf("\n");
  if (lf < 0) return undefined;
  const line = text.slice(0, lf);
  return { line: line.endsWith("\r") ? line.slice(0, -1) : line, rest: text.slice(lf + 1) };
}
