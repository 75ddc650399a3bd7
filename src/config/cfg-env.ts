// Environment variables in haproxy.cfg, as HAProxy 2.6 expands them:
// - inside double quotes, `$NAME`, `${NAME}`, `${NAME-default}` (the default
//   when NAME is unset or empty), and `${NAME[*]}` (its value split on spaces
//   into several words); an unset variable is the empty string;
// - in addresses (`bind`, `server`), the same forms anywhere in the word, quoted
//   or not (HAProxy expands them when it parses an address);
// - never in single quotes, nor unquoted elsewhere (there a `$` is an error of
//   the keyword that reads it, as in HAProxy).

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export interface Expansion {
  /** The text the reference stands for. */
  value: string;
  /** Characters of the line it took, from its `$`. */
  length: number;
  /** `${NAME[*]}`: the value becomes separate words. */
  split: boolean;
}

/** The reference starting at text[at] (a `$`), or undefined when none starts there (a literal `$`). */
export function expandAt(text: string, at: number, env: Env): Expansion | { error: string } | undefined {
  const rest = text.slice(at + 1);
  if (rest.startsWith("{")) {
    const close = rest.indexOf("}");
    if (close < 0) return { error: `unterminated '\${' in '${text.slice(at)}'` };
    const inner = rest.slice(1, close);
    const name = NAME.exec(inner)?.[0];
    if (name === undefined) return { error: `invalid variable name in '\${${inner}}'` };
    const tail = inner.slice(name.length);
    const value = env[name] ?? "";
    if (tail === "") return { value, length: close + 2, split: false };
    if (tail === "[*]") return { value, length: close + 2, split: true };
    if (tail.startsWith("-")) return { value: value === "" ? tail.slice(1) : value, length: close + 2, split: false };
    return { error: `invalid variable reference '\${${inner}}' (expected \${NAME}, \${NAME-default} or \${NAME[*]})` };
  }
  const name = NAME.exec(rest)?.[0];
  if (name === undefined) return undefined;
  return { value: env[name] ?? "", length: name.length + 1, split: false };
}

/** An address word with its variables expanded (HAProxy's address parser does it, quoted or not). */
export function expandAddress(word: string, env: Env): string | { error: string } {
  if (!word.includes("$")) return word;
  let out = "";
  for (let i = 0; i < word.length; i++) {
    if (word[i] !== "$") {
      out += word[i];
      continue;
    }
    const e = expandAt(word, i, env);
    if (e === undefined) out += "$";
    else if ("error" in e) return e;
    else {
      out += e.value;
      i += e.length - 1;
    }
  }
  return out;
}
