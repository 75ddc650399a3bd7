import { describe, expect, test } from "bun:test";
import { protocolCheckScript } from "../../../src/check/protocol-check.ts";
import type { Judge, Step } from "../../../src/check/probe.ts";
import { setup } from "./fake-net.ts";

// The judges of the protocol checks on answers the e2e servers do not give:
// answers cut short, split across reads, and error packets.

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const judges = (steps: Step[]): Judge[] => steps.flatMap((s) => (s.kind === "expect" ? [s.judge] : []));
const sent = (steps: Step[]) => steps.flatMap((s) => (s.kind === "send" ? [Array.from(s.data)] : []));

describe("redis-check", () => {
  const [judge] = judges(protocolCheckScript({ kind: "redis" }));
  test("sends PING as a RESP array; +PONG passes, even split; -LOADING is a wrong status with its line", () => {
    expect(sent(protocolCheckScript({ kind: "redis" }))).toEqual([Array.from(enc("*1\r\n$4\r\nPING\r\n"))]);
    expect(judge!(enc("+PO"), false)).toBeUndefined();
    expect(judge!(enc("+PONG\r\n"), false)).toEqual({ status: "L7OK", info: "Redis server is ok", code: 0 });
    expect(judge!(enc("-LOADING Redis is loading the dataset in memory\r\n"), false)).toEqual({ status: "L7STS", info: "-LOADING Redis is loading the dataset in memory" });
    expect(judge!(enc(""), true)?.status).toBe("L7RSP");
  });
});

describe("mysql-check", () => {
  const greeting = [0x0a, ...enc("8.0.36"), 0, 1, 2, 3];
  const packet = (seq: number, body: number[]) => [body.length, 0, 0, seq, ...body];
  test("the login: a 4.1 auth packet naming the user, then COM_QUIT; pre-41 is shorter", () => {
    const [post] = sent(protocolCheckScript({ kind: "mysql", user: "hap", post41: true }));
    expect(post!.slice(0, 4)).toEqual([3 + 34, 0, 0, 1]);
    expect(post!.slice(-10)).toEqual([...enc("hap"), 0, 0, 1, 0, 0, 0, 1]);
    const [pre] = sent(protocolCheckScript({ kind: "mysql", user: "hap", post41: false }));
    expect(pre).toEqual([10, 0, 0, 1, 0x00, 0x80, 0x00, 0x00, 0x01, ...enc("hap"), 0, 0, 1, 0, 0, 0, 1]);
  });
  test("no user: the greeting alone passes with the version; an error packet says why; a cut greeting waits, then fails", () => {
    const [judge] = judges(protocolCheckScript({ kind: "mysql", post41: true }));
    expect(judge!(Uint8Array.from(packet(0, greeting)), false)).toEqual({ status: "L7OK", info: "8.0.36", code: 0 });
    expect(judge!(Uint8Array.from(packet(0, greeting).slice(0, 6)), false)).toBeUndefined();
    expect(judge!(Uint8Array.from(packet(0, greeting).slice(0, 6)), true)?.status).toBe("L7RSP");
    const tooMany = packet(0, [0xff, 0x10, 0x04, ...enc("Too many connections")]);
    expect(judge!(Uint8Array.from(tooMany), false)).toEqual({ status: "L7STS", info: "Too many connections" });
  });
  test("with a user: OK after the greeting passes; an error packet with its SQLSTATE gives the message", () => {
    const [first, second] = judges(protocolCheckScript({ kind: "mysql", user: "hap", post41: true }));
    const ok = Uint8Array.from([...packet(0, greeting), ...packet(2, [0x00, 0, 0, 2, 0, 0, 0])]);
    expect(first!(ok, false)?.status).toBe("L7OK");
    expect(second!(ok, false)).toEqual({ status: "L7OK", info: "8.0.36", code: 0 });
    const denied = Uint8Array.from([...packet(0, greeting), ...packet(2, [0xff, 0x15, 0x04, ...enc("#28000Access denied")])]);
    expect(second!(denied, false)).toEqual({ status: "L7STS", info: "Access denied" });
    expect(second!(Uint8Array.from(packet(0, greeting)), false)).toBeUndefined();
  });
});

describe("pgsql-check", () => {
  const steps = protocolCheckScript({ kind: "pgsql", user: "pg" });
  const [judge] = judges(steps);
  test("a v3.0 startup message naming the user", () => {
    expect(sent(steps)).toEqual([[0, 0, 0, 17, 0, 3, 0, 0, ...enc("user"), 0, ...enc("pg"), 0, 0]]);
  });
  test("an authentication request passes (ok, MD5, SASL); an error fails with its fields; anything else is unknown", () => {
    expect(judge!(Uint8Array.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]), false)?.status).toBe("L7OK");
    expect(judge!(Uint8Array.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5]), false)?.status).toBe("L7OK");
    expect(judge!(Uint8Array.from([0x52, 0, 0, 0, 23, 0, 0, 0, 10]), false)?.status).toBe("L7OK");
    expect(judge!(Uint8Array.from([0x52, 0, 0, 0]), false)).toBeUndefined();
    expect(judge!(Uint8Array.from([0x52, 0, 0, 0, 8, 0, 0, 0, 1]), false)).toEqual({ status: "L7STS", info: "PostgreSQL unknown error" });
    expect(judge!(enc("E\0\0\0\x10SFATAL\0Mno\0\0"), false)).toEqual({ status: "L7RSP", info: "FATAL Mno" });
  });
});

describe("tcp-check send-binary, expect binary", () => {
  test("hex goes out as bytes; expect binary looks for the bytes its hex says", async () => {
    const cfg = (want: string) => `backend be
    mode tcp
    option tcp-check
    tcp-check send-binary 50494e470d0a
    tcp-check expect binary ${want}
    server a 127.0.0.1:1001 check
`;
    const t = setup(cfg("2b504f4e47"));
    t.net.ports.set(1001, { answer: "+PONG\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.sockets[0]!.sent).toBe("PING\r\n");
    expect(t.server("a").state.op).toBe("UP");
    const other = setup(cfg("2d455252"));
    other.net.ports.set(1001, { answer: "+PONG\r\n" });
    other.checks.start();
    await other.net.clock.advance(1);
    expect(other.server("a").state.op).toBe("DOWN");
  });
});
