import { describe, expect, test } from "bun:test";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../src/http2/hpack/index.ts";

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Encodes with e, checks d decodes the same list and both tables agree; returns the block's hex. */
function send(
  e: HpackEncoder,
  d: HpackDecoder,
  fields: HeaderField[],
  sensitive?: (name: string) => boolean,
): string {
  const block = e.encode(fields, sensitive);
  expect(d.decode(block)).toEqual(fields);
  expect(d.table.entries()).toEqual(e.table.entries());
  expect(d.table.size).toBe(e.table.size);
  return toHex(block);
}

describe("representations chosen", () => {
  test("exact static matches are one octet", () => {
    const e = new HpackEncoder();
    expect(
      toHex(
        e.encode([[":method", "GET"], [":path", "/"], [":status", "404"], [
          "accept-encoding",
          "gzip, deflate",
        ]]),
      ),
    ).toBe(
      "82848d90",
    );
  });

  test("a repeated field is indexed, then sent as one octet", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    expect(send(e, d, [["x-custom", "abc"]])).toBe("4008" + "782d637573746f6d" + "03616263");
    expect(send(e, d, [["x-custom", "abc"]])).toBe("be");
    expect(send(e, d, [["x-custom", "abc"], ["x-custom", "abc"]])).toBe("bebe");
  });

  test("the same field twice in one block: inserted by the first, indexed by the second", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    expect(send(e, d, [["user-agent", "curl"], ["user-agent", "curl"]])).toBe(
      "7a" + "046375726c" + "be",
    );
  });

  test("a name already in the dynamic table is referred to by index", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    send(e, d, [["x-custom", "a"]]);
    expect(send(e, d, [["x-custom", "b"]])).toBe("7e0162"); // 0x40 | 62
    expect(send(e, d, [["x-custom", "a"]])).toBe("bf"); // now 63
  });

  test("a static name is preferred to a dynamic one", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    send(e, d, [["server", "a"]]);
    expect(send(e, d, [["server", "b"]])).toBe("760162"); // 0x40 | 54
  });

  test("values that seldom repeat are not indexed (:path, content-length, etag ...)", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    expect(
      send(e, d, [[":path", "/a"], ["content-length", "12"], ["etag", '"x"'], [
        "x-request-id",
        "1",
      ]]),
    ).toBe(
      "04022f61" + "0f0d023132" + "0f1303227822" + "000c782d726571756573742d6964" + "0131",
    );
    expect(e.table.length).toBe(0);
  });

  test("a value over a quarter of the table is not indexed", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    const block = send(e, d, [["x-big", "v".repeat(1025)], ["x-ok", "v".repeat(1024)]]);
    expect(block.startsWith("00")).toBe(true);
    expect(e.table.entries()).toEqual([["x-ok", "v".repeat(1024)]]);
  });

  test("Huffman only when shorter, and off when asked", () => {
    expect(toHex(new HpackEncoder().encode([["x-a", "307"]]))).toBe("4003782d61" + "03333037"); // 3 octets either way: raw
    expect(
      toHex(new HpackEncoder().encode([["x-abc", "www.example.com"]])).includes(
        "8cf1e3c2e5f23a6ba0ab90f4ff",
      ),
    ).toBe(true);
    expect(toHex(new HpackEncoder({ huffman: false }).encode([["x-abc", "www.example.com"]])))
      .toContain(
        "0f7777772e6578616d706c652e636f6d",
      );
    expect(toHex(new HpackEncoder().encode([["x-bin", "\x00\x01\x02"]]))).toContain("03000102"); // binary grows under Huffman
  });

  test("Huffman strings of 127 octets and more get a longer length prefix", () => {
    for (const n of [150, 157, 158, 159, 160, 170, 200, 5000, 30000]) {
      const value = "a".repeat(n); // 5 bits each
      const h = Math.ceil((n * 5) / 8);
      const block = new HpackEncoder().encode([["x-long", value]]);
      // representation octet, name (6 chars, Huffman 5 octets + length), value length, value
      const lengthOctets = h < 127 ? 1 : h < 127 + 128 ? 2 : h < 127 + 128 * 128 ? 3 : 4;
      expect(block.length).toBe(1 + 6 + lengthOctets + h);
      expect(block[7]).toBe(0x80 | Math.min(h, 127));
      expect(new HpackDecoder().decode(block)).toEqual([["x-long", value]]);
    }
  });

  test("an encoded block is the caller's to keep: later blocks never overwrite it", () => {
    const e = new HpackEncoder();
    const a = e.encode([[":method", "GET"]]);
    const b = e.encode([[":method", "POST"]]);
    expect(toHex(a)).toBe("82");
    expect(toHex(b)).toBe("83");
    const kept: [Uint8Array, string][] = [];
    const other = new HpackEncoder({ huffman: false });
    for (let i = 0; i < 1000; i++) {
      const fields: HeaderField[] = [[":path", `/${i}`], [
        "x-big",
        "v".repeat(i % 50 === 0 ? 40000 : 10),
      ]];
      const block = (i % 2 ? e : other).encode(fields);
      kept.push([block, toHex(block)]);
    }
    for (const [block, hex] of kept) expect(toHex(block)).toBe(hex);
    expect(kept.at(-1)![0].byteOffset).toBeGreaterThan(0); // views of shared slabs
  });

  test("a sensitive callback that encodes with another encoder does not corrupt the outer block", () => {
    const outer = new HpackEncoder({ huffman: false });
    const inner = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    const innerBlocks: [Uint8Array, string][] = [];
    const fields: HeaderField[] = [["x-a", "1"], ["x-b", "2"]];
    const block = outer.encode(fields, (name) => {
      const ib = inner.encode([["x-inner", name]]);
      innerBlocks.push([ib, toHex(ib)]);
      return false;
    });
    expect(d.decode(block)).toEqual(fields);
    const next = outer.encode([["x-c", "3"]]);
    expect(d.decode(next)).toEqual([["x-c", "3"]]);
    for (const [ib, hex] of innerBlocks) expect(toHex(ib)).toBe(hex);
  });
});

describe("sensitive fields are never indexed (§6.2.3, §7.1.3)", () => {
  test("authorization, proxy-authorization, set-cookie", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    const fields: HeaderField[] = [["authorization", "Bearer abc"], [
      "proxy-authorization",
      "Basic x",
    ], ["set-cookie", "a=b"]];
    const block = send(e, d, fields);
    expect(block).toBe(
      "1f08" + "0a42656172657220616263" + "1f22" + "07426173696320" + "78" + "1f28" + "03613d62",
    );
    expect(send(e, d, fields)).toBe(block);
    expect(e.table.length).toBe(0);
  });

  test("short cookies are never indexed, longer ones are", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    expect(send(e, d, [["cookie", "id=1234567890123456"]]).slice(0, 4)).toBe("1f11"); // 19 octets
    expect(send(e, d, [["cookie", "id=12345678901234567"]]).slice(0, 2)).toBe("60"); // 20: with indexing
    expect(send(e, d, [["cookie", "id=12345678901234567"]])).toBe("be");
  });

  test("fields the caller marks", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    const mark = (name: string) => name === "x-api-key" || name === "user-agent";
    expect(send(e, d, [["x-api-key", "k"], ["user-agent", "u"]], mark)).toBe(
      "1009782d6170692d6b6579016b" + "1f2b0175",
    );
    expect(e.table.length).toBe(0);
  });

  test("a marked field is sent as a literal even when the table has it", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    send(e, d, [["x-token", "t"]]);
    expect(send(e, d, [["x-token", "t"]], (n) => n === "x-token")).toBe("1f2f" + "0174"); // name by index 62, value literal
  });
});

describe("table size changes", () => {
  test("the peer's lower SETTINGS_HEADER_TABLE_SIZE starts the next block with an update", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    send(e, d, [["x-a", "1"], ["x-b", "2"]]);
    e.setPeerMaxTableSize(1024);
    d.setMaxTableSize(1024);
    expect(send(e, d, [[":method", "GET"]])).toBe("3fe107" + "82");
    expect(send(e, d, [[":method", "GET"]])).toBe("82"); // once only
    e.setPeerMaxTableSize(36);
    d.setMaxTableSize(36);
    expect(send(e, d, [[":method", "GET"]])).toBe("3f05" + "82");
    expect(e.table.entries()).toEqual([["x-b", "2"]]);
  });

  test("lowered then raised between two blocks: both the lowest and the final size are sent", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    send(e, d, [["x-a", "1"]]);
    e.setPeerMaxTableSize(0);
    e.setPeerMaxTableSize(100);
    e.setPeerMaxTableSize(4096);
    d.setMaxTableSize(0);
    d.setMaxTableSize(4096);
    expect(send(e, d, [["x-a", "1"]]).slice(0, 8)).toBe("20" + "3fe11f");
    expect(e.table.entries()).toEqual([["x-a", "1"]]); // emptied, then re-inserted
  });

  test("a peer allowing more than our own maximum changes nothing", () => {
    const e = new HpackEncoder({ maxTableSize: 4096 });
    const d = new HpackDecoder();
    e.setPeerMaxTableSize(65536);
    d.setMaxTableSize(65536);
    expect(send(e, d, [[":method", "GET"]])).toBe("82");
    e.setPeerMaxTableSize(4096);
    expect(send(e, d, [[":method", "GET"]])).toBe("82");
  });

  test("an encoder using less than the peer's 4096 says so in its first block", () => {
    const e = new HpackEncoder({ maxTableSize: 0 });
    const d = new HpackDecoder();
    expect(send(e, d, [["x-a", "1"]])).toBe("20" + "0003782d610131");
    expect(send(e, d, [["x-a", "1"]])).toBe("0003782d610131");
    expect(e.table.length).toBe(0);
  });

  test("a zero-size table: nothing is ever indexed", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    e.setPeerMaxTableSize(0);
    d.setMaxTableSize(0);
    send(e, d, [["x-a", ""], ["accept", "text/html"], ["x-a", ""]]);
    expect(e.table.length).toBe(0);
  });
});

describe("chars above U+00FF", () => {
  test("are refused with a TypeError naming the field, in names and values, Huffman or not", () => {
    for (const huffman of [true, false]) {
      const e = new HpackEncoder({ huffman });
      expect(() => e.encode([["x-a", "price: 5\u20ac"]])).toThrow(TypeError);
      expect(() => e.encode([["x-a", "price: 5\u20ac"]])).toThrow(
        /"x-a" value has U\+20AC at offset 8/,
      );
      expect(() => e.encode([["x-\u0100", "v"]])).toThrow(/name has U\+0100 at offset 2/);
      expect(() => e.encode([["x-a", "\u{1f600}"]])).toThrow(/U\+D83D at offset 0/);
    }
  });

  test("after a refused block the peer's table is emptied with the next block, so both stay in step", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    send(e, d, [["x-a", "1"], ["x-b", "2"]]);
    // x-c enters the encoder's table, then the block is refused and never sent
    expect(() => e.encode([["x-c", "3"], ["x-d", "\u0100"]])).toThrow(TypeError);
    const block = send(e, d, [["x-a", "1"], ["x-c", "3"]]);
    expect(block.startsWith("20" + "3fe11f")).toBe(true);
    expect(d.table.entries()).toEqual([["x-c", "3"], ["x-a", "1"]]);
  });

  test("a throwing sensitive callback resets the tables the same way", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    send(e, d, [["x-a", "1"]]);
    expect(() =>
      e.encode([["x-b", "2"], ["x-c", "3"]], (name) => {
        if (name === "x-c") throw new Error("boom");
        return false;
      })
    ).toThrow("boom");
    expect(send(e, d, [["x-a", "1"], ["x-b", "2"]]).startsWith("20" + "3fe11f")).toBe(true);
  });

  test("latin1 chars 0x80..0xFF are sent as single octets", () => {
    const e = new HpackEncoder({ huffman: false });
    const d = new HpackDecoder();
    const value = "caf\xe9 \x80\x9f\xff";
    expect(send(e, d, [["x-latin1", value]])).toBe("4008782d6c6174696e31" + "08636166e920809fff");
  });
});
