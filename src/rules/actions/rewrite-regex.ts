// The regular expressions of replace-header, replace-value, replace-path,
// replace-pathq, replace-uri and del-header -m reg, and HAProxy's
// replacement strings: `\1`..`\9` insert a group, `\xHH` a byte, `\c` the
// character c; a match replaces the whole subject (HAProxy's exp_replace).
//
// Regexes run on RE2's linear-time engine (re2js): a rule's cost is bounded
// by the length of the value whatever the pattern, so a crafted header
// cannot stall the proxy. RE2 has no backreferences or lookaround inside
// patterns; a configuration using them is refused at load with RE2's reason.
import type { RE2JS } from "re2js";
import { re2Package } from "../../runtime/packages.ts";

/** A compiled regex: the groups of its first match in `subject` (index 0: the whole match), or null. */
export interface RewriteRegex {
  exec(subject: string): ArrayLike<string | undefined> | null;
  test(subject: string): boolean;
}

/** Compiles `pattern` (case-sensitive; `(?i)` in the pattern makes it not), or says why it cannot. */
export function compileRegex(pattern: string): RewriteRegex | string {
  try {
    const re = re2Package().RE2JS.compile(pattern);
    return {
      exec: (subject) => re.exec(subject),
      test: (subject) => re.test(subject),
    };
  } catch (e) {
    return `invalid regex '${pattern}': ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** A replacement string cut into literal text and group numbers. */
export type Template = readonly (string | number)[];

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const u = c & ~0x20;
  return u >= 0x41 && u <= 0x46 ? u - 0x37 : -1;
}

/** Cuts a replacement string; undefined when it ends in a lone `\` or a `\x` without two hex digits. */
export function parseTemplate(text: string): Template | undefined {
  const parts: (string | number)[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      literal += text[i];
      continue;
    }
    i++;
    if (i >= text.length) return undefined;
    const d = text.charCodeAt(i);
    if (d >= 0x30 && d <= 0x39) {
      if (literal.length > 0) parts.push(literal);
      literal = "";
      parts.push(d - 0x30);
    } else if (d === 0x78) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      literal += String.fromCharCode(hi * 16 + lo);
      i += 2;
    } else {
      literal += text[i];
    }
  }
  if (literal.length > 0 || parts.length === 0) parts.push(literal);
  return parts;
}

/** The replacement for one match: literals and the groups it names (a group that did not take part is empty). */
export function expand(template: Template, groups: ArrayLike<string | undefined>): string {
  if (template.length === 1 && typeof template[0] === "string") return template[0];
  let out = "";
  for (const part of template) out += typeof part === "string" ? part : groups[part] ?? "";
  return out;
}

/**
 * A replacement compiled once when it is constant, per evaluation when it
 * comes from a log-format string: what `subject` becomes, or undefined when
 * the regex does not match it (or the evaluated replacement is malformed).
 */
export type Replacer = (subject: string, replacement: Template | undefined) => string | undefined;

export function replacer(re: RewriteRegex): Replacer {
  return (subject, template) => {
    if (template === undefined) return undefined;
    const groups = re.exec(subject);
    return groups === null ? undefined : expand(template, groups);
  };
}
