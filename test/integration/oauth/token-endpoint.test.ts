import { beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { FORM, form, mintCode, pkcePair, postAs, seedUser, type SeededUser } from '../../helpers/oauth.js';

describeBackends('token endpoint (RFC 6749)', (backend) => {
  const t = useTestApp(backend, { env: { PUBLIC_URL: 'http://127.0.0.1:9999' } });
  let client: RegisteredClient;
  let other: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email reports:read reports:write' });
    other = await registerClient(t.app);
    user = await seedUser(t.db);
  }, 60_000);

  const token = (params: Record<string, string | undefined>, c = client) => postAs(t.app, c, '/oauth/token', params);
  const introspect = (tok: string, c = client) => postAs(t.app, c, '/oauth/introspect', { token: tok });
  /** The code exchange (RFC 6749 §4.1.3) with the redirect_uri the codes are minted for. */
  const exchange = (code: string, codeVerifier?: string, c = client) =>
    token(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://app.example.com/callback',
        code_verifier: codeVerifier,
      },
      c,
    );

  async function codeExchange(opts: { nonce?: string; scope?: string } = {}) {
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, challenge, ...opts });
    const res = await exchange(code, verifier);
    return { res, code, verifier };
  }

  function expectError(
    res: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
    status: number,
    error: string,
  ) {
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ success: false, error, error_description: expect.any(String) });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  }

  // --- shared steps

  it('requires grant_type and refuses unknown grants', async () => {
    expectError(await token({}), 400, 'invalid_request');
    expectError(await token({ grant_type: 'password', username: 'u', password: 'p' }), 400, 'unsupported_grant_type');
  });

  it('refuses a grant the client is not registered for with unauthorized_client', async () => {
    const codeOnly = await registerClient(t.app, { grant_types: ['authorization_code'] });
    expectError(await token({ grant_type: 'client_credentials' }, codeOnly), 400, 'unauthorized_client');
  });

  it('answers bad client credentials with 401 invalid_client and a Basic challenge', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, authorization: basicAuth(client.client_id, 'wrong') },
      payload: form({ grant_type: 'client_credentials' }),
      remoteAddress: '10.9.1.1',
    });
    expectError(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toBe('Basic realm="gatehouse"');
  });

  it('refuses a parameter sent twice', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, authorization: basicAuth(client.client_id, client.client_secret!) },
      payload: 'grant_type=client_credentials&scope=a&scope=b',
    });
    expectError(res, 400, 'invalid_request');
  });

  // --- client_credentials (RFC 6749 §4.4)

  it('client_credentials issues a client token without refresh token or username', async () => {
    const res = await token({ grant_type: 'client_credentials', scope: 'reports:read' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'reports:read',
      success: true,
      expiry: expect.any(Number),
    });
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      sub: client.client_id,
      client_id: client.client_id,
      scope: 'reports:read',
      iss: 'http://127.0.0.1:9999',
      aud: 'http://127.0.0.1:9999',
    });
    expect(claims.username).toBeUndefined();
    expect(body.expiry).toBe(claims.exp);
  });

  it('client_credentials defaults to every non-identity scope and refuses identity or unknown scopes', async () => {
    expect((await token({ grant_type: 'client_credentials' })).json().scope).toBe('reports:read reports:write');
    expectError(await token({ grant_type: 'client_credentials', scope: 'openid' }), 400, 'invalid_scope');
    expectError(await token({ grant_type: 'client_credentials', scope: 'admin' }), 400, 'invalid_scope');
  });

  // --- authorization_code (RFC 6749 §4.1.3, RFC 7636)

  it('exchanges a code for access, refresh and ID tokens (nonce echoed)', async () => {
    const { res } = await codeExchange({ nonce: 'n-123' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'openid profile email',
      success: true,
      username: user.username,
      refresh_token: expect.any(String),
      id_token: expect.any(String),
    });
    const at = decodeJwt(body.access_token);
    expect(at).toMatchObject({
      sub: user.id,
      client_id: client.client_id,
      username: user.username,
      fid: expect.any(String),
    });
    const idt = decodeJwt(body.id_token);
    expect(idt).toMatchObject({
      sub: user.id,
      aud: client.client_id,
      nonce: 'n-123',
      email: user.email,
      preferred_username: user.username,
    });
  });

  it('accepts the authorization_code alias for code, but not both', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, challenge });
    const ok = await token({
      grant_type: 'authorization_code',
      authorization_code: code,
      redirect_uri: 'https://app.example.com/callback',
      code_verifier: verifier,
    });
    expect(ok.statusCode).toBe(200);
    const code2 = await mintCode(t.db, { clientId: client.client_id, userId: user.id });
    expectError(
      await token({
        grant_type: 'authorization_code',
        code: code2,
        authorization_code: code2,
        redirect_uri: 'https://app.example.com/callback',
      }),
      400,
      'invalid_request',
    );
  });

  it('a replayed code fails and revokes every token issued from it', async () => {
    const { res, code, verifier } = await codeExchange();
    const first = res.json();
    expect((await introspect(first.access_token)).json().active).toBe(true);
    const replay = await exchange(code, verifier);
    expectError(replay, 400, 'invalid_grant');
    expect((await introspect(first.access_token)).json()).toEqual({ active: false });
    expectError(await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
    const { rows } = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM authorization_codes WHERE code_hash IS NOT NULL AND consumed_at IS NOT NULL AND family_id = $1',
      [decodeJwt(first.access_token).fid],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('a replay with a wrong verifier or by another client fails without revoking anything', async () => {
    const { res, code } = await codeExchange();
    const first = res.json();
    expectError(await exchange(code, pkcePair().verifier), 400, 'invalid_grant');
    expectError(await exchange(code, undefined, other), 400, 'invalid_grant');
    expect((await introspect(first.access_token)).json().active).toBe(true);
    expect((await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode).toBe(200);
  });

  it.each([
    ['a missing code_verifier', () => ({ code_verifier: undefined as string | undefined }), 'invalid_grant'],
    ['a wrong code_verifier', () => ({ code_verifier: pkcePair().verifier }), 'invalid_grant'],
    ['a malformed code_verifier', () => ({ code_verifier: 'short' }), 'invalid_grant'],
    [
      'a mismatched redirect_uri',
      (v: string) => ({ code_verifier: v, redirect_uri: 'https://app.example.com/other' }),
      'invalid_grant',
    ],
    [
      'a missing redirect_uri',
      (v: string) => ({ code_verifier: v, redirect_uri: undefined as string | undefined }),
      'invalid_grant',
    ],
  ])('refuses %s', async (_name, change, error) => {
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, challenge });
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://app.example.com/callback',
      ...change(verifier),
    };
    expectError(await token(params), 400, error);
    // nothing was consumed: the right request still works
    expect((await exchange(code, verifier)).statusCode).toBe(200);
  });

  it('refuses a code_verifier for a code issued without a challenge with invalid_request', async () => {
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id });
    expectError(await exchange(code, pkcePair().verifier), 400, 'invalid_request');
  });

  it('accepts a code without redirect_uri when the authorization request had none', async () => {
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
    expect((await token({ grant_type: 'authorization_code', code })).statusCode).toBe(200);
  });

  it('refuses an expired code and an unknown code', async () => {
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, ttlSeconds: -1 });
    expectError(await exchange(code), 400, 'invalid_grant');
    expectError(await exchange('nope'), 400, 'invalid_grant');
  });

  it('a public client exchanges with PKCE and client_id only', async () => {
    const pub = await registerClient(t.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_url: 'http://127.0.0.1/cb',
    });
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, {
      clientId: pub.client_id,
      userId: user.id,
      challenge,
      redirectUri: 'http://127.0.0.1:53124/cb',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: FORM,
      payload: form({
        grant_type: 'authorization_code',
        client_id: pub.client_id,
        code,
        redirect_uri: 'http://127.0.0.1:53124/cb',
        code_verifier: verifier,
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().refresh_token).toEqual(expect.any(String));
  });

  // --- refresh_token (RFC 6749 §6, rotation)

  it('rotates the refresh token; reusing the old one revokes the whole family', async () => {
    const first = (await codeExchange()).res.json();
    const second = (await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token).fid).toBe(decodeJwt(first.access_token).fid);
    expectError(await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
    expectError(
      await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token }),
      400,
      'invalid_grant',
    );
    expect((await introspect(second.access_token)).json()).toEqual({ active: false });
    expect((await introspect(first.access_token)).json()).toEqual({ active: false });
  });

  it('allows a narrower scope and refuses a wider one; the refresh token keeps the original scope', async () => {
    const first = (await codeExchange({ scope: 'openid email' })).res.json();
    const narrow = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'email' });
    expect(narrow.statusCode).toBe(200);
    expect(narrow.json().scope).toBe('email');
    expect(narrow.json().id_token).toBeUndefined();
    expectError(
      await token({ grant_type: 'refresh_token', refresh_token: narrow.json().refresh_token, scope: 'email profile' }),
      400,
      'invalid_scope',
    );
    const again = await token({ grant_type: 'refresh_token', refresh_token: narrow.json().refresh_token });
    expect(again.json().scope).toBe('openid email');
  });

  it("refuses another client's refresh token without revoking it", async () => {
    const first = (await codeExchange()).res.json();
    expectError(
      await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, other),
      400,
      'invalid_grant',
    );
    expect((await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode).toBe(200);
  });

  it('refuses an expired refresh token', async () => {
    const first = (await codeExchange()).res.json();
    await t.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id = $1", [
      decodeJwt(first.access_token).fid,
    ]);
    expectError(await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
  });

  /** An instance (closed after the file) with a refresh grace window, and its token endpoint. */
  async function withGrace() {
    const graceful = await t.another({ file: { security: { refresh_token_grace_seconds: 30 } } });
    return { graceful, tok: (p: Record<string, string>) => postAs(graceful.app, client, '/oauth/token', p) };
  }

  it('with a grace window, the previous token may be retried once', async () => {
    const { tok } = await withGrace();
    const first = (await codeExchange()).res.json();
    const second = await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    const retry = await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(retry.statusCode).toBe(200);
    // the lost response's token is gone, the retry's works
    expect((await tok({ grant_type: 'refresh_token', refresh_token: second.json().refresh_token })).statusCode).toBe(
      400,
    );
    const again = await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(again.statusCode).toBe(400);
    expect((await tok({ grant_type: 'refresh_token', refresh_token: retry.json().refresh_token })).statusCode).toBe(
      400,
    );
  });

  it("a grace retry denies the lost response's access token and continues the grant in a new family", async () => {
    const { graceful, tok } = await withGrace();
    const introspect = (token: string) => postAs(graceful.app, client, '/oauth/introspect', { token });
    const first = (await codeExchange()).res.json();
    const lost = (await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json();
    expect((await introspect(lost.access_token)).json().active).toBe(true);
    const retry = await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(retry.statusCode, retry.body).toBe(200);
    // Nobody holds the lost response's access token but whoever intercepted it.
    expect((await introspect(lost.access_token)).json()).toEqual({ active: false });
    expect((await introspect(retry.json().access_token)).json().active).toBe(true);
    expect(decodeJwt(retry.json().access_token).fid).not.toBe(decodeJwt(lost.access_token).fid);
    // The grant goes on from the retry.
    expect((await tok({ grant_type: 'refresh_token', refresh_token: retry.json().refresh_token })).statusCode).toBe(
      200,
    );
  });

  it('a grace retry of an expired refresh token is refused (RFC 6749 §6)', async () => {
    const { tok } = await withGrace();
    const first = (await codeExchange()).res.json();
    expect((await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode).toBe(200);
    await t.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [
      sha256Hex(first.refresh_token),
    ]);
    expectError(await tok({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
  });

  // --- concurrency

  it('50 concurrent redemptions of one code: exactly one succeeds', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, challenge });
    const results = await Promise.all(Array.from({ length: 50 }, () => exchange(code, verifier)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expect(r.json().error).toBe('invalid_grant');
    const { rows } = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM token_families f JOIN authorization_codes c ON c.family_id = f.id WHERE c.code_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
      [code],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('50 concurrent uses of one refresh token: exactly one succeeds and the family is consistent', async () => {
    const first = (await codeExchange()).res.json();
    const fid = decodeJwt(first.access_token).fid as string;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expect(r.json().error).toBe('invalid_grant');
    const { rows } = await t.db.query<{ total: number; live: number; revoked: boolean }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE rotated_at IS NULL)::int AS live,
              bool_and(f.revoked_at IS NOT NULL) AS revoked
       FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.family_id = $1`,
      [fid],
    );
    // one rotation happened (2 rows, one head); the other 49 were reuse, which revoked the family
    expect(rows[0]).toEqual({ total: 2, live: 1, revoked: true });
  });

  it('audits issuance, replay and reuse without any token in the record', async () => {
    const first = (await codeExchange()).res.json();
    await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    await t.app.auditLog.flush();
    const { rows } = await t.db.query<{
      event: string;
      subject: string | null;
      client_id: string;
      ip: string;
      details: unknown;
    }>(
      "SELECT event, subject, client_id, ip, details FROM audit_events WHERE client_id = $1 AND event IN ('token_issued', 'refresh', 'reuse_detected') ORDER BY id DESC LIMIT 3",
      [client.client_id],
    );
    expect(rows.map((r) => r.event).reverse()).toEqual(['token_issued', 'refresh', 'reuse_detected']);
    expect(rows.find((r) => r.event === 'token_issued')).toMatchObject({ subject: user.id, ip: '10.9.0.1' });
    const text = JSON.stringify(rows);
    expect(text).not.toContain(first.refresh_token);
    expect(text).not.toContain(first.access_token);
  });
});
