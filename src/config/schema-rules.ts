// Rule lines (issue 15) in the model: each line's words as written, in order,
// in both syntaxes (`http-request: ["deny if bad"]` in YAML is the line
// `http-request deny if bad`). What the words mean is checked once the whole
// configuration is read (config/rules.ts): a condition may name an ACL written
// further down, a use_backend a backend of another file.
import * as v from "valibot";
import { lineWords } from "./schema-check.ts";

export const RULE_KEYWORDS = [
  "acl",
  "use_backend",
  "use-server",
  "stick",
  "http-request",
  "http-response",
  "http-after-response",
  "redirect",
  "tcp-request",
  "capture",
  "declare",
  "force-persist",
  "ignore-persist",
  "monitor",
] as const;
export type RuleKeyword = (typeof RULE_KEYWORDS)[number];

/** Each rule keyword's lines, as lists of words. */
export type RuleLinesPart = Partial<Record<RuleKeyword, string[][]>>;

/** The lines of one keyword: a list of lines (strings or lists of words), or one string. */
export function ruleLinesSchema(keyword: RuleKeyword) {
  const entry = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): string[] => {
      const words = lineWords(dataset.value);
      if (typeof words === "string") {
        addIssue({ message: `${keyword}: ${words}` });
        return NEVER;
      }
      return words;
    }),
  );
  return v.lazy((x) => (Array.isArray(x) ? v.array(entry) : v.pipe(entry, v.transform((one): string[][] => [one]))));
}

/** The model's entries for the rule keywords a section takes. */
export function ruleEntries<K extends RuleKeyword>(keywords: readonly K[]) {
  return Object.fromEntries(keywords.map((k) => [k, v.optional(ruleLinesSchema(k))])) as {
    [P in K]: v.OptionalSchema<ReturnType<typeof ruleLinesSchema>, undefined>;
  };
}

/** The rule lines a parsed section holds. */
export function ruleLinesOf(o: Partial<Record<RuleKeyword, string[][] | undefined>>): RuleLinesPart | undefined {
  let part: RuleLinesPart | undefined;
  for (const k of RULE_KEYWORDS) {
    const lines = o[k];
    if (lines !== undefined) (part ??= {})[k] = lines;
  }
  return part;
}

export const FRONTEND_RULES = ["acl", "use_backend", "http-request", "http-response", "http-after-response", "redirect", "tcp-request", "capture", "declare", "monitor"] as const;
export const BACKEND_RULES = ["acl", "use-server", "stick", "http-request", "http-response", "http-after-response", "redirect", "tcp-request", "force-persist", "ignore-persist"] as const;
export const LISTEN_RULES = RULE_KEYWORDS;
