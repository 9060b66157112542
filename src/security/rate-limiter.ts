import { LRUCache } from 'lru-cache';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';

export interface RateLimitState {
  count: number;
  retryAfterSeconds: number;
}

/**
 * Fixed-window failure counters shared through the cache (Redis), so every instance sees the
 * same count. When Redis cannot answer, counting continues in process: limits get per-instance
 * but never disappear (spec: "fall back to in-process limits, never to none").
 */
export class FailureLimiter {
  private readonly local = new LRUCache<string, { count: number; resetAt: number }>({ max: 50_000 });

  constructor(
    private readonly cache: Cache,
    private readonly name: string,
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Failures so far in the current window for key. */
  async peek(key: string): Promise<RateLimitState> {
    const k = this.key(key);
    try {
      const value = await this.cache.get(k);
      return { count: Number(value ?? 0), retryAfterSeconds: Math.ceil(this.windowMs / 1000) };
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      const entry = this.liveLocal(k);
      return { count: entry?.count ?? 0, retryAfterSeconds: this.localRetryAfter(entry) };
    }
  }

  /** True when key has used up its failures; retryAfterSeconds says for how long. */
  async isBlocked(key: string): Promise<RateLimitState | null> {
    const state = await this.peek(key);
    return state.count >= this.limit ? state : null;
  }

  async recordFailure(key: string): Promise<RateLimitState> {
    const k = this.key(key);
    try {
      const { count, ttlMs } = await this.cache.incr(k, this.windowMs);
      return { count, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      const now = Date.now();
      const entry = this.liveLocal(k) ?? { count: 0, resetAt: now + this.windowMs };
      entry.count++;
      this.local.set(k, entry);
      return { count: entry.count, retryAfterSeconds: this.localRetryAfter(entry) };
    }
  }

  private key(key: string): string {
    return `rl:${this.name}:${key}`;
  }

  private liveLocal(k: string) {
    const entry = this.local.get(k);
    if (entry && entry.resetAt <= Date.now()) {
      this.local.delete(k);
      return undefined;
    }
    return entry;
  }

  private localRetryAfter(entry: { resetAt: number } | undefined): number {
    return entry ? Math.max(1, Math.ceil((entry.resetAt - Date.now()) / 1000)) : Math.ceil(this.windowMs / 1000);
  }
}
