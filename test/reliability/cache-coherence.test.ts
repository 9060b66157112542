import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import type { Database } from '../../src/storage/database.js';
import { msUntil } from '../helpers/wait.js';
import {
  ADMIN_HEADERS,
  call,
  clientPost,
  registerOver,
  startServer,
  UNKNOWN_SUBJECT,
  type ClientSecret,
  type HttpResult,
  type RunningGatehouse,
} from './harness.js';
import {
  startPrivatePostgres,
  startRestartableRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './private-services.js';

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
    // The probes below fail on purpose dozens of times a minute; each comes from its own
    // forwarded address so the abuse limits (60 failures a minute per address, tested in their
    // own suite) answer 401 rather than 429 and the test keeps seeing the credential's fate.
    const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1/32' };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    db = createPgDatabase({ url: pg.url, poolMax: 2, statementTimeoutMs: 10_000 });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await db?.close();
    await redis?.stop();
    await pg?.destroy();
  });

  let probe = 0;
  const forwardedFor = () => {
    probe += 1;
    return `10.${(probe >> 16) & 255}.${(probe >> 8) & 255}.${probe & 255}`;
  };
  const token = (gh: RunningGatehouse, c: ClientSecret) =>
    clientPost(`${gh.url}/oauth/token`, c, { grant_type: 'client_credentials' }, { 'x-forwarded-for': forwardedFor() });
  const broker = (gh: RunningGatehouse, key: string) =>
    call(`${gh.url}/tokens/${UNKNOWN_SUBJECT}`, {
      headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': forwardedFor() },
    });
  const redisReady = async () => {
    for (const gh of [a, b])
      expect(
        await msUntil(Date.now(), async () => (await call(`${gh.url}/ready`)).status === 200, 15_000),
      ).toBeLessThan(15_000);
  };

  /** Every instance answers 401 to `attempt` within 1 s of `since`, and keeps doing so for `holdMs`. */
  async function refusedEverywhere(
    since: number,
    attempt: (gh: RunningGatehouse) => Promise<HttpResult>,
    holdMs: number,
  ) {
    // Both instances polled at once: each one's first refusal is timed from the change itself.
    const delays = await Promise.all(
      [a, b].map((gh) => msUntil(since, async () => (await attempt(gh)).status === 401)),
    );
    for (const ms of delays) expect(ms).toBeLessThan(1000);
    const until = Date.now() + holdMs;
    while (Date.now() < until) {
      for (const gh of [a, b]) {
        const r = await attempt(gh);
        expect(r.status, `${gh.url} answered ${JSON.stringify(r.body)}`).toBe(401);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a client disabled during a Redis outage stays refused everywhere when Redis comes back', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    await redis.stop();
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: ADMIN_HEADERS });
    expect(disable.status).toBe(200);
    const attempt = (gh: RunningGatehouse) => token(gh, client);
    await refusedEverywhere(Date.now(), attempt, 500);
    await redis.restart();
    await refusedEverywhere(Date.now(), attempt, 3000);
    await redisReady();
    for (const gh of [a, b]) expect((await attempt(gh)).status).toBe(401);
  });

  it('a client disabled as Redis returns is refused everywhere within 1 s', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    await redis.stop();
    await redis.restart();
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: ADMIN_HEADERS });
    expect(disable.status).toBe(200);
    const attempt = (gh: RunningGatehouse) => token(gh, client);
    await refusedEverywhere(Date.now(), attempt, 3000);
    await redisReady();
    await refusedEverywhere(Date.now(), attempt, 1000);
  });

  it('a Redis restarted right after a disable does not bring the client back', async () => {
    const client = await registerOver(a.url, {});
    for (const gh of [a, b, a, b]) expect((await token(gh, client)).status).toBe(200);
    const disable = await call(`${a.url}/clients/${client.client_id}`, { method: 'DELETE', headers: ADMIN_HEADERS });
    expect(disable.status).toBe(200);
    const since = Date.now();
    const attempt = (gh: RunningGatehouse) => token(gh, client);
    // Timed from the disable while Redis is killed and started again, then from the restart.
    await Promise.all([refusedEverywhere(since, attempt, 0), redis.stop().then(() => redis.restart())]);
    await refusedEverywhere(Date.now(), attempt, 3000);
    await redisReady();
    await refusedEverywhere(Date.now(), attempt, 1000);
  });

  it('an API key revoked during a Redis outage is refused everywhere within 1 s and stays refused', async () => {
    const created = await call(`${a.url}/internal/api-keys`, {
      method: 'POST',
      headers: ADMIN_HEADERS,
      json: { name: 'svc' },
    });
    expect(created.status).toBe(201);
    const key: string = created.body.api_key;
    for (const gh of [a, b, a, b]) expect((await broker(gh, key)).status).not.toBe(401);
    await redis.stop();
    const revoke = await call(`${a.url}/internal/api-keys/${created.body.id}`, {
      method: 'DELETE',
      headers: ADMIN_HEADERS,
    });
    expect(revoke.status).toBe(200);
    const attempt = (gh: RunningGatehouse) => broker(gh, key);
    await refusedEverywhere(Date.now(), attempt, 500);
    await redis.restart();
    await refusedEverywhere(Date.now(), attempt, 2000);
    await redisReady();
    await refusedEverywhere(Date.now(), attempt, 1000);
  });
});
