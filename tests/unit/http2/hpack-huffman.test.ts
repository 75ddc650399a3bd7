import { describe, expect, test } from "bun:test";
import { HpackError } from "../../../src/http2/hpack/errors.ts";
import {
  EOS,
  HUFFMAN_CODES,
  HUFFMAN_LENGTHS,
  huffmanDecode,
  huffmanEncode,
  huffmanLength,
} from "../../../src/http2/hpack/huffman.ts";

// RFC 7541 Appendix B, "code as hex aligned to LSB" and "len in bits", symbols 0..256.
const APPENDIX_B = `
1ff8:13 7fffd8:23 fffffe2:28 fffffe3:28 fffffe4:28 fffffe5:28 fffffe6:28 fffffe7:28
fffffe8:28 ffffea:24 3ffffffc:30 fffffe9:28 fffffea:28 3ffffffd:30 fffffeb:28 fffffec:28
fffffed:28 fffffee:28 fffffef:28 ffffff0:28 ffffff1:28 ffffff2:28 3ffffffe:30 ffffff3:28
ffffff4:28 ffffff5:28 ffffff6:28 ffffff7:28 ffffff8:28 ffffff9:28 ffffffa:28 ffffffb:28
14:6 3f8:10 3f9:10 ffa:12 1ff9:13 15:6 f8:8 7fa:11
3fa:10 3fb:10 f9:8 7fb:11 fa:8 16:6 17:6 18:6
0:5 1:5 2:5 19:6 1a:6 1b:6 1c:6 1d:6
1e:6 1f:6 5c:7 fb:8 7ffc:15 20:6 ffb:12 3fc:10
1ffa:13 21:6 5d:7 5e:7 5f:7 60:7 61:7 62:7
63:7 64:7 65:7 66:7 67:7 68:7 69:7 6a:7
6b:7 6c:7 6d:7 6e:7 6f:7 70:7 71:7 72:7
fc:8 73:7 fd:8 1ffb:13 7fff0:19 1ffc:13 3ffc:14 22:6
7ffd:15 3:5 23:6 4:5 24:6 5:5 25:6 26:6
27:6 6:5 74:7 75:7 28:6 29:6 2a:6 7:5
2b:6 76:7 2c:6 8:5 9:5 2d:6 77:7 78:7
79:7 7a:7 7b:7 7ffe:15 7fc:11 3ffd:14 1ffd:13 ffffffc:28
fffe6:20 3fffd2:22 fffe7:20 fffe8:20 3fffd3:22 3fffd4:22 3fffd5:22 7fffd9:23
3fffd6:22 7fffda:23 7fffdb:23 7fffdc:23 7fffdd:23 7fffde:23 ffffeb:24 7fffdf:23
ffffec:24 ffffed:24 3fffd7:22 7fffe0:23 ffffee:24 7fffe1:23 7fffe2:23 7fffe3:23
7fffe4:23 1fffdc:21 3fffd8:22 7fffe5:23 3fffd9:22 7fffe6:23 7fffe7:23 ffffef:24
3fffda:22 1fffdd:21 fffe9:20 3fffdb:22 3fffdc:22 7fffe8:23 7fffe9:23 1fffde:21
7fffea:23 3fffdd:22 3fffde:22 fffff0:24 1fffdf:21 3fffdf:22 7fffeb:23 7fffec:23
1fffe0:21 1fffe1:21 3fffe0:22 1fffe2:21 7fffed:23 3fffe1:22 7fffee:23 7fffef:23
fffea:20 3fffe2:22 3fffe3:22 3fffe4:22 7ffff0:23 3fffe5:22 3fffe6:22 7ffff1:23
3ffffe0:26 3ffffe1:26 fffeb:20 7fff1:19 3fffe7:22 7ffff2:23 3fffe8:22 1ffffec:25
3ffffe2:26 3ffffe3:26 3ffffe4:26 7ffffde:27 7ffffdf:27 3ffffe5:26 fffff1:24 1ffffed:25
7fff2:19 1fffe3:21 3ffffe6:26 7ffffe0:27 7ffffe1:27 3ffffe7:26 7ffffe2:27 fffff2:24
1fffe4:21 1fffe5:21 3ffffe8:26 3ffffe9:26 ffffffd:28 7ffffe3:27 7ffffe4:27 7ffffe5:27
fffec:20 fffff3:24 fffed:20 1fffe6:21 3fffe9:22 1fffe7:21 1fffe8:21 7ffff3:23
3fffea:22 3fffeb:22 1ffffee:25 1ffffef:25 fffff4:24 fffff5:24 3ffffea:26 7ffff4:23
3ffffeb:26 7ffffe6:27 3ffffec:26 3ffffed:26 7ffffe7:27 7ffffe8:27 7ffffe9:27 7ffffea:27
7ffffeb:27 ffffffe:28 7ffffec:27 7ffffed:27 7ffffee:27 7ffffef:27 7fffff0:27 3ffffee:26
3fffffff:30
`.trim().split(/\s+/).map((e) => {
  const [hex, len] = e.split(":");
  return { code: parseInt(hex!, 16), len: Number(len) };
});

const hex = (s: string) =>
  new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function encode(s: string): Uint8Array {
  const out = new Uint8Array(huffmanLength(s));
  expect(huffmanEncode(s, out, 0)).toBe(out.length);
  return out;
}
function decode(b: Uint8Array): string {
  return huffmanDecode(b, 0, b.length);
}

// The Huffman-coded strings of RFC 7541 C.4 and C.6.
const RFC_STRINGS: [string, string][] = [
  ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
  ["no-cache", "a8eb 1064 9cbf"],
  ["custom-key", "25a8 49e9 5ba9 7d7f"],
  ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
  ["302", "6402"],
  ["307", "640e ff"],
  ["200", "1001"],
  ["private", "aec3 771a 4b"],
  ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
  ["Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"],
  ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
  ["gzip", "9bd9 ab"],
  [
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
  ],
];

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the code table", () => {
  test("every symbol's code and length match RFC 7541 Appendix B", () => {
    expect(APPENDIX_B.length).toBe(257);
    for (let sym = 0; sym <= EOS; sym++) {
      expect({ sym, code: HUFFMAN_CODES[sym], len: HUFFMAN_LENGTHS[sym] }).toEqual({
        sym,
        ...APPENDIX_B[sym]!,
      });
    }
  });

  test("the code is complete (Kraft sum exactly 1) and no code is shorter than 5 bits", () => {
    let sum = 0;
    for (let sym = 0; sym <= EOS; sym++) sum += 2 ** -HUFFMAN_LENGTHS[sym]!;
    expect(sum).toBe(1);
    expect(Math.min(...HUFFMAN_LENGTHS)).toBe(5);
  });
});

describe("RFC 7541 C.4 / C.6 strings", () => {
  for (const [text, coded] of RFC_STRINGS) {
    test(JSON.stringify(text), () => {
      expect(huffmanLength(text)).toBe(hex(coded).length);
      expect(toHex(encode(text))).toBe(toHex(hex(coded)));
      expect(decode(hex(coded))).toBe(text);
    });
  }
});

describe("round trips", () => {
  test("all 256 octet values in one string, and each alone", () => {
    let all = "";
    for (let b = 0; b < 256; b++) all += String.fromCharCode(b);
    expect(decode(encode(all))).toBe(all);
    const reversed = all.split("").reverse().join("");
    expect(decode(encode(reversed))).toBe(reversed);
    for (let b = 0; b < 256; b++) {
      const s = String.fromCharCode(b);
      const coded = encode(s);
      expect(coded.length).toBe(Math.ceil(HUFFMAN_LENGTHS[b]! / 8));
      expect(decode(coded)).toBe(s);
      expect(decode(encode(s.repeat(7)))).toBe(s.repeat(7)); // every alignment of the code in the octets
    }
  });

  test("every pair of octets (every code at every bit offset after every other)", () => {
    for (let a = 0; a < 256; a++) {
      let s = "";
      for (let b = 0; b < 256; b++) s += String.fromCharCode(a, b);
      expect(decode(encode(s))).toBe(s);
    }
  });

  test("random strings, short and long", () => {
    const random = rng(7541);
    for (let n = 0; n < 500; n++) {
      const len = n < 450 ? Math.floor(random() * 40) : Math.floor(random() * 20000);
      let s = "";
      for (let i = 0; i < len; i++) {
        s += String.fromCharCode(
          random() < 0.7 ? 32 + Math.floor(random() * 95) : Math.floor(random() * 256),
        );
      }
      expect(decode(encode(s))).toBe(s);
    }
  });

  test("the empty string is zero octets", () => {
    expect(huffmanLength("")).toBe(0);
    expect(decode(new Uint8Array(0))).toBe("");
  });

  test("decoding at an offset inside a larger buffer", () => {
    const inner = hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff");
    const buf = new Uint8Array(inner.length + 6).fill(0x00);
    buf.set(inner, 3);
    expect(huffmanDecode(buf, 3, 3 + inner.length)).toBe("www.example.com");
  });

  test("decoded octets 0x80..0xFF become U+0080..U+00FF (latin1, not UTF-8 or windows-1252)", () => {
    const s = "\x80\x81\x9f\xa0\xe9\xff\x00";
    const d = decode(encode(s));
    expect(Array.from(d, (c) => c.charCodeAt(0))).toEqual([
      0x80,
      0x81,
      0x9f,
      0xa0,
      0xe9,
      0xff,
      0x00,
    ]);
    expect(Array.from(bytesOf(d))).toEqual([0x80, 0x81, 0x9f, 0xa0, 0xe9, 0xff, 0x00]);
  });
});

describe("invalid Huffman data (RFC 7541 §5.2)", () => {
  function refuses(b: Uint8Array, pattern: RegExp): void {
    let error: unknown;
    try {
      decode(b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HpackError);
    expect((error as HpackError).code).toBe("COMPRESSION_ERROR");
    expect((error as HpackError).message).toMatch(pattern);
  }

  test("EOS inside the string", () => {
    refuses(hex("ffff ffff"), /EOS/); // 30 ones are EOS, whole
    refuses(hex("ffff fffc"), /EOS/);
    refuses(hex("1fff ffff ff"), /EOS/); // 'a' (00011) then EOS
    refuses(new Uint8Array([...encode("hello"), 0xff, 0xff, 0xff, 0xff]), /EOS|padding/);
  });

  test("padding longer than 7 bits", () => {
    refuses(hex("ff"), /8 bits of padding/); // eight ones: a prefix of EOS, too long
    refuses(hex("1fff"), /11 bits of padding/); // 'a' then 11 ones
    refuses(new Uint8Array([...encode("www.example.com"), 0xff]), /bits of padding/);
    refuses(hex("ffff"), /16 bits of padding/);
  });

  test("padding that is not all ones", () => {
    refuses(hex("18"), /not all ones/); // 'a' then 000
    refuses(hex("1e"), /not all ones/); // 'a' then 110
    refuses(hex("00"), /not all ones/); // '0' then 000
    const ok = encode("no-cache");
    const bad = ok.slice();
    bad[bad.length - 1]! &= 0xfe;
    refuses(bad, /not all ones/);
  });

  test("offsets point into the buffer", () => {
    const buf = new Uint8Array([0x00, 0x00, 0xff, 0xff, 0xff, 0xff]);
    try {
      huffmanDecode(buf, 2, 6);
      throw new Error("no error");
    } catch (e) {
      expect((e as HpackError).offset).toBeGreaterThanOrEqual(2);
      expect((e as HpackError).offset).toBeLessThan(6);
    }
  });
});

describe("encoding input", () => {
  test("huffmanLength reports chars above U+00FF with -1", () => {
    expect(huffmanLength("abc\u0100")).toBe(-1);
    expect(huffmanLength("\u20ac")).toBe(-1);
    expect(huffmanLength("\xff")).toBe(4);
  });
});
