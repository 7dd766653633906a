/**
 * Earliest-deadline-first scheduler over indices 0..n-1, as Envoy's EdfScheduler: each entry
 * has a deadline; pick() returns the entry with the earliest deadline (the least recently
 * scheduled on a tie), advances the virtual time to that deadline and re-schedules the entry at
 * time + 1 / weight, with the weight read at that moment (so weights may change between picks).
 * Over time each entry is picked in proportion to its weight. A binary heap kept as three
 * parallel arrays by heap position (deadline, scheduling order, index), so that comparisons read
 * contiguous memory: O(log n) per pick, no allocation.
 */
export class EdfScheduler {
  private readonly deadline: Float64Array;
  private readonly order: Float64Array;
  private readonly index: Int32Array;
  private sequence = 0;

  constructor(
    n: number,
    private readonly weightOf: (index: number) => number,
  ) {
    this.deadline = new Float64Array(n);
    this.order = new Float64Array(n);
    this.index = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.deadline[i] = 1 / weightOf(i);
      this.order[i] = this.sequence++;
      this.index[i] = i;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  pick(): number {
    const top = this.index[0] ?? 0;
    this.deadline[0] = (this.deadline[0] ?? 0) + 1 / this.weightOf(top);
    this.order[0] = this.sequence++;
    this.siftDown(0);
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a] ?? 0;
    const db = this.deadline[b] ?? 0;
    return da < db || (da === db && (this.order[a] ?? 0) < (this.order[b] ?? 0));
  }

  private siftDown(start: number): void {
    const { deadline, order, index } = this;
    const n = index.length;
    const d = deadline[start] ?? 0;
    const o = order[start] ?? 0;
    const x = index[start] ?? 0;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const child = left + 1 < n && this.before(left + 1, left) ? left + 1 : left;
      const dc = deadline[child] ?? 0;
      if (dc > d || (dc === d && (order[child] ?? 0) > o)) break;
      deadline[i] = dc;
      order[i] = order[child] ?? 0;
      index[i] = index[child] ?? 0;
      i = child;
    }
    deadline[i] = d;
    order[i] = o;
    index[i] = x;
  }
}
