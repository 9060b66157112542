import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import type { TestCache } from '../../helpers/backends.js';

describeBackends('Cache', (backend) => {
  let a: TestCache;
  let b: TestCache;
  beforeAll(async () => {
    a = await backend.createCache();
    // A second connection under the same prefix stands for a second instance; the in-process
    // cache is only shared within one process, so there both handles are the same object.
    b = backend.name === 'real' ? await backend.createCache(a.prefix) : a;
  });
  afterAll(async () => {
    await a?.close();
    if (b !== a) await b?.close();
  });

  it('stores, reads and expires values', async () => {
    await a.cache.set('k1', 'v1');
    await a.cache.set('k2', 'v2', 50);
    expect(await b.cache.get('k1')).toBe('v1');
    expect(await b.cache.get('k2')).toBe('v2');
    await new Promise((r) => setTimeout(r, 120));
    expect(await a.cache.get('k2')).toBeNull();
    await a.cache.del('k1');
    expect(await a.cache.get('k1')).toBeNull();
  });

  it('setIfAbsent takes a lock once; delIfEquals releases only the owner', async () => {
    expect(await a.cache.setIfAbsent('lock', 'owner-1', 5000)).toBe(true);
    expect(await b.cache.setIfAbsent('lock', 'owner-2', 5000)).toBe(false);
    expect(await b.cache.delIfEquals('lock', 'owner-2')).toBe(false);
    expect(await a.cache.delIfEquals('lock', 'owner-1')).toBe(true);
    expect(await b.cache.setIfAbsent('lock', 'owner-2', 5000)).toBe(true);
  });

  it('incr counts within a window and reports the time left', async () => {
    const first = await a.cache.incr('counter', 1000);
    const second = await b.cache.incr('counter', 1000);
    expect(first.count).toBe(1);
    expect(second.count).toBe(2);
    expect(second.ttlMs).toBeGreaterThan(0);
    expect(second.ttlMs).toBeLessThanOrEqual(1000);
  });

  it('delivers published messages to subscribers of every instance', async () => {
    const seenA = vi.fn();
    const seenB = vi.fn();
    await a.cache.subscribe('events', seenA);
    await b.cache.subscribe('events', seenB);
    await a.cache.publish('events', 'hello');
    await vi.waitFor(() => {
      expect(seenA).toHaveBeenCalledWith('hello');
      expect(seenB).toHaveBeenCalledWith('hello');
    });
  });

  if (backend.name === 'real')
    it('keeps deployments apart by key prefix', async () => {
      const other = await backend.createCache();
      try {
        await a.cache.set('shared-name', 'mine');
        expect(await other.cache.get('shared-name')).toBeNull();
      } finally {
        await other.close();
      }
    });
});
