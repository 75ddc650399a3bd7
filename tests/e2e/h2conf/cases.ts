// The whole case table, in RFC order.
import type { Case } from "./case.ts";
import { CONNECTION_CASES } from "./cases-connection.ts";
import { FRAME_CASES } from "./cases-frames.ts";
import { HTTP_CASES } from "./cases-http.ts";

export const CASES: readonly Case[] = [...CONNECTION_CASES, ...FRAME_CASES, ...HTTP_CASES];
