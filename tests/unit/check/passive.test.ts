// Passive checks: what streams see counts against the server (observe
// layer4|layer7), consecutive errors up to error-limit trigger on-error.
import { describe, expect, test } from "bun:test";
import { Observed, observedStatus } from "../../../src/backend/server-state.ts";
import { setup } from "./fake-net.ts";

const base = (words: string) => setup(`backend be
    server a 127.0.0.1:1001 check inter 10s fastinter 500ms rise 2 fall 3 ${words}
    server b 127.0.0.1:1002
`);

/** Started, the first check passed: a is fully UP (health 4 of 4). */
async function healthy(words: string) {
  const t = base(words);
  t.net.ports.set(1001, "silent");
  t.checks.start();
  await t.net.clock.advance(1);
  const a = t.server("a");
  expect(a.state.full).toBe(true);
  return { ...t, a, observe: (what: Parameters<NonNullable<typeof a.state.observer>["observe"]>[0], n = 1) => {
    for (let i = 0; i < n; i++) a.state.observer!.observe(what);
  } };
}

describe("observe", () => {
  test("mark-down: error-limit consecutive failed connects take the server DOWN at once, as Health analyze", async () => {
    const t = await healthy("observe layer4 error-limit 3 on-error mark-down");
    t.observe(Observed.connectFailed, 2);
    expect(t.a.state.op).toBe("UP");
    t.observe(Observed.connectFailed);
    expect(t.a.state.op).toBe("DOWN");
    expect(t.lines[0]).toBe(
      'Server be/a is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: L4 unsuccessful connection". 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    );
    // And the next check comes at fastinter, not inter.
    t.net.ports.set(1001, "silent");
    await t.net.clock.advance(500);
    expect(t.net.times(1001)).toEqual([1, 501]);
  });

  test("a success in between starts the count over", async () => {
    const t = await healthy("observe layer4 error-limit 3 on-error mark-down");
    t.observe(Observed.connectFailed, 2);
    t.observe(Observed.connectOk);
    t.observe(Observed.connectFailed, 2);
    expect(t.a.state.op).toBe("UP");
    expect(t.a.state.consecutiveErrors).toBe(2);
  });

  test("fail-check (the default, error-limit 10): one failed check, the server stays UP until fall", async () => {
    const t = await healthy("observe layer4");
    t.observe(Observed.connectFailed, 10);
    expect([t.a.state.op, t.a.state.health, t.a.state.last?.status]).toEqual(["UP", 3, "HANA"]);
    t.observe(Observed.connectFailed, 20);
    expect(t.a.state.op).toBe("DOWN");
  });

  test("sudden-death: one more failure takes it DOWN", async () => {
    const t = await healthy("observe layer4 error-limit 1 on-error sudden-death");
    t.observe(Observed.connectFailed);
    expect([t.a.state.op, t.a.state.health]).toEqual(["UP", 2]);
    t.net.ports.set(1001, "refuse");
    await t.net.clock.advance(500);
    expect(t.a.state.op).toBe("DOWN");
  });

  test("fastinter: nothing failed, the next check just comes sooner", async () => {
    const t = await healthy("observe layer4 error-limit 2 on-error fastinter");
    t.observe(Observed.connectFailed, 2);
    expect([t.a.state.op, t.a.state.health]).toEqual(["UP", 4]);
    await t.net.clock.advance(500);
    expect(t.net.times(1001)).toEqual([1, 501]);
  });

  test("layer7 counts 5xx (not 501, 505) and broken answers; layer4 ignores answers", async () => {
    const l7 = await healthy("observe layer7 error-limit 2 on-error mark-down");
    l7.observe(observedStatus(501));
    l7.observe(observedStatus(505));
    l7.observe(observedStatus(404));
    expect(l7.a.state.consecutiveErrors).toBe(0);
    l7.observe(observedStatus(502));
    l7.observe(Observed.httpBroken);
    expect(l7.a.state.op).toBe("DOWN");
    expect(l7.lines[0]).toContain('info: "Detected 2 consecutive errors, last one was: Invalid http response (headers)"');
    const l4 = await healthy("observe layer4 error-limit 1 on-error mark-down");
    l4.observe(Observed.httpError, 5);
    expect(l4.a.state.op).toBe("UP");
  });
});
