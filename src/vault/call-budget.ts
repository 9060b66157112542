import type { Cache } from '../cache/cache.js';

const MINUTE_MS = 60_000;
const BUCKET_MS = 10_000;
/** The buckets a slot looks back over besides its own: with it, 70 s, which holds every minute ending now. */
const EARLIER_BUCKETS = MINUTE_MS / BUCKET_MS;

/**
 * At most `perMinute` slots in any rolling minute, counted in the cache across instances.
 * Slots are counted in 10 s buckets, and one is granted only when its bucket and the six before
 * it hold no more than the budget: a window that starts at a first call would let twice the
 * budget through around its end (a burst just before it closes, another just after).
 * A refused slot stays counted, so the budget errs on the side of fewer calls.
 */
export class RollingCallBudget {
  constructor(
    private readonly cache: Cache,
    private readonly key: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot if the budget allows one now; throws CacheUnavailableError without Redis. */
  async take(): Promise<boolean> {
    const [own, ...before] = this.keysNow();
    const { count } = await this.cache.incr(own!, MINUTE_MS + 2 * BUCKET_MS);
    if (count > this.perMinute) return false;
    const earlier = await Promise.all(before.map((key) => this.cache.get(key)));
    return earlier.reduce((sum, n) => sum + Number(n ?? 0), count) <= this.perMinute;
  }

  /** Every key a slot taken now reads (its bucket first), so an operator or a test can clear them. */
  keysNow(): string[] {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    return Array.from({ length: EARLIER_BUCKETS + 1 }, (_, i) => this.bucketKey(bucket - i));
  }

  private bucketKey(bucket: number): string {
    return `${this.key}:${bucket}`;
  }
}
