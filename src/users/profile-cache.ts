import { LRUCache } from 'lru-cache';
import { CacheUnavailableError, type Cache } from '../cache/cache.js';
import type { User, UsersRepository } from '../repositories/users.js';

const CHANNEL = 'users';
/** Bounds how stale a display field (name, picture) can be if an invalidation was lost. */
const TTL_MS = 30_000;

/**
 * People as /user/info and /userinfo read them, without a Postgres round trip per request.
 * A username change (the field /user/info decides by) is announced on every instance at once;
 * revocation does not depend on this cache at all (the deny list refuses the token first).
 */
export class UserProfileCache {
  private readonly local = new LRUCache<string, { user: User | null }>({ max: 50_000, ttl: TTL_MS });

  constructor(
    private readonly users: Pick<UsersRepository, 'findById'>,
    private readonly cache: Cache,
  ) {}

  async start(): Promise<void> {
    await this.cache.subscribe(CHANNEL, (id) => this.local.delete(id));
  }

  async get(id: string): Promise<User | null> {
    const hit = this.local.get(id);
    if (hit) return hit.user;
    const user = await this.users.findById(id);
    this.local.set(id, { user });
    return user;
  }

  /** After a committed change to a person: every instance reads them again. */
  async changed(id: string): Promise<void> {
    this.local.delete(id);
    try {
      await this.cache.publish(CHANNEL, id);
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
    }
  }
}
