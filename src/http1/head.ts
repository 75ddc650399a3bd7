// The Head implementation: offsets into the head's own bytes; strings only on
// demand (target, host and upgrade are decoded on first read, then cached).

import { asciiString, latin1, LOWER } from "./chars.ts";
import { intern, internLower } from "./interned.ts";
import { storeWords, wordsSlab } from "./slab.ts";
import { BodyKind, type Head } from "./types.ts";

export const NO_TOKENS: readonly string[] = Object.freeze([]);

export class H1Head implements Head {
  // Assigned in the constructor body rather than as class fields: define
  // semantics made construction measurably slower under Bun.
  private declare targetString: string | undefined;
  private declare hostString: string | undefined;
  private declare upgradeString: string | undefined;
  private declare offsetsView: Uint32Array | undefined;

  constructor(
    readonly isRequest: boolean,
    readonly raw: Uint8Array,
    readonly method: string,
    readonly status: number,
    readonly versionMinor: 0 | 1,
    readonly fieldCount: number,
    /** The field offsets live in fw[fb .. fb + 4 * fieldCount) (a shared slab); fieldOffsets is a view made on demand. */
    readonly fw: Uint32Array,
    readonly fb: number,
    readonly bodyKind: BodyKind,
    readonly contentLength: number,
    readonly keepAlive: boolean,
    readonly connectionTokens: readonly string[],
    readonly expectContinue: boolean,
    /** Requests: the request-target is raw[targetStart..targetEnd). */
    readonly targetStart: number,
    readonly targetEnd: number,
    /** Index of the Host field, or -1. */
    readonly hostIndex: number,
    /** Index of the Upgrade field when it counts (Connection: upgrade), or -1. */
    readonly upgradeIndex: number,
  ) {
    this.targetString = undefined;
    this.hostString = undefined;
    this.upgradeString = undefined;
    this.offsetsView = undefined;
  }

  get fieldOffsets(): Uint32Array {
    return (this.offsetsView ??= this.fw.subarray(this.fb, this.fb + 4 * this.fieldCount));
  }

  get target(): string {
    return (this.targetString ??= asciiString(this.raw, this.targetStart, this.targetEnd));
  }

  /** Responses: the reason phrase as received ("" when the status line has none); requests: undefined. */
  get reason(): string | undefined {
    if (this.isRequest) return undefined;
    const raw = this.raw;
    if (raw[12] !== 0x20) return "";
    let end = 13;
    while (end < raw.length && raw[end] !== 0x0d && raw[end] !== 0x0a) end++;
    return latin1(raw, 13, end);
  }

  get hasHost(): boolean {
    return this.hostIndex >= 0;
  }

  get host(): string | undefined {
    if (this.hostIndex < 0) return undefined;
    return (this.hostString ??= this.value(this.hostIndex));
  }

  /**
   * The protocols a request asks to switch to. `h2c` alone counts as no
   * upgrade: sluice does not switch a connection to HTTP/2 in mid-stream, so
   * the request goes on as plain HTTP/1.1 and neither Upgrade nor the
   * HTTP2-Settings that Connection names reach the server (HAProxy drops
   * `Upgrade: h2c` too). A server never sees half an upgrade.
   */
  get upgrade(): string | undefined {
    if (this.upgradeIndex < 0) return undefined;
    const value = (this.upgradeString ??= this.value(this.upgradeIndex));
    return onlyH2c(value) ? undefined : value;
  }

  name(i: number): string {
    const f = this.fw;
    const o = this.fb + 4 * i;
    return internLower(this.raw, f[o]!, f[o + 1]!);
  }

  originalName(i: number): string {
    const f = this.fw;
    const o = this.fb + 4 * i;
    return intern(this.raw, f[o]!, f[o + 1]!);
  }

  value(i: number): string {
    const f = this.fw;
    const o = this.fb + 4 * i;
    return intern(this.raw, f[o + 2]!, f[o + 3]!);
  }

  nameIs(i: number, lowerName: Uint8Array): boolean {
    const f = this.fw;
    const o = this.fb + 4 * i;
    const a = f[o]!;
    const len = lowerName.length;
    if (f[o + 1]! - a !== len) return false;
    const raw = this.raw;
    for (let k = 0; k < len; k++) if (LOWER[raw[a + k]!] !== lowerName[k]) return false;
    return true;
  }

  /** Index of the first field named `lowerName` (lower-case) at or after `from`, or -1. */
  indexOf(lowerName: string, from = 0): number {
    const f = this.fw;
    const raw = this.raw;
    const len = lowerName.length;
    outer: for (let i = from; i < this.fieldCount; i++) {
      const a = f[this.fb + 4 * i]!;
      if (f[this.fb + 4 * i + 1]! - a !== len) continue;
      for (let k = 0; k < len; k++) if (LOWER[raw[a + k]!] !== lowerName.charCodeAt(k)) continue outer;
      return i;
    }
    return -1;
  }

  get(lowerName: string): string | undefined {
    const i = this.indexOf(lowerName);
    return i < 0 ? undefined : this.value(i);
  }
}

/** A trailer section as a Head: fields only. */
export function trailerHead(isRequest: boolean, raw: Uint8Array, versionMinor: 0 | 1, count: number, scratch: Uint32Array): H1Head {
  const fb = storeWords(scratch, count << 2);
  return new H1Head(isRequest, raw, "", 0, versionMinor, count, wordsSlab(), fb, BodyKind.None, -1, true, NO_TOKENS, false, 0, 0, -1, -1);
}

/** An Upgrade value naming h2c and nothing else (case-insensitive, any spacing). */
function onlyH2c(value: string): boolean {
  if (value.length < 3) return false;
  let seen = false;
  for (const token of value.split(",")) {
    const t = token.trim();
    if (t === "") continue;
    if (t.toLowerCase() !== "h2c") return false;
    seen = true;
  }
  return seen;
}
