// The body held while rules wait for it (src/stream/body-wait.ts): what the
// fetches read (at most the room), when a wait is over, and that everything
// received goes on in order.
import { describe, expect, test } from "bun:test";
import { BodyWait } from "../../../src/stream/body-wait.ts";
import type { Head } from "../../../src/http/message.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const WHOLE = { timeMs: 0, atLeast: 0 };

describe("BodyWait", () => {
  test("the rules see at most the room; received counts everything", () => {
    const body = new BodyWait(-1, 8);
    body.data(bytes("user="));
    expect([body.length, body.received, body.text()]).toEqual([5, 5, "user="]);
    body.data(bytes("admin&x=1"));
    expect([body.length, body.received, body.text()]).toEqual([8, 14, "user=adm"]);
    expect(body.bytes()).toEqual(bytes("user=adm"));
  });

  test("a wait is over when the body is whole, the room is full, at-least bytes came, or the client is gone", () => {
    const whole = new BodyWait(20, 100);
    whole.data(bytes("0123456789"));
    expect(whole.ready(WHOLE)).toBe(false);
    expect(whole.ready({ timeMs: 0, atLeast: 10 })).toBe(true);
    expect(whole.ready({ timeMs: 0, atLeast: 11 })).toBe(false);
    whole.end();
    expect(whole.ready(WHOLE)).toBe(true);
    const full = new BodyWait(-1, 4);
    full.data(bytes("abcd"));
    expect(full.ready(WHOLE)).toBe(true);
    const gone = new BodyWait(20, 100);
    gone.clientGone();
    expect(gone.ready(WHOLE)).toBe(true);
  });

  test("bytes are one character each (latin1), beyond the 4096 of one slice too", () => {
    const body = new BodyWait(-1, 10000);
    const raw = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
    body.data(raw);
    const text = body.text();
    expect(text.length).toBe(5000);
    expect([...text].every((c, i) => c.charCodeAt(0) === raw[i])).toBe(true);
  });

  test("chunks are copied (a codec reuses its buffer) and replayed in order with trailers and the end", () => {
    const body = new BodyWait(-1, 100);
    const buffer = bytes("abc");
    body.data(buffer);
    buffer.set(bytes("xyz"));
    body.data(bytes("def"));
    const trailers = { fieldCount: 0 } as unknown as Head;
    body.setTrailers(trailers);
    body.end();
    const seen: string[] = [];
    body.replay({
      requestData: (c) => seen.push(new TextDecoder().decode(c)),
      requestTrailers: (t) => seen.push(t === trailers ? "trailers" : "?"),
      requestEnd: () => seen.push("end"),
    });
    expect(seen).toEqual(["abc", "def", "trailers", "end"]);
    // Still readable after the replay (the log line reads it last).
    expect(body.text()).toBe("abcdef");
  });

  test("a wait's deadline: its time from now, none for 0", () => {
    const body = new BodyWait(-1, 100);
    body.waitFor({ timeMs: 1000, atLeast: 0 }, 5000);
    expect(body.deadline).toBe(6000);
    body.waitFor({ timeMs: 0, atLeast: 0 }, 5000);
    expect(body.deadline).toBe(Infinity);
  });
});
