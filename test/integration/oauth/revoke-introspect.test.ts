import { beforeAll, expect, it } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { FORM, form, mintCode, pkcePair, postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';

describeBackends('revocation (RFC 7009) and introspection (RFC 7662)', (backend) => {
  const t = useTestApp(backend);
  let client: RegisteredClient;
  let other: RegisteredClient;
  let resourceServer: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email reports' });
    other = await registerClient(t.app, { scope: 'openid reports' });
    resourceServer = await registerResourceServer(t.app);
    user = await seedUser(t.db);
  }, 60_000);

  const post = (c: RegisteredClient, url: string, params: Record<string, string>) => postAs(t.app, c, url, params);
  const userTokens = (c = client) => redeemCode(t, c, user.id);

  it('introspects an active access token with the RFC 7662 fields', async () => {
    const { access_token } = await userTokens();
    const res = await post(client, '/oauth/introspect', { token: access_token });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(access_token);
    expect(res.json()).toEqual({
      active: true,
      scope: 'openid profile email',
      client_id: client.client_id,
      username: user.username,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: user.id,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
    });
  });

  it('introspects a refresh token', async () => {
    const { refresh_token } = await userTokens();
    expect(
      (await post(client, '/oauth/introspect', { token: refresh_token, token_type_hint: 'refresh_token' })).json(),
    ).toMatchObject({
      active: true,
      client_id: client.client_id,
      token_type: 'refresh_token',
      sub: user.id,
      username: user.username,
    });
  });

  it('another client sees {active:false}; a resource server sees any token', async () => {
    const { access_token } = await userTokens();
    expect((await post(other, '/oauth/introspect', { token: access_token })).json()).toEqual({ active: false });
    expect((await post(resourceServer, '/oauth/introspect', { token: access_token })).json().active).toBe(true);
  });

  it.each([
    ['garbage', async () => 'not-a-token'],
    [
      'an alg:none token',
      async () =>
        `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...decodeJwt((await userTokens()).access_token) })).toString('base64url')}.`,
    ],
    [
      'a token signed by a foreign key',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        const real = decodeJwt((await userTokens()).access_token);
        return new SignJWT({ ...real }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(privateKey);
      },
    ],
  ])('reports %s as inactive', async (_name, make) => {
    expect((await post(client, '/oauth/introspect', { token: await make() })).json()).toEqual({ active: false });
  });

  it('requires client authentication and the token parameter', async () => {
    const anon = await t.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=x',
    });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error).toBe('invalid_client');
    const missing = await post(client, '/oauth/introspect', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
  });

  // RFC 7662 §2.1: the endpoint "MUST also require some form of authorization"; a client_id
  // alone (a public client, or the well-known login client) is none.
  it('a public client, and the login client id, cannot introspect: 401 invalid_client', async () => {
    const pub = await registerClient(t.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: pub.client_id, userId: user.id, redirectUri: null, challenge });
    const asPublic = (url: string, params: Record<string, string>) =>
      t.app.inject({ method: 'POST', url, headers: FORM, payload: form(params) });
    const issued = await asPublic('/oauth/token', {
      grant_type: 'authorization_code',
      code,
      client_id: pub.client_id,
      code_verifier: verifier,
    });
    expect(issued.statusCode, issued.body).toBe(200);
    const { access_token, refresh_token } = issued.json<{ access_token: string; refresh_token: string }>();
    for (const [clientId, token] of [
      [pub.client_id, refresh_token],
      [pub.client_id, access_token],
      [t.config.google.login_client_id, refresh_token],
    ]) {
      const res = await asPublic('/oauth/introspect', { client_id: clientId!, token: token! });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: 'invalid_client' });
      expect(res.body).not.toContain(user.username);
    }
  });

  it('revoking an unknown token answers 200', async () => {
    const res = await post(client, '/oauth/revoke', { token: 'unknown-token' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
  });

  it('revoking a refresh token ends its family and the access tokens issued from it', async () => {
    const tokens = await userTokens();
    expect(
      (await post(client, '/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }))
        .statusCode,
    ).toBe(200);
    expect((await post(client, '/oauth/introspect', { token: tokens.access_token })).json()).toEqual({ active: false });
    expect((await post(client, '/oauth/introspect', { token: tokens.refresh_token })).json()).toEqual({
      active: false,
    });
    expect(
      (await post(client, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json()
        .error,
    ).toBe('invalid_grant');
  });

  it('revoking an access token denies its jti until it expires, leaving the refresh token alone', async () => {
    const tokens = await userTokens();
    expect(
      (await post(client, '/oauth/revoke', { token: tokens.access_token, token_type_hint: 'access_token' })).statusCode,
    ).toBe(200);
    expect((await post(client, '/oauth/introspect', { token: tokens.access_token })).json()).toEqual({ active: false });
    const { rows } = await t.db.query<{ expires_at: Date }>(
      'SELECT expires_at FROM revoked_access_tokens WHERE jti = $1',
      [decodeJwt(tokens.access_token).jti],
    );
    expect(rows[0]!.expires_at.getTime()).toBe((decodeJwt(tokens.access_token).exp as number) * 1000);
    expect(
      (await post(client, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))
        .statusCode,
    ).toBe(200);
  });

  it("revoking another client's token answers 200 and changes nothing", async () => {
    const tokens = await userTokens();
    expect((await post(other, '/oauth/revoke', { token: tokens.refresh_token })).statusCode).toBe(200);
    expect((await post(other, '/oauth/revoke', { token: tokens.access_token })).statusCode).toBe(200);
    expect((await post(client, '/oauth/introspect', { token: tokens.access_token })).json().active).toBe(true);
    expect((await post(client, '/oauth/introspect', { token: tokens.refresh_token })).json().active).toBe(true);
  });

  it('a revocation on one instance is seen by another instance at once', async () => {
    const second = await t.another({ ownConnections: true });
    try {
      const tokens = await userTokens();
      expect(
        (await postAs(second.app, client, '/oauth/introspect', { token: tokens.access_token })).json().active,
      ).toBe(true);
      await post(client, '/oauth/revoke', { token: tokens.refresh_token });
      await new Promise((r) => setTimeout(r, 200));
      expect((await postAs(second.app, client, '/oauth/introspect', { token: tokens.access_token })).json()).toEqual({
        active: false,
      });
    } finally {
      await second.close();
    }
  });
});
