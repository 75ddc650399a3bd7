// Small, allocation-light text helpers shared by the log formatters: HAProxy's
// date styles (cached per second: most lines of a busy second share the same
// prefix), ISO dates for JSON, and the escaping HAProxy applies to log fields.
//
// Dates are UTC everywhere except the explicitly local variables (%Tl, %trl):
// sluice logs in UTC (HAProxy's %t/%tr use the process's local time zone,
// which is the same thing on a UTC host).

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? "0" + n : "" + n;
}

function pad3(n: number): string {
  return n < 10 ? "00" + n : n < 100 ? "0" + n : "" + n;
}

function pad4(n: number): string {
  return n < 10 ? "000" + n : n < 100 ? "00" + n : n < 1000 ? "0" + n : "" + n;
}

/** A two-slot cache of "the part of a date that only changes every second". */
class SecondCache {
  private s0 = NaN;
  private v0 = "";
  private s1 = NaN;
  private v1 = "";
  private next = 0;
  constructor(private readonly build: (sec: number) => string) {}
  get(sec: number): string {
    if (sec === this.s0) return this.v0;
    if (sec === this.s1) return this.v1;
    const v = this.build(sec);
    if (this.next === 0) {
      this.s0 = sec;
      this.v0 = v;
    } else {
      this.s1 = sec;
      this.v1 = v;
    }
    this.next ^= 1;
    return v;
  }
}

/** "25/Nov/2026:08:20:00" (UTC). */
function clfSecond(sec: number): string {
  const d = new Date(sec * 1000);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${pad4(d.getUTCFullYear())}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** "2026-11-25T08:20:00." (UTC). */
function isoSecond(sec: number): string {
  const d = new Date(sec * 1000);
  return `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
}

/** "25/Nov/2026:09:20:00 +0100" (local time zone, HAProxy's %Tl). */
function localSecond(sec: number): string {
  const d = new Date(sec * 1000);
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  return `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${pad4(d.getFullYear())}:` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ` +
    `${off < 0 ? "-" : "+"}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

const clfCache = new SecondCache((sec) => clfSecond(sec) + ".");
const gmtCache = new SecondCache((sec) => clfSecond(sec) + " +0000");
const isoCache = new SecondCache(isoSecond);
const localCache = new SecondCache(localSecond);

/** HAProxy's log date with milliseconds (%t, %tr): "25/Nov/2026:08:20:00.123" (UTC). */
export function formatLogDate(ms: number): string {
  const t = Math.floor(ms);
  const sec = Math.floor(t / 1000);
  return clfCache.get(sec) + pad3(t - sec * 1000);
}

/** HAProxy's GMT date (%T, %trg): "25/Nov/2026:08:20:00 +0000". */
export function formatGmtDate(ms: number): string {
  return gmtCache.get(Math.floor(ms / 1000));
}

/** HAProxy's local date (%Tl, %trl): "25/Nov/2026:09:20:00 +0100". */
export function formatLocalDate(ms: number): string {
  return localCache.get(Math.floor(ms / 1000));
}

/** ISO 8601 with milliseconds, UTC: "2026-11-25T08:20:00.123Z" (same as Date#toISOString for years 0-9999). */
export function formatIsoDate(ms: number): string {
  const t = Math.floor(ms);
  const sec = Math.floor(t / 1000);
  return isoCache.get(sec) + pad3(t - sec * 1000) + "Z";
}

/** Zero-padded milliseconds of a date (%ms). */
export function millisOf(ms: number): string {
  const t = Math.floor(ms);
  return pad3(t - Math.floor(t / 1000) * 1000);
}

// ---- escaping ----

const HEX = "0123456789ABCDEF";

function hexByte(b: number): string {
  return HEX[b >> 4]! + HEX[b & 15]!;
}

/** Uppercase hex of a non-negative integer, at least `width` digits (HAProxy's %04X / %02X). */
export function hexPad(n: number, width: number): string {
  const s = Math.max(0, Math.floor(n)).toString(16).toUpperCase();
  return s.length >= width ? s : "0".repeat(width - s.length) + s;
}

/**
 * HAProxy's url_encode_map with '#' as the escape: control characters, DEL and
 * above, '"' and '#' become "#XX". Applied to the request line and its parts
 * (%r, %HM, %HU, %HP, %HQ, %HV), so a log line can never be split or unquoted
 * by a request. With `esc` (the +E flag) '\' and ']' are also backslash-escaped.
 *
 * Code units up to 0xFF are taken as bytes (a latin1 view of the raw request);
 * above that the character's UTF-8 bytes are encoded.
 */
export function encodeRequestText(s: string, esc: boolean): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c >= 127 || c === 34 || c === 35 || (esc && (c === 92 || c === 93))) {
      return encodeFrom(s, i, esc);
    }
  }
  return s;
}

function encodeFrom(s: string, start: number, esc: boolean): string {
  let out = s.slice(0, start);
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || (c >= 127 && c <= 0xff) || c === 34 || c === 35) out += "#" + hexByte(c);
    else if (c > 0xff) {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of utf8(cp)) out += "#" + hexByte(b);
    } else if (esc && (c === 92 || c === 93)) out += "\\" + s[i];
    else out += s[i];
  }
  return out;
}

function utf8(cp: number): number[] {
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** The +E flag on plain strings: '"', '\' and ']' get a backslash (RFC 5424 PARAM-VALUE). */
export function escapeRfc5424(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c === 93) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) {
        const d = s.charCodeAt(j);
        out += d === 34 || d === 92 || d === 93 ? "\\" + s[j] : s[j];
      }
      return out;
    }
  }
  return s;
}

/**
 * An IP address in HAProxy's +X form: IPv4 as 8 hex digits, IPv6 as 32, most
 * significant byte first. Anything else (empty, "unix", garbage) → "".
 */
export function ipToHex(addr: string): string {
  const v4 = parseIpv4(addr);
  if (v4 !== undefined) return v4.map(hexByte).join("");
  const v6 = parseIpv6(addr);
  return v6 === undefined ? "" : v6.map(hexByte).join("");
}

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return undefined;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      n = n * 10 + c;
    }
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIpv6(s: string): number[] | undefined {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (p.length === 0 || p.length > 4) return undefined;
      let n = 0;
      for (let j = 0; j < p.length; j++) {
        const d = HEX.indexOf(p[j]!.toUpperCase());
        if (d < 0) return undefined;
        n = n * 16 + d;
      }
      out.push(n);
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 255);
  return bytes;
}
