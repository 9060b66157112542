/**
 * Shared fast state: client cache, invalidation messages, rate-limit counters, deny list, locks.
 * Redis in production; an in-process implementation with the same behaviour for a single
 * instance. Keys and channels are given without the deployment prefix; implementations add it.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets many keys in one round trip (bulk reloads). */
  setMany(entries: readonly (readonly [string, string])[], ttlMs?: number): Promise<void>;
  /** SET NX PX: true when this call created the key (a lock was taken). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  del(...keys: string[]): Promise<void>;
  /** Deletes key only while it still holds value (a lock released by its owner). */
  delIfEquals(key: string, value: string): Promise<boolean>;
  /** Increments a counter whose window starts at its first increment. */
  incr(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  publish(channel: string, message: string): Promise<void>;
  /** Delivers every later message on channel, from any instance, including this one. */
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /**
   * Whether subscribers can currently trust that they hear every message: a number that
   * changes whenever messages may have been lost (the subscriber connection dropped), or null
   * while none can arrive. In-process copies that rely on invalidation messages compare it
   * before answering from memory.
   */
  subscriptionEpoch(): number | null;
  /** Throws when the cache cannot answer. */
  ping(): Promise<void>;
  /**
   * Errors Redis answered with (MOVED, CROSSSLOT, READONLY, NOSCRIPT…): not outages but a
   * misconfiguration or a failover in progress; counted by kind since start.
   */
  problems(): CacheProblem;
  /** Called on every such error (the app logs them); returns the function that stops it. */
  onProblem(listener: (kind: string, err: Error) => void): () => void;
  close(): Promise<void>;
}

export interface CacheProblem {
  counts: Record<string, number>;
  last?: { kind: string; at: number };
}

/** Raised when Redis cannot answer; callers fall back (Postgres, in-process limits). */
export class CacheUnavailableError extends Error {
  override name = 'CacheUnavailableError';
  constructor(cause: unknown) {
    super('cache unavailable', { cause });
  }
}
