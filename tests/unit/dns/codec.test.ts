// The DNS codec (src/dns/codec.ts): the query's bytes (RFC 1035 §4.1 with an
// EDNS0 OPT record, RFC 6891 §6.1.2), answers as a nameserver sends them
// (compression pointers, CNAME chains, AAAA text per RFC 5952), the errors
// of malformed ones, and the decoder fuzzed (fast-check, fixed seed,
// bounded): it never throws, never loops, only decodes or says why not.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DNS_TYPE, decodeMessage, encodeQuery, nameProblem } from "../../../src/dns/codec.ts";
import { FUZZ } from "../fuzz/settings.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** An answer to `query`: its header and question, then `records` (raw bytes). */
function answerTo(query: Uint8Array, rcode: number, records: number[][], flags = 0x8180): Uint8Array {
  const questionEnd = 12 + query.subarray(12).findIndex((b, i, all) => b === 0 && all[i - 1] !== undefined) + 1 + 4;
  const head = [query[0]!, query[1]!, (flags | rcode) >> 8, (flags | rcode) & 0xff, 0, 1, 0, records.length, 0, 0, 0, 0];
  return new Uint8Array([...head, ...query.subarray(12, questionEnd), ...records.flat()]);
}
const u16 = (n: number) => [n >> 8, n & 0xff];
const u32 = (n: number) => [...u16(n >>> 16), ...u16(n & 0xffff)];
const rr = (name: number[], type: number, ttl: number, data: number[]) => [...name, ...u16(type), ...u16(1), ...u32(ttl), ...u16(data.length), ...data];
const PTR_QNAME = [0xc0, 12];

describe("encodeQuery", () => {
  test("header, question and EDNS0 OPT, byte for byte", () => {
    const q = encodeQuery(0xbeef, "App.Example.", DNS_TYPE.A, 4096);
    expect(hex(q)).toBe(
      "beef" + "0100" + "0001" + "0000" + "0000" + "0001" +
        "03617070076578616d706c6500" + "0001" + "0001" +
        "00" + "0029" + "1000" + "00000000" + "0000",
    );
  });
  test("512 bytes or less: no OPT record (a classic query)", () => {
    const q = encodeQuery(1, "a.b", DNS_TYPE.AAAA, 512);
    expect(hex(q)).toBe("0001010000010000000000000161016200001c0001");
  });
  test("names DNS cannot carry are refused before a query is made", () => {
    expect(nameProblem("a..b")).toMatch(/empty label/);
    expect(nameProblem(`${"x".repeat(64)}.test`)).toMatch(/longer than 63/);
    expect(nameProblem(Array(130).fill("ab").join("."))).toMatch(/longer than 255/);
    expect(nameProblem("good.example")).toBeUndefined();
  });
});

describe("decodeMessage", () => {
  const query = encodeQuery(7, "www.example", DNS_TYPE.A, 512);
  test("A records behind a CNAME, with compression pointers and TTLs", () => {
    const cname = rr(PTR_QNAME, DNS_TYPE.CNAME, 300, [4, ...Buffer.from("edge"), 0xc0, 16]);
    // The CNAME's target "edge.example" starts at 12 + 17 + 12 = 41 (after the first record's fixed fields).
    const a = rr([0xc0, 41], DNS_TYPE.A, 60, [10, 0, 0, 7]);
    const msg = decodeMessage(answerTo(query, 0, [cname, a]));
    if ("error" in msg) throw new Error(msg.error);
    expect(msg.id).toBe(7);
    expect(msg.response).toBe(true);
    expect(msg.rcode).toBe(0);
    expect(msg.questions).toEqual([{ name: "www.example", type: 1 }]);
    expect(msg.answers).toEqual([
      { name: "www.example", type: 5, ttl: 300, data: "edge.example" },
      { name: "edge.example", type: 1, ttl: 60, data: "10.0.0.7" },
    ]);
  });
  test("AAAA as RFC 5952 text; NXDOMAIN's rcode; TC flag", () => {
    const aaaa = rr(PTR_QNAME, DNS_TYPE.AAAA, 1, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const ok = decodeMessage(answerTo(query, 0, [aaaa]));
    expect("error" in ok ? ok.error : ok.answers[0]!.data).toBe("2001:db8::1");
    const nx = decodeMessage(answerTo(query, 3, []));
    expect("error" in nx ? nx.error : nx.rcode).toBe(3);
    const tc = decodeMessage(answerTo(query, 0, [], 0x8380));
    expect("error" in tc ? tc.error : tc.truncated).toBe(true);
  });
  test("malformed answers say why", () => {
    expect(decodeMessage(new Uint8Array(5))).toEqual({ error: "shorter than a DNS header" });
    const loop = answerTo(query, 0, [rr([0xc0, 12 + 17], DNS_TYPE.A, 1, [1, 2, 3, 4])]);
    expect(decodeMessage(loop)).toEqual({ error: "a compression pointer that does not point backwards" });
    const shortA = answerTo(query, 0, [rr(PTR_QNAME, DNS_TYPE.A, 1, [1, 2, 3])]);
    expect(decodeMessage(shortA)).toEqual({ error: "an A record whose data is not 4 bytes" });
    const cut = answerTo(query, 0, [rr(PTR_QNAME, DNS_TYPE.A, 1, [1, 2, 3, 4])]).subarray(0, 40);
    expect(decodeMessage(cut)).toEqual({ error: "a record runs past the message" });
  });
});

describe("decodeMessage, fuzzed (fast-check, fixed seed)", () => {
  const decodesOrSaysWhy = (bytes: Uint8Array) => {
    const r = decodeMessage(bytes);
    if ("error" in r) return typeof r.error === "string" && r.error.length > 0;
    return r.answers.every((a) => typeof a.data === "string" && a.name.length <= 255);
  };
  test("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), decodesOrSaysWhy), FUZZ);
  });
  test("real answers with bytes changed: still decoded or refused, never thrown", () => {
    const query = encodeQuery(9, "svc.cluster.local", DNS_TYPE.A, 1232);
    const good = answerTo(query, 0, [rr(PTR_QNAME, DNS_TYPE.A, 5, [10, 1, 2, 3]), rr(PTR_QNAME, DNS_TYPE.CNAME, 5, [0xc0, 12])]);
    const edits = fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 });
    fc.assert(
      fc.property(edits, fc.nat({ max: good.length }), (changes, cut) => {
        const bytes = good.slice(0, Math.max(cut, 12));
        for (const [at, value] of changes) if (at < bytes.length) bytes[at] = value;
        return decodesOrSaysWhy(bytes);
      }),
      { ...FUZZ, numRuns: FUZZ.numRuns * 3 },
    );
  });
});
