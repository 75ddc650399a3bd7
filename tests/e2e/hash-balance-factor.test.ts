// `hash-balance-factor` beside HAProxy 2.6 on the same haproxy.cfg: streams
// of one key held open at once (slow servers) are shared out as HAProxy's
// bounded-load consistent hashing shares them. Which server a key reaches
// first differs (the ring's points are sluice's own: docs/compatibility.md),
// so the test compares how many streams each server took, sorted (with two
// servers; with three, who takes the overflow is the ring's next owner, and
// the test checks the bound instead).
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type net from "node:net";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** Two slow servers: each answers its own name after 600 ms. */
const names = ["a", "b", "c"];
const servers = names.map((name) =>
  http.createServer((_req, res) => {
    setTimeout(() => res.end(name), 600);
  }),
);
afterAll(() => servers.forEach((s) => s.close()));

async function burst(port: number, path: string, n: number): Promise<number[]> {
  const bodies = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      // Sent one after the other, each connection open before the next, so both proxies see them in the same order.
      await new Promise((r) => setTimeout(r, i * 20));
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: "close" } });
      return await r.text();
    }),
  );
  return names.map((name) => bodies.filter((b) => b === name).length).filter((c) => c > 0).sort((x, y) => y - x);
}

describe("hash-balance-factor against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: one key's streams in progress, bounded per server`, async () => {
      for (const s of servers) if (!s.listening) await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      const [two, three, unbounded] = [await freePort(), await freePort(), await freePort()];
      const at = (i: number) => `127.0.0.1:${(servers[i]!.address() as net.AddressInfo).port}`;
      const running = await proxy.start(`
${httpDefaults()}frontend two
    bind 127.0.0.1:${two}
    default_backend two
frontend three
    bind 127.0.0.1:${three}
    default_backend three
frontend unbounded
    bind 127.0.0.1:${unbounded}
    default_backend unbounded
backend two
    balance uri
    hash-type consistent
    hash-balance-factor 150
    server a ${at(0)}
    server b ${at(1)}
backend three
    balance uri
    hash-type consistent
    hash-balance-factor 125
    server a ${at(0)} weight 2
    server b ${at(1)}
    server c ${at(2)}
backend unbounded
    balance uri
    hash-type consistent
    server a ${at(0)}
    server b ${at(1)}
`, [two, three, unbounded]);
      try {
        const seen = {
          two4: await burst(two, "/same", 4),
          two8: await burst(two, "/same", 8),
          unbounded: await burst(unbounded, "/same", 4),
        };
        expect(seen.two4).toEqual([3, 1]);
        expect(seen.unbounded).toEqual([4]);
        expectSameAsHaproxy(answers, proxy.name, seen);
        // Three servers: who takes the overflow is the ring's next owner, which differs between the two rings;
        // the bound holds for both: at most 8 x 1.25 x (weight / 4) streams each, rounded up, the weight-2 one 5.
        const three8 = await burst(three, "/same", 8);
        expect(three8.reduce((x, y) => x + y, 0)).toBe(8);
        expect(three8[0]!).toBeLessThanOrEqual(5);
        expect(three8.length).toBeGreaterThan(1);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
