// One list of idle connections per reuse key, most recently used last. The
// key "" (nothing client-dependent) has its own field: the usual case, no
// Map lookup.
import type { PoolConn } from "../conn/types.ts";

export class KeyedList {
  plain: PoolConn[] = [];
  private readonly keyed = new Map<string, PoolConn[]>();
  size = 0;

  list(key: string, create: boolean): PoolConn[] | undefined {
    if (key === "") return this.plain;
    let l = this.keyed.get(key);
    if (l === undefined && create) this.keyed.set(key, l = []);
    return l;
  }

  *all(): Generator<PoolConn[]> {
    yield this.plain;
    yield* this.keyed.values();
  }

  /** A keyed list left empty goes (one key per client with send-proxy: they must not pile up). */
  prune(key: string, l: PoolConn[]): void {
    if (l.length === 0 && key !== "") this.keyed.delete(key);
  }

  /** Every key's list, with the keyed ones forgotten (closeIdle). */
  drain(): PoolConn[] {
    const out = this.plain.splice(0);
    for (const l of this.keyed.values()) out.push(...l);
    this.keyed.clear();
    this.size = 0;
    return out;
  }

  remove(conn: PoolConn): boolean {
    const l = this.list(conn.key, false);
    const i = l?.indexOf(conn) ?? -1;
    if (i < 0) return false;
    l!.splice(i, 1);
    this.size--;
    if (l!.length === 0 && conn.key !== "") this.keyed.delete(conn.key);
    return true;
  }
}
