// core/peers-sync.ts over an in-memory runtime and a virtual clock: the
// incoming handshake and HAProxy's status codes, a resync asked of the first
// peer, a peer's definition and update applied and acked, local writes pushed
// (a definition, then numbered updates), unacked updates sent again on the
// next session, heartbeats after 3 s of quiet, a silent session dropped after
// 5 s, and a refused connect tried again after 5 s.
import { describe, expect, test } from "bun:test";
import { PeersSync } from "../../../src/core/peers-sync.ts";
import { bodyFrame, readFrame, STKT_ACK, STKT_DEFINE, STKT_UPDATE } from "../../../src/peers/frames.ts";
import { encodeAck, encodeDefine, encodeUpdate, type TableDefinition } from "../../../src/peers/table-messages.ts";
import { MemoryStickTable } from "../../../src/stick/table.ts";
import { type MemRuntime, MemSocket, memRuntime } from "../../support/mem-runtime.ts";
import type { VirtualClock } from "../../support/virtual-clock.ts";

const DEF: TableDefinition = { id: 7, name: "st", keyType: "ip", keySize: 4, types: [2, 9], expireMs: 60000, periods: new Map(), arraySizes: new Map() };

function setup(outcome: "open" | "hang" | "refuse" = "hang") {
  const runtime = memRuntime({ keep: true });
  runtime.connectOutcome = outcome;
  const table = new MemoryStickTable({ name: "st", type: "ip", len: 32, size: 100, expireMs: 60000, store: [{ counter: "gpc0" }, { counter: "http_req_cnt" }], peers: "p" });
  const sync = new PeersSync(
    { name: "p", localName: "me", listen: { host: "127.0.0.1", port: 10000 }, remotes: [{ name: "hap", host: "127.0.0.1", port: 10001 }], tables: [] },
    [table],
    runtime,
    () => runtime.now(),
  );
  return { runtime, table, sync };
}

const enc = (text: string) => new TextEncoder().encode(text);

/** The frames in what a socket was sent after its status line. */
function framesOf(socket: MemSocket): { cls: number; type: number; body: number[] }[] {
  const all = Buffer.concat(socket.kept);
  let at = all.indexOf(10) + 1;
  const out: { cls: number; type: number; body: number[] }[] = [];
  for (;;) {
    const r = readFrame(all, at, all.length, 1 << 16);
    if (r.kind !== "frame") return out;
    out.push({ cls: r.frame.cls, type: r.frame.type, body: [...r.frame.body] });
    at = r.next;
  }
}

async function incoming(runtime: MemRuntime<VirtualClock>, hello: string): Promise<MemSocket> {
  const s = new MemSocket("127.0.0.1", 40000, true);
  runtime.accept(s);
  s.events.data(enc(hello));
  await runtime.clock.settle();
  return s;
}

describe("PeersSync", () => {
  test("an incoming peer: 200, a resync asked, its update applied and acked; a local write pushed", async () => {
    const { runtime, table, sync } = setup();
    await sync.start();
    const s = await incoming(runtime, "HAProxyS 2.1\nme\nhap 12 1\n");
    expect(s.text().startsWith("200\n")).toBe(true);
    expect(framesOf(s)).toEqual([{ cls: 0, type: 0, body: [] }]);
    s.events.data(bodyFrame(STKT_DEFINE, encodeDefine(DEF)));
    s.events.data(bodyFrame(STKT_UPDATE, encodeUpdate(DEF, { updateId: 41, expireMs: undefined, key: "10.0.0.1", values: [3, 9] })));
    await runtime.clock.advance(0);
    const e = table.lookup("10.0.0.1", runtime.now());
    expect([e?.read("gpc0", runtime.now()), e?.read("http_req_cnt", runtime.now())]).toEqual([3, 9]);
    expect(framesOf(s).at(-1)).toEqual({ cls: 10, type: STKT_ACK, body: encodeAck(7, 41) });
    // Still learning from it (no "finished" yet): nothing pushed; once it finishes, the local write goes.
    table.track("10.0.0.2", runtime.now())!.add("gpc0", runtime.now(), 2);
    await runtime.clock.advance(0);
    expect(framesOf(s).some((f) => f.type === STKT_UPDATE)).toBe(false);
    s.events.data(Uint8Array.of(0, 1));
    await runtime.clock.advance(0);
    const sent = framesOf(s);
    expect(sent.at(-3)).toEqual({ cls: 0, type: 3, body: [] });
    expect(sent.at(-2)).toMatchObject({ cls: 10, type: STKT_DEFINE });
    expect(sent.at(-1)).toEqual({ cls: 10, type: STKT_UPDATE, body: [0, 0, 0, 1, 10, 0, 0, 2, 2, 0] });
    sync.stop();
  });

  test("HAProxy's status codes for a wrong version, local name, unknown peer", async () => {
    const { runtime, sync } = setup();
    await sync.start();
    expect((await incoming(runtime, "HAProxyS 2.5\n")).text()).toBe("502\n");
    expect((await incoming(runtime, "HAProxyS 2.1\nyou\n")).text()).toBe("503\n");
    expect((await incoming(runtime, "HAProxyS 2.1\nme\nstranger 1 1\n")).text()).toBe("504\n");
    sync.stop();
  });

  test("unacked updates go again on the next session; acked ones do not", async () => {
    const { runtime, table, sync } = setup();
    await sync.start();
    await runtime.clock.advance(5000); // no resync to wait for: up to date
    const first = await incoming(runtime, "HAProxyS 2.1\nme\nhap 1 1\n");
    table.track("10.0.0.3", runtime.now())!.add("gpc0", runtime.now());
    table.track("10.0.0.4", runtime.now())!.add("gpc0", runtime.now());
    await runtime.clock.advance(0);
    expect(framesOf(first).filter((f) => f.type === STKT_UPDATE).length).toBe(2);
    first.events.data(bodyFrame(STKT_ACK, encodeAck(1, 1)));
    first.destroy();
    const second = await incoming(runtime, "HAProxyS 2.1\nme\nhap 1 1\n");
    await runtime.clock.advance(0);
    const again = framesOf(second).filter((f) => f.type === STKT_UPDATE);
    expect(again.length).toBe(1);
    expect(again[0]!.body.slice(4, 8)).toEqual([10, 0, 0, 4]);
    sync.stop();
  });

  test("a heartbeat after 3 s of quiet; a peer silent for 5 s is dropped", async () => {
    const { runtime, sync } = setup();
    await sync.start();
    await runtime.clock.advance(5000);
    const s = await incoming(runtime, "HAProxyS 2.1\nme\nhap 1 1\n");
    await runtime.clock.advance(3000);
    expect(framesOf(s).at(-1)).toEqual({ cls: 0, type: 4, body: [] });
    expect(s.closed).toBe(false);
    await runtime.clock.advance(2100);
    expect(s.closed).toBe(true);
    expect(sync.status()).toEqual([{ name: "hap", connected: false }]);
    sync.stop();
  });

  test("connects to its peer with the hello; a refused connect is tried again after 5 s", async () => {
    const open = setup("open");
    await open.sync.start();
    await open.runtime.clock.settle();
    expect(open.runtime.servers[0]!.text()).toBe("HAProxyS 2.1\nhap\nme 0 1\n");
    open.sync.stop();
    const refused = setup("refuse");
    await refused.sync.start();
    await refused.runtime.clock.settle();
    expect(refused.runtime.connectAttempts).toBe(1);
    await refused.runtime.clock.advance(4900);
    expect(refused.runtime.connectAttempts).toBe(1);
    await refused.runtime.clock.advance(200);
    expect(refused.runtime.connectAttempts).toBe(2);
    refused.sync.stop();
  });
});
