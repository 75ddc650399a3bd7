// One `peers` section at run time (issue 19): HAProxy's peers protocol with
// every remote peer of the section, so that the stick tables that name the
// section hold the same entries on every node (sluice or HAProxy).
//
// What happens, after HAProxy's src/peers.c (learned from, not copied):
//  - this process listens on its own peer's address and connects to every
//    other peer; a peer has one session at a time, and an incoming session
//    replaces the one in place (both sides connect at start; the loser retries
//    after a random 50..2050 ms, so the two settle on one connection);
//  - every local write of an entry (MemoryStickTable.onWrite) marks its key
//    for each peer; a flush (next timer turn) sends, per table, a definition
//    then one update per marked key with the entry's current values, numbered;
//    the peer acks the numbers it applied, and what was not acked when a
//    session ends is sent again on the next one;
//  - updates from a peer replace the entry's values here (applyRemote: not
//    pushed on again), and are acked;
//  - the first session after start asks its peer for a full resync (HAProxy's
//    resync request), and a peer that asks gets every entry, then "finished";
//  - heartbeats and the silence timeout live in peer-session.ts.
// conn_cur is sent but never taken (data-types.ts LOCAL_ONLY).
import type { PeersSectionConfig } from "../config/types.ts";
import { LOCAL_ONLY, WIRE_TYPES, wireIdOf } from "../peers/data-types.ts";
import {
  CLASS_CONTROL,
  CLASS_ERROR,
  CLASS_RESERVED,
  CLASS_STICKTABLE,
  CTRL_RESYNC_CONFIRM,
  CTRL_RESYNC_FINISHED,
  CTRL_RESYNC_PARTIAL,
  CTRL_RESYNC_REQUEST,
  ERR_PROTOCOL,
  type Frame,
  STKT_ACK,
  STKT_DEFINE,
  STKT_INCUPDATE,
  STKT_INCUPDATE_TIMED,
  STKT_SWITCH,
  STKT_UPDATE,
  STKT_UPDATE_TIMED,
  bodyFrame,
  shortFrame,
} from "../peers/frames.ts";
import { STATUS_SUCCESS, STATUS_UNKNOWN_PEER } from "../peers/handshake.ts";
import {
  decodeAck,
  decodeDefine,
  decodeSwitch,
  decodeUpdate,
  type EntryUpdate,
  encodeAck,
  encodeDefine,
  encodeUpdate,
  type FreqValue,
  type TableDefinition,
  updateType,
  type WireValue,
} from "../peers/table-messages.ts";
import type { Listener, Runtime, TimerHandle } from "../runtime/types.ts";
import type { RateState } from "../stick/freq.ts";
import type { MemoryStickTable } from "../stick/table.ts";
import type { StickEntry, StickKey } from "../stick/types.ts";
import { PeerSession, type PeerSessionOwner } from "./peer-session.ts";

/** A failed connect is tried again after this long (HAProxy's PEER_RECONNECT_TIMEOUT). */
const RECONNECT_MS = 5000;
/** A lost or replaced session: again after 50 ms plus up to this much, at random. */
const RETRY_SPREAD_MS = 2000;
/** How long the first resync may take before this process considers itself up to date. */
const RESYNC_MS = 5000;

interface TableLink {
  readonly table: MemoryStickTable;
  /** This side's number for it (the definitions and acks carry it). */
  readonly localId: number;
  readonly def: TableDefinition;
  /** The counter each of def.types is. */
  readonly counters: readonly string[];
}

interface RemoteTable {
  readonly link: TableLink;
  readonly def: TableDefinition;
  lastGet: number;
  lastAcked: number;
}

class RemotePeer {
  session: PeerSession | undefined;
  connecting = false;
  retry: TimerHandle | undefined;
  /** Per link: keys written here and not yet sent to this peer. */
  readonly dirty: Set<StickKey>[];
  /** Per link: keys sent and not yet acked, with their update number (ascending). */
  readonly unacked: Map<StickKey, number>[];
  readonly lastId: number[];
  /** This session's view of the peer's tables, by the peer's numbers. */
  remoteTables = new Map<number, RemoteTable | undefined>();
  current: RemoteTable | undefined;
  /** The table the last update sent was for (a definition goes before the first of another). */
  lastSentLink: TableLink | undefined;
  /** We asked this peer for a resync and it has not finished. */
  learning = false;

  constructor(readonly name: string, readonly host: string, readonly port: number, links: number) {
    this.dirty = Array.from({ length: links }, () => new Set());
    this.unacked = Array.from({ length: links }, () => new Map());
    this.lastId = new Array<number>(links).fill(0);
  }
}

export class PeersSync implements PeerSessionOwner {
  private readonly links: TableLink[];
  private readonly remotes = new Map<string, RemotePeer>();
  private listener: Listener | undefined;
  private stopped = false;
  private flushing = false;
  /** Up to date: a resync finished, or none could be had in RESYNC_MS. */
  private resynced = false;
  private resyncTimer: TimerHandle | undefined;

  constructor(
    readonly config: PeersSectionConfig,
    tables: readonly MemoryStickTable[],
    private readonly runtime: Runtime,
    private readonly tick: () => number,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.links = tables.map((table, i) => linkOf(table, i + 1));
    for (const r of config.remotes) this.remotes.set(r.name, new RemotePeer(r.name, r.host, r.port, this.links.length));
  }

  /** Listens on the local peer's address, hooks the tables, connects to every peer. */
  async start(): Promise<void> {
    const { host, port } = this.config.listen;
    this.listener = await this.runtime.listen({ hostname: host, port }, (socket) => {
      if (this.stopped) return socket.destroy();
      new PeerSession(socket, false, this.config.localName, this, this.runtime);
    });
    for (const link of this.links) link.table.onWrite = (e) => this.written(link, e);
    this.resyncTimer = this.runtime.setTimer(() => {
      // No resync in time: up to date as it is (HAProxy's), and pushing to everyone.
      this.resynced = true;
      for (const remote of this.remotes.values()) remote.learning = false;
      this.scheduleFlush();
    }, RESYNC_MS);
    for (const remote of this.remotes.values()) this.connect(remote);
  }

  stop(): void {
    this.stopped = true;
    this.listener?.close();
    for (const link of this.links) link.table.onWrite = undefined;
    if (this.resyncTimer !== undefined) this.runtime.clearTimer(this.resyncTimer);
    for (const remote of this.remotes.values()) {
      if (remote.retry !== undefined) this.runtime.clearTimer(remote.retry);
      remote.session?.close("stopping");
    }
  }

  /** The peers and whether each has a session now (tests, the runtime API). */
  status(): { name: string; connected: boolean }[] {
    return [...this.remotes.values()].map((r) => ({ name: r.name, connected: r.session?.open === true }));
  }

  // ---- PeerSessionOwner ----

  identify(session: PeerSession, remoteName: string): number {
    const remote = this.remotes.get(remoteName);
    if (remote === undefined) return STATUS_UNKNOWN_PEER;
    const old = remote.session;
    // The session in place gives way (closed() sends its unacked keys again on this one).
    if (old !== undefined && old !== session) old.close("replaced by the peer's new connection");
    remote.session = session;
    return STATUS_SUCCESS;
  }

  opened(session: PeerSession): void {
    const remote = this.remoteOf(session);
    if (remote === undefined) return session.close("no such peer");
    remote.remoteTables = new Map();
    remote.current = undefined;
    remote.lastSentLink = undefined;
    this.log(`peers '${this.config.name}': session with '${remote.name}' established (${session.outgoing ? "outgoing" : "incoming"})`);
    if (!this.resynced && ![...this.remotes.values()].some((r) => r.learning)) {
      remote.learning = true;
      session.send(shortFrame(CLASS_CONTROL, CTRL_RESYNC_REQUEST));
    }
    this.scheduleFlush();
  }

  frame(session: PeerSession, f: Frame): void {
    const remote = this.remoteOf(session);
    if (remote === undefined) return session.close("no such peer");
    if (f.cls === CLASS_CONTROL) return this.control(remote, session, f.type);
    if (f.cls === CLASS_ERROR) return session.close(`the peer reported a ${f.type === ERR_PROTOCOL ? "protocol" : "size limit"} error`);
    if (f.cls === CLASS_RESERVED) return this.protocolError(session, "a message of the reserved class");
    if (f.cls !== CLASS_STICKTABLE) return;
    const problem = this.tableMessage(remote, f);
    if (problem !== undefined) this.protocolError(session, problem);
  }

  closed(session: PeerSession, why: string): void {
    const remote = this.remoteOf(session);
    if (remote === undefined || remote.session !== session) return;
    remote.session = undefined;
    remote.learning = false;
    // What the peer did not ack goes again on the next session.
    remote.unacked.forEach((sent, i) => {
      for (const key of sent.keys()) remote.dirty[i]!.add(key);
      sent.clear();
    });
    this.log(`peers '${this.config.name}': session with '${remote.name}' ended (${why})`);
    this.retryLater(remote, 50 + Math.floor(Math.random() * RETRY_SPREAD_MS));
  }

  // ---- sending ----

  private written(link: TableLink, e: StickEntry): void {
    const i = link.localId - 1;
    for (const remote of this.remotes.values()) {
      const dirty = remote.dirty[i]!;
      dirty.add(e.key);
      // A peer away for long: keys the table no longer holds need not wait for it (bounds the set).
      if (dirty.size > 2 * link.table.spec.size + 1024) prune(dirty, link.table, this.tick());
    }
    this.scheduleFlush();
  }

  /** After the current turn: the writes of one turn go in one flush. */
  private scheduleFlush(): void {
    if (this.flushing || this.stopped) return;
    this.flushing = true;
    this.runtime.defer(() => {
      this.flushing = false;
      if (this.stopped) return;
      for (const remote of this.remotes.values()) this.flush(remote, false);
    });
  }

  /** Acks, then the marked keys (not to a peer we learn from until it is done, unless it asked to be taught). */
  private flush(remote: RemotePeer, teaching: boolean): void {
    const session = remote.session;
    if (session === undefined || !session.open) return;
    // One write per flush: the messages are gathered first.
    const out: Uint8Array[] = [];
    for (const [remoteId, t] of remote.remoteTables) {
      if (t === undefined || t.lastGet === t.lastAcked) continue;
      out.push(bodyFrame(STKT_ACK, encodeAck(remoteId, t.lastGet)));
      t.lastAcked = t.lastGet;
    }
    if (!remote.learning || teaching) this.gatherUpdates(remote, teaching, out);
    if (out.length > 0) session.send(out.length === 1 ? out[0]! : concatAll(out));
  }

  private gatherUpdates(remote: RemotePeer, teaching: boolean, out: Uint8Array[]): void {
    const now = this.tick();
    for (const link of this.links) {
      const i = link.localId - 1;
      const dirty = remote.dirty[i]!;
      if (dirty.size === 0) continue;
      for (const key of dirty) {
        const e = link.table.lookup(key, now);
        if (e === undefined) continue;
        if (remote.lastSentLink !== link) {
          out.push(bodyFrame(STKT_DEFINE, encodeDefine(link.def)));
          remote.lastSentLink = link;
        }
        const id = (remote.lastId[i] = (remote.lastId[i]! + 1) >>> 0);
        const unacked = remote.unacked[i]!;
        if (unacked.size > 2 * link.table.spec.size + 1024) prune(unacked, link.table, now);
        // A lesson carries each entry's time left (HAProxy's timed updates); live pushes let the peer's expire apply.
        const timed = teaching && Number.isFinite(e.expiresAt);
        const expireMs = timed ? Math.max(0, Math.round(e.expiresAt - now)) : undefined;
        const update: EntryUpdate = { updateId: id, expireMs, key, values: this.valuesOf(link, e, now) };
        out.push(bodyFrame(updateType(true, timed), encodeUpdate(link.def, update)));
        unacked.delete(key);
        unacked.set(key, id);
      }
      dirty.clear();
    }
  }

  private valuesOf(link: TableLink, e: StickEntry, now: number): WireValue[] {
    return link.counters.map((counter) => {
      const raw = link.table.rawCounter(e, counter);
      if (raw === undefined || typeof raw === "number") return raw ?? 0;
      return { elapsed: Math.max(0, Math.floor(now) - raw.start), curr: raw.curr, prev: raw.prev } satisfies FreqValue;
    });
  }

  // ---- receiving ----

  private control(remote: RemotePeer, session: PeerSession, type: number): void {
    switch (type) {
      case CTRL_RESYNC_REQUEST: {
        // Teach every entry, then say whether this side is itself up to date.
        const now = this.tick();
        for (const link of this.links) for (const e of link.table.entries(now)) remote.dirty[link.localId - 1]!.add(e.key);
        this.flush(remote, true);
        session.send(shortFrame(CLASS_CONTROL, this.resynced ? CTRL_RESYNC_FINISHED : CTRL_RESYNC_PARTIAL));
        return;
      }
      case CTRL_RESYNC_FINISHED:
      case CTRL_RESYNC_PARTIAL:
        session.send(shortFrame(CLASS_CONTROL, CTRL_RESYNC_CONFIRM));
        if (remote.learning) {
          remote.learning = false;
          if (type === CTRL_RESYNC_FINISHED) this.resynced = true;
          this.scheduleFlush();
        }
        return;
      default:
        // Confirm and heartbeat: nothing to do (the session's silence timer heard it).
        return;
    }
  }

  /** A stick-table message; what is wrong with it, if anything. */
  private tableMessage(remote: RemotePeer, f: Frame): string | undefined {
    switch (f.type) {
      case STKT_DEFINE: {
        const d = decodeDefine(f.body);
        if (d.ok === false) return d.error;
        const id = d.ok === "ignore" ? d.id : d.def.id;
        const link = d.ok === true ? this.links.find((l) => sameTable(l.def, d.def)) : undefined;
        remote.current = link === undefined || d.ok !== true ? undefined : { link, def: d.def, lastGet: 0, lastAcked: 0 };
        remote.remoteTables.set(id, remote.current);
        return undefined;
      }
      case STKT_SWITCH: {
        const s = decodeSwitch(f.body);
        if (!s.ok) return s.error;
        remote.current = remote.remoteTables.get(s.value);
        return undefined;
      }
      case STKT_ACK: {
        const a = decodeAck(f.body);
        if (!a.ok) return a.error;
        const sent = remote.unacked[a.tableId - 1];
        if (sent === undefined) return undefined;
        for (const [key, id] of sent) {
          if (id > a.updateId) break;
          sent.delete(key);
        }
        return undefined;
      }
      case STKT_UPDATE:
      case STKT_INCUPDATE:
      case STKT_UPDATE_TIMED:
      case STKT_INCUPDATE_TIMED: {
        const t = remote.current;
        if (t === undefined) return undefined;
        const withId = f.type === STKT_UPDATE || f.type === STKT_UPDATE_TIMED;
        const u = decodeUpdate(t.def, f.body, withId, f.type >= STKT_UPDATE_TIMED);
        if (!u.ok) return u.error;
        t.lastGet = u.update.updateId ?? (t.lastGet + 1) >>> 0;
        this.apply(t, u.update);
        this.scheduleFlush();
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private apply(t: RemoteTable, u: EntryUpdate): void {
    const now = this.tick();
    const values = new Map<string, number | RateState>();
    t.def.types.forEach((type, i) => {
      const w = WIRE_TYPES[type]!;
      const v = u.values[i];
      if (w.array || w.kind === "dict" || LOCAL_ONLY.has(w.name)) return;
      if (typeof v === "number") values.set(w.name, v);
      else if (typeof v === "object" && !Array.isArray(v)) {
        const f = v as FreqValue;
        values.set(w.name, { start: Math.floor(now) - f.elapsed, curr: f.curr, prev: f.prev });
      }
    });
    t.link.table.applyRemote(u.key, values, now, u.expireMs);
  }

  private protocolError(session: PeerSession, why: string): void {
    session.send(shortFrame(CLASS_ERROR, ERR_PROTOCOL));
    session.close(`protocol error: ${why}`, true);
  }

  // ---- connections ----

  private remoteOf(session: PeerSession): RemotePeer | undefined {
    return session.remoteName === undefined ? undefined : this.remotes.get(session.remoteName);
  }

  private retryLater(remote: RemotePeer, ms: number): void {
    if (this.stopped) return;
    if (remote.retry !== undefined) this.runtime.clearTimer(remote.retry);
    remote.retry = this.runtime.setTimer(() => {
      remote.retry = undefined;
      this.connect(remote);
    }, ms);
  }

  private connect(remote: RemotePeer): void {
    if (this.stopped || remote.session !== undefined || remote.connecting) return;
    remote.connecting = true;
    const placeholder = { data: () => {}, drain: () => {}, end: () => {}, close: () => {} };
    this.runtime.connect({ hostname: remote.host, port: remote.port, timeoutMs: 1000 }, placeholder).then(
      (socket) => {
        remote.connecting = false;
        if (this.stopped || remote.session !== undefined) return socket.destroy();
        const session = new PeerSession(socket, true, this.config.localName, this, this.runtime);
        remote.session = session;
        // The pid HAProxy sends is informative (its logs); this process's is not known to the core.
        session.hello(remote.name, 0);
      },
      () => {
        remote.connecting = false;
        this.retryLater(remote, RECONNECT_MS);
      },
    );
  }
}

/** Drops the keys `table` no longer holds from a peer's set or map of keys. */
function prune(keys: Set<StickKey> | Map<StickKey, number>, table: MemoryStickTable, now: number): void {
  for (const key of keys.keys()) if (table.lookup(key, now) === undefined) keys.delete(key);
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const bytes = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/** What this side announces for a table: its shared name, key, stored counters in wire order, expiry, periods. */
function linkOf(table: MemoryStickTable, localId: number): TableLink {
  const spec = table.spec;
  const stored = spec.store
    .map((c) => ({ c, id: wireIdOf(c.counter) }))
    .filter((x): x is { c: (typeof spec.store)[number]; id: number } => x.id !== undefined)
    .sort((a, b) => a.id - b.id);
  const periods = new Map<number, number>();
  for (const { c, id } of stored) if (c.periodMs !== undefined) periods.set(id, c.periodMs);
  const keySize = spec.type === "ip" || spec.type === "integer" ? 4 : spec.type === "ipv6" ? 16 : spec.type === "string" ? spec.len + 1 : spec.len;
  const def: TableDefinition = {
    id: localId,
    name: spec.sharedName ?? spec.name,
    keyType: spec.type,
    keySize,
    types: stored.map((x) => x.id),
    expireMs: spec.expireMs,
    periods,
    arraySizes: new Map(),
  };
  return { table, localId, def, counters: stored.map((x) => x.c.counter) };
}

/**
 * A peer's table is ours when the name, the key type and the key size agree
 * (HAProxy ignores it otherwise). A peers section's table is "/t" as HAProxy
 * 2.6 announces it; "t" (without the slash) is taken too.
 */
function sameTable(ours: TableDefinition, theirs: TableDefinition): boolean {
  const named = ours.name === theirs.name || (ours.name.startsWith("/") && ours.name.slice(1) === theirs.name);
  return named && ours.keyType === theirs.keyType && ours.keySize === theirs.keySize;
}
