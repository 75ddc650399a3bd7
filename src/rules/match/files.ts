// Pattern files (`acl ... -f FILE`) and map files (`map(FILE)`), read as
// HAProxy 2.6 reads them (pattern.c pat_ref_read_from_file and
// pat_ref_read_from_file_smp). Pure: the caller reads the file. Lines are
// numbered from 1, comments and blank lines included, so errors can name
// file:line.
//
// Pattern files: one pattern a line. A line whose first character is '#' is
// a comment; leading spaces and tabs are stripped, so " #x" is the pattern
// "#x" (HAProxy's documented way to write one); the pattern runs to the end
// of the line, trailing blanks included (HAProxy keeps them); lines left
// empty are skipped. A CR ends the line too (CRLF files).
//
// Map files: the same comments and blank lines; then a key (up to the first
// space or tab), blanks, and the value to the end of the line, its trailing
// spaces and tabs trimmed. A key without a value is refused here (HAProxy
// would map it to the empty string, which is nearly always a broken line).

export interface PatternLine {
  pattern: string;
  line: number;
}

export interface MapLine {
  key: string;
  value: string;
  line: number;
}

export function parsePatternFile(text: string): PatternLine[] {
  const out: PatternLine[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw.charCodeAt(0) === 35) continue; // '#'
    let start = 0;
    while (start < raw.length && isBlank(raw.charCodeAt(start))) start++;
    let end = start;
    while (end < raw.length && !isLineEnd(raw.charCodeAt(end))) end++;
    if (end > start) out.push({ pattern: raw.slice(start, end), line: n + 1 });
  }
  return out;
}

export function parseMapFile(text: string): MapLine[] | string {
  const out: MapLine[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw.charCodeAt(0) === 35) continue;
    let i = 0;
    while (i < raw.length && isBlank(raw.charCodeAt(i))) i++;
    if (i === raw.length || isLineEnd(raw.charCodeAt(i))) continue;
    const keyStart = i;
    while (i < raw.length && !isBlank(raw.charCodeAt(i)) && !isLineEnd(raw.charCodeAt(i))) i++;
    const key = raw.slice(keyStart, i);
    while (i < raw.length && isBlank(raw.charCodeAt(i))) i++;
    const valueStart = i;
    while (i < raw.length && !isLineEnd(raw.charCodeAt(i))) i++;
    let valueEnd = i;
    while (valueEnd > valueStart && isBlank(raw.charCodeAt(valueEnd - 1))) valueEnd--;
    if (valueEnd === valueStart) {
      return `line ${n + 1}: key '${key}' has no value (a map line is a key, blanks, then the value)`;
    }
    out.push({ key, value: raw.slice(valueStart, valueEnd), line: n + 1 });
  }
  return out;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** CR and LF end a line's content, and so does NUL (HAProxy reads C strings). */
function isLineEnd(c: number): boolean {
  return c === 13 || c === 10 || c === 0;
}
