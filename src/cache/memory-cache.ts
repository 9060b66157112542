import { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';
import type { Cache } from './cache.js';

/** Single-process cache with Redis semantics; pub/sub reaches subscribers in this process only. */
export function createMemoryCache(opts: { maxEntries?: number } = {}): Cache {
  const store = new LRUCache<string, string>({ max: opts.maxEntries ?? 100_000 });
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const live = (key: string) => store.get(key);

  return {
    kind: 'memory',
    async get(key) {
      return live(key) ?? null;
    },
    async set(key, value, ttlMs) {
      store.set(key, value, ttlMs ? { ttl: ttlMs } : undefined);
    },
    async setMany(entries, ttlMs) {
      for (const [key, value] of entries) store.set(key, value, ttlMs ? { ttl: ttlMs } : undefined);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key) !== undefined) return false;
      store.set(key, value, { ttl: ttlMs });
      return true;
    },
    async del(...keys) {
      for (const k of keys) store.delete(k);
    },
    async delIfEquals(key, value) {
      if (live(key) !== value) return false;
      store.delete(key);
      return true;
    },
    async incr(key, windowMs) {
      const current = live(key);
      if (current === undefined) {
        store.set(key, '1', { ttl: windowMs });
        return { count: 1, ttlMs: windowMs };
      }
      const ttlMs = Math.min(windowMs, Math.max(1, Math.round(store.getRemainingTTL(key))));
      const count = Number(current) + 1;
      store.set(key, String(count), { ttl: ttlMs });
      return { count, ttlMs };
    },
    async publish(channel, message) {
      // Asynchronous like Redis: a publisher never runs subscribers inside its own call stack.
      setImmediate(() => bus.emit(channel, message));
    },
    async subscribe(channel, handler) {
      bus.on(channel, handler);
    },
    // One process: no message can be lost.
    subscriptionEpoch: () => 0,
    async ping() {},
    // In process: nothing can answer with an error.
    problems: () => ({ counts: {} }),
    onProblem: () => () => {},
    async close() {
      bus.removeAllListeners();
      store.clear();
    },
  };
}
