import { beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import {
  adminHeaders,
  createApiKey,
  registerClient,
  registerResourceServer,
  type RegisteredClient,
} from '../../helpers/admin.js';
import { introspectAs, mintCode, postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';
import { bearer } from '../../helpers/users.js';
import { msUntil } from '../../helpers/wait.js';

type App = TestApp['app'];

/**
 * Product rule "ending access ends all of it" (docs/token-lifecycle.md): disabling or purging a client, "Remove access"
 * and user deletion end every live token they concern, on every instance, at once.
 */
describeBackends('ending access ends all of it', (backend) => {
  const a = useTestApp(backend);
  let b: TestApp;
  let resourceServer: RegisteredClient;

  beforeAll(async () => {
    b = await a.another({ ownConnections: true });
    resourceServer = await registerResourceServer(a.app);
  }, 60_000);

  const thirdParty = () => registerClient(a.app, { scope: 'openid profile email reports' });

  const userTokens = (client: RegisteredClient, user: SeededUser, app: App = a.app) =>
    redeemCode(a, client, user.id, { app });

  async function clientToken(client: RegisteredClient) {
    const res = await postAs(a.app, client, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ access_token: string }>().access_token;
  }

  const active = async (app: App, token: string) => (await introspectAs(app, resourceServer, token)).active;
  const userInfoStatus = async (app: App, token: string) =>
    (await app.inject({ method: 'GET', url: '/user/info', headers: bearer(token) })).statusCode;
  const oidcUserInfoStatus = async (app: App, token: string) =>
    (await app.inject({ method: 'GET', url: '/userinfo', headers: bearer(token) })).statusCode;

  /** Every way a token is used, on one instance: all refuse it. */
  async function refusedEverywhereOn(app: App, userToken: string, machineToken: string): Promise<boolean> {
    return (
      !(await active(app, userToken)) &&
      !(await active(app, machineToken)) &&
      (await userInfoStatus(app, userToken)) === 401 &&
      (await oidcUserInfoStatus(app, userToken)) === 401
    );
  }

  it.each([
    ['disabling', ''],
    ['purging', '?purge=true'],
  ])(
    '%s a client denies its user and client_credentials access tokens at once on every instance',
    async (_name, query) => {
      const client = await thirdParty();
      const user = await seedUser(a.db);
      const { access_token: userToken } = await userTokens(client, user);
      const machineToken = await clientToken(client);
      for (const app of [a.app, b.app]) {
        expect(await active(app, userToken)).toBe(true);
        expect(await active(app, machineToken)).toBe(true);
        expect(await userInfoStatus(app, userToken)).toBe(200);
        expect(await oidcUserInfoStatus(app, userToken)).toBe(200);
      }

      const since = Date.now();
      const res = await a.app.inject({
        method: 'DELETE',
        url: `/clients/${client.client_id}${query}`,
        headers: adminHeaders,
      });
      expect(res.statusCode, res.body).toBe(200);

      expect(await refusedEverywhereOn(a.app, userToken, machineToken)).toBe(true);
      // Product rule (scale-out): "invalidated on every instance through Redis pub/sub within one second".
      expect(await msUntil(since, () => refusedEverywhereOn(b.app, userToken, machineToken))).toBeLessThan(1000);
      // An instance started afterwards (it heard no message) reads the denial from Postgres.
      const late = await a.another({ ownConnections: true });
      try {
        expect(await refusedEverywhereOn(late.app, userToken, machineToken)).toBe(true);
      } finally {
        await late.close();
      }
    },
  );

  it('a client denial lasts the longest access-token lifetime, no longer', async () => {
    const client = await thirdParty();
    const before = Date.now();
    await a.app.inject({ method: 'DELETE', url: `/clients/${client.client_id}`, headers: adminHeaders });
    const { rows } = await a.db.query<{ expires_at: Date }>(
      `SELECT expires_at FROM access_denials WHERE kind = 'client' AND value = $1`,
      [client.client_id],
    );
    expect(rows).toHaveLength(1);
    const lifetimeMs = a.config.security.access_token_expiry_minutes * 60_000;
    expect(rows[0]!.expires_at.getTime()).toBeGreaterThanOrEqual(before + lifetimeMs);
    expect(rows[0]!.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + lifetimeMs + 60_000);
  });

  it('"Remove access" on the account page voids codes not yet redeemed (same transaction)', async () => {
    const client = await thirdParty();
    const user = await seedUser(a.db);
    const { access_token } = await userTokens(client, user);
    const code = await mintCode(a.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
    const { id: sessionId } = await a.app.sessions.create(user.id);
    const page = await a.app.inject({ method: 'GET', url: '/account', cookies: { gh_session: sessionId } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeDefined();

    const removed = await a.app.inject({
      method: 'POST',
      url: `/account/apps/${client.client_id}/revoke`,
      cookies: { gh_session: sessionId },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf_token: csrf! }).toString(),
    });
    expect(removed.statusCode).toBe(303);

    const redeemed = await postAs(a.app, client, '/oauth/token', { grant_type: 'authorization_code', code });
    expect(redeemed.statusCode).toBe(400);
    expect(redeemed.json().error).toBe('invalid_grant');
    const left = await a.db.query('SELECT 1 FROM authorization_codes WHERE code_hash = $1', [sha256Hex(code)]);
    expect(left.rowCount).toBe(0);
    expect(await active(b.app, access_token)).toBe(false);
  });

  it('the external revoke voids codes not yet redeemed too', async () => {
    const client = await thirdParty();
    const user = await seedUser(a.db);
    const key = (
      await createApiKey(a.app, { name: 'external-auth', scopes: ['external'], allowed_clients: [client.client_id] })
    ).api_key;
    const code = await mintCode(a.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
    // A code of another client for the same person is not theirs to void.
    const other = await thirdParty();
    const otherCode = await mintCode(a.db, { clientId: other.client_id, userId: user.id, redirectUri: null });

    const res = await a.app.inject({
      method: 'POST',
      url: '/oauth/external/revoke',
      headers: bearer(key),
      payload: { client_id: client.client_id, subject: user.id },
    });
    expect(res.statusCode, res.body).toBe(200);

    const redeemed = await postAs(a.app, client, '/oauth/token', { grant_type: 'authorization_code', code });
    expect(redeemed.statusCode).toBe(400);
    expect(redeemed.json().error).toBe('invalid_grant');
    expect(
      (await postAs(a.app, other, '/oauth/token', { grant_type: 'authorization_code', code: otherCode })).statusCode,
    ).toBe(200);
  });

  it('deleting a person while a code exchange for them is in flight leaves no active token (40 races, two instances)', async () => {
    const client = await thirdParty();
    const issued: string[] = [];
    for (let i = 0; i < 40; i++) {
      const user = await seedUser(a.db);
      const code = await mintCode(a.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
      // The exchange on one instance, the deletion on the other, started a little apart so that
      // the runs cover every interleaving: before, during and after the exchange's transaction.
      const [exchange, deletion] = await Promise.all([
        postAs(a.app, client, '/oauth/token', { grant_type: 'authorization_code', code }),
        new Promise((r) => setTimeout(r, i % 8)).then(() =>
          b.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders }),
        ),
      ]);
      expect(deletion.statusCode, deletion.body).toBe(200);
      if (exchange.statusCode === 200) issued.push(exchange.json<{ access_token: string }>().access_token);
      else expect(exchange.json().error).toBe('invalid_grant');
    }
    for (const token of issued) {
      for (const app of [a.app, b.app]) {
        expect(await active(app, token)).toBe(false);
        expect(await userInfoStatus(app, token)).toBe(401);
      }
    }
  }, 120_000);

  // Disabling without purge keeps the client's refresh tokens in Postgres (nothing is deleted)
  // and the client can no longer redeem them; introspection must not call them active either.
  it('a refresh token of a client disabled without purge introspects {"active": false} on every instance', async () => {
    const client = await registerClient(a.app, { scope: 'openid profile email' });
    const user = await seedUser(a.db);
    const { refresh_token } = await redeemCode(a, client, user.id);
    expect(refresh_token).toEqual(expect.any(String));
    for (const app of [a.app, b.app])
      expect((await introspectAs(app, resourceServer, refresh_token, 'refresh_token')).active).toBe(true);

    const res = await a.app.inject({ method: 'DELETE', url: `/clients/${client.client_id}`, headers: adminHeaders });
    expect(res.statusCode, res.body).toBe(200);
    // Nothing was deleted: the token row is still there, only its client is disabled.
    const { rowCount } = await a.db.query('SELECT 1 FROM refresh_tokens WHERE client_id = $1', [client.client_id]);
    expect(rowCount).toBeGreaterThan(0);

    for (const app of [a.app, b.app])
      expect(await introspectAs(app, resourceServer, refresh_token, 'refresh_token')).toEqual({ active: false });
    // The client itself cannot use it either (it no longer authenticates).
    const refreshed = await postAs(a.app, client, '/oauth/token', { grant_type: 'refresh_token', refresh_token });
    expect(refreshed.statusCode).toBe(401);
  });

  it('a refresh token of a live client next to a disabled one stays active', async () => {
    const [disabled, live] = [await registerClient(a.app), await registerClient(a.app)];
    const user = await seedUser(a.db);
    await redeemCode(a, disabled, user.id);
    const { refresh_token } = await redeemCode(a, live, user.id);
    await a.app.inject({ method: 'DELETE', url: `/clients/${disabled.client_id}`, headers: adminHeaders });
    expect((await introspectAs(b.app, resourceServer, refresh_token, 'refresh_token')).active).toBe(true);
  });
});
