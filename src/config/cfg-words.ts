// Splits one haproxy.cfg line into words with HAProxy's quoting rules:
// `\` escapes outside single quotes, "..." keeps spaces and `#` but still
// honours escapes and expands environment variables (cfg-env.ts), '...' is
// fully literal, quotes glue onto adjacent text.

import { type Env, expandAt } from "./cfg-env.ts";

export type WordsResult = { ok: true; words: string[] } | { ok: false; error: string };

const ESCAPES: Record<string, string> = { r: "\r", n: "\n", t: "\t" };
/** Characters a backslash makes literal (the backslash goes). */
const KEPT_AS_IS = new Set(["\\", " ", "#", "'", '"', "$"]);

export function splitWords(line: string, env: Env = {}): WordsResult {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;

  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (c === "\\") {
      const next = line[i + 1];
      if (next === undefined) return { ok: false, error: "backslash at end of line" };
      if (next === "x") {
        const hex = line.slice(i + 2, i + 4);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
          return { ok: false, error: `invalid escape '\\x${hex}'` };
        }
        word += String.fromCharCode(parseInt(hex, 16));
        i += 3;
      } else {
        // HAProxy's tokenizer: \\ \<space> \# \' \" \$ \r \n \t \xHH are
        // escapes; any other pair stays as written (`\1` in a replacement,
        // `\.` in a regex, `\,` inside a converter's arguments).
        word += ESCAPES[next] ?? (KEPT_AS_IS.has(next) ? next : `\\${next}`);
        i += 1;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "$") {
        const e = expandAt(line, i, env);
        if (e === undefined) word += c;
        else if ("error" in e) return { ok: false, error: e.error };
        else {
          i += e.length - 1;
          if (!e.split) word += e.value;
          else {
            // `${NAME[*]}`: its words are words of the line.
            const parts = e.value.split(/[ \t]+/).filter((p) => p !== "");
            if (parts.length === 0) continue;
            word += parts[0];
            for (const part of parts.slice(1)) {
              words.push(word);
              word = part;
            }
          }
        }
      } else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === "#") break;
    if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    word += c;
    inWord = true;
  }
  if (quote) {
    return { ok: false, error: `unterminated ${quote === '"' ? "double" : "single"} quote` };
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
