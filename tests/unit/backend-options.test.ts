// Server options that shape balancing: backup with and without `option
// allbackups`, slowstart's weight ramp from `upSince`, and addresses found
// at start (init-addr) through the runtime's resolver.
import { describe, expect, test } from "bun:test";
import { resolveServers } from "../../src/backend/addresses.ts";
import { Backend } from "../../src/backend/backend.ts";
import type { Server } from "../../src/backend/server.ts";
import { type BalanceSettings, BUILTIN, type InitAddr } from "../../src/config/types.ts";
import { hashKey } from "../../src/balance/hash.ts";
import { memRuntime } from "../support/mem-runtime.ts";
import { VirtualClock } from "../support/virtual-clock.ts";

const origin = { file: "t.cfg", line: 7 };
interface Spec {
  name: string;
  host?: string;
  weight?: number;
  backup?: boolean;
  slowstart?: number;
  initAddr?: InitAddr[];
}
function backend(servers: Spec[], more: { allBackups?: true; balance?: BalanceSettings; maxconn?: number } = {}, clock = new VirtualClock()) {
  return new Backend({
    name: "be",
    mode: "http",
    balance: more.balance ?? { algorithm: "roundrobin" },
    retries: 3,
    httpMode: "keep-alive",
    errorFiles: {},
    redispatch: false,
    redispatchInterval: BUILTIN.redispatchInterval,
    retryOn: [...BUILTIN.retryOn],
    httpReuse: "safe",
    healthCheck: { kind: "connect" },
    timeouts: { connect: 1000, client: 1000, server: 1000 },
    origin,
    ...(more.allBackups ? { allBackups: true } : {}),
    servers: servers.map((s, i) => ({
      name: s.name,
      host: s.host ?? "127.0.0.1",
      port: 9000 + i,
      weight: s.weight ?? 1,
      backup: s.backup ?? false,
      disabled: false,
      poolMaxConn: -1,
      poolPurgeDelay: 5000,
      poolLowConn: 0,
      sendProxy: false,
      proto: "h1",
      maxReuse: -1,
      ...(more.maxconn !== undefined ? { maxconn: more.maxconn } : {}),
      ...(s.slowstart !== undefined ? { slowstart: s.slowstart } : {}),
      ...(s.initAddr !== undefined ? { initAddr: s.initAddr } : {}),
      origin,
    })),
  }, clock, BUILTIN.global.h2BackendMaxConcurrentStreams);
}
const none = new Set<Server>();
/** `n` picks, each slot given back at once: the names picked. */
function picks(b: Backend, n: number): string[] {
  return Array.from({ length: n }, () => {
    const p = b.take(none);
    if (typeof p === "string") return p;
    b.release(p);
    return p.name;
  });
}

describe("backup servers", () => {
  test("only the first usable backup serves when every active one is down", () => {
    const b = backend([{ name: "a" }, { name: "k1", backup: true }, { name: "k2", backup: true }]);
    expect(picks(b, 2)).toEqual(["a", "a"]);
    b.servers[0]!.disabled = true;
    expect(picks(b, 4)).toEqual(["k1", "k1", "k1", "k1"]);
    b.servers[1]!.disabled = true;
    expect(picks(b, 2)).toEqual(["k2", "k2"]);
  });
  test("option allbackups: every backup takes its share", () => {
    const b = backend([{ name: "a" }, { name: "k1", backup: true }, { name: "k2", backup: true }], { allBackups: true });
    b.servers[0]!.disabled = true;
    expect(picks(b, 4)).toEqual(["k1", "k2", "k1", "k2"]);
    b.servers[0]!.disabled = false;
    expect(picks(b, 2)).toEqual(["a", "a"]);
  });
});

describe("slowstart", () => {
  test("a server that came UP ramps from weight 1 to its own over the slowstart time", async () => {
    const clock = new VirtualClock();
    const b = backend([{ name: "old", weight: 10 }, { name: "new", weight: 10, slowstart: 10_000 }], {}, clock);
    const fresh = b.servers[1]!;
    // It came UP now: the health checks' state is where upSince lives.
    fresh.state.upSince = clock.now();
    const share = () => picks(b, 1000).filter((n) => n === "new").length / 1000;
    const early = share();
    expect(fresh.weight).toBe(1);
    expect(early).toBeLessThan(0.12);
    await clock.advance(5000);
    const half = share();
    expect(fresh.weight).toBe(5);
    expect(half).toBeGreaterThan(0.3);
    expect(half).toBeLessThan(0.37);
    await clock.advance(5000);
    expect(share()).toBe(0.5);
    expect(fresh.weight).toBe(10);
  });
  test("a server never down (upSince -1) has its full weight at once", () => {
    const b = backend([{ name: "a", weight: 4, slowstart: 60_000 }]);
    expect(b.servers[0]!.rampedWeight(0)).toBe(4);
  });
});

describe("addresses at start (init-addr)", () => {
  test("a name resolves through the runtime (libc); an IP needs no lookup", async () => {
    const runtime = memRuntime();
    runtime.hosts["app.internal"] = ["10.1.2.3", "::1"];
    const b = backend([{ name: "n", host: "app.internal" }, { name: "ip", host: "127.0.0.2" }]);
    await resolveServers(b.servers, runtime);
    expect(b.servers.map((s) => s.address)).toEqual(["10.1.2.3", "127.0.0.2"]);
  });
  test("methods are tried in order: last finds nothing, none leaves the server without an address (it takes no traffic), an IP is used as is", async () => {
    const runtime = memRuntime();
    const b = backend([
      { name: "n", host: "gone.internal", initAddr: ["last", "libc", "none"] },
      { name: "f", host: "gone.internal", initAddr: ["libc", { ip: "10.9.9.9" }] },
    ]);
    await resolveServers(b.servers, runtime);
    expect(b.servers[0]!.address).toBe("");
    expect(b.servers[0]!.usable).toBe(false);
    expect(b.servers[1]!.address).toBe("10.9.9.9");
    expect(picks(b, 2)).toEqual(["f", "f"]);
  });
  test("a name nothing resolves stops the start, naming the server's line", async () => {
    const b = backend([{ name: "n", host: "gone.internal" }]);
    await expect(resolveServers(b.servers, memRuntime())).rejects.toThrow(
      "t.cfg:7: backend 'be': server 'n': no address for 'gone.internal' (init-addr last,libc: last: no address in a server-state file; libc: could not resolve 'gone.internal' (no address))",
    );
  });
});

describe("a server that goes away with streams in its queue (Backend.redispatchQueue)", () => {
  test("bound by hash: they go to a server with a free slot; bound by prefer-last-server: refused", () => {
    const b = backend([{ name: "x" }, { name: "y" }], { balance: { algorithm: "source" }, maxconn: 1 });
    const events: string[] = [];
    const waiter = (name: string, only?: Server) => ({
      tried: none,
      hash: hashKey("10.0.0.1"),
      only,
      granted: (s: Server) => events.push(`${name}:${s.name}`),
      refused: () => events.push(`${name}:refused`),
    });
    const first = b.assign(waiter("w1"));
    expect(typeof first).not.toBe("string");
    const bound = first as Server;
    expect(b.assign(waiter("w2"))).toBe("queued");
    expect(b.assign(waiter("w3", bound))).toBe("queued");
    expect(bound.queued).toBe(2);
    bound.disabled = true;
    b.redispatchQueue(bound);
    const other = b.servers.find((s) => s !== bound)!;
    expect(events).toEqual([`w2:${other.name}`, "w3:refused"]);
    expect(bound.queued).toBe(0);
    expect(other.current).toBe(1);
  });
});
