// A command line of the runtime API as HAProxy's CLI reads it (cli.c
// cli_parse_request): commands separated by ';', words by spaces and tabs, a
// backslash takes the next character as it is ("\;" is a ';' inside a word,
// "\ " a space). A line ending with "<<" announces a payload: the lines that
// follow, up to an empty one, belong to its last command.

/** One command of a line: its words, and whether a payload follows it. */
export interface CommandWords {
  readonly words: string[];
}

/** Splits a line into its commands' words; empty commands (";;") are kept as empty word lists, as HAProxy answers them. */
export function splitCommands(line: string): CommandWords[] {
  const out: CommandWords[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === ";") {
      if (inWord) words.push(word);
      out.push({ words });
      words = [];
      word = "";
      inWord = false;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  out.push({ words });
  return out;
}

/** The line announces a payload (its last word is "<<"): the line without it, or undefined. */
export function payloadCommand(line: string): string | undefined {
  const trimmed = line.replace(/[ \t]+$/, "");
  if (!trimmed.endsWith("<<")) return undefined;
  const before = trimmed.slice(0, -2);
  // "<<" must be a word of its own (HAProxy: preceded by a blank).
  if (before !== "" && !/[ \t]$/.test(before)) return undefined;
  return before.replace(/[ \t]+$/, "");
}
