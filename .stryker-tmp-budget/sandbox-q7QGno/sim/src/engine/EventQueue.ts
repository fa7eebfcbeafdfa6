/**
 * A min-heap of events ordered by `(time, sequence)`, stored in parallel typed
 * arrays so pushing and popping allocate nothing: the hot path of a million
 * events a second cannot afford an object or a closure per event.
 *
 * An event is `(time, kind, a, b)`: `kind` picks the handler, `a` and `b` are
 * integer payloads (a node index, a generation counter…).
 *
 * @example
 * const q = new EventQueue();
 * q.push(5, 1, 42, 0);
 * q.push(5, 2, 7, 0);         // same time: fires after the first (sequence)
 * q.pop();                    // true; q.time === 5, q.kind === 1, q.a === 42
 */
// @ts-nocheck

export class EventQueue {
  // Slot storage; the heap orders slot indices, so a sift moves one int, not five fields.
  #time: Float64Array;
  #seq: Float64Array;
  #kind: Int32Array;
  #a: Int32Array;
  #b: Int32Array;
  #heap: Int32Array;
  #free: Int32Array;
  #freeTop: number;
  #size = 0;
  #nextSeq = 0;

  /** Fields of the event last returned by {@link pop}. */
  time = 0;
  kind = 0;
  a = 0;
  b = 0;
  /** Sequence number of the popped event (its position in insertion order). */
  seq = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity | 0);
    this.#time = new Float64Array(c);
    this.#seq = new Float64Array(c);
    this.#kind = new Int32Array(c);
    this.#a = new Int32Array(c);
    this.#b = new Int32Array(c);
    this.#heap = new Int32Array(c);
    this.#free = new Int32Array(c);
    for (let i = 0; i < c; i++) this.#free[i] = c - 1 - i;
    this.#freeTop = c;
  }

  /** Number of pending events. */
  get size(): number {
    return this.#size;
  }

  /** Time of the earliest pending event, or `Infinity` when empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#time[this.#heap[0]!]!;
  }

  /** Adds an event; returns its sequence number. */
  push(time: number, kind: number, a: number, b: number): number {
    if (this.#freeTop === 0) this.#grow();
    const slot = this.#free[--this.#freeTop]!;
    const seq = this.#nextSeq++;
    this.#time[slot] = time;
    this.#seq[slot] = seq;
    this.#kind[slot] = kind;
    this.#a[slot] = a;
    this.#b[slot] = b;
    // Sift up with a hole: shift parents down until the slot's place is found.
    const heap = this.#heap;
    const times = this.#time;
    const seqs = this.#seq;
    let i = this.#size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p]!;
      const pt = times[ps]!;
      if (pt < time || (pt === time && seqs[ps]! < seq)) break;
      heap[i] = ps;
      i = p;
    }
    heap[i] = slot;
    return seq;
  }

  /** Removes the earliest event into `time/kind/a/b/seq`; false when empty. */
  pop(): boolean {
    const n = this.#size;
    if (n === 0) return false;
    const heap = this.#heap;
    const times = this.#time;
    const seqs = this.#seq;
    const top = heap[0]!;
    this.time = times[top]!;
    this.seq = seqs[top]!;
    this.kind = this.#kind[top]!;
    this.a = this.#a[top]!;
    this.b = this.#b[top]!;
    this.#free[this.#freeTop++] = top;
    const size = n - 1;
    this.#size = size;
    if (size > 0) {
      const last = heap[size]!;
      const lt = times[last]!;
      const ls = seqs[last]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        let cs = heap[c]!;
        let ct = times[cs]!;
        const r = c + 1;
        if (r < size) {
          const rs = heap[r]!;
          const rt = times[rs]!;
          if (rt < ct || (rt === ct && seqs[rs]! < seqs[cs]!)) {
            c = r;
            cs = rs;
            ct = rt;
          }
        }
        if (lt < ct || (lt === ct && ls < seqs[cs]!)) break;
        heap[i] = cs;
        i = c;
      }
      heap[i] = last;
    }
    return true;
  }

  #grow(): void {
    const old = this.#time.length;
    const c = old * 2;
    const grow = <T extends Float64Array | Int32Array>(src: T, make: (n: number) => T): T => {
      const dst = make(c);
      dst.set(src);
      return dst;
    };
    this.#time = grow(this.#time, (n) => new Float64Array(n));
    this.#seq = grow(this.#seq, (n) => new Float64Array(n));
    this.#kind = grow(this.#kind, (n) => new Int32Array(n));
    this.#a = grow(this.#a, (n) => new Int32Array(n));
    this.#b = grow(this.#b, (n) => new Int32Array(n));
    this.#heap = grow(this.#heap, (n) => new Int32Array(n));
    // Every old slot is in use (the free list was empty), so the new ones are free.
    const free = new Int32Array(c);
    for (let i = 0; i < c - old; i++) free[i] = c - 1 - i;
    this.#free = free;
    this.#freeTop = c - old;
  }
}
