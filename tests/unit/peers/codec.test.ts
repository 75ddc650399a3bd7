// HAProxy's peers protocol codecs (src/peers/): the integers of
// doc/peers-v2.0.txt at each size boundary, framing, the handshake lines,
// table definitions and entry updates of every key type, each encoded and
// decoded back, bytes as HAProxy writes them, truncations refused, and the
// decoders fuzzed (fast-check, fixed seed, bounded).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FUZZ, FUZZ_TIMEOUT_MS } from "../fuzz/settings.ts";
import { bodyFrame, CLASS_CONTROL, CTRL_HEARTBEAT, readFrame, shortFrame, STKT_DEFINE } from "../../../src/peers/frames.ts";
import { checkVersionLine, helloText, peerNameOfLine, statusOfLine, takeLine } from "../../../src/peers/handshake.ts";
import {
  decodeAck,
  decodeDefine,
  decodeSwitch,
  decodeUpdate,
  encodeAck,
  encodeDefine,
  encodeSwitch,
  encodeUpdate,
  type EntryUpdate,
  type TableDefinition,
} from "../../../src/peers/table-messages.ts";
import { pushVarint, readVarint } from "../../../src/peers/varint.ts";

const enc = (n: number) => {
  const out: number[] = [];
  pushVarint(out, n);
  return out;
};

describe("encoded integers (doc/peers-v2.0.txt)", () => {
  test.each([
    [0, 1], [239, 1], [240, 2], [2287, 2], [2288, 3], [264431, 3], [264432, 4],
    [33818863, 4], [33818864, 5], [4328786159, 5], [4328786160, 6], [2 ** 53 - 1, 8],
  ])("%d takes %d bytes and reads back", (n, size) => {
    const bytes = enc(n);
    expect(bytes.length).toBe(size);
    expect(readVarint(Uint8Array.from(bytes), 0, bytes.length)).toEqual({ value: n, next: size });
  });

  test("bytes as HAProxy's intencode writes them", () => {
    expect(enc(240)).toEqual([0xf0, 0x00]);
    expect(enc(256)).toEqual([0xf0, 0x01]);
    expect(enc(1000)).toEqual([0xf8, 0x2f]);
    expect(enc(2288)).toEqual([0xf0, 0x80, 0x00]);
  });

  test("a truncated integer is not read", () => {
    expect(readVarint(Uint8Array.of(0xf0), 0, 1)).toBeUndefined();
    expect(readVarint(Uint8Array.of(0xf0, 0x80), 0, 2)).toBeUndefined();
    expect(readVarint(new Uint8Array(12).fill(0xff), 0, 12)).toBeUndefined();
  });
});

describe("frames", () => {
  test("control messages are two bytes; table messages carry a length and a body", () => {
    const hb = shortFrame(CLASS_CONTROL, CTRL_HEARTBEAT);
    expect([...hb]).toEqual([0, 4]);
    expect(readFrame(hb, 0, 2, 100)).toMatchObject({ kind: "frame", frame: { cls: 0, type: 4 }, next: 2 });
    const def = bodyFrame(STKT_DEFINE, [1, 2, 3]);
    expect([...def]).toEqual([10, 0x82, 3, 1, 2, 3]);
    const r = readFrame(def, 0, def.length, 100);
    expect(r.kind === "frame" && [...r.frame.body]).toEqual([1, 2, 3]);
  });

  test("partial frames wait, oversized ones are refused", () => {
    const def = bodyFrame(STKT_DEFINE, new Array(300).fill(7));
    expect(readFrame(def, 0, 1, 1000).kind).toBe("more");
    expect(readFrame(def, 0, def.length - 1, 1000).kind).toBe("more");
    expect(readFrame(def, 0, def.length, 100)).toEqual({ kind: "too-big", length: 300 });
  });
});

describe("handshake lines", () => {
  test("the hello HAProxy expects, and the lines read back", () => {
    expect(helloText("hap", "slu", 42)).toBe("HAProxyS 2.1\nhap\nslu 42 1\n");
    expect(checkVersionLine("HAProxyS 2.1")).toEqual({ ok: true, minor: 1 });
    expect(checkVersionLine("HAProxyS 2.0")).toEqual({ ok: true, minor: 0 });
    expect(checkVersionLine("HAProxyS 2.2")).toEqual({ ok: false, status: 502 });
    expect(checkVersionLine("HAProxyS 3.0")).toEqual({ ok: false, status: 502 });
    expect(checkVersionLine("GET / HTTP/1.1")).toEqual({ ok: false, status: 501 });
    expect(peerNameOfLine("web1 1234 1")).toBe("web1");
    expect(peerNameOfLine("web1")).toBeUndefined();
    expect(statusOfLine("200")).toBe(200);
    expect(statusOfLine("2x")).toBeNaN();
    expect(takeLine("200\r\nrest")).toEqual({ line: "200", rest: "rest" });
    expect(takeLine("20")).toBeUndefined();
  });
});

const IP_TABLE: TableDefinition = {
  id: 1,
  name: "st",
  keyType: "ip",
  keySize: 4,
  types: [2, 4, 9, 10],
  expireMs: 600000,
  periods: new Map([[10, 10000]]),
  arraySizes: new Map(),
};

describe("table definitions", () => {
  test("HAProxy 2.6's bytes for `type ip size 1k expire 10m store http_req_cnt,conn_cnt,gpc0,http_req_rate(10s)`", () => {
    // id 1, name "st", key type 4 (IPv4), key size 4, bits 2|4|9|10, expire 600000, then (10, 10000) for the rate.
    const bits = (1 << 2) | (1 << 4) | (1 << 9) | (1 << 10);
    const expected = [1, 2, 0x73, 0x74, 4, 4, ...enc(bits), ...enc(600000), 10, ...enc(10000)];
    expect(encodeDefine(IP_TABLE)).toEqual(expected);
    expect(decodeDefine(Uint8Array.from(expected))).toEqual({ ok: true, def: IP_TABLE });
  });

  test("a 2.0 definition (no expiry, no periods) is read; one with arrays and no sizes is ignored", () => {
    const old = [3, 1, 0x74, 6, 33, ...enc(1 << 2)];
    expect(decodeDefine(Uint8Array.from(old))).toMatchObject({ ok: true, def: { id: 3, name: "t", keyType: "string", keySize: 33, types: [2], expireMs: 0 } });
    const arrays = [3, 1, 0x74, 6, 33, ...enc(1 << 23)];
    expect(decodeDefine(Uint8Array.from(arrays))).toEqual({ ok: "ignore", id: 3, name: "t" });
  });

  test("arrays (gpc) and their sizes, server_key announced: read and skipped in updates", () => {
    const def: TableDefinition = { id: 2, name: "t", keyType: "integer", keySize: 4, types: [19, 23, 24], expireMs: 1000, periods: new Map([[24, 5000]]), arraySizes: new Map([[23, 2], [24, 2]]) };
    const bytes = encodeDefine(def);
    expect(decodeDefine(Uint8Array.from(bytes))).toEqual({ ok: true, def });
    const u: EntryUpdate = { updateId: 9, expireMs: undefined, key: 77, values: [undefined, [1, 2], [{ elapsed: 5, curr: 1, prev: 0 }, { elapsed: 5, curr: 0, prev: 3 }]] };
    const back = decodeUpdate(def, Uint8Array.from(encodeUpdate(def, u)), true, false);
    expect(back).toEqual({ ok: true, update: u });
  });

  test("truncated definitions are protocol errors", () => {
    expect(decodeDefine(Uint8Array.of()).ok).toBe(false);
    expect(decodeDefine(Uint8Array.of(1, 5, 0x61)).ok).toBe(false);
    expect(decodeDefine(Uint8Array.of(1, 1, 0x61, 4)).ok).toBe(false);
  });
});

describe("switch and ack", () => {
  test("round trips", () => {
    expect(decodeSwitch(Uint8Array.from(encodeSwitch(300)))).toMatchObject({ ok: true, value: 300 });
    expect(encodeAck(1, 0x01020304)).toEqual([1, 1, 2, 3, 4]);
    expect(decodeAck(Uint8Array.from(encodeAck(500, 4294967295)))).toEqual({ ok: true, tableId: 500, updateId: 4294967295 });
    expect(decodeAck(Uint8Array.of(1, 0, 0)).ok).toBe(false);
  });
});

describe("entry updates", () => {
  test("an IPv4 entry as HAProxy 2.6 sends it: id, key, gpc0, conn_cnt, http_req_cnt, then the rate's elapsed/curr/prev", () => {
    const u: EntryUpdate = { updateId: 3, expireMs: undefined, key: "127.0.0.2", values: [0, 3, 3, { elapsed: 1500, curr: 3, prev: 0 }] };
    const bytes = encodeUpdate(IP_TABLE, u);
    expect(bytes).toEqual([0, 0, 0, 3, 127, 0, 0, 2, 0, 3, 3, ...enc(1500), 3, 0]);
    expect(decodeUpdate(IP_TABLE, Uint8Array.from(bytes), true, false)).toEqual({ ok: true, update: u });
  });

  test("incremental and timed updates", () => {
    const u: EntryUpdate = { updateId: undefined, expireMs: 42000, key: "10.0.0.1", values: [1, 2, 3, { elapsed: 0, curr: 0, prev: 0 }] };
    const bytes = encodeUpdate(IP_TABLE, u);
    expect(bytes.slice(0, 4)).toEqual([0, 0, 0xa4, 0x10]);
    expect(decodeUpdate(IP_TABLE, Uint8Array.from(bytes), false, true)).toEqual({ ok: true, update: u });
  });

  test.each([
    ["ipv6", 16, "2001:db8::1"],
    ["ipv6", 16, "::ffff:10.1.2.3"],
    ["integer", 4, 4000000000],
    ["string", 33, "user-agent/1.0"],
    ["binary", 8, "ab\0\0\0\0\0\0"],
  ] as const)("a %s key (%d bytes)", (keyType, keySize, key) => {
    const def: TableDefinition = { ...IP_TABLE, keyType, keySize, types: [0], periods: new Map() };
    const u: EntryUpdate = { updateId: 1, expireMs: undefined, key, values: [5] };
    expect(decodeUpdate(def, Uint8Array.from(encodeUpdate(def, u)), true, false)).toEqual({ ok: true, update: u });
  });

  test("a string key longer than the table's is cut as HAProxy cuts it (key size - 1)", () => {
    const def: TableDefinition = { ...IP_TABLE, keyType: "string", keySize: 4, types: [], periods: new Map() };
    const bytes = encodeUpdate(def, { updateId: 1, expireMs: undefined, key: "abcdef", values: [] });
    expect(decodeUpdate(def, Uint8Array.from(bytes), true, false)).toMatchObject({ ok: true, update: { key: "abc" } });
  });

  test("every truncation of an update is refused, never misread", () => {
    const bytes = encodeUpdate(IP_TABLE, { updateId: 3, expireMs: undefined, key: "127.0.0.2", values: [0, 3, 3, { elapsed: 1500, curr: 3, prev: 0 }] });
    for (let n = 0; n < bytes.length; n++) expect(decodeUpdate(IP_TABLE, Uint8Array.from(bytes.slice(0, n)), true, false).ok).toBe(false);
  });
});

describe("decoders, fuzzed (fast-check, fixed seed)", () => {
  const settings = { seed: FUZZ.seed, numRuns: FUZZ.numRuns };

  test("arbitrary bytes never throw: frames, definitions, updates, acks, switches", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        let at = 0;
        for (let i = 0; i < 50; i++) {
          const r = readFrame(raw, at, raw.length, 64);
          if (r.kind !== "frame") break;
          at = r.next;
        }
        const d = decodeDefine(raw);
        if (d.ok === true) expect(d.def.types.every((t) => t >= 0 && t < 27)).toBe(true);
        for (const def of [IP_TABLE, { ...IP_TABLE, keyType: "string" as const, keySize: 33 }, { ...IP_TABLE, keyType: "ipv6" as const, keySize: 16 }]) {
          for (const [withId, timed] of [[true, false], [false, true]] as const) decodeUpdate(def, raw, withId, timed);
        }
        decodeAck(raw);
        decodeSwitch(raw);
      }),
      settings,
    );
  }, FUZZ_TIMEOUT_MS);

  test("any update of the ip table reads back as it was written", () => {
    const freq = fc.record({ elapsed: fc.nat(2 ** 32 - 1), curr: fc.nat(2 ** 32 - 1), prev: fc.nat(2 ** 32 - 1) });
    fc.assert(
      fc.property(
        fc.option(fc.nat(2 ** 32 - 1), { nil: undefined }),
        fc.option(fc.nat(2 ** 31), { nil: undefined }),
        fc.ipV4(),
        fc.tuple(fc.nat(2 ** 32 - 1), fc.nat(2 ** 32 - 1), fc.nat(2 ** 32 - 1), freq),
        (updateId, expireMs, key, values) => {
          const u: EntryUpdate = { updateId, expireMs, key, values };
          const bytes = Uint8Array.from(encodeUpdate(IP_TABLE, u));
          expect(decodeUpdate(IP_TABLE, bytes, updateId !== undefined, expireMs !== undefined)).toEqual({ ok: true, update: u });
        },
      ),
      settings,
    );
  }, FUZZ_TIMEOUT_MS);
});
