// `fullconn N` (defaults, backend, listen; issue 19, bindopts): in HAProxy the
// backend load at which servers with `minconn` reach their `maxconn` (a
// dynamic limit on the ramp between the two). Without `minconn` on a server
// it has no effect there either; sluice has no `minconn` (a server line with
// it is refused), so `fullconn` is read, checked and has nothing to act on,
// exactly as in an HAProxy configuration without minconn.
import * as v from "valibot";
import { integer } from "./schema-values.ts";

export const FULLCONN = { fullconn: v.optional(integer("fullconn", 0)) };
