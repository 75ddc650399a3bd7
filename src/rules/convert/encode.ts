// Binary encodings (HAProxy 2.6 §7.3.1): base64, b64dec, hex. Binary samples
// are strings of latin1 characters, one per byte; a character above 0xff
// (text that never was bytes) encodes as its low byte, as a byte buffer
// would hold it.
import type { ConverterDef, Sample } from "../types.ts";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX = "0123456789ABCDEF";

/** Value of each base64 character, -1 for others. */
const B64_VALUE = new Int8Array(256).fill(-1);
for (let k = 0; k < 64; k++) B64_VALUE[B64.charCodeAt(k)] = k;

function base64(s: Sample): string {
  const text = s as string;
  let out = "";
  let k = 0;
  for (; k + 2 < text.length; k += 3) {
    const v = ((text.charCodeAt(k) & 255) << 16) | ((text.charCodeAt(k + 1) & 255) << 8) | (text.charCodeAt(k + 2) & 255);
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  const rest = text.length - k;
  if (rest === 1) {
    const v = (text.charCodeAt(k) & 255) << 16;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const v = ((text.charCodeAt(k) & 255) << 16) | ((text.charCodeAt(k + 1) & 255) << 8);
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + "=";
  }
  return out;
}

/** Standard base64 with its padding; anything else is no sample. */
function b64dec(s: Sample): string | undefined {
  const text = s as string;
  if (text.length % 4 !== 0) return undefined;
  let out = "";
  for (let k = 0; k < text.length; k += 4) {
    const last = k + 4 === text.length;
    const pad = last ? (text.charCodeAt(k + 3) === 61 ? (text.charCodeAt(k + 2) === 61 ? 2 : 1) : 0) : 0;
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(k + j);
      const d = j >= 4 - pad ? 0 : c < 256 ? B64_VALUE[c]! : -1;
      if (d < 0) return undefined;
      v = (v << 6) | d;
    }
    out += String.fromCharCode(v >> 16);
    if (pad < 2) out += String.fromCharCode((v >> 8) & 255);
    if (pad < 1) out += String.fromCharCode(v & 255);
  }
  return out;
}

function hex(s: Sample): string {
  const text = s as string;
  let out = "";
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k) & 255;
    out += HEX[c >> 4]! + HEX[c & 15]!;
  }
  return out;
}

export const ENCODING_CONVERTERS: readonly ConverterDef[] = [
  { name: "base64", minArgs: 0, maxArgs: 0, in: "bin", out: "str", compile: () => base64 },
  { name: "b64dec", minArgs: 0, maxArgs: 0, in: "str", out: "bin", compile: () => b64dec },
  { name: "hex", minArgs: 0, maxArgs: 0, in: "bin", out: "str", compile: () => hex },
  { name: "hex2i", minArgs: 0, maxArgs: 0, in: "str", out: "int", compile: () => hex2i },
];

/** hex2i: hexadecimal digits as a signed 64-bit integer; anything else in the input is no sample (HAProxy's). */
function hex2i(s: Sample): number | undefined {
  const text = s as string;
  if (!/^[0-9a-fA-F]+$/.test(text)) return undefined;
  return Number(BigInt.asIntN(64, BigInt(`0x${text.slice(-16)}`)));
}
