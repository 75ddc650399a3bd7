// The fetch registry: every sample fetch sluice knows, by name.
import type { FetchDef } from "../types.ts";
import { CONNECTION_FETCHES } from "./connection.ts";
import { COUNTER_FETCHES } from "./counters.ts";
import { HEADER_FETCHES } from "./headers.ts";
import { MISC_FETCHES } from "./misc.ts";
import { PAYLOAD_FETCHES } from "./payload.ts";
import { REQUEST_FETCHES } from "./request.ts";
import { RESPONSE_FETCHES } from "./response.ts";
import { TLS_FETCHES } from "./tls.ts";
import { AUTH_FETCHES } from "../auth/fetches.ts";
import { CAPTURE_FETCHES } from "./capture.ts";
import { GENERATED_FETCHES } from "./generated.ts";
import { BODY_FETCHES } from "./body.ts";

export const FETCHES: ReadonlyMap<string, FetchDef> = new Map(
  [
    ...CONNECTION_FETCHES,
    ...TLS_FETCHES,
    ...REQUEST_FETCHES,
    ...HEADER_FETCHES,
    ...RESPONSE_FETCHES,
    ...MISC_FETCHES,
    ...COUNTER_FETCHES,
    ...PAYLOAD_FETCHES,
    ...AUTH_FETCHES,
    ...CAPTURE_FETCHES,
    ...GENERATED_FETCHES,
    ...BODY_FETCHES,
  ].map((f) => [f.name, f]),
);
