import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, clientPost, registerOver, startServer, type ClientSecret, type RunningGatehouse } from './harness.js';
import {
  startPrivatePostgres,
  startRedisSentinel,
  type PrivatePostgres,
  type PrivateSentinel,
  run,
} from './private-services.js';

/**
 * One instance on a Sentinel-managed Redis (redis+sentinel://): the master is killed under load,
 * the sentinel promotes the replica, and Gatehouse writes to the new master without a restart
 * (never a 5xx meanwhile: Postgres answers while Redis is switching).
 */
describe('Redis Sentinel failover', () => {
  let pg: PrivatePostgres;
  let sentinel: PrivateSentinel;
  let gh: RunningGatehouse;

  beforeAll(async () => {
    [pg, sentinel] = await Promise.all([startPrivatePostgres(), startRedisSentinel()]);
    gh = await startServer({ DATABASE_URL: pg.url, REDIS_URL: sentinel.url });
  }, 120_000);
  afterAll(async () => {
    await gh?.stop('SIGKILL');
    await sentinel?.stop();
    await pg?.destroy();
  });

  const token = (c: ClientSecret) => clientPost(`${gh.url}/oauth/token`, c, { grant_type: 'client_credentials' });

  it('follows a failover under load: writes resume on the promoted replica', async () => {
    const client = await registerOver(gh.url, {});
    const before = await sentinel.masterPort();
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) statuses.push((await token(client)).status);
    })();

    await new Promise((r) => setTimeout(r, 500));
    await sentinel.killMaster();
    let after = before;
    const deadline = Date.now() + 30_000;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = await sentinel.masterPort().catch(() => before);
    }
    expect(after).not.toBe(before);

    // Without a restart: ready again, and a new client's copy lands on the new master.
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await call(`${gh.url}/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(200);
    const fresh = await registerOver(gh.url, {});
    expect((await token(fresh)).status).toBe(200);
    const { stdout } = await run('redis-cli', ['-p', String(after), 'exists', `gh:clients:${fresh.client_id}`]);
    expect(stdout.trim()).toBe('1');

    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
