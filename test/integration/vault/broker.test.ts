import { beforeAll, expect, it } from 'vitest';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { countingDatabase, type CountingDatabase } from '../../helpers/counting-db.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';
import { expectApiError } from '../../helpers/api-error.js';

describeBackends('Google token broker', (backend) => {
  let counting: CountingDatabase;
  const t = useTestApp(backend, {
    google: true,
    db: (db) => (counting = countingDatabase(db)).db,
    extend: (app) => counting.instrument(app),
  });
  let key: string;
  let seq = 0;
  const email = () => `broker.${++seq}.${backend.name}@example.com`;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens'] })).api_key;
  }, 60_000);

  /** A credential whose access token expires within the skew (120 s), so the next call refreshes. */
  async function seedExpiring(address = email()) {
    t.google.control.setAccessTokenLifetime(60);
    const seeded = await seedCredential(t.app, t.google, address);
    t.google.control.setAccessTokenLifetime(3599);
    return seeded;
  }

  it('returns the held token while it is fresh, in the broker answer shape with no-store', async () => {
    const s = await seedCredential(t.app, t.google, email());
    const before = t.google.control.calls('token');
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    const body = res.json();
    expect(body).toEqual({
      success: true,
      access_token: s.accessToken,
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      expiry: Math.floor(s.credential.accessTokenExpiresAt!.getTime() / 1000),
      scope: 'email openid profile',
      subject: s.user.id,
    });
    expect(body.expires_in).toBeGreaterThan(3500);
    expect(body.expires_in).toBeLessThanOrEqual(3599);
    expect(t.google.control.calls('token')).toBe(before);
  });

  it('refreshes a token that expires within refresh_skew_seconds, stores it encrypted, keeps the refresh token', async () => {
    const s = await seedExpiring();
    const before = t.google.control.calls('token');
    const res = await brokerCall(t.app, key, s.user.id, 'tokens');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.access_token).not.toBe(s.accessToken);
    expect(body.access_token).toMatch(/^ya29\.mock-/);
    expect(body.expires_in).toBeGreaterThan(3500);
    expect(t.google.control.calls('token')).toBe(before + 1);
    // Google sent no refresh token with the refresh: the held one is kept and still works.
    const stored = await t.app.repos.googleCredentials.decryptTokens(s.credential.id);
    expect(stored).toEqual({ accessToken: body.access_token, refreshToken: s.refreshToken });
    const row = await t.db.query<{ access_token_enc: string }>(
      'SELECT access_token_enc FROM google_credentials WHERE id = $1',
      [s.credential.id],
    );
    expect(row.rows[0]!.access_token_enc).not.toContain(body.access_token);
    // The next call is served as is.
    const again = await brokerCall(t.app, key, s.user.id);
    expect(again.json().access_token).toBe(body.access_token);
    expect(t.google.control.calls('token')).toBe(before + 1);
  });

  it('resolves a person by user id, email and username and a connection by connection_id, answering the canonical subject', async () => {
    const address = email();
    const s = await seedCredential(t.app, t.google, address);
    for (const subject of [s.user.id, address, address.toUpperCase(), s.user.username]) {
      const res = await brokerCall(t.app, key, subject);
      expect(res.statusCode, `${subject}: ${res.body}`).toBe(200);
      expect(res.json().subject).toBe(s.user.id);
    }
    // A connection's credential, stored the way the connect callback stores it.
    const { code, verifier, redirectUri } = await (
      await import('../../helpers/google.js')
    ).mockTokens(t.google, email());
    const tokens = await t.app.google.exchangeCode(code, verifier, redirectUri);
    await t.app.repos.connections.ensure('shop:branch-7', null);
    await t.app.repos.googleCredentials.save(
      { connectionId: 'shop:branch-7' },
      {
        accessToken: tokens.access_token,
        expiresIn: tokens.expires_in,
        refreshToken: tokens.refresh_token,
        scope: tokens.scope,
      },
    );
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      const res = await brokerCall(t.app, key, { connection_id: 'shop:branch-7' }, via);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().subject).toBe('shop:branch-7');
    }
  });

  it('answers 404 not_found for an unknown subject and for a person without a Google credential', async () => {
    for (const subject of [
      'nobody@example.com',
      'no-such-user',
      '6f1c3e4a-1111-4222-8333-944455556666',
      'shop:none',
      { connection_id: 'shop:none' },
    ]) {
      const res = await brokerCall(t.app, key, subject);
      expect(res.statusCode, JSON.stringify(subject)).toBe(404);
      expect(res.json()).toEqual({
        success: false,
        error: 'not_found',
        error_description: 'no Google credential is held for this subject',
      });
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('validates the request: subject required, no grant_type, no control characters', async () => {
    const post = (payload: string) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
    expect((await post('')).json()).toEqual({
      success: false,
      error: 'invalid_request',
      error_description:
        'subject or connection_id is required; send exactly one of subject=<user id | username | verified email> (a person) or connection_id=<id> (a connection), or give the API key a default_subject',
    });
    expect((await post('subject=a&subject=b')).json()).toMatchObject({ error: 'invalid_request' });
    expect((await post('subject=a%0Ab')).statusCode).toBe(400);
    expect((await post(`subject=${'a'.repeat(400)}`)).statusCode).toBe(400);
    const withGrant = await post('grant_type=client_credentials&subject=x');
    expect(withGrant.statusCode).toBe(400);
    expect(withGrant.json().error).toBe('unsupported_grant_type');
  });

  it('refuses bad, revoked and under-scoped API keys before looking at the subject', async () => {
    const s = await seedCredential(t.app, t.google, email());
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      const bad = await brokerCall(
        t.app,
        'gh_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        s.user.id,
        via,
      );
      expect(bad.statusCode, via).toBe(401);
      expect(bad.json().error).toBe('invalid_token');
    }
    const revoked = await createApiKey(t.app, { scopes: ['tokens'] });
    expect((await brokerCall(t.app, revoked.api_key, s.user.id)).statusCode).toBe(200);
    await t.app.inject({ method: 'DELETE', url: `/internal/api-keys/${revoked.id}`, headers: adminHeaders });
    expect((await brokerCall(t.app, revoked.api_key, s.user.id)).statusCode).toBe(401);

    const connectionsOnly = await createApiKey(t.app, { scopes: ['connections'] });
    const res = await brokerCall(t.app, connectionsOnly.api_key, 'no-such-subject');
    expectApiError(res, 403, 'forbidden', "this API key lacks the 'tokens' scope");
  });

  it('20 concurrent broker calls for an expiring token cause exactly one Google refresh', async () => {
    const s = await seedExpiring();
    const before = t.google.control.calls('token');
    t.google.control.setLatency(150, 'token');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        brokerCall(t.app, key, i % 2 ? s.user.id : s.user.username, i % 3 ? 'token' : 'tokens'),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
    expect(t.google.control.calls('token')).toBe(before + 1);
  });

  it('POST /oauth/refresh forces one refresh per burst, even when the token is fresh', async () => {
    const s = await seedCredential(t.app, t.google, email());
    const before = t.google.control.calls('token');
    t.google.control.setLatency(100, 'token');
    const results = await Promise.all(Array.from({ length: 5 }, () => brokerCall(t.app, key, s.user.id, 'refresh')));
    expect(results.map((r) => r.statusCode)).toEqual(Array(5).fill(200));
    expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
    expect(results[0]!.json().access_token).not.toBe(s.accessToken);
    expect(t.google.control.calls('token')).toBe(before + 1);
    const again = await brokerCall(t.app, key, s.user.id, 'refresh');
    expect(again.json().access_token).not.toBe(results[0]!.json().access_token);
    expect(t.google.control.calls('token')).toBe(before + 2);
  });

  it('serves a fresh token from the cache without a Postgres query', async () => {
    const s = await seedCredential(t.app, t.google, email());
    for (const subject of [s.user.id, s.user.email!]) {
      const first = await counting.during(() => brokerCall(t.app, key, subject));
      expect(first.result.statusCode).toBe(200);
      expect(first.queries).toBeGreaterThan(0);
      const second = await counting.during(() => brokerCall(t.app, key, subject));
      expect(second.result.statusCode).toBe(200);
      expect(second.result.json().access_token).toBe(s.accessToken);
      expect(second.queries).toBe(0);
    }
  });

  it('invalid_grant marks the credential reauth_required: 409, audited, and Google is not called again', async () => {
    const s = await seedExpiring();
    t.google.control.revokeRefreshToken(s.refreshToken);
    const before = t.google.control.calls('token');
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toEqual({
      success: false,
      error: 'reauth_required',
      error_description:
        'the Google grant for this subject is no longer valid; the person must connect their Google account again',
    });
    expect((await t.app.repos.googleCredentials.findById(s.credential.id))!.status).toBe('reauth_required');
    expect(await auditEvents(t)).toContainEqual(
      expect.objectContaining({
        event: 'google_reauth_required',
        details: expect.objectContaining({ credential_id: s.credential.id }),
      }),
    );
    for (const via of ['token', 'tokens', 'refresh'] as const) {
      expect((await brokerCall(t.app, key, s.user.email!, via)).statusCode).toBe(409);
    }
    expect(t.google.control.calls('token')).toBe(before + 1);

    // Connecting again (a new grant saved) clears the mark.
    const fresh = await seedCredentialAgain(s.user.id);
    const after = await brokerCall(t.app, key, s.user.id);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json().access_token).toBe(fresh);
  });

  /** The person signs in again with consent: a new grant for the same user. */
  async function seedCredentialAgain(userId: string): Promise<string> {
    const { code, verifier, redirectUri } = await (
      await import('../../helpers/google.js')
    ).mockTokens(t.google, email());
    const tokens = await t.app.google.exchangeCode(code, verifier, redirectUri);
    const saved = await t.app.repos.googleCredentials.save(
      { userId },
      {
        accessToken: tokens.access_token,
        expiresIn: tokens.expires_in,
        refreshToken: tokens.refresh_token,
        scope: tokens.scope,
      },
    );
    await t.app.vault.forget(saved.id);
    return tokens.access_token;
  }

  it('never puts the Google refresh token in a response, a log line or a cache value', async () => {
    const s = await seedExpiring();
    const bodies: string[] = [];
    for (const via of ['token', 'tokens', 'refresh'] as const)
      bodies.push((await brokerCall(t.app, key, s.user.id, via)).body);
    const secrets = t.google.control.issuedRefreshTokens();
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) {
      for (const body of bodies) expect(body).not.toContain(secret);
      expect(t.logs.text).not.toContain(secret);
    }
    const values = await cacheValues(s.credential.id, [s.user.id]);
    expect(values.length).toBeGreaterThan(0);
    const plaintextAccess = t.google.control.issuedAccessTokens();
    for (const v of values) {
      for (const secret of [...secrets, ...plaintextAccess]) expect(v).not.toContain(secret);
    }
    expect(values.some((v) => v.includes('"c":"test1.'))).toBe(true);
  });

  /** Every value the broker left in the cache: a SCAN of the test prefix on Redis, the known keys in memory. */
  async function cacheValues(credentialId: string, subjects: string[]): Promise<string[]> {
    if (backend.name === 'real') {
      const { Redis } = await import('ioredis');
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const out: string[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${t.storage.cache.prefix}*`, 'COUNT', 500);
          cursor = next;
          for (const k of keys) if ((await redis.type(k)) === 'string') out.push(`${k}=${await redis.get(k)}`);
        } while (cursor !== '0');
        return out;
      } finally {
        redis.disconnect();
      }
    }
    const { tokenCacheKeys } = await import('../../../src/vault/token-cache.js');
    const { subjectCacheKey } = await import('../../../src/vault/subject.js');
    const keys = [
      tokenCacheKeys.tokenKey(credentialId),
      ...subjects.map((subject) => tokenCacheKeys.subjectKey(subjectCacheKey({ kind: 'person', subject }))),
    ];
    const values = await Promise.all(keys.map((k) => t.cache.get(k)));
    return values.filter((v): v is string => v !== null);
  }
});
