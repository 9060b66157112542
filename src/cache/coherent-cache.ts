import { LRUCache } from 'lru-cache';
import { CacheUnavailableError, type Cache } from './cache.js';
import { Coherence } from './coherence.js';
import type { ValueSigner } from './value-signer.js';

/** Message that drops every local copy of a cache (bulk reloads). */
export const DROP_ALL = '*';
/** A failed Redis overwrite or publish is tried this many times before the change is repaired in the background. */
const WRITE_ATTEMPTS = 3;
const WRITE_RETRY_MS = 50;
/** How often a change whose announcement failed is tried again while Redis is unreachable. */
const REPAIR_INTERVAL_MS = 250;

export interface CacheLog {
  warn(obj: object, msg: string): void;
}

export interface CoherentCacheOptions<V> {
  /** Invalidation channel, and the Redis key namespace of the shared copies. */
  name: string;
  cache: Cache;
  /** Reads the system of record; null when there is no such row. */
  load(id: string): Promise<V | null>;
  localTtlMs: number;
  /** How long "no such row" is remembered locally (defaults to localTtlMs). */
  negativeTtlMs?: number;
  maxEntries?: number;
  /**
   * A copy in Redis shared by every instance, sealed with HMAC. Absent: local copies only,
   * every miss reads Postgres.
   */
  shared?: { ttlMs: number; signer: ValueSigner };
  log: CacheLog;
}

interface SharedEntry<V> {
  /** Written at, unix ms (the writer's clock). */
  w: number;
  v: V | null;
}

/**
 * A process-local cache of rows that authorize something (clients, API keys, profiles…), in
 * front of an optional authenticated Redis copy, in front of Postgres. Writers change Postgres
 * first, then call `changed()`, which overwrites the Redis copy and tells every instance to
 * drop its local copy. The rules that keep copies from outliving a change are in Coherence;
 * a writer whose overwrite or publish fails retries, then distrusts everything it holds and
 * repairs the shared copy in the background until Redis answers again.
 */
export class CoherentCache<V> {
  private readonly local: LRUCache<string, { value: V | null }>;
  private readonly inflight = new Map<string, Promise<V | null>>();
  private readonly repairs = new Map<string, V | null>();
  private repairTimer: NodeJS.Timeout | undefined;
  readonly coherence: Coherence;
  /** Lookups answered from memory, from Redis, from Postgres (metrics and tests read these). */
  readonly stats = { localHits: 0, redisHits: 0, databaseReads: 0, rejectedEntries: 0 };

  constructor(private readonly opts: CoherentCacheOptions<V>) {
    this.local = new LRUCache({ max: opts.maxEntries ?? 20_000, ttl: opts.localTtlMs });
    this.coherence = new Coherence(opts.cache, () => this.local.clear());
  }

  /** Subscribes to the invalidation channel; nothing is served from memory before this. */
  async start(): Promise<void> {
    await this.opts.cache.subscribe(this.opts.name, (id) => {
      this.coherence.invalidated();
      if (id === DROP_ALL) this.local.clear();
      else this.local.delete(id);
    });
    this.coherence.listen();
  }

  stop(): void {
    clearInterval(this.repairTimer);
    this.repairTimer = undefined;
  }

  /** From memory only: the value, null for "no such row", undefined when not held. */
  peek(id: string): V | null | undefined {
    if (!this.coherence.live()) return undefined;
    const hit = this.local.get(id);
    if (hit) this.stats.localHits++;
    return hit?.value;
  }

  async get(id: string): Promise<V | null> {
    const held = this.peek(id);
    if (held !== undefined) return held;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.read(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /**
   * After a committed change: `value` is the row as committed (null when it is gone). The
   * shared copy is overwritten, never deleted: a reader holding the row from before the commit
   * only fills an absent entry, so it cannot put the old row back.
   */
  async changed(id: string, value: V | null): Promise<void> {
    this.coherence.invalidated();
    this.local.delete(id);
    if (!(await this.announce(id, value))) this.repairLater(id, value);
  }

  /** Drops every instance's local copies (after a bulk change such as a reload). */
  async changedAll(): Promise<void> {
    this.coherence.reset();
    await this.publishWithRetry(DROP_ALL);
  }

  /** Seals a value as the shared copy of id (bulk reloads write these themselves). */
  sealed(id: string, value: V | null): [string, string] {
    const shared = this.requireShared();
    const entry: SharedEntry<V> = { w: Date.now(), v: value };
    return [this.key(id), shared.signer.seal(this.key(id), JSON.stringify(entry))];
  }

  private async read(id: string): Promise<V | null> {
    const mark = this.coherence.mark();
    let replace: string | undefined;
    if (this.opts.shared) {
      const raw = await quietly(() => this.opts.cache.get(this.key(id)));
      if (raw) {
        const entry = this.open(id, raw);
        if (entry && this.coherence.trusts(entry.w)) {
          this.stats.redisHits++;
          this.fill(mark, id, entry.v);
          return entry.v;
        }
        replace = raw;
      }
    }
    this.stats.databaseReads++;
    const value = await this.opts.load(id);
    if (this.opts.shared) {
      const [key, sealed] = this.sealed(id, value);
      // Only ever replace the very entry found (distrusted or forged), and only fill an empty
      // slot: a writer's overwrite after a commit always wins over this read.
      if (replace !== undefined) await quietly(() => this.opts.cache.delIfEquals(key, replace));
      // "No such row" stays local: ids anyone can make up must not fill the shared Redis.
      if (value !== null) await quietly(() => this.opts.cache.setIfAbsent(key, sealed, this.opts.shared!.ttlMs));
    }
    this.fill(mark, id, value);
    return value;
  }

  private fill(mark: number, id: string, value: V | null): void {
    if (!this.coherence.fillable(mark)) return;
    const ttl = value === null ? (this.opts.negativeTtlMs ?? this.opts.localTtlMs) : this.opts.localTtlMs;
    this.local.set(id, { value }, { ttl });
  }

  private open(id: string, raw: string): SharedEntry<V> | null {
    const payload = this.requireShared().signer.open(this.key(id), raw);
    if (payload !== null) {
      try {
        const entry = JSON.parse(payload) as SharedEntry<V>;
        if (typeof entry.w === 'number' && 'v' in entry) return entry;
      } catch {
        // fall through: a sealed payload that is not an entry is as bad as a forged one
      }
    }
    this.stats.rejectedEntries++;
    // The id only: the entry may hold a secret hash, and a planted value is not ours to log.
    this.opts.log.warn(
      { cache: this.opts.name, id },
      'shared cache entry failed its integrity check; reading Postgres',
    );
    return null;
  }

  /** Overwrite the shared copy, then publish; true when both reached Redis. */
  private async announce(id: string, value: V | null): Promise<boolean> {
    if (this.opts.shared) {
      const ttl = this.opts.shared.ttlMs;
      const written = await withRetry(() => {
        const [key, sealed] = this.sealed(id, value);
        return this.opts.cache.set(key, sealed, ttl);
      });
      if (!written) return false;
    }
    return this.publishWithRetry(id);
  }

  private publishWithRetry(id: string): Promise<boolean> {
    return withRetry(() => this.opts.cache.publish(this.opts.name, id));
  }

  /**
   * Redis could not be told. This instance stops trusting anything it holds at once; the
   * others stop when their subscription notices the outage (Coherence). The shared copy is
   * repaired as soon as Redis answers, before anyone could trust an entry written before.
   */
  private repairLater(id: string, value: V | null): void {
    this.coherence.reset();
    this.opts.log.warn(
      { cache: this.opts.name, id },
      'cache change not announced through Redis; local copies distrusted, retrying',
    );
    this.repairs.set(id, value);
    this.repairTimer ??= setInterval(() => void this.repair(), REPAIR_INTERVAL_MS);
    this.repairTimer.unref();
  }

  private async repair(): Promise<void> {
    for (const [id, value] of [...this.repairs]) {
      if (!(await this.announceOnce(id, value))) return;
      if (this.repairs.get(id) === value) this.repairs.delete(id);
    }
    if (this.repairs.size === 0) this.stop();
  }

  private async announceOnce(id: string, value: V | null): Promise<boolean> {
    try {
      if (this.opts.shared) {
        const [key, sealed] = this.sealed(id, value);
        await this.opts.cache.set(key, sealed, this.opts.shared.ttlMs);
      }
      await this.opts.cache.publish(this.opts.name, id);
      return true;
    } catch (err) {
      if (err instanceof CacheUnavailableError) return false;
      throw err;
    }
  }

  private key(id: string): string {
    return `${this.opts.name}:${id}`;
  }

  private requireShared(): NonNullable<CoherentCacheOptions<V>['shared']> {
    if (!this.opts.shared) throw new Error(`cache ${this.opts.name} keeps no shared copies`);
    return this.opts.shared;
  }
}

/**
 * Tells every instance to drop its copy of id, for processes that change rows without caching
 * any (the CLI). Retried; false when Redis could not be told (instances holding a copy then
 * keep it until their subscription notices the outage or the local lifetime ends).
 */
export function announceChange(cache: Cache, name: string, id: string): Promise<boolean> {
  return withRetry(() => cache.publish(name, id));
}

async function withRetry(fn: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return true;
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      if (attempt >= WRITE_ATTEMPTS) return false;
      await new Promise((r) => setTimeout(r, WRITE_RETRY_MS * attempt));
    }
  }
}

/** Redis is an accelerator for reads: when it is down, Postgres answers. */
async function quietly<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CacheUnavailableError) return undefined;
    throw err;
  }
}
