/**
 * Earliest-deadline-first scheduler over indices 0..n-1, as Envoy's EdfScheduler: each entry
 * has a deadline; pick() returns the entry with the earliest deadline (the least recently
 * scheduled on a tie), advances the virtual time to that deadline and re-schedules the entry at
 * time + 1 / weight, with the weight read at that moment (so weights may change between picks).
 * Over time each entry is picked in proportion to its weight. A binary heap: O(log n) per pick,
 * no allocation.
 */
export class EdfScheduler {
  private readonly heap: Int32Array;
  private readonly deadline: Float64Array;
  private readonly order: Float64Array;
  private sequence = 0;

  constructor(
    n: number,
    private readonly weightOf: (index: number) => number,
  ) {
    this.heap = new Int32Array(n);
    this.deadline = new Float64Array(n);
    this.order = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.heap[i] = i;
      this.deadline[i] = 1 / weightOf(i);
      this.order[i] = this.sequence++;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  pick(): number {
    const top = this.heap[0] ?? 0;
    const time = this.deadline[top] ?? 0;
    this.deadline[top] = time + 1 / this.weightOf(top);
    this.order[top] = this.sequence++;
    this.siftDown(0);
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a] ?? 0;
    const db = this.deadline[b] ?? 0;
    return da < db || (da === db && (this.order[a] ?? 0) < (this.order[b] ?? 0));
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      let child = left;
      if (right < n && this.before(heap[right] ?? 0, heap[left] ?? 0)) child = right;
      const c = heap[child] ?? 0;
      const p = heap[i] ?? 0;
      if (!this.before(c, p)) return;
      heap[i] = c;
      heap[child] = p;
      i = child;
    }
  }
}
