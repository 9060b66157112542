import type { Config } from '../config/schema.js';
import type { Cache } from './cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';

/** Redis when REDIS_URL is set, otherwise the in-process cache. */
export function connectCache(config: Config): Promise<Cache> {
  if (config.redis.url) return createRedisCache({ url: config.redis.url, keyPrefix: config.redis.key_prefix });
  return Promise.resolve(createMemoryCache());
}
