// Fetches of the response line (HAProxy 2.6 §7.3.6): its status. The
// response's fields are in headers.ts with the request's.
import { Stage, type FetchDef } from "../types.ts";
import { simple } from "./define.ts";

const RESPONSE_STAGES = Stage.httpResponse | Stage.httpAfterResponse;

export const RESPONSE_FETCHES: readonly FetchDef[] = [
  simple("status", "int", RESPONSE_STAGES, "int", (t) => t.response?.status),
  simple("srv_name", "str", RESPONSE_STAGES, "str", (t) => t.server),
];
