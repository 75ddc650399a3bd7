// What the headers of a Mach-O or PE executable say, read from their bytes
// (Debian has no otool or dumpbin; `file` names the format, these the details
// a release must have). ELF binaries are read with readelf instead.
import { readSync, openSync, closeSync } from "node:fs";

function head(path: string, bytes: number): DataView {
  const buf = new Uint8Array(bytes);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
  return new DataView(buf.buffer);
}

function cString(view: DataView, offset: number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    const c = view.getUint8(offset + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

export interface MachO {
  /** "arm64" or "x86_64" (from cputype). */
  readonly cpu: string;
  /** Segment names (LC_SEGMENT_64), in order: Bun's application lives in __BUN. */
  readonly segments: string[];
  /** LC_CODE_SIGNATURE present: macOS on Apple silicon runs no unsigned code (Bun signs ad hoc). */
  readonly signed: boolean;
}

const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;

export function readMachO(path: string): MachO {
  const v = head(path, 65536);
  if (v.getUint32(0, true) !== 0xfeedfacf) throw new Error(`${path}: not a 64-bit little-endian Mach-O`);
  const cputype = v.getUint32(4, true);
  const cpu = cputype === 0x0100000c ? "arm64" : cputype === 0x01000007 ? "x86_64" : `0x${cputype.toString(16)}`;
  const ncmds = v.getUint32(16, true);
  const segments: string[] = [];
  let signed = false;
  let at = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = v.getUint32(at, true);
    if (cmd === LC_SEGMENT_64) segments.push(cString(v, at + 8, 16));
    if (cmd === LC_CODE_SIGNATURE) signed = true;
    at += v.getUint32(at + 4, true);
  }
  return { cpu, segments, signed };
}

export interface Pe {
  /** 0x8664 for x86-64. */
  readonly machine: number;
  /** 3: a console program (IMAGE_SUBSYSTEM_WINDOWS_CUI). */
  readonly subsystem: number;
  readonly sections: string[];
}

export function readPe(path: string): Pe {
  const v = head(path, 4096);
  if (v.getUint16(0, true) !== 0x5a4d) throw new Error(`${path}: no MZ header`);
  const pe = v.getUint32(0x3c, true);
  if (v.getUint32(pe, true) !== 0x00004550) throw new Error(`${path}: no PE signature`);
  const machine = v.getUint16(pe + 4, true);
  const count = v.getUint16(pe + 6, true);
  const optional = v.getUint16(pe + 20, true);
  const subsystem = v.getUint16(pe + 24 + 68, true);
  const sections: string[] = [];
  for (let i = 0; i < count; i++) sections.push(cString(v, pe + 24 + optional + 40 * i, 8));
  return { machine, subsystem, sections };
}
