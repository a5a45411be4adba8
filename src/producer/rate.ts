/**
 * Rate control: a token bucket refilled at `rate` tokens per second and drained in chunks, so the generator
 * sleeps once per chunk rather than once per record and holds high rates. Rate 0 means unlimited.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `burst`: most tokens that accumulate while the generator is held up (e.g. by backpressure). */
  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = 0;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1_000);
    this.last = t;
  }

  /** Takes up to `max` whole tokens that are available now; returns how many. */
  take(max: number): number {
    if (this.rate === 0) return max;
    this.refill();
    const n = Math.min(max, Math.floor(this.tokens));
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens will be available (0 if they are). */
  waitMs(n: number): number {
    if (this.rate === 0) return 0;
    this.refill();
    return this.tokens >= n ? 0 : ((n - this.tokens) * 1_000) / this.rate;
  }
}
