// The runtime API's help text, and its answer to a command it does not know:
// HAProxy 2.6's cli_gen_usage_msg. `help [words]` lists the commands that
// begin with those words; an unknown command lists the few commands closest
// to what was typed after the longest run of known words (a distance between
// "fingerprints" of letter pairs, tools.c's update_word_fingerprint), or,
// when nothing is close, every command that begins with the known words.
// help, prompt and quit end every list. Among commands at the same distance
// the first in the table wins (HAProxy: the first registered), so the few
// proposed may differ from HAProxy's where its list and ours differ.

/** What a command shows of itself. */
export interface Described {
  readonly words: readonly string[];
  /** "show servers state [<backend>]" */
  readonly usage: string;
  /** "dump volatile server information (all or for a single backend)" */
  readonly help: string;
}

/** HAProxy proposes at most this many close commands. */
const MAX_MATCHES = 5;

const TAIL = [
  line("help [<command>]", "list matching or all commands"),
  line("prompt", "toggle interactive mode with prompt"),
  line("quit", "disconnect"),
].join("");

function line(usage: string, help: string): string {
  return `  ${usage.padEnd(40)}: ${help}\n`;
}

/** `help [words]`: every command beginning with `words` (all of them without). */
export function helpText(commands: readonly Described[], words: readonly string[]): string {
  return usageText(commands, words, true);
}

/** The answer to an unknown command. */
export function unknownText(commands: readonly Described[], words: readonly string[]): string {
  return usageText(commands, words, false);
}

function usageText(commands: readonly Described[], args: readonly string[], isHelp: boolean): string {
  // The longest run of words some command begins with.
  let length = 0;
  for (const c of commands) length = Math.max(length, commonPrefix(c.words, args));
  let out = isHelp
    ? "The following commands are valid at this level:\n"
    : length === 0 && (args.length === 0 || args[0] === "")
    ? "Unknown command. Please enter one of the following commands only:\n"
    : "Unknown command, but maybe one of the following ones is a better match:\n";
  const matches: { c: Described; dist: number }[] = [];
  if (args[length] !== undefined && args[length] !== "") {
    const typed = fingerprint(args.slice(length));
    for (const c of commands) {
      if (commonPrefix(c.words, args) < length) continue;
      const known = fingerprint(c.words.slice(length));
      const dist = distance(typed.fp, known.fp);
      const total = typed.chars + known.chars;
      if (dist < Math.floor((5 * total) / 2)) insert(matches, { c, dist });
    }
  }
  if (matches.length > 0) {
    // The closest (those not far behind the best), listed in the table's order as HAProxy sorts them.
    const best = matches[0]!.dist;
    const kept = new Set(matches.filter((m) => m.dist <= Math.floor((5 * best) / 2)).map((m) => m.c));
    for (const c of commands) if (kept.has(c)) out += line(c.usage, c.help);
  } else {
    for (const c of commands) if (commonPrefix(c.words, args) >= length) out += line(c.usage, c.help);
  }
  return out + TAIL;
}

/** Keeps the MAX_MATCHES closest, a later one after an earlier one of the same distance. */
function insert(list: { c: Described; dist: number }[], m: { c: Described; dist: number }): void {
  if (list.length === MAX_MATCHES && m.dist >= list[MAX_MATCHES - 1]!.dist) return;
  let i = list.length;
  while (i > 0 && list[i - 1]!.dist > m.dist) i--;
  list.splice(i, 0, m);
  if (list.length > MAX_MATCHES) list.pop();
}

/** How many leading words of `keywords` the typed `args` repeat. */
function commonPrefix(keywords: readonly string[], args: readonly string[]): number {
  let n = 0;
  while (n < keywords.length && n < args.length && args[n] !== "" && keywords[n] === args[n]) n++;
  return n;
}

/**
 * Letter-pair counts over words (a 32×32 table: 1-26 letters, 27 digits, 28
 * anything else and the word's start and end; row 0 marks the characters
 * present), and the characters counted.
 */
function fingerprint(words: readonly string[]): { fp: Uint8Array; chars: number } {
  const fp = new Uint8Array(1024);
  let chars = 0;
  for (const word of words) {
    if (word === "") break;
    chars += word.length;
    let from = 28;
    for (const ch of word.toLowerCase()) {
      const c = ch.charCodeAt(0);
      const to = c >= 97 && c <= 122 ? c - 96 : c >= 48 && c <= 57 ? 27 : 28;
      // Row 0 marks which characters are present at all.
      fp[to] = 1;
      fp[from * 32 + to]!++;
      from = to;
    }
    fp[from * 32 + 28]!++;
  }
  return { fp, chars };
}

function distance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < 1024; i++) d += Math.abs(a[i]! - b[i]!);
  return d;
}
