// Octets → string, one char per octet (ISO-8859-1 in the strict sense: octet n
// becomes U+00nn).
//
// Not TextDecoder("latin1"): the Encoding Standard maps that label to
// windows-1252, which turns 0x80..0x9F into other code points. TextDecoder
// ("utf-8") is exact for ASCII and costs about the same whatever the length.
// String.fromCharCode.apply on a subarray costs ~0.3 µs even for 8 octets on
// both runtimes, and is not used. Measured (ns, ASCII, 8 / 16 / 32 / 64 / 96
// octets):
//                          Bun (JSC)                 Deno (V8)
//   one char at a time     62 / 105 / 330 / 460 / 710   110 / 210 / 450 / 690 / 1010
//   fromCharCode × 8 args  85 / 186 / 434 / 586 / 1065   50 /  56 / 180 / 340 / 520
//   TextDecoder+subarray  120 / 240 / 250 / 160 / 165   320 / 270 / 320 / 310 / 320
// hence per engine: JSC one char at a time below 24 octets, V8 chunks of 8
// below 64; TextDecoder above when ASCII.

const utf8 = new TextDecoder();
const fcc = String.fromCharCode;

/** For JavaScriptCore (Bun): one char at a time, TextDecoder from 24 octets when ASCII. */
export function latin1ForJsc(b: Uint8Array, start: number, end: number, ascii = false): string {
  if (end - start >= 24 && (ascii || isAscii(b, start, end))) {
    return utf8.decode(b.subarray(start, end));
  }
  let s = "";
  for (let i = start; i < end; i++) s += fcc(b[i]!);
  return s;
}

/** For V8 (Deno): chunks of 8 chars, TextDecoder from 64 octets when ASCII. */
export function latin1ForV8(b: Uint8Array, start: number, end: number, ascii = false): string {
  if (end - start >= 64 && (ascii || isAscii(b, start, end))) {
    return utf8.decode(b.subarray(start, end));
  }
  let s = "";
  let i = start;
  for (; i + 8 <= end; i += 8) {
    s += fcc(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
  }
  for (; i < end; i++) s += fcc(b[i]!);
  return s;
}

function isAscii(b: Uint8Array, start: number, end: number): boolean {
  let all = 0;
  for (let i = start; i < end; i++) all |= b[i]!;
  return all < 0x80;
}

/**
 * Bytes → string, one char per octet; `ascii` says whether the caller already
 * knows every octet is below 0x80.
 */
export const latin1: (b: Uint8Array, start: number, end: number, ascii?: boolean) => string =
  "Bun" in globalThis ? latin1ForJsc : latin1ForV8;
