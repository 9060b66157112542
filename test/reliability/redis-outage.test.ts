import { describe, expect, it } from 'vitest';
import { mintCode, seedUser } from '../helpers/oauth.js';
import { call, clientPost, registerOver, usePrivateStack, type ClientSecret } from './harness.js';

/** Fault 3: Redis down — Postgres fallback for clients and revocation, in-process rate limits. */
describe('Redis outage', () => {
  const stack = usePrivateStack();

  const token = (c: ClientSecret, form: Record<string, string>) => clientPost(`${stack.gh.url}/oauth/token`, c, form);

  it('keeps issuing, limiting and revoking from Postgres, and uses Redis again when it returns', async () => {
    const before = await registerOver(stack.gh.url, {});
    expect((await token(before, { grant_type: 'client_credentials' })).status).toBe(200);

    await stack.redis.stop();
    expect((await call(`${stack.gh.url}/ready`)).body.checks.redis.status).toBe('down');

    // A client registered during the outage is read from Postgres.
    const during = await registerOver(stack.gh.url, {});
    expect((await token(during, { grant_type: 'client_credentials' })).status).toBe(200);
    expect((await token(before, { grant_type: 'client_credentials' })).status).toBe(200);

    // Code exchange and refresh rotation work (Postgres only).
    const user = await seedUser(stack.db);
    const code = await mintCode(stack.db, { clientId: during.client_id, userId: user.id });
    const exchanged = await token(during, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://app.example.com/callback',
    });
    expect(exchanged.status).toBe(200);
    const refreshed = await token(during, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token });
    expect(refreshed.status).toBe(200);

    // Revocation is read from Postgres/local state: the revoked family's access token is inactive.
    const revoke = await clientPost(`${stack.gh.url}/oauth/revoke`, during, { token: refreshed.body.refresh_token });
    expect(revoke.status).toBe(200);
    const intro = await clientPost(`${stack.gh.url}/oauth/introspect`, during, { token: refreshed.body.access_token });
    expect(intro.body).toEqual({ active: false });

    // Brute force is still limited: 20 failures, then 429 (in-process counters).
    const wrong = { client_id: during.client_id, client_secret: 'wrong' };
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await token(wrong, { grant_type: 'client_credentials' })).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);

    // Redis back: ready again, and changes are announced through it again.
    await stack.redis.restart();
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await call(`${stack.gh.url}/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(200);
    const after = await registerOver(stack.gh.url, {});
    expect((await token(after, { grant_type: 'client_credentials' })).status).toBe(200);
    expect((await token(during, { grant_type: 'client_credentials' })).status).toBe(200);
  }, 90_000);
});
