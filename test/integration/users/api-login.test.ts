import { afterAll, expect, it } from 'vitest';
import { decodeJwt, generateKeyPair } from 'jose';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { auditEvents } from '../../helpers/app.js';
import { FORM, form } from '../../helpers/oauth.js';
import { bearer, googleTokensFor, startForgeryKit, unsignedJwt, type ForgeryKit } from '../../helpers/users.js';

const DESKTOP_CLIENT_ID = 'desktop-app.apps.googleusercontent.com';

describeBackends('POST /api/login', (backend) => {
  let kit: ForgeryKit;
  const t = useTestApp(backend, {
    google: true,
    file: { google: { allowed_audiences: [DESKTOP_CLIENT_ID] } },
    async prepare({ google }) {
      kit = await startForgeryKit(google);
      return { env: { GOOGLE_JWKS_URL: kit.jwksUrl } };
    },
  });
  afterAll(() => kit?.close());

  const login = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/login', payload });
  const count = async (table: string) =>
    Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

  function expectRefused(
    res: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
    description: RegExp,
  ) {
    expect(res.statusCode).toBe(401);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ success: false, error: 'invalid_token' });
    expect(body.error_description).toMatch(description);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  it('creates the first-party login client at start: public, no redirect URI, refresh allowed', async () => {
    const { rows } = await t.db.query(
      'SELECT token_endpoint_auth_method, redirect_uris, grant_types, first_party, secret_hash FROM clients WHERE id = $1',
      ['gatehouse'],
    );
    expect(rows[0]).toEqual({
      token_endpoint_auth_method: 'none',
      redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      first_party: true,
      secret_hash: null,
    });
  });

  it('signs a person in with a Google access token issued to us, and stores no Google credential', async () => {
    const google = await googleTokensFor(t.app, t.google, 'grace.hopper@example.com');
    const credentialsBefore = await count('google_credentials');
    const res = await login({ access_token: google.access_token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({
      success: true,
      token_type: 'Bearer',
      user: {
        name: 'Grace Hopper',
        email: 'grace.hopper@example.com',
        username: 'grace.hopper',
        // the mock Google serves its own avatar, as Google's profile picture URL would be
        picture: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/avatar\/\d+\.svg$/),
      },
    });
    expect(body.refresh_token).toEqual(expect.any(String));
    // whole seconds left of security.access_token_expiry_minutes (10), counted after issuing
    expect(body.expires_in).toBeGreaterThanOrEqual(595);
    expect(body.expires_in).toBeLessThanOrEqual(600);
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ sub: body.user.id, client_id: 'gatehouse', username: 'grace.hopper' });
    const { rows } = await t.db.query<{ google_sub: string }>('SELECT google_sub FROM users WHERE id = $1', [
      body.user.id,
    ]);
    expect(rows[0]!.google_sub).toMatch(/^\d{21}$/);
    // product rule: "A Google access token sent there creates no broker credential"
    expect(await count('google_credentials')).toBe(credentialsBefore);

    const info = await t.app.inject({ method: 'GET', url: '/user/info', headers: bearer(body.access_token) });
    expect(info.statusCode).toBe(200);
    expect(info.json().user_data).toEqual({
      first_name: 'Grace',
      last_name: 'Hopper',
      username: 'grace.hopper',
      two_factor: false,
      verified: true,
      email: 'grace.hopper@example.com',
    });

    // Signing in again is the same person, not a second account.
    const again = await login({ access_token: google.access_token });
    expect(again.json().user.id).toBe(body.user.id);
  });

  it('accepts a form body too', async () => {
    const google = await googleTokensFor(t.app, t.google, 'form.user@example.com');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      headers: FORM,
      payload: form({ access_token: google.access_token }),
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('accepts a token of an allowed audience (google.allowed_audiences)', async () => {
    const google = await googleTokensFor(t.app, t.google, 'desktop.user@example.com');
    t.google.control.setTokeninfoAudience(google.access_token, { aud: DESKTOP_CLIENT_ID, azp: DESKTOP_CLIENT_ID });
    expect((await login({ access_token: google.access_token })).statusCode).toBe(200);
  });

  it.each([
    ['aud and azp', { aud: 'another-app.apps.googleusercontent.com', azp: 'another-app.apps.googleusercontent.com' }],
    ['azp only', { azp: 'another-app.apps.googleusercontent.com' }],
    ['aud only', { aud: 'another-app.apps.googleusercontent.com' }],
  ])('refuses a valid Google token issued to another app (%s)', async (_name, audience) => {
    const google = await googleTokensFor(t.app, t.google, 'victim@example.com');
    t.google.control.setTokeninfoAudience(google.access_token, audience);
    const usersBefore = await count('users');
    expectRefused(await login({ access_token: google.access_token }), /another application/);
    expect(await count('users')).toBe(usersBefore);
    expect(t.google.control.calls('userinfo')).toBe(0);
  });

  it('refuses an expired Google access token', async () => {
    t.google.control.setAccessTokenLifetime(1);
    const google = await googleTokensFor(t.app, t.google, 'expired.user@example.com');
    await new Promise((r) => setTimeout(r, 1100));
    expectRefused(await login({ access_token: google.access_token }), /Google does not accept/);
  });

  it('refuses a garbage token', async () => {
    expectRefused(await login({ access_token: 'ya29.not-a-real-token' }), /Google does not accept/);
  });

  it('answers 502 when Google is down', async () => {
    const google = await googleTokensFor(t.app, t.google, 'down.user@example.com');
    t.google.control.failNext('tokeninfo', 1, 'server_error');
    const res = await login({ access_token: google.access_token });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ success: false, error: 'upstream_unavailable' });
  });

  it.each([
    ['neither token', {}],
    ['both tokens', { access_token: 'a', id_token: 'b' }],
    ['a non-string', { access_token: 42 }],
  ])('answers 400 invalid_request for %s', async (_name, payload) => {
    const res = await login(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
  });

  describe_idToken();

  it('audits successes and failures with a reason, and logs no token', async () => {
    const google = await googleTokensFor(t.app, t.google, 'audited.user@example.com');
    const ok = await login({ access_token: google.access_token });
    await login({ access_token: 'ya29.garbage-for-audit' });
    const audits = await auditEvents(t);
    expect(audits).toContainEqual(
      expect.objectContaining({
        event: 'login_success',
        subject: ok.json().user.id,
        client_id: 'gatehouse',
        details: { method: 'access_token' },
      }),
    );
    expect(audits).toContainEqual(
      expect.objectContaining({
        event: 'login_failure',
        client_id: 'gatehouse',
        details: { method: 'access_token', reason: 'google_rejected_token' },
      }),
    );
    for (const secret of [
      google.access_token,
      ok.json().access_token,
      ok.json().refresh_token,
      'ya29.garbage-for-audit',
    ]) {
      expect(t.logs.text).not.toContain(secret);
      expect(JSON.stringify(audits)).not.toContain(secret);
    }
  });

  function describe_idToken() {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (over: Record<string, unknown> = {}) => ({
      iss: t.google.url,
      aud: t.google.clientId,
      azp: t.google.clientId,
      sub: '109876543210987654321',
      email: 'id.token@example.com',
      email_verified: true,
      name: 'Id Token',
      given_name: 'Id',
      family_name: 'Token',
      iat: now(),
      exp: now() + 600,
      ...over,
    });

    it('signs a person in with an ID token Google issued to us (no nonce needed)', async () => {
      const google = await googleTokensFor(t.app, t.google, 'id.user@example.com');
      const res = await login({ id_token: google.id_token });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user).toMatchObject({ email: 'id.user@example.com', username: 'id.user' });
    });

    it('accepts a correctly signed token of an allowed audience', async () => {
      const res = await login({ id_token: await kit.sign(claims({ aud: DESKTOP_CLIENT_ID, azp: DESKTOP_CLIENT_ID })) });
      expect(res.statusCode, res.body).toBe(200);
    });

    it.each([
      [
        'a wrong aud',
        async () =>
          kit.sign(
            claims({ aud: 'another-app.apps.googleusercontent.com', azp: 'another-app.apps.googleusercontent.com' }),
          ),
      ],
      ['our aud but a foreign azp', async () => kit.sign(claims({ azp: 'another-app.apps.googleusercontent.com' }))],
      ['a wrong iss', async () => kit.sign(claims({ iss: 'https://evil.example.com' }))],
      ['an expired token', async () => kit.sign(claims({ iat: now() - 7200, exp: now() - 3600 }))],
      // OIDC Core §3.1.3.7 (10): iat bounds, whatever exp says.
      [
        'an iat in the future beyond the clock skew',
        async () => kit.sign(claims({ iat: now() + 300, exp: now() + 3900 })),
      ],
      [
        "an iat older than an hour (Google's ID-token lifetime)",
        async () => kit.sign(claims({ iat: now() - 7200, exp: now() + 600 })),
      ],
      ['an unsigned (alg none) token', async () => unsignedJwt(claims())],
      [
        "a token signed by a key not in Google's JWKS",
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return kit.sign(claims(), { key: privateKey, kid: 'unknown-kid' });
        },
      ],
      ['an HS256 token', async () => kit.sign(claims(), { alg: 'HS256', key: new Uint8Array(32) as never })],
      ['garbage', async () => 'not.a.jwt'],
    ])('refuses an ID token with %s', async (_name, make) => {
      expectRefused(await login({ id_token: await make() }), /ID token is invalid/);
    });
  }
});
