// `show stat typed`: HAProxy 2.6's one-field-per-line form.
// The expected lines are what haproxy 2.6 printed for the same fields here
// (`echo "show stat typed" | socat - haproxy.sock`).
import { describe, expect, test } from "bun:test";
import { statTyped } from "../../../src/stats/typed.ts";
import type { StatRow } from "../../../src/stats/types.ts";

describe("typed stats", () => {
  test("a frontend row's fields as HAProxy prints them: kind, iid, sid, position, name, process, tags, type, value", () => {
    const row = { pxname: "fe", svname: "FRONTEND", scur: 0, smax: 0, slim: 9986, stot: 0, status: "OPEN", iid: 2, sid: 0, pid: 1, type: 0 } as unknown as StatRow;
    const lines = statTyped([row]).trimEnd().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "F.2.0.0.pxname.1:KNS:str:fe",
      "F.2.0.1.svname.1:KNS:str:FRONTEND",
      "F.2.0.4.scur.1:MGP:u32:0",
      "F.2.0.5.smax.1:MMP:u32:0",
      "F.2.0.6.slim.1:CLP:u32:9986",
    ]);
    expect(lines).toContain("F.2.0.7.stot.1:MCP:u64:0");
    expect(lines).toContain("F.2.0.17.status.1:SGP:str:OPEN");
  });

  test("server rows begin with S, backends with B", () => {
    const server = { pxname: "be", svname: "a", iid: 3, sid: 1, pid: 1, type: 2 } as unknown as StatRow;
    const backend = { pxname: "be", svname: "BACKEND", iid: 3, sid: 0, pid: 1, type: 1 } as unknown as StatRow;
    expect(statTyped([server, backend]).split("\n").filter((l) => l.includes(".svname."))).toEqual(["S.3.1.1.svname.1:KNS:str:a", "B.3.0.1.svname.1:KNS:str:BACKEND"]);
  });
});
