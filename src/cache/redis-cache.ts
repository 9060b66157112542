import { Redis } from 'ioredis';
import { type Cache, CacheUnavailableError } from './cache.js';

const INCR_WINDOW = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;

const DEL_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisCacheOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs?: number;
}

/**
 * Redis behind the Cache interface. Commands fail fast while disconnected (no offline queue),
 * so callers fall back at once instead of hanging; ioredis keeps reconnecting in the background
 * and re-subscribes its channels when it is back.
 */
export async function createRedisCache(opts: RedisCacheOptions): Promise<Cache> {
  const common = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1000),
  };
  const redis = new Redis(opts.url, { ...common, keyPrefix: opts.keyPrefix });
  // The subscriber needs the offline queue: SUBSCRIBE issued while reconnecting must not fail.
  const subscriber = new Redis(opts.url, { ...common, enableOfflineQueue: true, commandTimeout: undefined });
  // Errors surface on the commands; without listeners ioredis would print every reconnect.
  // The first one is kept: a failed connect() only says "Connection is closed.", while the
  // socket error says why (ECONNREFUSED, ENOTFOUND, WRONGPASS…), which start-up reports.
  let connectError: unknown;
  const remember = (err: unknown) => void (connectError ??= err);
  redis.on('error', remember);
  subscriber.on('error', remember);
  await Promise.all([redis.connect(), subscriber.connect()]).catch(async (err) => {
    redis.disconnect();
    subscriber.disconnect();
    throw new CacheUnavailableError(connectError ?? err);
  });
  redis.off('error', remember).on('error', () => {});
  subscriber.off('error', remember).on('error', () => {});

  const handlers = new Map<string, Set<(m: string) => void>>();
  subscriber.on('message', (channel: string, message: string) => {
    for (const h of handlers.get(channel) ?? []) h(message);
  });
  // Messages published while the subscriber is disconnected never arrive: every drop starts a
  // new epoch, so in-process copies filled before it are discarded.
  let epoch = 0;
  subscriber.on('close', () => epoch++);
  const channelName = (c: string) => `${opts.keyPrefix}${c}`;
  const guard = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (err) {
      throw new CacheUnavailableError(err);
    }
  };

  return {
    kind: 'redis',
    get: (key) => guard(() => redis.get(key)),
    set: (key, value, ttlMs) =>
      guard(async () => {
        if (ttlMs) await redis.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
        else await redis.set(key, value);
      }),
    setMany: (entries, ttlMs) =>
      guard(async () => {
        const pipeline = redis.pipeline();
        for (const [key, value] of entries) {
          if (ttlMs) pipeline.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
          else pipeline.set(key, value);
        }
        const results = (await pipeline.exec()) ?? [];
        const failure = results.find(([err]) => err)?.[0];
        if (failure) throw failure;
      }),
    setIfAbsent: (key, value, ttlMs) =>
      guard(async () => (await redis.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK'),
    del: (...keys) =>
      guard(async () => {
        if (keys.length) await redis.del(...keys);
      }),
    delIfEquals: (key, value) => guard(async () => (await redis.eval(DEL_IF_EQUALS, 1, key, value)) === 1),
    incr: (key, windowMs) =>
      guard(async () => {
        const [count, ttlMs] = (await redis.eval(INCR_WINDOW, 1, key, Math.round(windowMs))) as [number, number];
        return { count, ttlMs };
      }),
    publish: (channel, message) =>
      guard(async () => {
        await redis.publish(channelName(channel), message);
      }),
    async subscribe(channel, handler) {
      const name = channelName(channel);
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        await subscriber.subscribe(name);
      }
      set.add(handler);
    },
    subscriptionEpoch: () => (subscriber.status === 'ready' ? epoch : null),
    ping: () =>
      guard(async () => {
        await redis.ping();
      }),
    async close() {
      handlers.clear();
      await Promise.allSettled([closeConnection(redis), closeConnection(subscriber)]);
    },
  };
}

/** QUIT when connected (flushes pending replies); otherwise drop the socket instead of waiting. */
async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status !== 'ready') {
    conn.disconnect();
    return;
  }
  await Promise.race([conn.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  conn.disconnect();
}
