// Run-time resolution (check/resolution.ts) on the virtual clock, over a
// scripted UDP socket: the retries of a query nobody answers (resolve_retries
// sends, timeout retry apart) and the timeout status held for `hold timeout`
// before maintenance; REFUSED held for `hold refused`; answers from elsewhere
// or to another question ignored; a valid answer asked again after `hold valid`.
import { describe, expect, test } from "bun:test";
import { Backend } from "../../../src/backend/backend.ts";
import { ServerResolutions } from "../../../src/check/resolution.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { decodeMessage } from "../../../src/dns/codec.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

function setup(section: string) {
  const text = `resolvers dns\n    nameserver ns1 127.0.0.1:53\n${section}backend be\n    server s app.test:80 resolvers dns resolve-prefer ipv4 init-addr 10.0.0.1\n`;
  const loaded = loadConfigTexts([{ name: "t.cfg", text }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const clock = new VirtualClock(0);
  const timers = { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer };
  const backend = new Backend(loaded.config.backends[0]!, timers, 100);
  const server = backend.servers[0]!;
  server.address = "10.0.0.1";
  const sent: { at: number; id: number; type: number }[] = [];
  let deliver: (bytes: Uint8Array, from: { address: string; port: number }) => void = () => {};
  const runtime = {
    ...timers,
    openDatagram(_family: 4 | 6, onMessage: typeof deliver) {
      deliver = onMessage;
      return {
        send(bytes: Uint8Array) {
          const q = decodeMessage(bytes);
          if ("error" in q) throw new Error(q.error);
          sent.push({ at: clock.now(), id: q.id, type: q.questions[0]!.type });
        },
        close() {},
      };
    },
  };
  const lines: string[] = [];
  const resolutions = new ServerResolutions(loaded.config.resolvers, [backend], { runtime, log: (l) => lines.push(l), tick() {} });
  /** The nameserver's answer to the last query: `rcode`, and A records. */
  const reply = (rcode: number, ips: string[] = [], from = { address: "127.0.0.1", port: 53 }, name = "app.test") => {
    const { id, type } = sent.at(-1)!;
    const qname = name.split(".").flatMap((l) => [l.length, ...Buffer.from(l)]);
    const head = [id >> 8, id & 255, 0x81, 0x80 | rcode, 0, 1, 0, ips.length, 0, 0, 0, 0];
    const rrs = ips.flatMap((ip) => [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip.split(".").map(Number)]);
    deliver(new Uint8Array([...head, ...qname, 0, 0, type, 0, 1, ...rrs]), from);
  };
  return { clock, server, sent, reply, lines, resolutions };
}

describe("run-time resolution", () => {
  test("no answer: resolve_retries queries, timeout retry apart; the address is held for hold timeout, then maintenance", async () => {
    const t = setup("    resolve_retries 3\n    timeout retry 200ms\n    timeout resolve 1s\n    hold timeout 2500ms\n");
    t.resolutions.start();
    await t.clock.advance(599);
    expect(t.sent.map((s) => s.at)).toEqual([0, 200, 400]);
    expect(new Set(t.sent.map((s) => s.id)).size).toBe(1);
    expect(t.sent.every((s) => s.type === 1)).toBe(true);
    // Failed at 600; held: the next resolution at 1600 fails at 2200, still within 2500 ms of start.
    await t.clock.advance(1700);
    expect(t.server.address).toBe("10.0.0.1");
    // The next fails at 3800: past the hold.
    await t.clock.advance(1600);
    expect(t.server.address).toBe("");
    expect(t.lines).toEqual(["Server be/s is going DOWN for maintenance (DNS timeout status). 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."]);
    t.reply(0, ["10.0.0.9"]);
    expect(t.server.address).toBe("10.0.0.9");
    expect(t.lines.at(-1)).toBe("Server be/s ('app.test') is UP/READY (resolves again).");
    t.resolutions.stop();
  });

  test("REFUSED within hold refused keeps the address; answers from another address or to another name are ignored", async () => {
    const t = setup("    hold refused 10s\n    timeout resolve 1s\n");
    t.resolutions.start();
    t.reply(0, ["10.0.0.5"], { address: "127.0.0.9", port: 53 });
    t.reply(0, ["10.0.0.5"], undefined, "other.test");
    expect(t.server.address).toBe("10.0.0.1");
    t.reply(5);
    expect(t.server.address).toBe("10.0.0.1");
    expect(t.lines).toEqual([]);
    await t.clock.advance(1000);
    expect(t.sent).toHaveLength(2);
    t.reply(0, ["10.0.0.5", "10.0.0.6"]);
    expect(t.server.address).toBe("10.0.0.5");
    expect(t.lines).toEqual(["be/s changed its IP from 10.0.0.1 to 10.0.0.5 by dns/ns1."]);
    t.resolutions.stop();
  });

  test("a valid answer that still holds the address changes nothing; the next query comes after hold valid", async () => {
    const t = setup("    hold valid 5s\n");
    t.resolutions.start();
    t.reply(0, ["10.0.0.7", "10.0.0.1"]);
    expect(t.server.address).toBe("10.0.0.1");
    await t.clock.advance(4999);
    expect(t.sent).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.sent).toHaveLength(2);
    t.resolutions.stop();
  });
});
