/**
 * A lazy binary heap of (load, order) keys: a changed load is pushed anew and
 * stale entries are dropped when they surface, so every update is O(log n)
 * and the least (or, with negated loads, the most) loaded node is found
 * without scanning the fleet.
 * @internal
 */
// @ts-nocheck

export class LoadHeap {
  #keys: number[] = [];
  #orders: number[] = [];

  get size(): number {
    return this.#keys.length;
  }

  push(key: number, order: number): void {
    const k = this.#keys;
    const o = this.#orders;
    k.push(key);
    o.push(order);
    let i = k.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  /** The top entry, or undefined. */
  peek(): { key: number; order: number } | undefined {
    if (this.#keys.length === 0) return undefined;
    return { key: this.#keys[0]!, order: this.#orders[0]! };
  }

  pop(): void {
    const k = this.#keys;
    const o = this.#orders;
    const lastK = k.pop();
    const lastO = o.pop();
    if (k.length === 0 || lastK === undefined || lastO === undefined) return;
    k[0] = lastK;
    o[0] = lastO;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < k.length && this.#less(l, m)) m = l;
      if (r < k.length && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
  }

  clear(): void {
    this.#keys = [];
    this.#orders = [];
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    return ka < kb || (ka === kb && this.#orders[a]! < this.#orders[b]!);
  }

  #swap(a: number, b: number): void {
    const k = this.#keys;
    const o = this.#orders;
    const tk = k[a]!;
    k[a] = k[b]!;
    k[b] = tk;
    const to = o[a]!;
    o[a] = o[b]!;
    o[b] = to;
  }
}
