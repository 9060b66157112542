import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CacheUnavailableError, type Cache } from '../../../src/cache/cache.js';
import { CoherentCache } from '../../../src/cache/coherent-cache.js';
import { createMemoryCache } from '../../../src/cache/memory-cache.js';
import { createValueSigner } from '../../../src/cache/value-signer.js';

interface Row {
  id: string;
  disabled: boolean;
}

/**
 * The in-process cache with a switch standing for Redis being unreachable: commands fail as
 * ioredis's do (CacheUnavailableError), messages published meanwhile are lost, and the
 * subscription epoch moves as a dropped subscriber connection's does.
 */
function switchableCache() {
  const inner = createMemoryCache();
  let down = false;
  let epoch = 0;
  const guard = <T>(fn: () => Promise<T>) =>
    down ? Promise.reject(new CacheUnavailableError(new Error('simulated outage'))) : fn();
  const cache: Cache = {
    ...inner,
    get: (k) => guard(() => inner.get(k)),
    set: (k, v, t) => guard(() => inner.set(k, v, t)),
    setIfAbsent: (k, v, t) => guard(() => inner.setIfAbsent(k, v, t)),
    del: (...k) => guard(() => inner.del(...k)),
    delIfEquals: (k, v) => guard(() => inner.delIfEquals(k, v)),
    publish: (c, m) => guard(() => inner.publish(c, m)),
    subscriptionEpoch: () => (down ? null : epoch),
  };
  return {
    cache,
    inner,
    outage() {
      down = true;
      epoch++;
    },
    recover() {
      down = false;
    },
  };
}

const signer = createValueSigner([randomBytes(32)]);

describe('CoherentCache', () => {
  let db: Map<string, Row>;
  let reads: number;
  let redis: ReturnType<typeof switchableCache>;
  let warnings: string[];
  const open = (cache: Cache = redis.cache) => {
    const c = new CoherentCache<Row>({
      name: 'rows',
      cache,
      load: async (id) => {
        reads++;
        return db.get(id) ?? null;
      },
      localTtlMs: 60_000,
      shared: { ttlMs: 600_000, signer },
      log: { warn: (_obj, msg) => warnings.push(msg) },
    });
    return c;
  };

  beforeEach(() => {
    db = new Map([['r1', { id: 'r1', disabled: false }]]);
    reads = 0;
    warnings = [];
    redis = switchableCache();
  });
  afterEach(() => redis.inner.close());

  it('serves from memory once listening, and drops a copy when any instance announces a change', async () => {
    const a = open();
    const b = open();
    await a.start();
    await b.start();
    expect(await b.get('r1')).toEqual({ id: 'r1', disabled: false });
    expect(await b.get('r1')).toEqual({ id: 'r1', disabled: false });
    expect(reads).toBe(1);
    db.set('r1', { id: 'r1', disabled: true });
    await a.changed('r1', db.get('r1')!);
    await vi.waitFor(() => expect(b.peek('r1')).toBeUndefined());
    expect(await b.get('r1')).toEqual({ id: 'r1', disabled: true });
  });

  it('forgets every local copy when the subscription epoch changes, and serves none while it is down', async () => {
    const a = open();
    await a.start();
    await a.get('r1');
    expect(a.peek('r1')).toBeDefined();
    redis.outage();
    expect(a.peek('r1')).toBeUndefined();
    redis.recover();
    expect(a.peek('r1')).toBeUndefined();
  });

  it('does not trust a shared copy written before its subscription came back (a Redis that kept old data)', async () => {
    const a = open();
    const b = open();
    await a.start();
    await b.start();
    await b.get('r1'); // the shared copy now says disabled:false
    redis.outage();
    db.set('r1', { id: 'r1', disabled: true });
    await a.changed('r1', db.get('r1')!); // overwrite and publish fail: Redis is down
    expect(await b.get('r1')).toEqual({ id: 'r1', disabled: true });
    redis.recover();
    // Redis answers again with its old disabled:false entry, before a's repair has run
    await new Promise((r) => setTimeout(r, 5));
    expect(await b.get('r1')).toEqual({ id: 'r1', disabled: true });
    expect(await a.get('r1')).toEqual({ id: 'r1', disabled: true });
    a.stop();
  });

  it('repairs the shared copy once Redis answers again after a failed overwrite', async () => {
    const a = open();
    await a.start();
    await a.get('r1');
    redis.outage();
    db.set('r1', { id: 'r1', disabled: true });
    await a.changed('r1', db.get('r1')!);
    expect(warnings).toContain('cache change not announced through Redis; local copies distrusted, retrying');
    redis.recover();
    const fresh = open();
    await vi.waitFor(async () => {
      const raw = await redis.inner.get('rows:r1');
      expect(raw).toContain('"disabled":true');
    });
    await fresh.start();
    // a fresh instance trusts only entries written after it started listening
    expect(await fresh.get('r1')).toEqual({ id: 'r1', disabled: true });
    a.stop();
  });

  it('treats a forged shared entry as a miss, logs it, and replaces it with the row', async () => {
    db.set('r1', { id: 'r1', disabled: true });
    const forged = `${'A'.repeat(43)}.${JSON.stringify({ w: Date.now() + 3_600_000, v: { id: 'r1', disabled: false } })}`;
    await redis.inner.set('rows:r1', forged);
    const a = open();
    await a.start();
    expect(await a.get('r1')).toEqual({ id: 'r1', disabled: true });
    expect(a.stats.rejectedEntries).toBe(1);
    expect(warnings).toContain('shared cache entry failed its integrity check; reading Postgres');
    expect(await redis.inner.get('rows:r1')).not.toBe(forged);
  });

  it('refuses an entry sealed for another id or under another key', async () => {
    const other = createValueSigner([randomBytes(32)]);
    const payload = JSON.stringify({ w: Date.now(), v: { id: 'r1', disabled: false } });
    expect(signer.open('rows:r1', signer.seal('rows:r1', payload))).toBe(payload);
    expect(signer.open('rows:r1', signer.seal('rows:r2', payload))).toBeNull();
    expect(signer.open('rows:r1', other.seal('rows:r1', payload))).toBeNull();
  });

  it('keeps reading entries sealed under an older key after a rotation, and seals under the new one', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = createValueSigner([oldKey]);
    const after = createValueSigner([newKey, oldKey]);
    expect(after.open('rows:r1', before.seal('rows:r1', 'x'))).toBe('x');
    expect(before.open('rows:r1', after.seal('rows:r1', 'x'))).toBeNull();
  });

  it('does not store a row read before an invalidation that arrived during the read', async () => {
    const a = open();
    await a.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new CoherentCache<Row>({
      name: 'rows',
      cache: redis.cache,
      load: async (id) => {
        const row = db.get(id) ?? null;
        await gate;
        return row;
      },
      localTtlMs: 60_000,
      log: { warn: () => {} },
    });
    await slow.start();
    const pending = slow.get('r1');
    await new Promise((r) => setTimeout(r, 5));
    db.set('r1', { id: 'r1', disabled: true });
    await a.changed('r1', db.get('r1')!);
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await pending).toEqual({ id: 'r1', disabled: false });
    expect(slow.peek('r1')).toBeUndefined();
  });
});
