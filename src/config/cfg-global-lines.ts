// haproxy.cfg lines of the global section that change how the rest of the
// file reads or what the raw document holds, as pure functions for cfg.ts:
// the environment keywords (setenv, presetenv, unsetenv, resetenv), the
// h1-case-adjust map, and the range of a server-template.
import type { Env } from "./cfg-env.ts";

export const ENV_KEYWORDS: ReadonlySet<string> = new Set(["setenv", "presetenv", "unsetenv", "resetenv"]);

/** The names an environment keyword sets (a value) or unsets (null) over `env`, or what is wrong with the line. */
export function envChanges(keyword: string, args: readonly string[], env: Env): [string, string | null][] | string {
  if (keyword === "setenv" || keyword === "presetenv") {
    if (args.length !== 2) return `'${keyword}' expects a name and a value (usage: ${keyword} <name> <value>)`;
    return keyword === "setenv" || env[args[0]!] === undefined ? [[args[0]!, args[1]!]] : [];
  }
  if (keyword === "unsetenv") {
    if (args.length === 0) return "'unsetenv' expects at least one name (usage: unsetenv <name>...)";
    return args.map((name) => [name, null]);
  }
  // resetenv [NAME...]: every variable goes but those named.
  return Object.keys(env).filter((name) => env[name] !== undefined && !args.includes(name)).map((name) => [name, null]);
}

/** `h1-case-adjust FROM TO` / `h1-case-adjust-file FILE` into the global raw document, or what is wrong with the line. */
export function caseAdjustLine(keyword: string, args: readonly string[], raw: Record<string, unknown>): string | undefined {
  if (keyword === "h1-case-adjust-file") {
    if (args.length !== 1) return "'h1-case-adjust-file' expects one file name (usage: h1-case-adjust-file <file>)";
    raw[keyword] = args[0];
    return undefined;
  }
  if (args.length !== 2) return "'h1-case-adjust' expects a name and its spelling (usage: h1-case-adjust <from> <to>)";
  const map = (raw[keyword] ??= {}) as Record<string, string>;
  map[args[0]!] = args[1]!;
  return undefined;
}

/** A server-template's NUM or FIRST-LAST: the numbers of its servers, or what is wrong. */
export function templateRange(count: string): { first: number; last: number } | string {
  const range = /^(\d+)(?:-(\d+))?$/.exec(count);
  const first = range === null ? 0 : range[2] === undefined ? 1 : Number(range[1]);
  const last = range === null ? 0 : Number(range[2] ?? range[1]);
  if (range === null || first < 1 || last < first || last - first >= 10000) {
    return `server-template: invalid range '${count}' (expected <num> or <first>-<last>, at most 10000 servers, from 1)`;
  }
  return { first, last };
}

/** A word with its whitespace and backslashes written as haproxy.cfg escapes, so it stays one word. */
export function escapeWord(word: string): string {
  return word.replace(/[\\\s]/g, (c) => (c === "\r" ? "\\r" : c === "\n" ? "\\n" : c === "\\" ? "\\\\" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}
