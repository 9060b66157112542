import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import type { Database } from '../../src/storage/database.js';
import { mintCode, seedUser } from '../helpers/oauth.js';
import { startPrivatePostgres, startRestartableRedis, type PrivatePostgres, type PrivateRedis } from './private-services.js';
import { basic, call, registerOver, startServer, type RunningGatehouse } from './harness.js';

/** Fault 3: Redis down — Postgres fallback for clients and revocation, in-process rate limits. */
describe('Redis outage', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let gh: RunningGatehouse;
  let db: Database;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    redis = await startRestartableRedis();
    gh = await startServer({ DATABASE_URL: pg.url, REDIS_URL: redis.url });
    db = createPgDatabase({ url: pg.url, poolMax: 2, statementTimeoutMs: 5000 });
  }, 120_000);
  afterAll(async () => {
    await gh?.stop('SIGKILL');
    await db?.close();
    await redis?.stop();
    await pg?.destroy();
  });

  const token = (c: { client_id: string; client_secret: string }, form: Record<string, string>, ip?: string) =>
    call(`${gh.url}/oauth/token`, { method: 'POST', headers: { authorization: basic(c.client_id, c.client_secret), ...(ip ? {} : {}) }, form });

  it('keeps issuing, limiting and revoking from Postgres, and uses Redis again when it returns', async () => {
    const before = await registerOver(gh.url, {});
    expect((await token(before, { grant_type: 'client_credentials' })).status).toBe(200);

    await redis.stop();
    expect((await call(`${gh.url}/ready`)).body.checks.redis.status).toBe('down');

    // A client registered during the outage is read from Postgres.
    const during = await registerOver(gh.url, {});
    expect((await token(during, { grant_type: 'client_credentials' })).status).toBe(200);
    expect((await token(before, { grant_type: 'client_credentials' })).status).toBe(200);

    // Code exchange and refresh rotation work (Postgres only).
    const user = await seedUser(db);
    const code = await mintCode(db, { clientId: during.client_id, userId: user.id });
    const exchanged = await token(during, { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.com/callback' });
    expect(exchanged.status).toBe(200);
    const refreshed = await token(during, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token });
    expect(refreshed.status).toBe(200);

    // Revocation is read from Postgres/local state: the revoked family's access token is inactive.
    const revoke = await call(`${gh.url}/oauth/revoke`, { method: 'POST', headers: { authorization: basic(during.client_id, during.client_secret) }, form: { token: refreshed.body.refresh_token } });
    expect(revoke.status).toBe(200);
    const intro = await call(`${gh.url}/oauth/introspect`, { method: 'POST', headers: { authorization: basic(during.client_id, during.client_secret) }, form: { token: refreshed.body.access_token } });
    expect(intro.body).toEqual({ active: false });

    // Brute force is still limited: 20 failures, then 429 (in-process counters).
    const wrong = { client_id: during.client_id, client_secret: 'wrong' };
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await token(wrong, { grant_type: 'client_credentials' })).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);

    // Redis back: ready again, and changes are announced through it again.
    await redis.restart();
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await call(`${gh.url}/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(200);
    const after = await registerOver(gh.url, {});
    expect((await token(after, { grant_type: 'client_credentials' })).status).toBe(200);
    expect((await token(during, { grant_type: 'client_credentials' })).status).toBe(200);
  }, 90_000);
});
