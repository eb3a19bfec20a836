export interface PacerOptions {
  /** Calls started per second at most: a share of the account's 10 per second, which every other API there shares. */
  callsPerSecond: number;
  /** Now, in ms; a wait; a random number. A simulation passes its own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * API Gateway's "slow down" answers: a rate quota (TooManyRequestsException), a quota the
 * SDK documents as a rate too (LimitExceededException, also what a full account of keys
 * is answered with), or its own trouble. Each is waited out and tried again.
 */
const THROTTLED = ['TooManyRequestsException', 'LimitExceededException', 'ServiceUnavailableException'];
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 20_000;

/**
 * Paces calls to API Gateway's control plane: one start every 1/rate seconds, no burst,
 * and, when API Gateway answers that it is throttling, a backoff with full jitter
 * (a random wait up to 0.5 s · 2ⁿ, at most 20 s), never shorter than it asked
 * (`retryAfterSeconds`). The backoff holds every call of this pacer, not only the one
 * refused: the quota is the account's. A wait that would end after `until` gives up
 * with API Gateway's error instead.
 */
export class Pacer {
  private next = 0;
  /** The time (ms) after which no call may still be waiting. */
  until = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async call<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.turn();
      try {
        return await run();
      } catch (error) {
        const { name, retryAfterSeconds } = (error ?? {}) as { name?: string; retryAfterSeconds?: string };
        if (!THROTTLED.includes(name ?? '')) throw error;
        const jitter =
          (this.options.random ?? Math.random)() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
        // `retryAfterSeconds` is a string, often absent.
        const asked = Number(retryAfterSeconds) * 1000;
        const resumeAt = this.now() + Math.max(Number.isFinite(asked) && asked > 0 ? asked : 0, jitter);
        if (resumeAt > this.until) throw error;
        this.next = Math.max(this.next, resumeAt);
      }
    }
  }

  private async turn(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    if (at > this.until) throw new Error('No time left for another control-plane call');
    this.next = at + 1000 / this.options.callsPerSecond;
    if (at > now) await this.sleep(at - now);
  }
}
