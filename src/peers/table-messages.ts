// The bodies of the stick-table messages of HAProxy's peers protocol 2.1:
// table definition, switch, ack and entry updates (plain, incremental, timed).
// A definition names a table and says which data types its updates carry, in
// the order of their numbers (data-types.ts); an update carries the key and
// then one value per announced type. Pure: values in, bytes out, and back;
// a malformed body is a string saying what is wrong (the session answers it
// with a protocol error, as HAProxy does).
import { normalizeKey, parseIPv4 } from "../stick/keys.ts";
import type { StickKey, StickKeyType } from "../stick/types.ts";
import { WIRE_TYPES } from "./data-types.ts";
import { pushVarint, readVarint } from "./varint.ts";

/** Key types on the wire (HAProxy's PEER_KT_*, first mapped on its sample types). */
export const WIRE_KEY_TYPE: Readonly<Record<StickKeyType, number>> = { integer: 2, ip: 4, ipv6: 5, string: 6, binary: 7 };

/** A table as a definition message announces it. */
export interface TableDefinition {
  /** The sender's number for the table (updates' acks and switches name it). */
  readonly id: number;
  /** The shared name: a proxy's name, or a peers section table's own name. */
  readonly name: string;
  /** Undefined: a key type this side does not know (the table is then ignored). */
  readonly keyType: StickKeyType | undefined;
  /** HAProxy's key_size: 4 (integer, ip), 16 (ipv6), len+1 (string with len; 32 without), len (binary). */
  readonly keySize: number;
  /** The data types stored, ascending wire numbers. */
  readonly types: readonly number[];
  readonly expireMs: number;
  /** Periods (ms) of the frequency counters, by wire number. */
  readonly periods: ReadonlyMap<number, number>;
  /** Element counts of the array types, by wire number. */
  readonly arraySizes: ReadonlyMap<number, number>;
}

/** A frequency counter as it travels: ms since its period began, events in it, events of the period before. */
export interface FreqValue {
  readonly elapsed: number;
  readonly curr: number;
  readonly prev: number;
}

/** One data type's value in an update (dict: server_key's text, or undefined for none, kept only to be skipped). */
export type WireValue = number | FreqValue | readonly number[] | readonly FreqValue[] | string | undefined;

export interface EntryUpdate {
  /** The sender's update number; undefined in an incremental update (the previous one plus 1). */
  readonly updateId: number | undefined;
  /** Timed updates: ms left before the entry expires. */
  readonly expireMs: number | undefined;
  readonly key: StickKey;
  /** One value per type of the definition, in its order. */
  readonly values: readonly WireValue[];
}

type Read<T> = { ok: true; value: T; next: number } | { ok: false; error: string };

function u32(out: number[], n: number): void {
  out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function encodeDefine(def: TableDefinition): number[] {
  const out: number[] = [];
  pushVarint(out, def.id);
  const name = latin1Bytes(def.name);
  pushVarint(out, name.length);
  out.push(...name);
  pushVarint(out, def.keyType === undefined ? 0 : WIRE_KEY_TYPE[def.keyType]);
  pushVarint(out, def.keySize);
  let bits = 0n;
  for (const t of def.types) bits |= 1n << BigInt(t);
  pushVarint(out, Number(bits));
  pushVarint(out, def.expireMs);
  for (const t of def.types) {
    const w = WIRE_TYPES[t]!;
    if (w.array) {
      pushVarint(out, t);
      pushVarint(out, def.arraySizes.get(t) ?? 1);
      if (w.kind === "freq") pushVarint(out, def.periods.get(t) ?? 0);
    } else if (w.kind === "freq") {
      pushVarint(out, t);
      pushVarint(out, def.periods.get(t) ?? 0);
    }
  }
  return out;
}

/**
 * A definition's body. `ignore` (not an error): a table whose parameters
 * cannot be read in full or whose types are unknown here; HAProxy ignores it
 * too, and the updates that follow for it.
 */
export function decodeDefine(b: Uint8Array): { ok: true; def: TableDefinition } | { ok: false; error: string } | { ok: "ignore"; id: number; name: string } {
  const end = b.length;
  const id = readVarint(b, 0, end);
  if (id === undefined) return { ok: false, error: "table definition: truncated table id" };
  const nameLen = readVarint(b, id.next, end);
  if (nameLen === undefined || nameLen.value === 0 || nameLen.next + nameLen.value >= end) {
    return { ok: false, error: "table definition: bad table name length" };
  }
  const name = latin1Text(b, nameLen.next, nameLen.next + nameLen.value);
  let at = nameLen.next + nameLen.value;
  const head: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = readVarint(b, at, end);
    if (r === undefined) return { ok: false, error: "table definition: truncated" };
    head.push(r.value);
    at = r.next;
  }
  const [wireKey, keySize, bitfield] = head as [number, number, number];
  const keyType = (Object.keys(WIRE_KEY_TYPE) as StickKeyType[]).find((k) => WIRE_KEY_TYPE[k] === wireKey);
  const types: number[] = [];
  let bits = BigInt(bitfield);
  for (let t = 0; bits > 0n; t++, bits >>= 1n) if ((bits & 1n) === 1n) types.push(t);
  const ignore = { ok: "ignore" as const, id: id.value, name };
  if (types.some((t) => t >= WIRE_TYPES.length)) return ignore;
  const periods = new Map<number, number>();
  const arraySizes = new Map<number, number>();
  const expire = readVarint(b, at, end);
  if (expire === undefined) {
    // A 2.0 peer: no expiry and no parameters; arrays cannot be read without their sizes.
    if (types.some((t) => WIRE_TYPES[t]!.array)) return ignore;
    return { ok: true, def: { id: id.value, name, keyType, keySize, types, expireMs: 0, periods, arraySizes } };
  }
  at = expire.next;
  for (const t of types) {
    const w = WIRE_TYPES[t]!;
    if (!w.array && w.kind !== "freq") continue;
    const params = w.array && w.kind === "freq" ? 3 : 2;
    const got: number[] = [];
    for (let i = 0; i < params; i++) {
      const r = readVarint(b, at, end);
      if (r === undefined) return ignore;
      got.push(r.value);
      at = r.next;
    }
    if (got[0] !== t) return ignore;
    if (w.array) {
      arraySizes.set(t, got[1]!);
      if (w.kind === "freq") periods.set(t, got[2]!);
    } else periods.set(t, got[1]!);
  }
  return { ok: true, def: { id: id.value, name, keyType, keySize, types, expireMs: expire.value, periods, arraySizes } };
}

/** A switch: updates that follow are for the table the sender numbered `id`. */
export function encodeSwitch(id: number): number[] {
  const out: number[] = [];
  pushVarint(out, id);
  return out;
}

export function decodeSwitch(b: Uint8Array): Read<number> {
  const r = readVarint(b, 0, b.length);
  return r === undefined ? { ok: false, error: "switch: truncated table id" } : { ok: true, value: r.value, next: r.next };
}

/** An ack: updates up to `updateId` of the receiver's table `tableId` (the id its definition gave) arrived. */
export function encodeAck(tableId: number, updateId: number): number[] {
  const out: number[] = [];
  pushVarint(out, tableId);
  u32(out, updateId);
  return out;
}

export function decodeAck(b: Uint8Array): { ok: true; tableId: number; updateId: number } | { ok: false; error: string } {
  const r = readVarint(b, 0, b.length);
  if (r === undefined || r.next + 4 > b.length) return { ok: false, error: "ack: truncated" };
  return { ok: true, tableId: r.value, updateId: readU32(b, r.next) };
}

/** The key as the wire carries it for a table of `def`'s type and key size. */
function pushKey(out: number[], def: TableDefinition, key: StickKey): void {
  switch (def.keyType) {
    case "integer":
      return u32(out, Number(key) >>> 0);
    case "ip":
      return u32(out, parseIPv4(String(key), 0, String(key).length) >>> 0);
    case "ipv6":
      out.push(...ipv6Bytes(String(key)));
      return;
    case "string": {
      const bytes = latin1Bytes(String(key));
      pushVarint(out, bytes.length);
      out.push(...bytes);
      return;
    }
    case "binary":
    case undefined: {
      const bytes = latin1Bytes(String(key));
      for (let i = 0; i < def.keySize; i++) out.push(bytes[i] ?? 0);
      return;
    }
  }
}

function pushValue(out: number[], t: number, def: TableDefinition, value: WireValue): void {
  const w = WIRE_TYPES[t]!;
  const count = w.array ? (def.arraySizes.get(t) ?? 1) : 1;
  const items = w.array ? (value as readonly (number | FreqValue)[]) : [value];
  for (let i = 0; i < count; i++) {
    const item = items[i];
    if (w.kind === "dict") {
      // sluice keeps no server_key: it announces none and sends "no entry".
      pushVarint(out, 0);
    } else if (w.kind === "freq") {
      const f = (item as FreqValue | undefined) ?? { elapsed: 0, curr: 0, prev: 0 };
      pushVarint(out, f.elapsed >>> 0);
      pushVarint(out, f.curr);
      pushVarint(out, f.prev);
    } else {
      const n = (item as number | undefined) ?? 0;
      // Every counter sluice keeps is 0 or more (server ids start at 1).
      pushVarint(out, n > 0 ? n : 0);
    }
  }
}

/** An update's type byte: with its id or incremental, timed or not. */
export function updateType(withId: boolean, timed: boolean): number {
  return timed ? (withId ? 0x85 : 0x86) : withId ? 0x80 : 0x81;
}

export function encodeUpdate(def: TableDefinition, u: EntryUpdate): number[] {
  const out: number[] = [];
  if (u.updateId !== undefined) u32(out, u.updateId);
  if (u.expireMs !== undefined) u32(out, Math.max(0, Math.round(u.expireMs)));
  pushKey(out, def, u.key);
  for (let i = 0; i < def.types.length; i++) pushValue(out, def.types[i]!, def, u.values[i]);
  return out;
}

/** An update's body, read with the definition the sender announced for its table (`withId`, `timed`: from its type). */
export function decodeUpdate(def: TableDefinition, b: Uint8Array, withId: boolean, timed: boolean): { ok: true; update: EntryUpdate } | { ok: false; error: string } {
  const end = b.length;
  let at = 0;
  let updateId: number | undefined;
  let expireMs: number | undefined;
  if (withId) {
    if (at + 4 > end) return { ok: false, error: "update: truncated update id" };
    updateId = readU32(b, at);
    at += 4;
  }
  if (timed) {
    if (at + 4 > end) return { ok: false, error: "update: truncated expiry" };
    expireMs = readU32(b, at);
    at += 4;
  }
  const key = readKey(def, b, at);
  if (!key.ok) return key;
  at = key.next;
  const values: WireValue[] = [];
  for (const t of def.types) {
    const v = readValue(def, t, b, at);
    if (!v.ok) return v;
    values.push(v.value);
    at = v.next;
  }
  return { ok: true, update: { updateId, expireMs, key: key.value, values } };
}

function readKey(def: TableDefinition, b: Uint8Array, at: number): Read<StickKey> {
  const end = b.length;
  switch (def.keyType) {
    case "integer":
    case "ip": {
      if (at + 4 > end) return { ok: false, error: "update: truncated key" };
      const n = readU32(b, at);
      const key = def.keyType === "integer" ? n : `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      return { ok: true, value: key, next: at + 4 };
    }
    case "ipv6": {
      if (at + 16 > end) return { ok: false, error: "update: truncated key" };
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
      return { ok: true, value: normalizeKey("ipv6", 16, groups.join(":"))!, next: at + 16 };
    }
    case "string": {
      const len = readVarint(b, at, end);
      if (len === undefined || len.next + len.value > end) return { ok: false, error: "update: truncated key" };
      // HAProxy keeps at most key_size - 1 bytes (its NUL), and its keys stop at a NUL.
      const text = latin1Text(b, len.next, len.next + Math.min(len.value, Math.max(0, def.keySize - 1)));
      const nul = text.indexOf("\0");
      return { ok: true, value: nul >= 0 ? text.slice(0, nul) : text, next: len.next + len.value };
    }
    default: {
      if (at + def.keySize > end) return { ok: false, error: "update: truncated key" };
      return { ok: true, value: latin1Text(b, at, at + def.keySize), next: at + def.keySize };
    }
  }
}

function readValue(def: TableDefinition, t: number, b: Uint8Array, at: number): Read<WireValue> {
  const end = b.length;
  const w = WIRE_TYPES[t]!;
  if (w.kind === "dict") {
    const len = readVarint(b, at, end);
    if (len === undefined || len.next + len.value > end) return { ok: false, error: `update: truncated ${w.name}` };
    return { ok: true, value: undefined, next: len.next + len.value };
  }
  const count = w.array ? (def.arraySizes.get(t) ?? 0) : 1;
  const items: (number | FreqValue)[] = [];
  for (let i = 0; i < count; i++) {
    const parts = w.kind === "freq" ? 3 : 1;
    const got: number[] = [];
    for (let j = 0; j < parts; j++) {
      const r = readVarint(b, at, end);
      if (r === undefined) return { ok: false, error: `update: truncated ${w.name}` };
      got.push(r.value);
      at = r.next;
    }
    items.push(w.kind === "freq" ? { elapsed: got[0]!, curr: got[1]!, prev: got[2]! } : got[0]!);
  }
  return { ok: true, value: w.array ? (items as readonly number[] | readonly FreqValue[]) : items[0], next: at };
}

function latin1Bytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 255);
  return out;
}

function latin1Text(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** 16 bytes of an IPv6 key (RFC 5952 text, a mapped IPv4 tail allowed). */
function ipv6Bytes(text: string): number[] {
  const groups = new Array<number>(8).fill(0);
  let s = text;
  const tail: number[] = [];
  const dot = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = parseIPv4(s, dot + 1, s.length) >>> 0;
    tail.push(v4 >>> 16, v4 & 0xffff);
    s = s.slice(0, dot + 1) + "0:0";
  }
  const [headText, restText] = s.includes("::") ? (s.split("::") as [string, string]) : [s, undefined];
  const head = headText === "" ? [] : headText.split(":").map((g) => parseInt(g, 16));
  const rest = restText === undefined || restText === "" ? [] : restText.split(":").map((g) => parseInt(g, 16));
  head.forEach((g, i) => (groups[i] = g));
  rest.forEach((g, i) => (groups[8 - rest.length + i] = g));
  if (tail.length === 2) {
    groups[6] = tail[0]!;
    groups[7] = tail[1]!;
  }
  const out: number[] = [];
  for (const g of groups) out.push((g >>> 8) & 255, g & 255);
  return out;
}
