// The state-change lines as HAProxy words them, backups included.
import { describe, expect, test } from "bun:test";
import type { CheckResult } from "../../../src/backend/server-state.ts";
import { downLine, serversCount, serverWord, upLine } from "../../../src/check/transition-log.ts";

const refused = { status: "L4CON", info: "Connection refused", durationMs: 1 } as unknown as CheckResult;
const passed = { status: "L4OK", info: "", durationMs: 0 } as unknown as CheckResult;

describe("state-change lines", () => {
  test("a backup server is named 'Backup Server', as HAProxy's srv_set_stopped/running do", () => {
    expect(serverWord("be/b1", true)).toBe("Backup Server be/b1");
    expect(serverWord("be/s1", false)).toBe("Server be/s1");
  });

  test("only backups left (or online): ' Running on backup.' after the count", () => {
    expect(serversCount({ active: 0, backup: 1 }, "left")).toBe("0 active and 1 backup servers left. Running on backup.");
    expect(serversCount({ active: 1, backup: 1 }, "online")).toBe("1 active and 1 backup servers online.");
    expect(serversCount({ active: 0, backup: 0 }, "left")).toBe("0 active and 0 backup servers left.");
    expect(downLine(serverWord("be/s1", false), refused, { active: 0, backup: 2 }, 0, 0, 0)).toBe(
      'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 1ms. ' +
        "0 active and 2 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.",
    );
    expect(upLine(serverWord("be/b1", true), passed, { active: 0, backup: 1 }, 0, 0)).toBe(
      "Backup Server be/b1 is UP, reason: Layer4 check passed, check duration: 0ms. 0 active and 1 backup servers online. Running on backup. 0 sessions requeued, 0 total in queue.",
    );
  });
});
