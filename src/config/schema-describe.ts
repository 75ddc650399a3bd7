// `description TEXT...` (global, frontend, backend, listen) and `node NAME`
// (global): words that name and describe the instance and its proxies, as
// HAProxy shows them (`show info`'s node and description, the stats page).
// haproxy.cfg joins the words with single spaces, as HAProxy does.
import * as v from "valibot";
import { describe } from "./schema-values.ts";

export const DescriptionSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string => {
    const x = dataset.value;
    if (typeof x !== "string" || x.trim() === "") {
      addIssue({ message: `expected a text, got ${describe(x)}` });
      return NEVER;
    }
    return x;
  }),
);
