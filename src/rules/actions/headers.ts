// set-header, add-header, del-header, replace-header, replace-value: field
// edits of the request (http-request) or the response (http-response,
// http-after-response). Each run builds at most one new head; a rule that
// finds nothing to change leaves the head it found.
import {
  addField,
  deleteField,
  deleteFieldsWhere,
  type FieldName,
  fieldName,
  isToken,
  mapFieldListValues,
  mapFieldValues,
  setField,
} from "../../http/edit-head.ts";
import type { ActionTxn } from "../types.ts";
import { compileFormat, CONTINUE, headSlot, isConditionWord, isConstantFormat } from "./common.ts";
import { compileRegex, parseTemplate, replacer, type Template } from "./rewrite-regex.ts";
import type { ActionContext, ActionDef, Parsed, RuleSet } from "./types.ts";

const ALL: readonly RuleSet[] = ["http-request", "http-response", "http-after-response"];

function nameArg(action: string, word: string | undefined): FieldName | string {
  if (word === undefined || isConditionWord(word)) return `'${action}' expects a header <name>`;
  if (!isToken(word)) return `'${action}': '${word}' is not a valid header name`;
  return fieldName(word);
}

/** set-header / add-header NAME FMT */
function setOrAdd(action: "set-header" | "add-header"): ActionDef {
  const edit = action === "set-header" ? setField : addField;
  return {
    name: action,
    sets: ALL,
    parse(words, _arg, ctx, set): Parsed | string {
      const name = nameArg(action, words[1]);
      if (typeof name === "string") return name;
      if (words.length < 3) return `'${action}' expects <name> and <fmt>`;
      const format = compileFormat(words[2]!, ctx);
      if (typeof format === "string") return `'${action}' <fmt>: ${format}`;
      const slot = headSlot(set);
      return {
        next: 3,
        run: (t: ActionTxn) => {
          const head = slot.read(t);
          if (head === undefined) return CONTINUE;
          // The value is computed before the old fields go: set-header may extend the value it replaces.
          const next = edit(head, name, format(t));
          if (next !== undefined) slot.write(t, next);
          return CONTINUE;
        },
      };
    },
  };
}

const MATCH_METHODS = ["str", "beg", "end", "sub", "reg"] as const;

/** del-header NAME [-m str|beg|end|sub|reg] */
const delHeader: ActionDef = {
  name: "del-header",
  sets: ALL,
  parse(words, _arg, _ctx, set): Parsed | string {
    const word = words[1];
    if (word === undefined || isConditionWord(word)) return "'del-header' expects a header <name>";
    let method = "str";
    let next = 2;
    if (words[2] === "-m") {
      method = words[3] ?? "";
      if (!(MATCH_METHODS as readonly string[]).includes(method)) {
        return `'del-header' -m: unknown matching method '${method}' (expected ${MATCH_METHODS.join(", ")})`;
      }
      next = 4;
    }
    const slot = headSlot(set);
    if (method === "str") {
      const name = nameArg("del-header", word);
      if (typeof name === "string") return name;
      return {
        next,
        run: (t) => {
          const head = slot.read(t);
          if (head !== undefined) slot.write(t, deleteField(head, name));
          return CONTINUE;
        },
      };
    }
    let test: (lowerName: string) => boolean;
    if (method === "reg") {
      // Names are matched lower-cased, as HAProxy keeps them.
      const re = compileRegex(word);
      if (typeof re === "string") return `'del-header' <name>: ${re}`;
      test = (n) => re.test(n);
    } else {
      const lower = word.toLowerCase();
      test = method === "beg" ? (n) => n.startsWith(lower) : method === "end" ? (n) => n.endsWith(lower) : (n) => n.includes(lower);
    }
    return {
      next,
      run: (t) => {
        const head = slot.read(t);
        if (head !== undefined) slot.write(t, deleteFieldsWhere(head, test));
        return CONTINUE;
      },
    };
  },
};

/**
 * A replacement argument: its template once when constant, else a function
 * of the transaction (the log-format string evaluated, then cut).
 */
export function compileReplacement(action: string, text: string, ctx: ActionContext): ((t: ActionTxn) => Template | undefined) | string {
  if (isConstantFormat(text)) {
    const template = parseTemplate(text);
    if (template === undefined) return `'${action}' <replace-fmt>: '${text}' ends in an incomplete escape (\\ or \\xHH)`;
    return () => template;
  }
  const format = ctx.format(text);
  if (typeof format === "string") return `'${action}' <replace-fmt>: ${format}`;
  return (t) => parseTemplate(format(t));
}

/** replace-header / replace-value NAME REGEX REPLACE-FMT */
function replaceHeader(action: "replace-header" | "replace-value"): ActionDef {
  const map = action === "replace-header" ? mapFieldValues : mapFieldListValues;
  return {
    name: action,
    sets: ALL,
    parse(words, _arg, ctx, set): Parsed | string {
      const name = nameArg(action, words[1]);
      if (typeof name === "string") return name;
      if (words.length < 4) return `'${action}' expects <name>, <match-regex> and <replace-fmt>`;
      const re = compileRegex(words[2]!);
      if (typeof re === "string") return `'${action}' <match-regex>: ${re}`;
      const replacement = compileReplacement(action, words[3]!, ctx);
      if (typeof replacement === "string") return replacement;
      const replace = replacer(re);
      const slot = headSlot(set);
      return {
        next: 4,
        run: (t) => {
          const head = slot.read(t);
          if (head === undefined) return CONTINUE;
          const template = replacement(t);
          const next = map(head, name, (value) => replace(value, template));
          if (next !== undefined) slot.write(t, next);
          return CONTINUE;
        },
      };
    },
  };
}

export const HEADER_ACTIONS: readonly ActionDef[] = [
  setOrAdd("set-header"),
  setOrAdd("add-header"),
  delHeader,
  replaceHeader("replace-header"),
  replaceHeader("replace-value"),
];
