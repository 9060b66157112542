import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type Cache, type CacheProblem, CacheUnavailableError } from './cache.js';
import { parseRedisUrl } from './redis-url.js';

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

type Connection = Redis | Cluster;

/**
 * One connection to what REDIS_URL names: ioredis's own Cluster client (it follows MOVED/ASK
 * and topology changes) or its Sentinel support (it asks the sentinels for the master and
 * follows a failover), otherwise a plain client.
 */
function connect(url: string, options: RedisOptions): Connection {
  const target = parseRedisUrl(url);
  if (target.kind === 'standalone') return new Redis(url, options);
  const auth = { username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) };
  if (target.kind === 'sentinel') {
    return new Redis({
      ...options,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      sentinelUsername: target.username,
      sentinelPassword: target.password,
      // A replica promoted by a failover answers READONLY until clients move: reconnect at once.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  }
  const { keyPrefix, lazyConnect, enableOfflineQueue, retryStrategy, ...redisOptions } = options;
  return new Cluster(target.nodes, {
    keyPrefix,
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    redisOptions: { ...redisOptions, ...auth },
  });
}

/**
 * Redis behind the Cache interface. Commands fail fast while disconnected (no offline queue),
 * so callers fall back at once instead of hanging; ioredis keeps reconnecting in the background
 * and re-subscribes its channels when it is back. Every command names one key (or one slot), so
 * the same code runs on a Redis Cluster. Redis answering with an error (MOVED, CROSSSLOT,
 * READONLY, NOSCRIPT…) is not an outage: it is counted and reported (`problems()`, /ready,
 * `onProblem`), and the caller falls back as for an outage.
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
  const clustered = parseRedisUrl(opts.url).kind === 'cluster';
  const redis = connect(opts.url, { ...common, keyPrefix: opts.keyPrefix });
  // The subscriber needs the offline queue: SUBSCRIBE issued while reconnecting must not fail.
  const subscriber = connect(opts.url, { ...common, enableOfflineQueue: true, commandTimeout: undefined });
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
  const problems = new Map<string, number>();
  let lastProblem: CacheProblem['last'];
  const listeners: ((kind: string, err: Error) => void)[] = [];
  const guard = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (err) {
      const kind = replyErrorKind(err);
      if (kind) {
        problems.set(kind, (problems.get(kind) ?? 0) + 1);
        lastProblem = { kind, at: Date.now() };
        for (const l of listeners) l(kind, err as Error);
      }
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
        // A Cluster pipeline must stay within one slot: one SET per key instead.
        if (clustered) {
          const px = ttlMs ? Math.max(1, Math.round(ttlMs)) : undefined;
          await Promise.all(
            entries.map(([key, value]) => (px ? redis.set(key, value, 'PX', px) : redis.set(key, value))),
          );
          return;
        }
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
    // One DEL per key: a multi-key DEL across slots is CROSSSLOT on a Cluster.
    del: (...keys) =>
      guard(async () => {
        await Promise.all(keys.map((key) => redis.del(key)));
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
    problems: () => ({ counts: Object.fromEntries(problems), last: lastProblem }),
    onProblem(listener) {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    async close() {
      handlers.clear();
      await Promise.allSettled([closeConnection(redis), closeConnection(subscriber)]);
    },
  };
}

/**
 * The first word of an error Redis answered with (MOVED, ASK, CROSSSLOT, READONLY, NOSCRIPT,
 * WRONGTYPE, NOAUTH, OOM…), or null when Redis did not answer (a connection problem, a timeout).
 */
export function replyErrorKind(err: unknown): string | null {
  const e = err as { name?: string; message?: string } | null;
  if (e?.name !== 'ReplyError' || typeof e.message !== 'string') return null;
  const word = /^[A-Z]+/.exec(e.message)?.[0];
  return word ?? 'ERR';
}

/** QUIT when connected (flushes pending replies); otherwise drop the socket instead of waiting. */
async function closeConnection(conn: Connection): Promise<void> {
  if (conn.status !== 'ready') {
    conn.disconnect();
    return;
  }
  await Promise.race([conn.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  conn.disconnect();
}
