import { LRUCache } from 'lru-cache';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';

export interface RateLimitState {
  /** Attempts in this window that did not succeed (failed, refused, or still in flight). */
  count: number;
  retryAfterSeconds: number;
}

/** One counted attempt: whether it may go ahead, and how to credit it back if it succeeds. */
export interface CountedAttempt {
  /** null when the attempt may go ahead; the state when the key is over its limit. */
  blocked: RateLimitState | null;
  /** The credential proved right: this attempt no longer counts against the key. */
  credit(): Promise<void>;
}

interface LocalCounter {
  count: number;
  resetAt: number;
}

/**
 * Attempt counters shared through the cache (Redis), so every instance sees the same count; a
 * window starts at a key's first attempt. An attempt is counted *before* it is checked (and
 * before any argon2 runs), so a burst of concurrent attempts cannot all pass a check that none
 * of them has been counted in yet; an attempt that turns out right is credited back through a
 * second counter (successes) that lives exactly as long as the window.
 *
 * When Redis cannot answer, counting continues in process: limits get per-instance but never
 * disappear (product rule: fall back to in-process limits, never to none).
 */
export class FailureLimiter {
  private readonly local = new LRUCache<string, LocalCounter>({ max: 100_000 });

  constructor(
    private readonly cache: Cache,
    private readonly name: string,
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt for key, then says whether it may go ahead. */
  async attempt(key: string): Promise<CountedAttempt> {
    const attempts = this.key(key, 'a');
    const successes = this.key(key, 's');
    let count: number;
    let ttlMs: number;
    try {
      const [counted, credited] = await Promise.all([
        this.cache.incr(attempts, this.windowMs),
        this.cache.get(successes),
      ]);
      count = counted.count - Number(credited ?? 0);
      ttlMs = counted.ttlMs;
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      const counter = this.incrLocal(attempts, this.windowMs);
      count = counter.count - (this.liveLocal(successes)?.count ?? 0);
      ttlMs = counter.resetAt - Date.now();
    }
    const state = { count, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
    // The success counter ends with the window it credits, not a window of its own.
    const credit = async () => {
      const left = Math.max(1, ttlMs);
      try {
        await this.cache.incr(successes, left);
      } catch (err) {
        if (!(err instanceof CacheUnavailableError)) throw err;
        this.incrLocal(successes, left);
      }
    };
    return { blocked: count > this.limit ? state : null, credit };
  }

  /** Whether key is already over its limit, without counting anything. */
  async isBlocked(key: string): Promise<RateLimitState | null> {
    const attempts = this.key(key, 'a');
    const successes = this.key(key, 's');
    let count: number;
    let retryAfterSeconds = Math.ceil(this.windowMs / 1000);
    try {
      const [counted, credited] = await Promise.all([this.cache.get(attempts), this.cache.get(successes)]);
      count = Number(counted ?? 0) - Number(credited ?? 0);
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      const counter = this.liveLocal(attempts);
      count = (counter?.count ?? 0) - (this.liveLocal(successes)?.count ?? 0);
      if (counter) retryAfterSeconds = Math.max(1, Math.ceil((counter.resetAt - Date.now()) / 1000));
    }
    return count >= this.limit ? { count, retryAfterSeconds } : null;
  }

  private key(key: string, counter: 'a' | 's'): string {
    return `rl:${this.name}:${counter}:${key}`;
  }

  private incrLocal(k: string, windowMs: number): LocalCounter {
    const counter = this.liveLocal(k) ?? { count: 0, resetAt: Date.now() + windowMs };
    counter.count++;
    this.local.set(k, counter);
    return counter;
  }

  private liveLocal(k: string): LocalCounter | undefined {
    const counter = this.local.get(k);
    if (counter && counter.resetAt <= Date.now()) {
      this.local.delete(k);
      return undefined;
    }
    return counter;
  }
}
