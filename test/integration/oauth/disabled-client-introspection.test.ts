import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { postAs, redeemCode, seedUser } from '../../helpers/oauth.js';

type App = TestApp['app'];

/**
 * Product rule "ending access ends all of it": introspection refuses tokens of a disabled
 * client. Disabling without purge keeps the client's refresh tokens in Postgres (nothing is
 * deleted), and the client can no longer redeem them; introspection must not call them active
 * either, on any instance, however long after the disable.
 */
describeBackends('introspecting a refresh token of a disabled client', (backend) => {
  const a = useTestApp(backend);
  let b: TestApp;
  let resourceServer: RegisteredClient;

  beforeAll(async () => {
    b = await a.another({ ownConnections: true });
    resourceServer = await registerResourceServer(a.app);
  }, 60_000);

  const introspect = async (app: App, token: string) =>
    (await postAs(app, resourceServer, '/oauth/introspect', { token, token_type_hint: 'refresh_token' })).json<{
      active: boolean;
    }>();

  it('answers {"active": false} on every instance once the client is disabled (without purge)', async () => {
    const client = await registerClient(a.app, { scope: 'openid profile email' });
    const user = await seedUser(a.db);
    const { refresh_token } = await redeemCode(a, client, user.id);
    expect(refresh_token).toEqual(expect.any(String));
    for (const app of [a.app, b.app]) expect((await introspect(app, refresh_token)).active).toBe(true);

    const res = await a.app.inject({ method: 'DELETE', url: `/clients/${client.client_id}`, headers: adminHeaders });
    expect(res.statusCode, res.body).toBe(200);
    // Nothing was deleted: the token row is still there, only its client is disabled.
    const { rowCount } = await a.db.query('SELECT 1 FROM refresh_tokens WHERE client_id = $1', [client.client_id]);
    expect(rowCount).toBeGreaterThan(0);

    for (const app of [a.app, b.app]) expect(await introspect(app, refresh_token)).toEqual({ active: false });
    // The client itself cannot use it either (it no longer authenticates).
    const refreshed = await postAs(a.app, client, '/oauth/token', { grant_type: 'refresh_token', refresh_token });
    expect(refreshed.statusCode).toBe(401);
  });

  it('a live client next to it is unaffected', async () => {
    const [disabled, live] = [await registerClient(a.app), await registerClient(a.app)];
    const user = await seedUser(a.db);
    await redeemCode(a, disabled, user.id);
    const { refresh_token } = await redeemCode(a, live, user.id);
    await a.app.inject({ method: 'DELETE', url: `/clients/${disabled.client_id}`, headers: adminHeaders });
    expect((await introspect(b.app, refresh_token)).active).toBe(true);
  });
});
