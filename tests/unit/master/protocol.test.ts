// The master's control channel messages (src/master/protocol.ts): JSON lines,
// split anywhere by the socket, each recognised by its type and fields only.
import { describe, expect, test } from "bun:test";
import { encodeMessage, isReady, isServerState, isStop, isUnlistened, MessageReader } from "../../../src/master/protocol.ts";

describe("master protocol", () => {
  test("messages split across reads come out whole, in order", () => {
    const bytes = new Uint8Array([
      ...encodeMessage({ type: "ready", pid: 41, worker: 1 }),
      ...encodeMessage({ type: "stop" }),
      ...encodeMessage({ type: "unlistened", pid: 41 }),
    ]);
    const reader = new MessageReader();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 5) out.push(...reader.push(bytes.subarray(i, i + 5)));
    expect(out).toEqual([{ type: "ready", pid: 41, worker: 1 }, { type: "stop" }, { type: "unlistened", pid: 41 }]);
    expect(out.map((m) => [isReady(m), isStop(m), isUnlistened(m)])).toEqual([[true, false, false], [false, true, false], [false, false, true]]);
  });

  test("a message without its fields, or not JSON, is none of them", () => {
    const reader = new MessageReader();
    const out = reader.push(new TextEncoder().encode('{"type":"unlistened"}\n{"type":"ready","pid":"1","worker":1}\nnot json\n'));
    for (const m of out) expect([isReady(m), isStop(m), isUnlistened(m), isServerState(m)]).toEqual([false, false, false, false]);
    expect(out[2]).toEqual({ type: "invalid", line: "not json" });
  });
});
