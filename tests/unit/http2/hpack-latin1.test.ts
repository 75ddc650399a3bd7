import { describe, expect, test } from "bun:test";
import { latin1, latin1ForJsc, latin1ForV8 } from "../../../src/http2/hpack/latin1.ts";

// Both engine-tuned variants run here whatever the runtime, so Bun's test run
// also covers the one Deno uses.
describe("octets → string, one char per octet", () => {
  for (
    const [name, fn] of [["JSC variant", latin1ForJsc], ["V8 variant", latin1ForV8], [
      "chosen",
      latin1,
    ]] as const
  ) {
    test(`${name}: every length 0..300, ASCII and not, at an offset`, () => {
      const bytes = new Uint8Array(310);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
      const ascii = bytes.map((b) => b & 0x7f);
      for (let n = 0; n <= 300; n++) {
        for (const src of [bytes, ascii]) {
          const s = fn(src, 5, 5 + n);
          expect(s.length).toBe(n);
          for (let i = 0; i < n; i++) {
            if (s.charCodeAt(i) !== src[5 + i]) {
              expect([n, i, s.charCodeAt(i)]).toEqual([n, i, src[5 + i]!]);
            }
          }
        }
        expect(fn(ascii, 5, 5 + n, true)).toBe(fn(ascii, 5, 5 + n));
      }
    });

    test(`${name}: 0x80..0x9F stay U+0080..U+009F (not windows-1252), 0xFF stays U+00FF`, () => {
      const src = new Uint8Array(100);
      for (let i = 0; i < 100; i++) src[i] = i < 32 ? 0x80 + i : i === 99 ? 0xff : 0x41;
      const s = fn(src, 0, 100);
      expect(Array.from(s.slice(0, 32), (c) => c.charCodeAt(0))).toEqual(
        Array.from(src.subarray(0, 32)),
      );
      expect(s.charCodeAt(99)).toBe(0xff);
    });
  }
});
