// Fuzzing the PROXY header parser (accept-proxy, issue 18): any split of a
// valid header into reads gives the same header and length; random and
// mutated bytes give "more", a header, or ProxyHeaderError — never another
// exception — and never a header longer than the spec's bounds (107 bytes
// for v1, PROXY_V2_MAX_BYTES for v2). Fixed seed and bounded count in the
// default run (FUZZ_RUNS / FUZZ_SEED for more).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { crc32c, parseProxyHeader, PROXY_V2_MAX_BYTES, type ProxyParse, ProxyHeaderError } from "../../../src/conn/proxy-header-parse.ts";
import { PROXY_V1_MAX_BYTES, PROXY_V2_SIGNATURE, proxyHeaderV1 } from "../../../src/conn/proxy-header.ts";
import { FUZZ, FUZZ_TIMEOUT_MS } from "./settings.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const ipv6 = fc.ipV6();
const port = fc.nat(65535);

const v1Header = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port).map(([s, d, sp, dp]) => ascii(proxyHeaderV1(s, sp, d, dp))),
  fc.tuple(ipv6, ipv6, port, port).map(([s, d, sp, dp]) => ascii(`PROXY TCP6 ${s} ${d} ${sp} ${dp}\r\n`)),
  fc.string({ maxLength: 90 }).filter((s) => !/[\r\n]/.test(s) && /^[\x20-\x7e]*$/.test(s)).map((s) => ascii(`PROXY UNKNOWN ${s}\r\n`)),
);

/** Any TLV but CRC32C, whose value must be the header's checksum (added on its own below). */
const tlv = fc.tuple(fc.nat(255).filter((t) => t !== 0x03), fc.uint8Array({ maxLength: 40 })).map(([type, value]) => [type, value.length >> 8, value.length & 0xff, ...value]);

const v2Header = fc.tuple(
  fc.constantFrom(0x20, 0x21),
  fc.constantFrom(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32),
  fc.uint8Array({ minLength: 216, maxLength: 216 }),
  fc.array(tlv, { maxLength: 4 }),
  fc.boolean(),
).map(([verCmd, famProto, addresses, tlvs, withCrc]) => {
  const family = famProto >> 4;
  const block = [...addresses.subarray(0, family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0), ...tlvs.flat()];
  if (withCrc) block.push(0x03, 0, 4, 0, 0, 0, 0);
  const header = new Uint8Array([...PROXY_V2_SIGNATURE, verCmd, famProto, block.length >> 8, block.length & 0xff, ...block]);
  if (withCrc) new DataView(header.buffer).setUint32(header.length - 4, crc32c(header));
  return header;
});

const validHeader = fc.oneof(v1Header, v2Header);

/** Feeds `bytes` in reads cut at `cuts`, as the accept-proxy reader does: what is received so far, from the first byte. */
function feed(bytes: Uint8Array, cuts: number[]): ProxyParse {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  for (const p of points) {
    const r = parseProxyHeader(bytes.subarray(0, p));
    if (r.done) return r;
  }
  return parseProxyHeader(bytes);
}

/** Runs the parser; only ProxyHeaderError may come out, and a header must stay within the bounds. */
function parsesOrFailsTyped(bytes: Uint8Array): void {
  let r: ProxyParse;
  try {
    r = parseProxyHeader(bytes);
  } catch (e) {
    if (!(e instanceof ProxyHeaderError)) throw e;
    return;
  }
  if (!r.done) return;
  expect(r.consumed).toBeLessThanOrEqual(bytes.length);
  expect(r.consumed).toBeLessThanOrEqual(r.header.version === 1 ? PROXY_V1_MAX_BYTES : PROXY_V2_MAX_BYTES);
  for (const end of [r.header.source, r.header.destination]) {
    if (end === undefined) continue;
    expect(end.port).toBeGreaterThanOrEqual(0);
    expect(end.port).toBeLessThanOrEqual(65535);
  }
}

describe("fuzz: PROXY header parser", () => {
  test("any split of a valid header, with bytes after it, gives the header and its length", () => {
    fc.assert(
      fc.property(validHeader, fc.uint8Array({ maxLength: 30 }), fc.array(fc.nat(), { maxLength: 8 }), (header, after, cuts) => {
        const whole = parseProxyHeader(header);
        expect(whole.done).toBe(true);
        expect(whole.done && whole.consumed).toBe(header.length);
        const stream = new Uint8Array([...header, ...after]);
        expect(feed(stream, cuts)).toEqual(whole);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  test("random bytes: more, a bounded header or ProxyHeaderError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => parsesOrFailsTyped(bytes)), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  test("bytes behind a real prefix (v1 'PROXY ' or the v2 signature): more, a bounded header or ProxyHeaderError", () => {
    const prefix = fc.constantFrom(ascii("PROXY "), ascii("PROXY TCP4 "), ascii("PROXY TCP6 "), new Uint8Array([...PROXY_V2_SIGNATURE]));
    const tail = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 120, unit: fc.constantFrom(..."0123456789abcdef.: \r\nTCPUNKOW") }).map(ascii));
    fc.assert(fc.property(prefix, tail, (p, t) => parsesOrFailsTyped(new Uint8Array([...p, ...t]))), { ...FUZZ, numRuns: FUZZ.numRuns * 3 });
  }, FUZZ_TIMEOUT_MS);

  test("mutated valid headers: more, a bounded header or ProxyHeaderError", () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.nat(255), op: fc.constantFrom("set", "insert", "delete") });
    fc.assert(
      fc.property(validHeader, fc.array(edit, { minLength: 1, maxLength: 4 }), (header, edits) => {
        const bytes = [...header];
        for (const e of edits) {
          const i = e.at % (bytes.length + 1);
          if (e.op === "set" && i < bytes.length) bytes[i] = e.byte;
          else if (e.op === "insert") bytes.splice(i, 0, e.byte);
          else bytes.splice(i, 1);
        }
        parsesOrFailsTyped(new Uint8Array(bytes));
      }),
      { ...FUZZ, numRuns: FUZZ.numRuns * 3 },
    );
  }, FUZZ_TIMEOUT_MS);

  test("a v2 length past the bound is refused before its bytes arrive", () => {
    fc.assert(
      fc.property(fc.integer({ min: PROXY_V2_MAX_BYTES - 15, max: 65535 }), (length) => {
        const head = new Uint8Array([...PROXY_V2_SIGNATURE, 0x21, 0x11, length >> 8, length & 0xff]);
        expect(() => parseProxyHeader(head)).toThrow(ProxyHeaderError);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
