import { CacheUnavailableError, type Cache } from '../../src/cache/cache.js';

/**
 * A real cache that behaves as if Redis were down for keys under `prefix` (the vault's), so a
 * test can watch the Postgres fallback while the rest of the app keeps its cache.
 */
export function unavailableFor(cache: Cache, prefix: string): Cache {
  const down = (key: string) => {
    if (key.startsWith(prefix)) throw new CacheUnavailableError(new Error('simulated Redis outage'));
  };
  return {
    ...cache,
    kind: cache.kind,
    get: async (key) => (down(key), cache.get(key)),
    set: async (key, value, ttl) => (down(key), cache.set(key, value, ttl)),
    setIfAbsent: async (key, value, ttl) => (down(key), cache.setIfAbsent(key, value, ttl)),
    del: async (...keys) => (keys.forEach(down), cache.del(...keys)),
    delIfEquals: async (key, value) => (down(key), cache.delIfEquals(key, value)),
    setMany: (entries, ttl) => cache.setMany(entries, ttl),
    incr: async (key, w) => (down(key), cache.incr(key, w)),
    publish: (c, m) => cache.publish(c, m),
    subscribe: (c, h) => cache.subscribe(c, h),
    ping: () => cache.ping(),
    close: () => cache.close(),
  };
}
