import { beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { auditEvents } from '../../helpers/app.js';
import {
  adminHeaders,
  createApiKey,
  registerClient,
  registerResourceServer,
  type RegisteredClient,
} from '../../helpers/admin.js';
import { FORM, form, postAs, seedUser } from '../../helpers/oauth.js';
import { bearer } from '../../helpers/users.js';

describeBackends('external token service: /oauth/external/token and /oauth/external/revoke', (backend) => {
  const t = useTestApp(backend);
  let client: RegisteredClient;
  let resourceServer: RegisteredClient;
  let other: RegisteredClient;
  let disabled: RegisteredClient;
  let externalKey: string;
  let tokensKey: string;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email reports' });
    resourceServer = await registerResourceServer(t.app);
    other = await registerClient(t.app, { scope: 'openid' });
    disabled = await registerClient(t.app);
    // 'no-such-client' is allowed, so the unknown-client answer can be seen past the allow-list.
    const allowed = [client, resourceServer, other, disabled].map((c) => c.client_id).concat('no-such-client');
    externalKey = (await createApiKey(t.app, { name: 'external-auth', scopes: ['external'], allowed_clients: allowed }))
      .api_key;
    tokensKey = (await createApiKey(t.app, { name: 'broker-user' })).api_key;
  }, 60_000);

  const mint = (payload: Record<string, unknown>, key = externalKey) =>
    t.app.inject({ method: 'POST', url: '/oauth/external/token', headers: bearer(key), payload });
  const revoke = (payload: Record<string, unknown>, key = externalKey) =>
    t.app.inject({ method: 'POST', url: '/oauth/external/revoke', headers: bearer(key), payload });
  const introspect = (token: string) => postAs(t.app, resourceServer, '/oauth/introspect', { token });

  it.each([
    ['by id', (u: { id: string }) => u.id],
    ['by email', (u: { email: string }) => u.email.toUpperCase()],
    ['by username', (u: { username: string }) => u.username],
  ])('mints tokens for an existing user %s that introspect active with the right sub', async (_name, subjectOf) => {
    const user = await seedUser(t.db);
    const res = await mint({ client_id: client.client_id, subject: subjectOf(user), scope: 'openid reports' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({
      success: true,
      token_type: 'Bearer',
      scope: 'openid reports',
      username: user.username,
    });
    expect(body.refresh_token).toEqual(expect.any(String));
    const active = (await introspect(body.access_token)).json();
    expect(active).toMatchObject({
      active: true,
      sub: user.id,
      client_id: client.client_id,
      username: user.username,
      scope: 'openid reports',
    });
    expect((await introspect(body.refresh_token)).json()).toMatchObject({ active: true, sub: user.id });
    // A real user token: it passes user endpoints as that user (its scopes, openid reports,
    // release none of the profile or email fields).
    const info = await t.app.inject({
      method: 'GET',
      url: `/user/info?username=${user.username}`,
      headers: bearer(body.access_token),
    });
    expect(info.statusCode, info.body).toBe(200);
    expect(info.json().user_data).toEqual({});
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/user/info?username=someone_else',
          headers: bearer(body.access_token),
        })
      ).statusCode,
    ).toBe(403);
  });

  it('creates the user with create: true and an email, once, also over a form body', async () => {
    const email = `new.person.${Date.now()}@example.com`;
    const payload = { client_id: client.client_id, subject: email, scope: 'openid email', create: 'true' };
    const [a, b] = await Promise.all([
      t.app.inject({
        method: 'POST',
        url: '/oauth/external/token',
        headers: { ...bearer(externalKey), ...FORM },
        payload: form(payload),
      }),
      t.app.inject({
        method: 'POST',
        url: '/oauth/external/token',
        headers: { ...bearer(externalKey), ...FORM },
        payload: form(payload),
      }),
    ]);
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode, b.body).toBe(200);
    expect(decodeJwt(a.json().access_token).sub).toBe(decodeJwt(b.json().access_token).sub);
    const { rows } = await t.db.query<{ email_verified: boolean; google_sub: string | null }>(
      'SELECT email_verified, google_sub FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    expect(rows).toEqual([{ email_verified: false, google_sub: null }]);
  });

  it('refuses an unknown subject (404) and create without an email (400)', async () => {
    const unknown = await mint({ client_id: client.client_id, subject: 'nobody_at_all', scope: 'openid' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('not_found');
    const noEmail = await mint({
      client_id: client.client_id,
      subject: 'nobody_at_all',
      scope: 'openid',
      create: true,
    });
    expect(noEmail.statusCode).toBe(400);
    expect(noEmail.json().error).toBe('invalid_request');
    const mismatch = await mint({
      client_id: client.client_id,
      subject: 'someone@example.com',
      email: 'other@example.com',
      scope: 'openid',
      create: true,
    });
    expect(mismatch.statusCode).toBe(400);
  });

  it('refuses a wrong-scope API key with 403 and a bad key with 401', async () => {
    const user = await seedUser(t.db);
    const payload = { client_id: client.client_id, subject: user.id, scope: 'openid' };
    const wrongScope = await mint(payload, tokensKey);
    expect(wrongScope.statusCode).toBe(403);
    expect(wrongScope.json()).toMatchObject({ success: false, error: 'forbidden' });
    const bad = await mint(payload, 'gh_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(bad.statusCode).toBe(401);
    const none = await t.app.inject({ method: 'POST', url: '/oauth/external/token', payload });
    expect(none.statusCode).toBe(401);
    // Authentication comes before body validation: no key, no hint about the body.
    expect((await t.app.inject({ method: 'POST', url: '/oauth/external/token', payload: {} })).statusCode).toBe(401);
    expect((await revoke({ client_id: client.client_id, subject: user.id }, tokensKey)).statusCode).toBe(403);
  });

  it('refuses an unknown or disabled client with 400 invalid_request, and a scope beyond the client with invalid_scope', async () => {
    const user = await seedUser(t.db);
    const unknown = await mint({ client_id: 'no-such-client', subject: user.id, scope: 'openid' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ success: false, error: 'invalid_request' });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/clients/${disabled.client_id}`, headers: adminHeaders }))
        .statusCode,
    ).toBe(200);
    expect((await mint({ client_id: disabled.client_id, subject: user.id, scope: 'openid' })).json().error).toBe(
      'invalid_request',
    );
    const tooMuch = await mint({ client_id: client.client_id, subject: user.id, scope: 'openid admin' });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json().error).toBe('invalid_scope');
    const ccOnly = await mint({ client_id: resourceServer.client_id, subject: user.id, scope: 'openid' });
    expect(ccOnly.statusCode).toBe(400);
    expect(ccOnly.json().error).toBe('unauthorized_client');
  });

  it("revoke ends the user's families for that client only, access tokens included", async () => {
    const user = await seedUser(t.db);
    const first = (await mint({ client_id: client.client_id, subject: user.id, scope: 'openid' })).json();
    const second = (
      await mint({ client_id: client.client_id, subject: user.username, scope: 'openid reports' })
    ).json();
    const elsewhere = (await mint({ client_id: other.client_id, subject: user.id, scope: 'openid' })).json();
    const res = await revoke({ client_id: client.client_id, subject: user.email });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, revoked: 2 });
    for (const token of [first.access_token, first.refresh_token, second.access_token, second.refresh_token]) {
      expect((await introspect(token)).json()).toEqual({ active: false });
    }
    expect(
      (await t.app.inject({ method: 'GET', url: '/user/info', headers: bearer(first.access_token) })).statusCode,
    ).toBe(401);
    expect((await introspect(elsewhere.access_token)).json().active).toBe(true);
    expect((await revoke({ client_id: client.client_id, subject: 'nobody_at_all' })).statusCode).toBe(404);
    expect((await revoke({ client_id: 'no-such-client', subject: user.id })).statusCode).toBe(400);
  });

  it('audits mints, revocations and refusals without tokens or keys', async () => {
    const user = await seedUser(t.db);
    const minted = (await mint({ client_id: client.client_id, subject: user.id, scope: 'openid' })).json();
    await revoke({ client_id: client.client_id, subject: user.id });
    await mint({ client_id: client.client_id, subject: user.id, scope: 'openid' }, tokensKey);
    const audits = await auditEvents(t);
    expect(audits).toContainEqual(
      expect.objectContaining({ event: 'external_token_minted', subject: user.id, client_id: client.client_id }),
    );
    expect(audits).toContainEqual(
      expect.objectContaining({
        event: 'external_tokens_revoked',
        subject: user.id,
        details: expect.objectContaining({ families_revoked: 1 }),
      }),
    );
    expect(audits).toContainEqual(
      expect.objectContaining({
        event: 'external_token_refused',
        details: expect.objectContaining({ reason: 'forbidden' }),
      }),
    );
    for (const secret of [minted.access_token, minted.refresh_token, externalKey, tokensKey]) {
      expect(t.logs.text).not.toContain(secret);
      expect(JSON.stringify(audits)).not.toContain(secret);
    }
  });

  it("mints only for the clients in the key's allowed_clients: none by default, never the login client unless listed", async () => {
    const user = await seedUser(t.db);
    const unlisted = await registerClient(t.app, { scope: 'openid' });
    const bare = (await createApiKey(t.app, { name: 'external-bare', scopes: ['external'] })).api_key;
    const listed = await t.app.inject({ method: 'GET', url: '/internal/api-keys', headers: adminHeaders });
    expect(listed.json().api_keys.find((k: { name: string }) => k.name === 'external-bare')).toMatchObject({
      allowed_clients: [],
      default_subject: null,
    });
    for (const [key, clientId] of [
      [bare, client.client_id],
      [bare, 'gatehouse'],
      [externalKey, 'gatehouse'],
      [externalKey, unlisted.client_id],
    ] as const) {
      const res = await mint({ client_id: clientId, subject: user.id, scope: 'openid' }, key);
      expect(res.statusCode, `${clientId}: ${res.body}`).toBe(403);
      expect(res.json()).toEqual({
        success: false,
        error: 'forbidden',
        error_description: "this API key may not act for that client_id (see the key's allowed_clients)",
      });
      expect((await revoke({ client_id: clientId, subject: user.id }, key)).statusCode).toBe(403);
    }
    // No tokens were issued for the refused client.
    const { rows } = await t.db.query('SELECT 1 FROM token_families WHERE user_id = $1', [user.id]);
    expect(rows).toHaveLength(0);
    // allowed_clients is for external keys only, and holds client ids.
    for (const body of [
      { name: 'x', scopes: ['tokens'], allowed_clients: [client.client_id] },
      { name: 'x', scopes: ['external'], allowed_clients: 'not-a-list' },
      { name: 'x', scopes: ['external'], allowed_clients: ['has space'] },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/internal/api-keys',
        headers: adminHeaders,
        payload: body,
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
    }
  });

  it('resolves an email subject to verified accounts only; two verified matches are 409 ambiguous_subject', async () => {
    // The sequence from the report: the external service creates a person by email; then
    // someone signs in with a Google account whose unverified email is the same address.
    const address = `victim.${Date.now()}@example.com`;
    const created = await mint({ client_id: client.client_id, subject: address, scope: 'openid', create: true });
    expect(created.statusCode, created.body).toBe(200);
    const victimId = decodeJwt(created.json().access_token).sub;
    const attacker = await t.app.repos.users.upsertFromGoogle({
      sub: `attacker-${Date.now()}`,
      email: address,
      emailVerified: false,
      name: 'Mallory',
    });
    expect(attacker.id).not.toBe(victimId);

    // create: true finds the person this service created, never the unverified Google account.
    const again = await mint({ client_id: client.client_id, subject: address, scope: 'openid', create: true });
    expect(again.statusCode, again.body).toBe(200);
    expect(decodeJwt(again.json().access_token).sub).toBe(victimId);
    // Without create, an email that matches no verified account names nobody.
    const plain = await mint({ client_id: client.client_id, subject: address, scope: 'openid' });
    expect(plain.statusCode).toBe(404);
    expect(plain.json().error).toBe('not_found');

    // Two verified accounts (two Google subs) with one email: nobody is picked by recency.
    const shared = `shared.${Date.now()}@example.com`;
    await t.app.repos.users.upsertFromGoogle({ sub: `first-${Date.now()}`, email: shared, emailVerified: true });
    await t.app.repos.users.upsertFromGoogle({ sub: `second-${Date.now()}`, email: shared, emailVerified: true });
    for (const res of [
      await mint({ client_id: client.client_id, subject: shared, scope: 'openid' }),
      await mint({ client_id: client.client_id, subject: shared.toUpperCase(), scope: 'openid', create: true }),
      await revoke({ client_id: client.client_id, subject: shared }),
    ]) {
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json()).toMatchObject({ success: false, error: 'ambiguous_subject' });
    }
  });
});
