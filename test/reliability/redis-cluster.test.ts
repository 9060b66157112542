import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msUntil } from '../helpers/wait.js';
import {
  ADMIN_HEADERS,
  call,
  clientPost,
  registerOver,
  startServer,
  UNKNOWN_SUBJECT,
  type ClientSecret,
  type RunningGatehouse,
} from './harness.js';
import {
  startPrivatePostgres,
  startRedisCluster,
  type PrivatePostgres,
  type PrivateRedisCluster,
  run,
} from './private-services.js';

/**
 * Two instances on a private 3-master Redis Cluster (redis+cluster://): changes reach every
 * instance through a Cluster PUBLISH, keys spread over every master, and no command meets
 * MOVED or CROSSSLOT. A third instance pointed at one node only (redis://) is reported, not
 * silently degraded.
 */
describe('Redis Cluster', () => {
  let pg: PrivatePostgres;
  let cluster: PrivateRedisCluster;
  let a: RunningGatehouse;
  let b: RunningGatehouse;

  beforeAll(async () => {
    [pg, cluster] = await Promise.all([startPrivatePostgres(), startRedisCluster()]);
    const env = { DATABASE_URL: pg.url, REDIS_URL: cluster.url };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await cluster?.stop();
    await pg?.destroy();
  });

  const token = (gh: RunningGatehouse, c: ClientSecret) =>
    clientPost(`${gh.url}/oauth/token`, c, { grant_type: 'client_credentials' });

  it('disables clients and revokes an API key on every instance within 1 s, with no MOVED or CROSSSLOT', async () => {
    // Clients until every master holds one's shared copy (SCAN answers for its own node only):
    // the disables below then change keys on every master, not only the one a seed node owns.
    const clients: ClientSecret[] = [];
    const holders = new Set<number>();
    while (holders.size < cluster.ports.length && clients.length < 30) {
      const batch = await Promise.all(Array.from({ length: 3 }, () => registerOver(a.url, {})));
      for (const c of batch) for (const gh of [a, b, a, b]) expect((await token(gh, c)).status).toBe(200);
      clients.push(...batch);
      for (const port of cluster.ports) {
        const { stdout } = await run('redis-cli', ['-p', String(port), '--scan', '--pattern', 'gh:clients:*']);
        if (clients.some((c) => stdout.includes(c.client_id))) holders.add(port);
      }
    }
    expect(holders.size).toBe(cluster.ports.length);
    const created = await call(`${a.url}/internal/api-keys`, {
      method: 'POST',
      headers: ADMIN_HEADERS,
      json: { name: 'svc' },
    });
    const key: string = created.body.api_key;
    const broker = (gh: RunningGatehouse) =>
      call(`${gh.url}/tokens/${UNKNOWN_SUBJECT}`, { headers: { authorization: `Bearer ${key}` } });
    for (const gh of [a, b, a, b]) expect((await broker(gh)).status).not.toBe(401);

    for (const c of clients) {
      const since = Date.now();
      expect((await call(`${a.url}/clients/${c.client_id}`, { method: 'DELETE', headers: ADMIN_HEADERS })).status).toBe(
        200,
      );
      const delays = await Promise.all(
        [a, b].map((gh) => msUntil(since, async () => (await token(gh, c)).status === 401)),
      );
      for (const ms of delays) expect(ms).toBeLessThan(1000);
    }
    const since = Date.now();
    expect(
      (await call(`${a.url}/internal/api-keys/${created.body.id}`, { method: 'DELETE', headers: ADMIN_HEADERS }))
        .status,
    ).toBe(200);
    const delays = await Promise.all([a, b].map((gh) => msUntil(since, async () => (await broker(gh)).status === 401)));
    for (const ms of delays) expect(ms).toBeLessThan(1000);

    for (const gh of [a, b]) {
      const ready = await call(`${gh.url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.checks.redis).toEqual({ status: 'up', backend: 'redis' });
    }
  });

  it('an instance given one node as redis:// reports the MOVED answers instead of passing as ready', async () => {
    const lone = await startServer({ DATABASE_URL: pg.url, REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}` });
    try {
      const clients = await Promise.all(Array.from({ length: 6 }, () => registerOver(lone.url, {})));
      for (const c of clients) expect((await token(lone, c)).status).toBe(200); // Postgres answers
      const ready = await call(`${lone.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis.status).toBe('error');
      expect(ready.body.checks.redis.errors.MOVED).toBeGreaterThan(0);
    } finally {
      await lone.stop('SIGKILL');
    }
  });
});
