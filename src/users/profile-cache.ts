import type { Cache } from '../cache/cache.js';
import { CoherentCache, type CacheLog } from '../cache/coherent-cache.js';
import type { User, UsersRepository } from '../repositories/users.js';

/** Bounds how stale a display field (name, picture) can be if an invalidation was lost. */
const TTL_MS = 30_000;

/**
 * People as /user/info and /userinfo read them, without a Postgres round trip per request.
 * A username change (the field /user/info decides by) is announced on every instance at once;
 * revocation does not depend on this cache at all (the deny list refuses the token first).
 * In process only (CoherentCache without a Redis copy).
 */
export class UserProfileCache {
  private readonly cached: CoherentCache<User>;

  constructor(users: Pick<UsersRepository, 'findById'>, cache: Cache, log: CacheLog) {
    this.cached = new CoherentCache<User>({
      name: 'users',
      cache,
      load: (id) => users.findById(id),
      localTtlMs: TTL_MS,
      maxEntries: 50_000,
      log,
    });
  }

  start(): Promise<void> {
    return this.cached.start();
  }

  stop(): void {
    this.cached.stop();
  }

  get(id: string): Promise<User | null> {
    return this.cached.get(id);
  }

  /** After a committed change to a person: every instance reads them again. */
  changed(id: string): Promise<void> {
    return this.cached.changed(id, null);
  }
}
