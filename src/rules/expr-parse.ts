// The text of a sample expression, `fetch(arg,arg),conv(arg),conv`, cut into
// its terms (HAProxy 2.6 configuration.txt §2.2 and §7.3). The configuration
// tokenizer has already taken the word apart from its neighbours; inside the
// parentheses a second level of quoting applies, the same as the top level's
// except that \#, \$ and \xNN are not escapes: 'strong' quotes keep
// everything, "weak" quotes and bare text take \\ \" \' \<space> \n \r \t
// and \, \( \) (the delimiters), and a backslash before anything else
// stays (`regsub(\.,_)` keeps its regex escape). A comma or a closing
// parenthesis inside quotes belongs to the argument (`regsub("(a|b)",x)`).
// `()` is one empty argument, as in HAProxy (`str()`); the resolver drops it
// for a keyword that takes none.

export interface ExprTerm {
  readonly name: string;
  readonly args: readonly string[];
}

export interface ParsedExprText {
  readonly terms: readonly ExprTerm[];
  /** Offset just past the expression in the text (at the stop character, or the end). */
  readonly end: number;
}

const OPEN = 40; // (
const CLOSE = 41; // )
const COMMA = 44;
const BACKSLASH = 92;
const SINGLE = 39;
const DOUBLE = 34;

/** Characters of fetch and converter names: letters, digits, '.', '_', '-', '+' (base32+src). */
function nameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 43;
}

/** The escaped character for `\c`, or -1 when the backslash stays. */
function escaped(c: number): number {
  switch (c) {
    case BACKSLASH:
    case DOUBLE:
    case SINGLE:
    case 32:
    case 9:
    case COMMA:
    case OPEN:
    case CLOSE:
      return c;
    case 110: // n
      return 10;
    case 114: // r
      return 13;
    case 116: // t
      return 9;
    default:
      return -1;
  }
}

/**
 * The terms of the expression starting at `start` in `text`. With `stop`
 * (a character code, `]` for log-format's `%[...]`) the expression ends
 * there, outside parentheses; without, it runs to the end of the text.
 */
export function parseExprText(text: string, start = 0, stop = -1): ParsedExprText | string {
  const terms: ExprTerm[] = [];
  let i = start;
  const stopAt = stop < 0 ? -1 : text.indexOf(String.fromCharCode(stop), start);
  const shown = stopAt < 0 ? text.slice(start) : text.slice(start, stopAt);
  for (;;) {
    const nameStart = i;
    while (i < text.length && nameChar(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    if (name === "") {
      if (terms.length === 0) {
        if (i >= text.length || text.charCodeAt(i) === stop) return "empty sample expression";
        return `unexpected '${text[i]}' at the start of sample expression '${shown}'`;
      }
      return `empty converter name after ',' in '${shown}'`;
    }
    let args: string[] = [];
    if (i < text.length && text.charCodeAt(i) === OPEN) {
      const parsed = parseArgs(text, i + 1, name);
      if (typeof parsed === "string") return parsed;
      args = parsed.args;
      i = parsed.end;
    }
    terms.push({ name, args });
    if (i >= text.length || text.charCodeAt(i) === stop) return { terms, end: i };
    if (text.charCodeAt(i) !== COMMA) {
      const written = text.slice(nameStart, i);
      const hint = text.charCodeAt(i) === CLOSE
        ? "a ')' inside arguments needs quotes: regsub(\"(a|b)\",x)"
        : "converters follow a comma";
      return `unexpected '${text[i]}' after '${written}' in '${shown}' (${hint})`;
    }
    i++;
  }
}

/** The arguments from just after '(' to the matching unquoted ')'. */
function parseArgs(text: string, from: number, name: string): { args: string[]; end: number } | string {
  const args: string[] = [];
  let current = "";
  let quote = 0;
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (quote === SINGLE) {
      if (c === SINGLE) quote = 0;
      else current += text[i];
      i++;
      continue;
    }
    if (c === BACKSLASH && i + 1 < text.length) {
      const e = escaped(text.charCodeAt(i + 1));
      if (e >= 0) {
        current += String.fromCharCode(e);
        i += 2;
        continue;
      }
      current += "\\";
      i++;
      continue;
    }
    if (quote === DOUBLE) {
      if (c === DOUBLE) quote = 0;
      else current += text[i];
      i++;
      continue;
    }
    if (c === SINGLE || c === DOUBLE) {
      quote = c;
    } else if (c === COMMA) {
      args.push(current);
      current = "";
    } else if (c === CLOSE) {
      args.push(current);
      return { args, end: i + 1 };
    } else {
      current += text[i];
    }
    i++;
  }
  if (quote !== 0) return `unterminated quote in the arguments of '${name}'`;
  return `missing ')' after the arguments of '${name}'`;
}
