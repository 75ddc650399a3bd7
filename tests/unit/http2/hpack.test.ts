import { describe, expect, test } from "bun:test";
import {
  type HeaderField,
  HeaderListTooLarge,
  HpackDecoder,
  HpackEncoder,
  HpackError,
} from "../../../src/http2/hpack/index.ts";

const hex = (s: string) =>
  new Uint8Array((s.replace(/\s+/g, "").match(/../g) ?? []).map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const ascii = (s: string) =>
  Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");

interface Step {
  block: string;
  fields: HeaderField[];
  /** Dynamic table after the block, newest (index 62) first. */
  table: HeaderField[];
  size: number;
}

function decodeSeries(maxTableSize: number, steps: Step[]): void {
  const d = new HpackDecoder({ maxTableSize });
  for (const step of steps) {
    expect(d.decode(hex(step.block))).toEqual(step.fields);
    expect(d.table.entries()).toEqual(step.table);
    expect(d.table.size).toBe(step.size);
  }
}

// ---- RFC 7541 Appendix C ----------------------------------------------------

const REQUEST_1: HeaderField[] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], [
  ":authority",
  "www.example.com",
]];
const REQUEST_2: HeaderField[] = [...REQUEST_1, ["cache-control", "no-cache"]];
const REQUEST_3: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const REQUEST_TABLES: HeaderField[][] = [
  [[":authority", "www.example.com"]],
  [["cache-control", "no-cache"], [":authority", "www.example.com"]],
  [["custom-key", "custom-value"], ["cache-control", "no-cache"], [
    ":authority",
    "www.example.com",
  ]],
];

const C3 = [
  "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
  "8286 84be 5808 6e6f 2d63 6163 6865",
  "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
];
const C4 = [
  "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
  "8286 84be 5886 a8eb 1064 9cbf",
  "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
];

const DATE_1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSE_1: HeaderField[] = [[":status", "302"], ["cache-control", "private"], [
  "date",
  DATE_1,
], ["location", "https://www.example.com"]];
const RESPONSE_2: HeaderField[] = [[":status", "307"], ["cache-control", "private"], [
  "date",
  DATE_1,
], ["location", "https://www.example.com"]];
const RESPONSE_3: HeaderField[] = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", DATE_2],
  ["location", "https://www.example.com"],
  ["content-encoding", "gzip"],
  ["set-cookie", COOKIE],
];
const RESPONSE_TABLES: HeaderField[][] = [
  [["location", "https://www.example.com"], ["date", DATE_1], ["cache-control", "private"], [
    ":status",
    "302",
  ]],
  [[":status", "307"], ["location", "https://www.example.com"], ["date", DATE_1], [
    "cache-control",
    "private",
  ]],
  [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE_2]],
];

const C5 = [
  `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
   2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
   6c65 2e63 6f6d`,
  "4803 3330 37c1 c0bf",
  `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
   54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
   5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
   3d31`,
];
const C6 = [
  `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
   2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
  "4883 640e ffc1 c0bf",
  `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
   77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
   9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
];

describe("RFC 7541 C.2 header field representations", () => {
  test("C.2.1 literal with indexing", () => {
    decodeSeries(4096, [{
      block: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
      fields: [["custom-key", "custom-header"]],
      table: [["custom-key", "custom-header"]],
      size: 55,
    }]);
  });
  test("C.2.2 literal without indexing", () => {
    decodeSeries(4096, [{
      block: "040c 2f73 616d 706c 652f 7061 7468",
      fields: [[":path", "/sample/path"]],
      table: [],
      size: 0,
    }]);
  });
  test("C.2.3 literal never indexed", () => {
    decodeSeries(4096, [{
      block: "1008 7061 7373 776f 7264 0673 6563 7265 74",
      fields: [["password", "secret"]],
      table: [],
      size: 0,
    }]);
  });
  test("C.2.4 indexed", () => {
    decodeSeries(4096, [{ block: "82", fields: [[":method", "GET"]], table: [], size: 0 }]);
  });
});

describe("RFC 7541 C.3-C.6 header lists, decoded", () => {
  const requests = (blocks: string[]): Step[] =>
    [REQUEST_1, REQUEST_2, REQUEST_3].map((fields, i) => ({
      block: blocks[i]!,
      fields,
      table: REQUEST_TABLES[i]!,
      size: [57, 110, 164][i]!,
    }));
  const responses = (blocks: string[]): Step[] =>
    [RESPONSE_1, RESPONSE_2, RESPONSE_3].map((fields, i) => ({
      block: blocks[i]!,
      fields,
      table: RESPONSE_TABLES[i]!,
      size: [222, 222, 215][i]!,
    }));

  test("C.3 requests without Huffman", () => decodeSeries(4096, requests(C3)));
  test("C.4 requests with Huffman", () => decodeSeries(4096, requests(C4)));
  test("C.5 responses without Huffman, 256-octet table, evictions", () =>
    decodeSeries(256, responses(C5)));
  test("C.6 responses with Huffman, 256-octet table, evictions", () =>
    decodeSeries(256, responses(C6)));
});

describe("RFC 7541 C.3-C.6 header lists, encoded", () => {
  test("C.3: same octets without Huffman", () => {
    const e = new HpackEncoder({ huffman: false });
    [REQUEST_1, REQUEST_2, REQUEST_3].forEach((fields, i) => {
      expect(toHex(e.encode(fields))).toBe(toHex(hex(C3[i]!)));
      expect(e.table.entries()).toEqual(REQUEST_TABLES[i]!);
    });
    expect(e.table.size).toBe(164);
  });

  test("C.4: same octets with Huffman", () => {
    const e = new HpackEncoder();
    [REQUEST_1, REQUEST_2, REQUEST_3].forEach((fields, i) => {
      expect(toHex(e.encode(fields))).toBe(toHex(hex(C4[i]!)));
    });
    expect(e.table.entries()).toEqual(REQUEST_TABLES[2]!);
  });

  // Our encoder differs from the RFC's on purpose in two places: a 256-octet
  // table needs a size update first (the peer's decoder starts at 4096), and
  // set-cookie is never indexed (§7.1.3). Also, C.6.2 Huffman-codes "307",
  // which is no shorter: ties go to the raw form (cheaper to decode).
  const UPDATE_256 = "3fe101";
  const SET_COOKIE_NEVER_INDEXED = "1f28"; // 0001 + index 55 on 4 bits

  test("C.5: same octets but for the size update and set-cookie", () => {
    const e = new HpackEncoder({ huffman: false, maxTableSize: 256 });
    const d = new HpackDecoder();
    const blocks = [e.encode(RESPONSE_1), e.encode(RESPONSE_2), e.encode(RESPONSE_3)];
    expect(toHex(blocks[0]!)).toBe(UPDATE_256 + toHex(hex(C5[0]!)));
    expect(toHex(blocks[1]!)).toBe(toHex(hex(C5[1]!)));
    const c53 = toHex(hex(C5[2]!));
    const beforeCookie = c53.slice(0, c53.indexOf("7738"));
    expect(toHex(blocks[2]!)).toBe(beforeCookie + SET_COOKIE_NEVER_INDEXED + "38" + ascii(COOKIE));
    expect(blocks.map((b) => d.decode(b))).toEqual([RESPONSE_1, RESPONSE_2, RESPONSE_3]);
    const table: HeaderField[] = [["content-encoding", "gzip"], ["date", DATE_2], [
      ":status",
      "307",
    ], ["location", "https://www.example.com"]];
    expect(e.table.entries()).toEqual(table);
    expect(d.table.entries()).toEqual(table);
  });

  test('C.6: same octets but for the size update, set-cookie and the "307" tie', () => {
    const e = new HpackEncoder({ maxTableSize: 256 });
    const d = new HpackDecoder();
    const blocks = [e.encode(RESPONSE_1), e.encode(RESPONSE_2), e.encode(RESPONSE_3)];
    expect(toHex(blocks[0]!)).toBe(UPDATE_256 + toHex(hex(C6[0]!)));
    expect(toHex(blocks[1]!)).toBe("4803" + ascii("307") + "c1c0bf");
    const c63 = toHex(hex(C6[2]!));
    const beforeCookie = c63.slice(0, c63.indexOf("77ad"));
    expect(toHex(blocks[2]!)).toBe(
      beforeCookie + SET_COOKIE_NEVER_INDEXED + "ad" + c63.slice(c63.indexOf("77ad") + 4),
    );
    expect(blocks.map((b) => d.decode(b))).toEqual([RESPONSE_1, RESPONSE_2, RESPONSE_3]);
    expect(d.table.entries()).toEqual(e.table.entries());
  });
});

// ---- decoder rules -------------------------------------------------------

/** Decodes and returns the HpackError thrown (fails if none). */
function refused(d: HpackDecoder, block: string | Uint8Array): HpackError {
  try {
    d.decode(typeof block === "string" ? hex(block) : block);
  } catch (e) {
    expect(e).toBeInstanceOf(HpackError);
    expect((e as HpackError).code).toBe("COMPRESSION_ERROR");
    return e as HpackError;
  }
  throw new Error("block was accepted");
}

describe("decoder rules", () => {
  test("index 0 is invalid", () => {
    const e = refused(new HpackDecoder(), "82 80");
    expect(e.message).toMatch(/index 0/);
    expect(e.offset).toBe(1);
  });

  test("an index beyond static + dynamic tables is invalid", () => {
    expect(refused(new HpackDecoder(), "be").message).toMatch(/index 62 beyond .* \(61 entries\)/);
    const d = new HpackDecoder();
    expect(d.decode(hex("4001 61 0162 be"))).toEqual([["a", "b"], ["a", "b"]]); // 62 exists once inserted
    expect(refused(d, "bf").message).toMatch(/index 63 beyond .* \(62 entries\)/);
    expect(refused(new HpackDecoder(), "ff 80 01").message).toMatch(/index 255/); // large index, multi-octet
  });

  test("a literal's name index beyond the tables is invalid, in every literal form", () => {
    expect(refused(new HpackDecoder(), "7e 0161").message).toMatch(/index 62/); // with indexing
    expect(refused(new HpackDecoder(), "0f2f 0161").message).toMatch(/index 62/); // without indexing
    expect(refused(new HpackDecoder(), "1f2f 0161").message).toMatch(/index 62/); // never indexed
  });

  test("a dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE is invalid", () => {
    expect(new HpackDecoder().decode(hex("3fe11f 82"))).toEqual([[":method", "GET"]]); // 4096 is fine
    expect(refused(new HpackDecoder(), "3fe21f 82").message).toMatch(
      /size update to 4097 exceeds SETTINGS_HEADER_TABLE_SIZE 4096/,
    );
    expect(refused(new HpackDecoder({ maxTableSize: 0 }), "21").message).toMatch(/exceeds/);
    const d = new HpackDecoder();
    d.setMaxTableSize(8192);
    expect(d.decode(hex("3fe13f"))).toEqual([]); // raising our limit allows more
    expect(d.table.maxSize).toBe(8192);
  });

  test("a dynamic table size update not at the start of the block is invalid", () => {
    expect(refused(new HpackDecoder(), "82 20").message).toMatch(/after a header field/);
    expect(refused(new HpackDecoder(), "20 82 3f01").offset).toBe(2);
    // several at the start are fine
    const d = new HpackDecoder();
    expect(d.decode(hex("20 3fe11f 82"))).toEqual([[":method", "GET"]]);
  });

  test("after our limit went below the table size, the next block must begin with a size update", () => {
    const d = new HpackDecoder();
    d.decode(hex("4001 61 0162"));
    d.setMaxTableSize(1024);
    expect(refused(d, "82").message).toMatch(
      /must begin with a dynamic table size update to at most 1024/,
    );

    const ok = new HpackDecoder();
    ok.setMaxTableSize(1024);
    expect(refused(ok, "").message).toMatch(/must begin/); // an empty block does not begin with one either

    const d2 = new HpackDecoder();
    d2.setMaxTableSize(1024);
    expect(refused(d2, "3fe207 82").message).toMatch(
      /size update to 1025 exceeds SETTINGS_HEADER_TABLE_SIZE 1024/,
    );

    const d3 = new HpackDecoder();
    d3.setMaxTableSize(1024);
    expect(d3.decode(hex("3fe107"))).toEqual([]); // exactly 1024 (0x3f, 0xe1, 0x07 = 31 + 97 + 7*128)
    expect(d3.table.maxSize).toBe(1024);
    expect(d3.decode(hex("82"))).toEqual([[":method", "GET"]]); // satisfied: later blocks need none
  });

  test("lowered then raised between blocks: the first update must be at most the lowest", () => {
    const d = new HpackDecoder();
    d.setMaxTableSize(0);
    d.setMaxTableSize(4096);
    expect(refused(d, "3fe11f 82").message).toMatch(/at most 0/);
    const d2 = new HpackDecoder();
    d2.setMaxTableSize(0);
    d2.setMaxTableSize(4096);
    expect(d2.decode(hex("20 3fe11f 82"))).toEqual([[":method", "GET"]]);
  });

  test("a lowered limit still above the table's size asks for no update", () => {
    const d = new HpackDecoder();
    d.decode(hex("3f e1 01")); // the peer chose 256
    d.setMaxTableSize(1024);
    expect(d.decode(hex("82"))).toEqual([[":method", "GET"]]);
  });

  test("a size update evicts down to the new size", () => {
    const d = new HpackDecoder();
    d.decode(hex("4001 61 0162 4001 63 0164")); // two entries of 34
    expect(d.table.size).toBe(68);
    expect(d.decode(hex("3f03 be"))).toEqual([["c", "d"]]); // 34: only the newest stays
    expect(d.table.entries()).toEqual([["c", "d"]]);
    expect(d.decode(hex("20"))).toEqual([]);
    expect(d.table.length).toBe(0);
  });

  test("integer overflow is invalid", () => {
    expect(refused(new HpackDecoder(), "ff ff ff ff ff 0f").message).toMatch(/integer overflow/);
    expect(refused(new HpackDecoder(), "ff 80 80 80 80 80 00").message).toMatch(
      /continuation octets/,
    );
    expect(refused(new HpackDecoder(), "00 7f ff ff ff ff 0f").message).toMatch(/integer overflow/); // a string length
    expect(refused(new HpackDecoder(), "ff 80").message).toMatch(/truncated/);
  });

  test("a string longer than the rest of the block is invalid", () => {
    const e = refused(new HpackDecoder(), "82 40 05 6162");
    expect(e.message).toMatch(/string literal of 5 octets runs past the end .* \(2 left\)/);
    expect(e.offset).toBe(2);
    expect(refused(new HpackDecoder(), "40 01 61").message).toMatch(
      /ends where a string literal should begin/,
    ); // no value
    expect(refused(new HpackDecoder(), "0f2e").message).toMatch(
      /ends where a string literal should begin/,
    );
    expect(refused(new HpackDecoder(), "00 7f 00").message).toMatch(/runs past/); // 127 octets announced
  });

  test("invalid Huffman strings are invalid: EOS, long padding, padding not all ones", () => {
    expect(refused(new HpackDecoder(), "00 84 ffffffff 00").message).toMatch(/EOS/); // in a name
    expect(refused(new HpackDecoder(), "00 01 61 84 ffffffff").message).toMatch(/EOS/); // in a value
    expect(refused(new HpackDecoder(), "00 82 1fff 00").message).toMatch(/11 bits of padding/);
    expect(refused(new HpackDecoder(), "00 01 61 81 ff").message).toMatch(/8 bits of padding/);
    const e = refused(new HpackDecoder(), "82 00 81 18 00");
    expect(e.message).toMatch(/not all ones/);
    expect(e.offset).toBe(3);
  });

  test("upper-case names are not an HPACK error (the mux judges names)", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("00 03 466f6f 03 626172 40 03 466f6f 01 78 be"))).toEqual([["Foo", "bar"], [
      "Foo",
      "x",
    ], ["Foo", "x"]]);
  });

  test("empty names and values decode (the mux judges them)", () => {
    expect(new HpackDecoder().decode(hex("00 00 00 40 00 00 be"))).toEqual([["", ""], ["", ""], [
      "",
      "",
    ]]);
  });

  test("names and values are bytes: each octet one char, never UTF-8", () => {
    const d = new HpackDecoder();
    // value c3 a9 (UTF-8 é) 80 9f ff 00 stays six chars
    const [[name, value]] = d.decode(hex("00 02 78e9 06 c3a9 809f ff00")) as [HeaderField];
    expect(name).toBe("x\u00e9");
    expect(Array.from(value, (c) => c.charCodeAt(0))).toEqual([0xc3, 0xa9, 0x80, 0x9f, 0xff, 0x00]);
  });

  test("known fields: static entries the owner named, dynamic entries marked after their block; nothing else", () => {
    const knownStatic = new Uint8Array(62);
    knownStatic[19] = 1; // accept: ""
    const d = new HpackDecoder({ knownStatic });
    // accept (static 19), accept-encoding (static 16, not named), literals x: 1 and y: 2 with indexing
    expect(d.decode(hex("93 90 40 01 78 01 31 40 01 79 01 32"))).toEqual([["accept", ""], ["accept-encoding", "gzip, deflate"], ["x", "1"], ["y", "2"]]);
    expect([...d.known.subarray(0, 4)]).toEqual([1, 0, 0, 0]);
    // not marked: the entries are referenced as unknown
    expect(d.decode(hex("be bf"))).toEqual([["y", "2"], ["x", "1"]]);
    expect([...d.known.subarray(0, 2)]).toEqual([0, 0]);
    // a block that inserts z: 3, marked: only its own entries become known
    d.decode(hex("40 01 7a 01 33"));
    d.markInserted();
    expect(d.decode(hex("be bf c0 93"))).toEqual([["z", "3"], ["y", "2"], ["x", "1"], ["accept", ""]]);
    expect([...d.known.subarray(0, 4)]).toEqual([1, 0, 0, 1]);
    // evicted and entered again: unknown until marked again
    d.decode(hex("20"));
    d.decode(hex("3f e1 1f 40 01 7a 01 33"));
    expect(d.decode(hex("be"))).toEqual([["z", "3"]]);
    expect(d.known[0]).toBe(0);
  });

  test("names sent never-indexed are reported, for re-encoding the same way (§6.2.3)", () => {
    const d = new HpackDecoder();
    d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74 82 1f08 0178 000000"));
    expect(d.neverIndexed).toEqual(["password", "authorization"]);
    d.decode(hex("82"));
    expect(d.neverIndexed).toEqual([]);
    // the encoder keeps them never-indexed when told
    const e = new HpackEncoder({ huffman: false });
    const fields = d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"));
    const names = d.neverIndexed;
    const again = e.encode(fields, (name) => names.includes(name));
    expect(toHex(again)).toBe(toHex(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")));
  });

  test("a refused block leaves the decoder unusable", () => {
    const d = new HpackDecoder();
    refused(d, "80");
    expect(refused(d, "82").message).toMatch(/unusable/);
  });

  test("an empty block decodes to no fields", () => {
    expect(new HpackDecoder().decode(new Uint8Array(0))).toEqual([]);
  });

  test("an indexed field is the table's own pair, the same each time (read-only: nothing is made per reference)", () => {
    const d = new HpackDecoder();
    // :method GET (static 2); custom-key: custom-header inserted (RFC 7541 C.3.1's literal), then referenced as 62.
    const [a, inserted] = d.decode(hex("82 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    const [b, referenced, again] = d.decode(hex("82 be be"));
    expect(b).toBe(a!);
    expect(referenced).toBe(inserted!);
    expect(again).toBe(inserted!);
    expect(referenced).toEqual(["custom-key", "custom-header"]);
    // A literal without indexing is a pair of its own.
    const [x] = d.decode(hex("04 0c 2f73 616d 706c 652f 7061 7468"));
    const [y] = d.decode(hex("04 0c 2f73 616d 706c 652f 7061 7468"));
    expect(x).toEqual([":path", "/sample/path"]);
    expect(x).not.toBe(y!);
  });
});

describe("header list size limit", () => {
  test("the whole block is decoded, the table kept in step, then HeaderListTooLarge thrown", () => {
    const d = new HpackDecoder({ maxHeaderListSize: 100 });
    let error: unknown;
    try {
      d.decode(hex("82 4003 616263 0378797a be be"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HeaderListTooLarge);
    expect(error).not.toBeInstanceOf(HpackError);
    expect((error as HeaderListTooLarge).code).toBe("HEADER_LIST_TOO_LARGE");
    expect((error as HeaderListTooLarge).size).toBe(42 + 38 * 3);
    expect((error as HeaderListTooLarge).limit).toBe(100);
    expect(d.table.entries()).toEqual([["abc", "xyz"]]);
    // the decoder is still usable and in step
    expect(d.decode(hex("be 82"))).toEqual([["abc", "xyz"], [":method", "GET"]]);
  });

  test("a list exactly at the limit passes", () => {
    const d = new HpackDecoder({ maxHeaderListSize: 42 + 38 });
    expect(d.decode(hex("82 4003 616263 0378797a"))).toEqual([[":method", "GET"], ["abc", "xyz"]]);
    expect(() => d.decode(hex("82 be be"))).toThrow(HeaderListTooLarge);
    expect(d.decode(hex("be 82"))).toEqual([["abc", "xyz"], [":method", "GET"]]);
  });
});

describe("options", () => {
  test("settings out of range are refused", () => {
    expect(() => new HpackDecoder({ maxTableSize: -1 })).toThrow(RangeError);
    expect(() => new HpackDecoder({ maxTableSize: 1.5 })).toThrow(RangeError);
    expect(() => new HpackDecoder().setMaxTableSize(2 ** 32)).toThrow(RangeError);
    expect(() => new HpackEncoder({ maxTableSize: NaN })).toThrow(RangeError);
    expect(() => new HpackEncoder().setPeerMaxTableSize(-5)).toThrow(RangeError);
  });
});
