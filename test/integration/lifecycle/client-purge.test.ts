import { beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { introspectAs, mintCode, postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';

describeBackends('DELETE /clients/:id?purge=true', (backend) => {
  const t = useTestApp(backend);
  let resourceServer: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    resourceServer = await registerResourceServer(t.app);
    user = await seedUser(t.db);
  }, 60_000);

  const tokensFor = (client: RegisteredClient) => redeemCode(t, client, user.id);

  const introspect = (app: TestApp['app'], token: string) => introspectAs(app, resourceServer, token);

  const rowsOf = async (clientId: string) => {
    const n = async (table: string, extra = '') =>
      (
        await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE client_id = $1 ${extra}`, [
          clientId,
        ])
      ).rows[0]!.n;
    return {
      refresh_tokens: await n('refresh_tokens'),
      authorization_codes: await n('authorization_codes'),
      consents: await n('consents'),
      live_families: await n('token_families', 'AND revoked_at IS NULL'),
    };
  };

  async function usedClient() {
    const client = await registerClient(t.app);
    const a = await tokensFor(client);
    const b = await tokensFor(client);
    await mintCode(t.db, { clientId: client.client_id, userId: user.id });
    await t.db.query(`INSERT INTO consents (user_id, client_id, scope) VALUES ($1, $2, 'openid')`, [
      user.id,
      client.client_id,
    ]);
    // as if the first family's access token had expired: nothing to deny, so its row goes at once
    const first = await t.db.query<{ family_id: string }>(
      'SELECT family_id FROM refresh_tokens WHERE token_hash = $1',
      [sha256Hex(a.refresh_token)],
    );
    await t.db.query(`UPDATE token_families SET access_expires_at = now() - interval '1 minute' WHERE id = $1`, [
      first.rows[0]!.family_id,
    ]);
    return { client, tokens: [a, b] };
  }

  it('disables the client, deletes its tokens, codes and consents, and its tokens stop introspecting active', async () => {
    const { client, tokens } = await usedClient();
    const bystander = await registerClient(t.app);
    const bystanderTokens = await tokensFor(bystander);
    expect((await introspect(t.app, tokens[1]!.access_token)).active).toBe(true);

    const res = await t.app.inject({
      method: 'DELETE',
      url: `/clients/${client.client_id}?purge=true`,
      headers: adminHeaders,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      client_id: client.client_id,
      disabled: true,
      purged: {
        token_families_revoked: 2,
        token_families_deleted: 1,
        refresh_tokens: 2,
        authorization_codes: 3,
        consents: 1,
      },
    });
    expect(await rowsOf(client.client_id)).toEqual({
      refresh_tokens: 0,
      authorization_codes: 0,
      consents: 0,
      live_families: 0,
    });
    // (tokens[0]'s family was back-dated as if its access token had expired; only its refresh token is real)
    expect(await introspect(t.app, tokens[1]!.access_token)).toEqual({ active: false });
    for (const { refresh_token } of tokens) expect(await introspect(t.app, refresh_token)).toEqual({ active: false });
    // An instance that only knows what Postgres says refuses them too.
    const other = await t.another({ ownConnections: true });
    try {
      expect(await introspect(other.app, tokens[1]!.access_token)).toEqual({ active: false });
    } finally {
      await other.close();
    }
    // The client is disabled everywhere (cache invalidated): it cannot authenticate.
    const refused = await postAs(t.app, client, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens[1]!.refresh_token,
    });
    expect(refused.statusCode).toBe(401);
    // Other clients keep theirs.
    expect((await introspect(t.app, bystanderTokens.access_token)).active).toBe(true);
    expect((await rowsOf(bystander.client_id)).refresh_tokens).toBe(1);
  });

  it('without purge disables (its access tokens are denied) and deletes nothing', async () => {
    const { client, tokens } = await usedClient();
    const before = await rowsOf(client.client_id);
    const res = await t.app.inject({ method: 'DELETE', url: `/clients/${client.client_id}`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, client_id: client.client_id, disabled: true });
    expect(await rowsOf(client.client_id)).toEqual(before);
    // Disabling alone also ends the client's live access tokens (product rule: ending access ends all of it).
    expect((await introspect(t.app, tokens[1]!.access_token)).active).toBe(false);
    // purge=false is the same as no purge
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/clients/${client.client_id}?purge=false`,
      headers: adminHeaders,
    });
    expect(again.json()).toEqual({ success: true, client_id: client.client_id, disabled: true });
    expect(await rowsOf(client.client_id)).toEqual(before);
  });

  it('refuses a purge value other than true/false, and 404s an unknown client', async () => {
    const { client } = await usedClient();
    const bad = await t.app.inject({
      method: 'DELETE',
      url: `/clients/${client.client_id}?purge=yes`,
      headers: adminHeaders,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
    expect((await rowsOf(client.client_id)).refresh_tokens).toBe(2);
    const unknown = await t.app.inject({ method: 'DELETE', url: '/clients/nope?purge=true', headers: adminHeaders });
    expect(unknown.statusCode).toBe(404);
  });
});
