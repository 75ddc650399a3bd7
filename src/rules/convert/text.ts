// String converters (HAProxy 2.6 §7.3.1): lower, upper, length, field, word,
// bytes, json, regsub, url_dec. Their input arrives already cast to their
// input type (expr.ts), so a closure sees a string.
import type { RE2JS } from "re2js";
import { re2Package } from "../../runtime/packages.ts";
import type { ConverterDef, Sample } from "../types.ts";
import { intArg } from "../fetch/define.ts";

type Conv = (s: Sample) => Sample | undefined;

function conv(name: string, minArgs: number, maxArgs: number, input: ConverterDef["in"], out: ConverterDef["out"], compile: (args: readonly string[]) => Conv | string): ConverterDef {
  return { name, minArgs, maxArgs, in: input, out, compile };
}

/**
 * field and word: the <index>th piece (1 the first, -1 the last) and
 * <count>-1 more towards the far end (0: all of them), delimiters kept
 * between. `word` skips empty pieces; `field` counts them.
 */
function pieces(name: string, skipEmpty: boolean) {
  return (args: readonly string[]): Conv | string => {
    const index = intArg(args[0]!);
    if (index === undefined || index === 0) return `${name}: the index '${args[0]}' is not a non-zero integer`;
    const delims = args[1]!;
    if (delims === "") return `${name}: no delimiter given`;
    const count = args[2] === undefined ? 1 : intArg(args[2]);
    if (count === undefined || count < 0) return `${name}: the count '${args[2]}' is not a positive integer or 0`;
    return (s) => {
      const text = s as string;
      // Piece boundaries [start, end) in order.
      const bounds: number[] = [];
      let start = 0;
      for (let k = 0; k <= text.length; k++) {
        if (k === text.length || delims.includes(text[k]!)) {
          if (!skipEmpty || k > start) bounds.push(start, k);
          start = k + 1;
        }
      }
      const n = bounds.length / 2;
      let first: number;
      let last: number;
      if (index > 0) {
        first = index - 1;
        last = count === 0 ? n - 1 : Math.min(n - 1, first + count - 1);
      } else {
        last = n + index;
        first = count === 0 ? 0 : Math.max(0, last - count + 1);
      }
      if (first < 0 || first >= n || last < first) return "";
      // HAProxy's word: counting forward past the last word (or count 0) runs to the end of the input, trailing delimiters included.
      const toEnd = skipEmpty && index > 0 && (count === 0 || first + count > n);
      return text.slice(bounds[2 * first]!, toEnd ? text.length : bounds[2 * last + 1]!);
    };
  };
}

/**
 * lower / upper as HAProxy's: ASCII letters only. Samples are octets (a
 * latin1 string per byte): the runtime's full case mapping would change the
 * bytes of UTF-8 text (é's C3 A9 → E3 A9) or leave latin1 (µ → U+039C).
 */
function asciiCase(s: string, upper: boolean): string {
  const from = upper ? 0x61 : 0x41;
  let k = 0;
  while (k < s.length) {
    const c = s.charCodeAt(k);
    if (c >= from && c <= from + 25) break;
    k++;
  }
  if (k === s.length) return s;
  let out = s.slice(0, k);
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k);
    out += c >= from && c <= from + 25 ? String.fromCharCode(c ^ 0x20) : s[k];
  }
  return out;
}

const HEX = "0123456789abcdef";

/**
 * JSON string escaping (without the quotes); `ascii` escapes every non-ASCII
 * character too. Samples carry bytes as latin1 characters: "ascii" escapes
 * each byte, the utf8 decoders first decode the bytes as UTF-8.
 */
function jsonEscape(ascii: boolean): Conv {
  return (s) => {
    const text = s as string;
    let out = "";
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c === 34) out += '\\"';
      else if (c === 92) out += "\\\\";
      else if (c === 47) out += "\\/";
      else if (c === 8) out += "\\b";
      else if (c === 12) out += "\\f";
      else if (c === 10) out += "\\n";
      else if (c === 13) out += "\\r";
      else if (c === 9) out += "\\t";
      else if (c < 0x20 || (ascii && c > 0x7e)) out += "\\u" + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
      else out += text[k];
    }
    return out;
  };
}

/** HAProxy's substitution text: `\0`-`\9` name a group, anything else is literal. */
function parseSubst(subst: string): (string | number)[] {
  const parts: (string | number)[] = [];
  let literal = "";
  for (let k = 0; k < subst.length; k++) {
    const c = subst.charCodeAt(k);
    if (c === 92 && k + 1 < subst.length && subst.charCodeAt(k + 1) >= 48 && subst.charCodeAt(k + 1) <= 57) {
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push(subst.charCodeAt(++k) - 48);
    } else {
      literal += subst[k];
    }
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/**
 * regsub(REGEX,SUBST[,FLAGS]): sed's s/REGEX/SUBST/ with flags g and i. The
 * regex runs on RE2 (re2js): linear time in the input, so no value makes it
 * slow; PCRE-only syntax (lookarounds, backreferences in the pattern) is a
 * load error.
 */
function regsub(args: readonly string[]): Conv | string {
  const flags = args[2] ?? "";
  for (const f of flags) if (f !== "g" && f !== "i") return `regsub: unknown flag '${f}' (flags are g and i)`;
  const { RE2JS } = re2Package();
  let re: RE2JS;
  try {
    re = RE2JS.compile(args[0]!, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    return `regsub: bad regex '${args[0]}': ${(e as Error).message}`;
  }
  const parts = parseSubst(args[1]!);
  const groups = re.groupCount();
  for (const p of parts) if (typeof p === "number" && p > groups) return `regsub: '\\${p}' names a group the regex does not have`;
  const replace = (...m: unknown[]): string => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : (m[p] as string | null) ?? "";
    return out;
  };
  const global = flags.includes("g");
  return (s) => {
    const matcher = re.matcher(s as string);
    return global ? matcher.replaceAll(replace) : matcher.replaceFirst(replace);
  };
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * url_dec([IN_FORM]): %XX decoded to the byte it names (samples hold bytes
 * as latin1 characters); '+' is a space after a '?', or everywhere with
 * IN_FORM non-zero. A '%' not followed by two hex digits fails the sample.
 */
function urlDecode(args: readonly string[]): Conv | string {
  const inForm = args[0] === undefined || args[0] === "" ? 0 : intArg(args[0]);
  if (inForm === undefined) return `url_dec: '${args[0]}' is not an integer`;
  return (s) => {
    const text = s as string;
    if (text.indexOf("%") < 0 && text.indexOf("+") < 0) return text;
    let out = "";
    let query = inForm !== 0;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c === 37) {
        const hi = hexDigit(text.charCodeAt(k + 1));
        const lo = hexDigit(text.charCodeAt(k + 2));
        if (hi < 0 || lo < 0) return undefined;
        out += String.fromCharCode(hi * 16 + lo);
        k += 2;
      } else if (c === 43 && query) {
        out += " ";
      } else {
        if (c === 63) query = true;
        out += text[k];
      }
    }
    return out;
  };
}

export const TEXT_CONVERTERS: readonly ConverterDef[] = [
  conv("lower", 0, 0, "str", "str", () => (s) => asciiCase(s as string, false)),
  conv("upper", 0, 0, "str", "str", () => (s) => asciiCase(s as string, true)),
  conv("length", 0, 0, "str", "int", () => (s) => (s as string).length),
  conv("field", 2, 3, "str", "str", pieces("field", false)),
  conv("word", 2, 3, "str", "str", pieces("word", true)),
  conv("bytes", 1, 2, "bin", "bin", (args) => {
    const offset = intArg(args[0]!);
    if (offset === undefined || offset < 0) return `bytes: the offset '${args[0]}' is not a positive integer`;
    const length = args[1] === undefined ? undefined : intArg(args[1]);
    if (args[1] !== undefined && (length === undefined || length < 0)) return `bytes: the length '${args[1]}' is not a positive integer`;
    return (s) => {
      const text = s as string;
      if (offset >= text.length) return undefined;
      return length === undefined ? text.slice(offset) : text.slice(offset, offset + length);
    };
  }),
  conv("json", 0, 1, "str", "str", (args) => {
    const code = args[0] || "ascii";
    if (code !== "ascii" && code !== "utf8" && code !== "utf8s" && code !== "utf8p" && code !== "utf8ps") {
      return `json: unknown input code '${code}' (ascii, utf8, utf8s, utf8p, utf8ps)`;
    }
    if (code === "ascii") return jsonEscape(true);
    const escape = jsonEscape(true);
    const silent = code.endsWith("s");
    const decoder = new TextDecoder("utf-8", { fatal: !silent });
    return (s) => {
      const text = s as string;
      const bytes = new Uint8Array(text.length);
      for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
      let decoded: string;
      try {
        decoded = decoder.decode(bytes);
      } catch {
        return undefined;
      }
      // JSON's \u escape holds 16 bits (four hex digits): a character beyond is an error (dropped by the "s" decoders).
      let kept = "";
      for (const ch of decoded) {
        if (ch === "\ufffd" && silent) continue;
        if (ch.length > 1) {
          if (!silent) return undefined;
          continue;
        }
        kept += ch;
      }
      return escape(kept);
    };
  }),
  conv("regsub", 2, 3, "str", "str", regsub),
  conv("url_dec", 0, 1, "str", "str", urlDecode),
  conv("ltrim", 1, 1, "str", "str", (args) => trim(args[0]!, true)),
  conv("rtrim", 1, 1, "str", "str", (args) => trim(args[0]!, false)),
];

/** ltrim / rtrim(<chars>): the characters of the list removed from the start / the end. */
function trim(chars: string, left: boolean): Conv {
  return (s) => {
    const text = s as string;
    let a = 0;
    let b = text.length;
    if (left) while (a < b && chars.includes(text[a]!)) a++;
    else while (b > a && chars.includes(text[b - 1]!)) b--;
    return text.slice(a, b);
  };
}
