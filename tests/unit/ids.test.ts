// One id counter per kind of thing (conn/ids.ts): backend connections of
// both protocols share theirs, so the per-connection view and the logs never
// show an HTTP/1.1 and an HTTP/2 connection under one id.
import { expect, test } from "bun:test";
import { nextBackendConnId, nextSessionId, nextStreamId } from "../../src/conn/ids.ts";
import { H1ClientMux } from "../../src/http1/client-mux.ts";
import { DEFAULT_LIMITS } from "../../src/http1/types.ts";
import { H2ClientConnection } from "../../src/http2/client-connection.ts";
import { MemSocket } from "../support/mem-runtime.ts";

test("HTTP/1.1 and HTTP/2 backend connections take their ids from one counter", () => {
  const home = { id: "be/s", closed() {} };
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push(new H1ClientMux(nextBackendConnId(), home, DEFAULT_LIMITS).id);
    const h2 = new H2ClientConnection(new MemSocket("127.0.0.1", 9100), { slots() {}, closed() {} }, { defer: (fn) => fn() });
    ids.push(h2.id);
    h2.close();
  }
  expect(new Set(ids).size).toBe(6);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
});

test("sessions and streams have counters of their own, each strictly increasing", () => {
  const s = [nextSessionId(), nextSessionId()];
  const st = [nextStreamId(), nextStreamId()];
  expect(s[1]).toBe(s[0]! + 1);
  expect(st[1]).toBe(st[0]! + 1);
});
