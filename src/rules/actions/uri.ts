// Request line rewrites (http-request only): set-method, set-path,
// set-pathq, set-query, set-uri, and their regex forms replace-path,
// replace-pathq, replace-uri. The parts are HAProxy's: a path keeps the
// scheme and authority of an absolute-form target in front of it, set-query
// never removes a "?", set-uri and replace-uri with an absolute URI rewrite
// the Host fields (src/http/request-target.ts, src/http/edit-head.ts).
import { setMethod, setTarget, setUri } from "../../http/edit-head.ts";
import type { Head } from "../../http/message.ts";
import { pathEnd, pathStart, withPath, withPathAndQuery, withQuery } from "../../http/request-target.ts";
import type { ActionTxn } from "../types.ts";
import { compileFormat, CONTINUE, isConditionWord } from "./common.ts";
import { compileReplacement } from "./headers.ts";
import { compileRegex, expand } from "./rewrite-regex.ts";
import type { ActionDef, Parsed } from "./types.ts";

type Rewrite = (head: Head, value: string) => Head | undefined;

const setters: Readonly<Record<string, Rewrite>> = {
  "set-method": setMethod,
  "set-path": (head, path) => setTarget(head, withPath(head.target, path)),
  "set-pathq": (head, pathQuery) => setTarget(head, withPathAndQuery(head.target, pathQuery)),
  "set-query": (head, query) => setTarget(head, withQuery(head.target, query)),
  "set-uri": setUri,
};

function setter(action: string): ActionDef {
  const rewrite = setters[action]!;
  return {
    name: action,
    sets: ["http-request"],
    parse(words, _arg, ctx): Parsed | string {
      const text = words[1];
      if (text === undefined || isConditionWord(text)) return `'${action}' expects <fmt>`;
      const format = compileFormat(text, ctx);
      if (typeof format === "string") return `'${action}' <fmt>: ${format}`;
      return {
        next: 2,
        run: (t: ActionTxn) => {
          const head = t.request;
          if (head === undefined) return CONTINUE;
          const next = rewrite(head, format(t));
          if (next !== undefined) t.request = next;
          return CONTINUE;
        },
      };
    },
  };
}

/** What each replace-* action matches against, and how its result goes back. */
interface Part {
  subject(target: string): string | undefined;
  put(head: Head, value: string): Head | undefined;
}

const parts: Readonly<Record<string, Part>> = {
  "replace-path": {
    subject: (target) => {
      const start = pathStart(target);
      return start < 0 ? undefined : target.slice(start, pathEnd(target, start));
    },
    put: (head, path) => setTarget(head, withPath(head.target, path)),
  },
  "replace-pathq": {
    subject: (target) => {
      const start = pathStart(target);
      return start < 0 ? undefined : target.slice(start);
    },
    put: (head, pathQuery) => setTarget(head, withPathAndQuery(head.target, pathQuery)),
  },
  "replace-uri": {
    subject: (target) => target,
    put: setUri,
  },
};

function replaceAction(action: string): ActionDef {
  const part = parts[action]!;
  return {
    name: action,
    sets: ["http-request"],
    parse(words, _arg, ctx): Parsed | string {
      if (words.length < 3 || isConditionWord(words[1]) || isConditionWord(words[2])) {
        return `'${action}' expects <match-regex> and <replace-fmt>`;
      }
      const re = compileRegex(words[1]!);
      if (typeof re === "string") return `'${action}' <match-regex>: ${re}`;
      const replacement = compileReplacement(action, words[2]!, ctx);
      if (typeof replacement === "string") return replacement;
      return {
        next: 3,
        run: (t) => {
          const head = t.request;
          if (head === undefined) return CONTINUE;
          const subject = part.subject(head.target);
          if (subject === undefined) return CONTINUE;
          // The replacement is evaluated only for a match, as HAProxy does.
          const groups = re.exec(subject);
          if (groups === null) return CONTINUE;
          const template = replacement(t);
          if (template === undefined) return CONTINUE;
          const next = part.put(head, expand(template, groups));
          if (next !== undefined) t.request = next;
          return CONTINUE;
        },
      };
    },
  };
}

export const URI_ACTIONS: readonly ActionDef[] = [
  ...Object.keys(setters).map(setter),
  ...Object.keys(parts).map(replaceAction),
];
