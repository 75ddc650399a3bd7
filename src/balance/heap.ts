// An indexed binary min-heap over slots 0..n-1 (a balancer's targets): the
// order is the caller's `less`, and a slot whose key changed is moved in
// O(log n). Two typed arrays, nothing allocated per operation.

export class SlotHeap {
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  /** Scratch for `findMin`: a small heap of candidate heap positions. */
  private readonly frontier: Int32Array;

  constructor(readonly size: number, private readonly less: (a: number, b: number) => boolean) {
    this.heap = new Int32Array(size);
    this.pos = new Int32Array(size);
    this.frontier = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      this.heap[i] = i;
      this.pos[i] = i;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The least slot, or -1 when empty. */
  top(): number {
    return this.size === 0 ? -1 : this.heap[0]!;
  }

  /** `slot`'s key changed: put it back in order. */
  fix(slot: number): void {
    const i = this.pos[slot]!;
    if (!this.up(i)) this.down(i);
  }

  /**
   * The least slot that `ok` accepts, or -1. Best-first from the root: only
   * slots less than the answer are visited, so when the root is acceptable
   * (the usual case) this is O(1).
   */
  findMin(ok: (slot: number) => boolean): number {
    if (this.size === 0) return -1;
    const root = this.heap[0]!;
    if (ok(root)) return root;
    const f = this.frontier;
    let n = 0;
    const push = (p: number) => {
      if (p >= this.size) return;
      let i = n++;
      f[i] = p;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.less(this.heap[f[i]!]!, this.heap[f[parent]!]!)) break;
        const t = f[i]!;
        f[i] = f[parent]!;
        f[parent] = t;
        i = parent;
      }
    };
    const pop = (): number => {
      const out = f[0]!;
      f[0] = f[--n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && this.less(this.heap[f[l]!]!, this.heap[f[m]!]!)) m = l;
        if (r < n && this.less(this.heap[f[r]!]!, this.heap[f[m]!]!)) m = r;
        if (m === i) break;
        const t = f[i]!;
        f[i] = f[m]!;
        f[m] = t;
        i = m;
      }
      return out;
    };
    push(1);
    push(2);
    while (n > 0) {
      const p = pop();
      const slot = this.heap[p]!;
      if (ok(slot)) return slot;
      push(2 * p + 1);
      push(2 * p + 2);
    }
    return -1;
  }

  private up(i: number): boolean {
    const h = this.heap;
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
    return i !== start;
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.size && this.less(h[l]!, h[m]!)) m = l;
      if (r < this.size && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    this.pos[b] = i;
    this.pos[a] = j;
  }
}
