// What an agent's line says (HAProxy's agent words), and how the agent's
// down/up meets the health check's state.
import { describe, expect, test } from "bun:test";
import { agentWords } from "../../../src/check/agent-check.ts";
import { ServerState } from "../../../src/backend/server-state.ts";

describe("agent words", () => {
  test("a weight, maxconn, an admin state, a health state, in any order, separated by blanks or commas", () => {
    expect(agentWords("75%")).toEqual({ weight: "75%" });
    expect(agentWords("maxconn:30 50%")).toEqual({ maxconn: "30", weight: "50%" });
    expect(agentWords("up,100%\tready")).toEqual({ state: "up", weight: "100%", admin: "READY" });
    expect(agentWords("DRAIN")).toEqual({ admin: "DRAIN" });
    for (const word of ["down", "fail", "stopped"]) expect(agentWords(word)).toEqual({ state: word });
  });

  test("what it does not know changes nothing", () => {
    expect(agentWords("garbage")).toEqual({});
    expect(agentWords("down#stopped by ops")).toEqual({});
    expect(agentWords("75 % maxconn: 3")).toEqual({});
  });
});

describe("the agent's down and up beside the health check", () => {
  const CHECK = { status: "L4OK" as const, info: "", durationMs: 0 };
  const FAIL = { status: "L4CON" as const, info: "", durationMs: 0 };

  test("down takes the server DOWN at once; only up brings it back, if the check agrees", () => {
    const s = new ServerState(2, 3, false, 0);
    s.agent = { enabled: true, down: false, last: undefined, running: false };
    expect(s.agentSays(true, 1)).toBe("down");
    // Checks passing do not bring it back while the agent says down.
    for (let i = 0; i < 5; i++) expect(s.passed(CHECK, 2)).toBeUndefined();
    expect(s.force("UP", 3)).toBeUndefined();
    expect(s.agentSays(false, 4)).toBe("up");
    expect(s.op).toBe("UP");
  });

  test("up while the check says DOWN leaves it DOWN; the check's rise then brings it UP", () => {
    const s = new ServerState(2, 3, false, 0);
    s.agent = { enabled: true, down: false, last: undefined, running: false };
    s.failed(FAIL, 1);
    expect(s.op).toBe("DOWN");
    expect(s.agentSays(false, 2)).toBeUndefined();
    expect(s.passed(CHECK, 3)).toBeUndefined();
    expect(s.passed(CHECK, 4)).toBe("up");
  });
});

describe("a disabled agent holds nothing; maintenance is left alone", () => {
  const CHECK = { status: "L4OK" as const, info: "", durationMs: 0 };

  test("disable agent after it said down: the next passing check brings the server UP", () => {
    const s = new ServerState(2, 3, false, 0);
    s.agent = { enabled: true, down: false, last: undefined, running: false };
    expect(s.agentSays(true, 1)).toBe("down");
    expect(s.passed(CHECK, 2)).toBeUndefined();
    s.agent.enabled = false;
    expect(s.passed(CHECK, 3)).toBe("up");
  });

  test("the agent's down in maintenance moves nothing (kept for after it)", () => {
    const s = new ServerState(2, 3, true, 0);
    s.agent = { enabled: true, down: false, last: undefined, running: false };
    expect(s.agentSays(true, 1)).toBeUndefined();
    expect(s.op).toBe("UP");
    expect(s.agent.down).toBe(true);
  });
});
