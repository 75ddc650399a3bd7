// Server operations (check/server-ops.ts) reach every balancing algorithm: a
// weight set at run time changes the next picks at once, whatever the
// algorithm keeps (a smooth pass, a stride heap past 16 servers, a leastconn
// heap, a consistent-hash ring, random's cumulative weights), and drain and
// maintenance take a server out of load-balanced picks.
import { describe, expect, test } from "bun:test";
import { type Backend, NO_SERVERS } from "../../../src/backend/backend.ts";
import { ServerOps } from "../../../src/check/server-ops.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";

async function backend(balance: string, servers: number, extra = "") {
  const lines = Array.from({ length: servers }, (_, i) => `    server s${i + 1} 127.0.0.1:${9101 + i}`).join("\n");
  const proxy = await memProxyConfig(memRuntime(), `defaults
    mode http
    no log
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    balance ${balance}
${extra}${lines}
`);
  const be = proxy.backends.get("be")!;
  const ops = new ServerOps(proxy.backends, proxy.checks, () => proxy.clock.tick());
  const server = (name: string) => be.servers.find((s) => s.name === name)!;
  const weight = (name: string, w: string) => expect(ops.setWeight(be, server(name), w)).toBeUndefined();
  return { be, ops, server, weight };
}

/** How many of `n` picks (each released at once) went to each server. */
function picks(be: Backend, n: number): Record<string, number> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const s = be.take(NO_SERVERS);
    if (typeof s === "string") throw new Error(s);
    seen[s.name] = (seen[s.name] ?? 0) + 1;
    be.release(s);
  }
  return seen;
}

/** The server each of `keys` hashes to (consistent hashing). */
function placed(be: Backend, keys: number[]): string[] {
  return keys.map((hash) => {
    const s = be.assign({ granted() {}, tried: NO_SERVERS, hash });
    if (typeof s === "string") throw new Error(s);
    be.release(s);
    return s.name;
  });
}

describe("a weight set at run time reaches the balancer", () => {
  test("roundrobin, smooth pass (2 servers): 0 takes nothing, 3 takes three in four", async () => {
    const t = await backend("roundrobin", 2);
    t.weight("s2", "0");
    expect(picks(t.be, 6)).toEqual({ s1: 6 });
    t.weight("s2", "3");
    expect(picks(t.be, 40)).toEqual({ s1: 10, s2: 30 });
  });

  test("roundrobin, stride heap (20 servers): the new weight's share", async () => {
    const t = await backend("roundrobin", 20);
    t.weight("s1", "0");
    expect(picks(t.be, 38).s1).toBeUndefined();
    t.weight("s1", "20");
    // 19 servers of weight 1 and one of 20: s1 takes 20 of every 39.
    expect(picks(t.be, 390).s1).toBe(200);
  });

  test("leastconn: connections spread by current/weight after the change", async () => {
    const t = await backend("leastconn", 2);
    t.weight("s2", "3");
    const held: Record<string, number> = {};
    for (let i = 0; i < 8; i++) {
      const s = t.be.take(NO_SERVERS);
      if (typeof s === "string") throw new Error(s);
      held[s.name] = (held[s.name] ?? 0) + 1;
    }
    expect(held).toEqual({ s1: 2, s2: 6 });
  });

  test("consistent hashing: weight 0 moves that server's keys away, its weight back brings them back (the ring is rebuilt)", async () => {
    const t = await backend("source", 3, "    hash-type consistent\n");
    const keys = Array.from({ length: 200 }, (_, i) => (i * 2654435761) >>> 0);
    const before = placed(t.be, keys);
    t.weight("s2", "0");
    const without = placed(t.be, keys);
    expect(without).not.toContain("s2");
    // Keys of the other servers stay where they were.
    expect(keys.every((_, i) => before[i] === "s2" || without[i] === before[i])).toBe(true);
    t.weight("s2", "1");
    expect(placed(t.be, keys)).toEqual(before);
  });

  test("random: weight 0 is never drawn", async () => {
    const t = await backend("random", 3);
    t.weight("s3", "0");
    expect(picks(t.be, 60).s3).toBeUndefined();
  });

  test("static algorithms (static-rr, map-based hashing) take 0 or the configured weight only", async () => {
    const t = await backend("static-rr", 2);
    expect(t.ops.setWeight(t.be, t.server("s1"), "5")).toBe("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
    t.weight("s1", "0");
    expect(picks(t.be, 4)).toEqual({ s2: 4 });
    t.weight("s1", "100%");
    expect(picks(t.be, 4)).toEqual({ s1: 2, s2: 2 });
  });
});

describe("admin states", () => {
  test("drain and maint take a server out of load-balanced picks; ready puts it back", async () => {
    const t = await backend("roundrobin", 2);
    t.ops.setAdmin(t.be, t.server("s1"), "DRAIN");
    expect(picks(t.be, 4)).toEqual({ s2: 4 });
    t.ops.setAdmin(t.be, t.server("s1"), "MAINT");
    expect(picks(t.be, 4)).toEqual({ s2: 4 });
    t.ops.setAdmin(t.be, t.server("s1"), "READY");
    expect(picks(t.be, 4)).toEqual({ s1: 2, s2: 2 });
  });

  test("maintenance with every server: streams waiting in the queue end at once (503)", async () => {
    const t = await backend("roundrobin", 1, "");
    const s1 = t.server("s1");
    let refused = 0;
    t.be.enqueue({ granted() {}, tried: NO_SERVERS, refused: () => refused++ });
    t.ops.setAdmin(t.be, s1, "MAINT");
    expect(refused).toBe(1);
  });
});
