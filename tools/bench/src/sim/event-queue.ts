/** A min-heap of timed events; events at the same time run in the order they were scheduled. */
export class EventQueue<E> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly events: E[] = [];
  private seq = 0;

  get size(): number {
    return this.events.length;
  }

  push(time: number, event: E): void {
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.events.push(event);
    this.up(this.events.length - 1);
  }

  /** Removes and returns the earliest event with its time, or undefined when empty. */
  pop(): { time: number; event: E } | undefined {
    const n = this.events.length;
    if (n === 0) return undefined;
    const time = this.times[0]!;
    const event = this.events[0]!;
    this.swap(0, n - 1);
    this.times.pop();
    this.seqs.pop();
    this.events.pop();
    this.down(0);
    return { time, event };
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b]!, this.seqs[a]!];
    [this.events[a], this.events[b]] = [this.events[b]!, this.events[a]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.events.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const child = left + 1 < n && this.before(left + 1, left) ? left + 1 : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
