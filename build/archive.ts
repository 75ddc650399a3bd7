// Deterministic release archives: the same files give the same bytes, whoever
// builds them and whenever. Entries in the order given (release.ts sorts them),
// one fixed mtime, owner root (0:0), modes 0755/0644; gzip without a name or
// date in its header; zip with DOS times from the same mtime. Written here
// rather than by tar/zip so that no host tool's version or flags change them.
import { crc32 } from "../src/rules/convert/hash.ts";
import { deflateRawSync, gzipSync } from "node:zlib";

export interface ArchiveEntry {
  /** The path inside the archive; a directory ends with "/". */
  readonly path: string;
  /** The content (absent for a directory). */
  readonly data?: Uint8Array;
  /** Unix permission bits: 0o755 for executables and directories, 0o644 for the rest. */
  readonly mode: number;
}

const BLOCK = 512;
/** GNU tar's default record: an archive's length is a multiple of it. */
const RECORD = 20 * BLOCK;

function putString(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
  header.set(bytes, offset);
}

function putOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  putString(header, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function tarHeader(entry: ArchiveEntry, mtime: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const dir = entry.path.endsWith("/");
  if (entry.path.length > 100) throw new Error(`path too long for a ustar header: ${entry.path}`);
  putString(header, 0, 100, entry.path);
  putOctal(header, 100, 8, entry.mode);
  putOctal(header, 108, 8, 0); // uid
  putOctal(header, 116, 8, 0); // gid
  putOctal(header, 124, 12, dir ? 0 : entry.data!.length);
  putOctal(header, 136, 12, mtime);
  header.fill(0x20, 148, 156); // the checksum counts itself as spaces
  header[156] = dir ? 0x35 : 0x30; // '5' directory, '0' file
  putString(header, 257, 6, "ustar\0");
  putString(header, 263, 2, "00");
  putString(header, 265, 32, "root");
  putString(header, 297, 32, "root");
  let sum = 0;
  for (const b of header) sum += b;
  putString(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return header;
}

/** A ustar archive, gzip-compressed (level 6, gzip's default: level 9 took twice as long for 2.5 % less; the gzip header has no name and mtime 0). */
export function tarGz(entries: readonly ArchiveEntry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  const push = (bytes: Uint8Array) => {
    parts.push(bytes);
    length += bytes.length;
  };
  for (const entry of entries) {
    push(tarHeader(entry, mtime));
    if (entry.data !== undefined && !entry.path.endsWith("/")) {
      push(entry.data);
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad > 0) push(new Uint8Array(pad));
    }
  }
  push(new Uint8Array(2 * BLOCK)); // the end: two zero blocks
  const padded = Math.ceil(length / RECORD) * RECORD;
  if (padded > length) push(new Uint8Array(padded - length));
  const tar = new Uint8Array(padded);
  let at = 0;
  for (const p of parts) {
    tar.set(p, at);
    at += p.length;
  }
  const gz = gzipSync(tar, { level: 6 });
  gz[9] = 3; // the header's OS byte: Unix, whichever system zlib was built for
  return gz;
}


/** MS-DOS date and time fields of an epoch second, read as UTC (zip has no zone). */
function dosDateTime(epochSeconds: number): { time: number; date: number } {
  const d = new Date(Math.max(epochSeconds, 315532800) * 1000); // DOS dates start in 1980
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip archive (deflate), "made by" Unix so that unzip restores the modes. */
export function zip(entries: readonly ArchiveEntry[], mtime: number): Uint8Array {
  const { time, date } = dosDateTime(mtime);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.path);
    const dir = entry.path.endsWith("/");
    const raw = dir ? new Uint8Array(0) : entry.data!;
    const stored = dir ? raw : deflateRawSync(raw, { level: 9 });
    const crc = crc32(raw);
    const method = dir ? 0 : 8;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed: 2.0
    lv.setUint16(6, 0x0800, true); // names are UTF-8
    lv.setUint16(8, method, true);
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, stored.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, (3 << 8) | 20, true); // made by Unix, zip 2.0
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, stored.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    // Unix mode and file type in the high half; MS-DOS's directory bit in the low.
    cv.setUint32(38, (((dir ? 0o040000 : 0o100000) | entry.mode) << 16 >>> 0) | (dir ? 0x10 : 0), true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, stored);
    centrals.push(central);
    offset += local.length + stored.length;
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + end.length);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
