import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import type { Database } from '../../src/storage/database.js';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { msUntil } from '../helpers/wait.js';
import { basic, call, registerOver, startServer, type RunningGatehouse } from './harness.js';
import {
  startPrivatePostgres,
  startRestartableRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './private-services.js';

const admin = { 'x-admin-key': TEST_ADMIN_KEY };
const UNKNOWN_SUBJECT = '00000000-0000-4000-8000-000000000000';

/**
 * A disabled client or revoked API key is refused on every instance within one second of the
 * commit, also when the change is made while Redis is down or just coming back, and across a
 * Redis restart with and without persistence (a persistent Redis brings back copies that
 * predate the change).
 */
describe.each([
  { persistent: true, title: 'Redis with persistence' },
  { persistent: false, title: 'Redis without persistence' },
])('cache coherence across Redis restarts: $title', ({ persistent }) => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let db: Database;
  let a: RunningGatehouse;
  let b: RunningGatehouse;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    redis = await startRestartableRedis({ persistent });
    const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    db = createPgDatabase({ url: pg.url, poolMax: 2, statementTimeoutMs: 10_000 });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await db?.close();
    await redis?.stop();
    await pg?.destroy();
  });

  const token = (gh: RunningGatehouse, c: { client_id: string; client_secret: string }) =>
    call(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(c.client_id, c.client_secret) },
      form: { grant_type: 'client_credentials' },
    });
  const broker = (gh: RunningGatehouse, key: string) =>
    call(`${gh.url}/tokens/${UNKNOWN_SUBJECT}`, { headers: { authorization: `Bearer ${key}` } });
  const redisReady = async () => {
    for (const gh of [a, b])
      expect(
        await msUntil(Date.now(), async () => (await call(`${gh.url}/ready`)).status === 200, 15_000),
      ).toBeLessThan(15_000);
  };

  /** Every instance answers `refused` within 1 s of `since`, and keeps doing so for `holdMs`. */
  async function refusedEverywhere(since: number, refused: (gh: RunningGatehouse) => Promise<boolean>, holdMs: number) {
    // Both instances polled at once: each one's first refusal is timed from the change itself.
    const delays = await Promise.all([a, b].map((gh) => msUntil(since, () => refused(gh))));
    for (const ms of delays) expect(ms).toBeLessThan(1000);
    const until = Date.now() + holdMs;
    while (Date.now() < until) {
      for (const gh of [a, b]) expect(await refused(gh)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a client disabled during a Redis outage stays refused everywhere when Redis comes back', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    await redis.stop();
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: admin });
    expect(disable.status).toBe(200);
    const refused = async (gh: RunningGatehouse) => (await token(gh, client)).status === 401;
    await refusedEverywhere(Date.now(), refused, 500);
    await redis.restart();
    await refusedEverywhere(Date.now(), refused, 3000);
    await redisReady();
    for (const gh of [a, b]) expect(await refused(gh)).toBe(true);
  });

  it('a client disabled as Redis returns is refused everywhere within 1 s', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    await redis.stop();
    await redis.restart();
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: admin });
    expect(disable.status).toBe(200);
    await refusedEverywhere(Date.now(), async (gh) => (await token(gh, client)).status === 401, 3000);
    await redisReady();
  });

  it('a Redis restarted right after a disable does not bring the client back', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: admin });
    expect(disable.status).toBe(200);
    await redis.stop();
    await redis.restart();
    await refusedEverywhere(Date.now(), async (gh) => (await token(gh, client)).status === 401, 3000);
    await redisReady();
  });

  it('an API key revoked during a Redis outage is refused everywhere within 1 s and stays refused', async () => {
    const created = await call(`${a.url}/internal/api-keys`, { method: 'POST', headers: admin, json: { name: 'svc' } });
    expect(created.status).toBe(201);
    const key: string = created.body.api_key;
    for (const gh of [a, b, a, b]) expect((await broker(gh, key)).status).not.toBe(401);
    await redis.stop();
    const revoke = await call(`${a.url}/internal/api-keys/${created.body.id}`, { method: 'DELETE', headers: admin });
    expect(revoke.status).toBe(200);
    const refused = async (gh: RunningGatehouse) => (await broker(gh, key)).status === 401;
    await refusedEverywhere(Date.now(), refused, 500);
    await redis.restart();
    await refusedEverywhere(Date.now(), refused, 2000);
    await redisReady();
  });
});
