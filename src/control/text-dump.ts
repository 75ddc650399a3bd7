// Captured bytes as HAProxy's `show errors` prints them: one output line per
// line of the message, each after its offset (`  00017  `); a line that would
// pass 80 columns goes on in the next with a `+` after the offset (`  00070+ `).
// Printable ASCII as it is; \t \n \r \e and the backslash as C escapes; any
// other byte as \xNN (upper-case hex). Measured on HAProxy 2.6.12.

const WIDTH = 80;
const ESCAPES: Readonly<Record<number, string>> = { 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r", 0x1b: "\\e", 0x5c: "\\\\" };

/** How a byte is printed. */
function shown(c: number): string {
  const escape = ESCAPES[c];
  if (escape !== undefined) return escape;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return `\\x${c.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** The dump of `bytes`, every line ended by a newline. */
export function dumpText(bytes: Uint8Array): string {
  let out = "";
  let ptr = 0;
  let lineStart = 0;
  while (ptr < bytes.length) {
    let line = `  ${String(ptr).padStart(5, "0")}${ptr === lineStart ? " " : "+"} `;
    while (ptr < bytes.length) {
      const c = bytes[ptr]!;
      const piece = shown(c);
      // HAProxy keeps one column free: a piece goes in only if it ends before column 80.
      if (line.length + piece.length > WIDTH - 1) break;
      line += piece;
      ptr++;
      if (c === 0x0a) {
        lineStart = ptr;
        break;
      }
    }
    out += `${line}\n`;
  }
  return out;
}
