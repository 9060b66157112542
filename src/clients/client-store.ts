import { LRUCache } from 'lru-cache';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import type { Database } from '../storage/database.js';
import { clientsRepository } from '../repositories/clients.js';
import type { Client } from './client.js';

const CHANNEL = 'clients';
const RELOAD_ALL = '*';
/** Redis copy lifetime: bounds how long a copy can stay stale if an update's write to Redis failed. */
const REDIS_TTL_MS = 10 * 60_000;
/** In-process copy lifetime: a safety net for an invalidation message lost while Redis was down. */
const LOCAL_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 30_000;
const MAX_ID_LENGTH = 128;

/**
 * Client lookup for every OAuth endpoint: in-process LRU → Redis → Postgres. Writers change
 * Postgres first, then call `changed()`, which overwrites the Redis copy and tells every
 * instance to drop its local copy. Readers only fill Redis with SET NX, so a slow reader can
 * never overwrite a newer copy with the row it read before the change.
 */
export class ClientStore {
  private readonly local = new LRUCache<string, { client: Client | null }>({ max: 20_000, ttl: LOCAL_TTL_MS });
  private readonly inflight = new Map<string, Promise<Client | null>>();
  /** Lookups answered without Postgres / with it (metrics and tests read these). */
  readonly stats = { localHits: 0, redisHits: 0, databaseReads: 0 };

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
  ) {}

  async start(): Promise<void> {
    await this.cache.subscribe(CHANNEL, (message) => {
      if (message === RELOAD_ALL) this.local.clear();
      else this.local.delete(message);
    });
  }

  /** The client, disabled ones included (callers refuse those), or null. */
  async findById(id: string): Promise<Client | null> {
    if (id.length === 0 || id.length > MAX_ID_LENGTH) return null;
    const hit = this.local.get(id);
    if (hit) {
      this.stats.localHits++;
      return hit.client;
    }
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** After a committed change: refresh Redis and invalidate every instance's local copy. */
  async changed(client: Client): Promise<void> {
    this.local.set(client.id, { client });
    await this.ignoreCacheOutage(() => this.cache.set(redisKey(client.id), JSON.stringify(client), REDIS_TTL_MS));
    await this.ignoreCacheOutage(() => this.cache.publish(CHANNEL, client.id));
  }

  /** Reloads every client from Postgres into Redis and tells every instance; returns the count. */
  async reloadAll(): Promise<number> {
    const clients = await clientsRepository.all(this.db);
    const BATCH = 1000;
    for (let i = 0; i < clients.length; i += BATCH) {
      await this.cache.setMany(
        clients.slice(i, i + BATCH).map((c) => [redisKey(c.id), JSON.stringify(c)] as const),
        REDIS_TTL_MS,
      );
    }
    this.local.clear();
    await this.cache.publish(CHANNEL, RELOAD_ALL);
    return clients.length;
  }

  private async load(id: string): Promise<Client | null> {
    const cached = await this.ignoreCacheOutage(() => this.cache.get(redisKey(id)));
    if (cached) {
      this.stats.redisHits++;
      const client = JSON.parse(cached) as Client;
      this.local.set(id, { client });
      return client;
    }
    this.stats.databaseReads++;
    const client = await clientsRepository.findById(this.db, id);
    if (client) {
      await this.ignoreCacheOutage(() => this.cache.setIfAbsent(redisKey(id), JSON.stringify(client), REDIS_TTL_MS));
      this.local.set(id, { client });
    } else {
      this.local.set(id, { client: null }, { ttl: NEGATIVE_TTL_MS });
    }
    return client;
  }

  /** Redis is an accelerator here: when it is down, Postgres answers. */
  private async ignoreCacheOutage<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CacheUnavailableError) return undefined;
      throw err;
    }
  }
}

function redisKey(id: string): string {
  return `client:${id}`;
}
