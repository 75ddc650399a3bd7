// `http-request|http-response wait-for-body time <time> [at-least <bytes>]`
// (HAProxy 2.6): the rules pause at this action until the message body has
// come (whole, or `at-least` bytes of it, or as much as the buffer holds),
// for at most <time>; a request body still short after that is answered 408
// by the request stage (session/request-rules.ts), a response body 504 by
// the stream (stream/response-rules.ts), which do the waiting. The action
// only says what it asks for.
import { type ActionTxn, type BodyWanted, Verdict } from "../types.ts";
import type { ActionDef, Parsed } from "./types.ts";

const USAGE = "'wait-for-body' expects 'time <time>' and optionally 'at-least <bytes>'";

export const waitForBody: ActionDef = {
  name: "wait-for-body",
  sets: ["http-request", "http-response"],
  parse(words, _arg, ctx): Parsed | string {
    let timeMs: number | undefined;
    let atLeast = 0;
    let i = 1;
    for (; i < words.length; i += 2) {
      const word = words[i];
      const value = words[i + 1];
      if (word !== "time" && word !== "at-least") break;
      if (value === undefined) return `${USAGE}: '${word}' needs a value`;
      const parsed = word === "time" ? ctx.duration?.(value) : ctx.size?.(value);
      if (parsed === undefined) return `${USAGE} (no unit parser here)`;
      if (typeof parsed === "string") return `'wait-for-body' ${word}: ${parsed}`;
      if (word === "time") timeMs = parsed;
      else atLeast = parsed;
    }
    if (timeMs === undefined) return `${USAGE}: 'time' is mandatory`;
    const wanted: BodyWanted = Object.freeze({ timeMs, atLeast });
    return {
      next: i,
      run: (t: ActionTxn) => {
        t.bodyWanted = wanted;
        return Verdict.wait;
      },
    };
  },
};
