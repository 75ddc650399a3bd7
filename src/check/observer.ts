// Passive checks (`observe layer4|layer7`): what streams see of a server
// counts against it. Consecutive errors reaching `error-limit` trigger the
// `on-error` action on the server's active check, and the count starts over;
// any success resets it (HAProxy's health_adjust).
import { Observed, type ObservedCode, type Observer, type ServerState } from "../backend/server-state.ts";
import type { OnError, ServerObserve } from "../config/types.ts";

/** HAProxy's words for the last error, in the HANA info. */
const LAST_ERROR: Record<ObservedCode, string> = {
  [Observed.connectOk]: "",
  [Observed.connectFailed]: "L4 unsuccessful connection",
  [Observed.httpOk]: "",
  [Observed.httpError]: "Wrong http response",
  [Observed.httpBroken]: "Invalid http response (headers)",
  [Observed.httpReadError]: "Read error (http)",
  [Observed.httpTimeout]: "Read timeout (http)",
};

/** What the active check does for a passive verdict (health-check.ts). */
export interface Adjustable {
  adjust(action: OnError, info: string): void;
}

export class PassiveCheck implements Observer {
  constructor(
    private readonly settings: ServerObserve,
    private readonly state: ServerState,
    private readonly check: Adjustable,
  ) {}

  observe(what: ObservedCode): void {
    // HAProxy's table: layer4 watches connects only; layer7 counts failed
    // connects and answers, and only a good answer clears its count.
    const layer4 = this.settings.layer === "layer4";
    if (layer4 && what !== Observed.connectOk && what !== Observed.connectFailed) return;
    if (!layer4 && what === Observed.connectOk) return;
    const state = this.state;
    if (what === Observed.connectOk || what === Observed.httpOk) {
      state.consecutiveErrors = 0;
      return;
    }
    if (++state.consecutiveErrors < this.settings.errorLimit) return;
    const n = state.consecutiveErrors;
    state.consecutiveErrors = 0;
    this.check.adjust(this.settings.onError, `Detected ${n} consecutive errors, last one was: ${LAST_ERROR[what]}`);
  }
}
