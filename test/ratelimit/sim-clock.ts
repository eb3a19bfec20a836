/**
 * Simulated time for tasks that run together: time stands still while any task is busy
 * (real I/O: DynamoDB Local, HTTP), and moves to the next wake-up only when every task
 * sleeps. So a run of minutes of paced control-plane calls takes seconds, and what
 * happens at the same simulated moment happens in the order it would.
 */
export class SimClock {
  private active = 0;
  private readonly sleepers: { at: number; order: number; wake: () => void }[] = [];
  private order = 0;

  constructor(public now: number = Date.parse('2026-12-06T09:00:00.000Z')) {}

  readonly date = (): Date => new Date(this.now);

  /** Runs a task in simulated time; resolves with it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.active += 1;
    return task().finally(() => {
      this.active -= 1;
      this.advance();
    });
  }

  /** Waits `ms` of simulated time (outside `run`, time just moves on). */
  readonly sleep = (ms: number): Promise<void> => {
    if (this.active === 0) {
      this.now += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise((wake) => {
      this.sleepers.push({ at: this.now + Math.max(0, ms), order: this.order++, wake });
      this.active -= 1;
      this.advance();
    });
  };

  private advance(): void {
    // After the current turn: a task that just woke may still be about to sleep again.
    setImmediate(() => {
      if (this.active > 0 || this.sleepers.length === 0) return;
      this.sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.sleepers.shift()!;
      this.now = Math.max(this.now, next.at);
      this.active += 1;
      next.wake();
    });
  }
}
