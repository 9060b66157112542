import type { Cache } from '../cache/cache.js';
import { CoherentCache, type CacheLog } from '../cache/coherent-cache.js';
import type { ValueSigner } from '../cache/value-signer.js';
import type { ClientsRepository } from '../repositories/clients.js';
import type { Client } from './client.js';

/** Redis copy lifetime: bounds how long a copy written by a vanished writer can matter. */
const REDIS_TTL_MS = 10 * 60_000;
/** In-process copy lifetime: a safety net for a message lost without the subscriber noticing. */
const LOCAL_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 30_000;
const MAX_ID_LENGTH = 128;
const RELOAD_BATCH = 1000;

/**
 * Client lookup for every OAuth endpoint: in-process copy → authenticated Redis copy →
 * Postgres (CoherentCache). Writers change Postgres first, then call `changed()`.
 */
export class ClientStore {
  private readonly cached: CoherentCache<Client>;

  constructor(
    private readonly clients: ClientsRepository,
    private readonly cache: Cache,
    signer: ValueSigner,
    log: CacheLog,
  ) {
    this.cached = new CoherentCache<Client>({
      name: 'clients',
      cache,
      load: (id) => clients.findById(id),
      localTtlMs: LOCAL_TTL_MS,
      negativeTtlMs: NEGATIVE_TTL_MS,
      shared: { ttlMs: REDIS_TTL_MS, signer },
      log,
    });
  }

  /** Lookups answered without Postgres / with it (metrics and tests read these). */
  get stats(): CoherentCache<Client>['stats'] {
    return this.cached.stats;
  }

  start(): Promise<void> {
    return this.cached.start();
  }

  stop(): void {
    this.cached.stop();
  }

  /** The client, disabled ones included (callers refuse those), or null. */
  async findById(id: string): Promise<Client | null> {
    if (id.length === 0 || id.length > MAX_ID_LENGTH) return null;
    return this.cached.get(id);
  }

  /** After a committed change: refresh Redis and invalidate every instance's local copy. */
  changed(client: Client): Promise<void> {
    return this.cached.changed(client.id, client);
  }

  /** Reloads every client from Postgres into Redis and tells every instance; returns the count. */
  async reloadAll(): Promise<number> {
    const clients = await this.clients.all();
    for (let i = 0; i < clients.length; i += RELOAD_BATCH) {
      await this.cache.setMany(
        clients.slice(i, i + RELOAD_BATCH).map((c) => this.cached.sealed(c.id, c)),
        REDIS_TTL_MS,
      );
    }
    await this.cached.changedAll();
    return clients.length;
  }
}
