import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { adminHeaders } from '../../helpers/admin.js';
import { CacheUnavailableError } from '../../../src/cache/cache.js';

/**
 * A Redis that answers commands with errors is not an outage (product rule: runtime): MOVED from a
 * Cluster node named alone in REDIS_URL, READONLY from a demoted master, WRONGTYPE, NOSCRIPT…
 * are logged, counted and reported by /ready, never silently taken for "cache unavailable".
 */
describeBackends('Redis error answers', (backend) => {
  const t = useTestApp(backend);

  if (backend.name !== 'real') {
    it('the in-process cache has none to report', async () => {
      expect(t.cache.problems()).toEqual({ counts: {} });
      expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    });
    return;
  }

  it('counts an error answer, logs it, reports it in /ready and in /metrics', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    // A real Redis answering with an error: INCR on a key that holds no integer.
    await t.cache.set('not-a-counter', 'v');
    const failure = await t.cache.incr('not-a-counter', 1000).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CacheUnavailableError);
    expect(t.cache.problems().counts).toEqual({ ERR: 1 });

    const ready = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      success: false,
      error: 'unavailable',
      error_description: expect.stringContaining('redis answers with errors (ERR)'),
      checks: { postgres: { status: 'up' }, redis: { status: 'error', backend: 'redis', errors: { ERR: 1 } } },
    });
    expect(t.logs.text).toContain('Redis answered with an error that is not an outage');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: adminHeaders });
    expect(metrics.body).toContain('gatehouse_redis_errors{kind="ERR"} 1');
  });
});
