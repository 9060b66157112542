import { beforeAll, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, basicAuth, registerClient } from '../../helpers/admin.js';
import { msUntil } from '../../helpers/wait.js';
import { expectApiError } from '../../helpers/api-error.js';

/** Stands in for the token endpoint: authenticates the client and says how. */
function authProbe(app: App) {
  app.post('/_auth', async (request) => {
    const { client, method } = await app.authenticateClient(
      request,
      request.body as Record<string, string> | undefined,
    );
    return { client_id: client.id, method };
  });
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describeBackends('client authentication', (backend) => {
  const a = useTestApp(backend, { extend: authProbe });
  let b: TestApp;
  beforeAll(async () => {
    b = await a.another({ ownConnections: true, extend: authProbe });
  }, 60_000);

  const auth = (t: TestApp, opts: { headers?: Record<string, string>; body?: string; ip?: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/_auth',
      headers: { ...form, ...opts.headers },
      payload: opts.body ?? '',
      remoteAddress: opts.ip ?? '10.1.0.1',
    });

  it('accepts client_secret_basic, client_secret_post and none', async () => {
    const c = await registerClient(a.app);
    const basic = await auth(a, { headers: { authorization: basicAuth(c.client_id, c.client_secret!) } });
    expect(basic.json()).toEqual({ client_id: c.client_id, method: 'client_secret_basic' });
    const post = await auth(a, {
      body: `client_id=${c.client_id}&client_secret=${encodeURIComponent(c.client_secret!)}`,
    });
    expect(post.json()).toEqual({ client_id: c.client_id, method: 'client_secret_post' });
    const pub = await registerClient(a.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    });
    const none = await auth(a, { body: `client_id=${pub.client_id}` });
    expect(none.json()).toEqual({ client_id: pub.client_id, method: 'none' });
  });

  it('form-decodes Basic credentials (RFC 6749 §2.3.1) and refuses a malformed escape', async () => {
    const c = await registerClient(a.app);
    const escaped = (s: string) => `%${s.charCodeAt(0).toString(16).toUpperCase()}${s.slice(1)}`;
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const ok = await auth(a, { headers: { authorization: basic(escaped(c.client_id), escaped(c.client_secret!)) } });
    expect(ok.json()).toEqual({ client_id: c.client_id, method: 'client_secret_basic' });
    const bad = await auth(a, { headers: { authorization: basic(c.client_id, `${c.client_secret}%E0%A4%A`) } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('invalid_client');
  });

  it('refuses a client id with a NUL or other control character as invalid_client, never a 500', async () => {
    // Found by the hostile-input property test: `Basic ADo=` is "\u0000:" (id NUL, empty secret).
    for (const authorization of ['Basic ADo=', `Basic ${Buffer.from('a\u0001b:secret').toString('base64')}`]) {
      const res = await auth(a, { headers: { authorization }, ip: '10.1.9.1' });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json().error).toBe('invalid_client');
    }
    const posted = await auth(a, { body: 'client_id=%00&client_secret=x', ip: '10.1.9.2' });
    expect(posted.statusCode, posted.body).toBe(401);
  });

  it('refuses two methods at once with invalid_request', async () => {
    const c = await registerClient(a.app);
    const res = await auth(a, {
      headers: { authorization: basicAuth(c.client_id, c.client_secret!) },
      body: `client_secret=${c.client_secret}`,
    });
    expectApiError(res, 400, 'invalid_request', 'client authentication must use exactly one method');
  });

  it.each([
    ['a wrong secret', (id: string) => ({ headers: { authorization: basicAuth(id, 'wrong') } })],
    ['an unknown client', () => ({ headers: { authorization: basicAuth('0'.repeat(40), 'whatever') } })],
    ['a confidential client without its secret', (id: string) => ({ body: `client_id=${id}` })],
    ['malformed Basic credentials', () => ({ headers: { authorization: 'Basic !!!' } })],
  ])('answers %s with 401 invalid_client and a Basic challenge', async (_name, make) => {
    const c = await registerClient(a.app);
    const res = await auth(a, { ...make(c.client_id), ip: '10.1.0.2' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ success: false, error: 'invalid_client' });
    expect(res.headers['www-authenticate']).toBe('Basic realm="gatehouse"');
  });

  it('refuses a public client that presents a secret', async () => {
    const pub = await registerClient(a.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    });
    const res = await auth(a, { body: `client_id=${pub.client_id}&client_secret=guess` });
    expect(res.statusCode).toBe(401);
  });

  it('verifies a secret with argon2 once, then from the verify cache', async () => {
    const c = await registerClient(a.app);
    const headers = { authorization: basicAuth(c.client_id, c.client_secret!) };
    expect((await auth(a, { headers })).statusCode).toBe(200);
    const after = a.app.secretHasher.argon2Verifications;
    for (let i = 0; i < 5; i++) expect((await auth(a, { headers })).statusCode).toBe(200);
    expect(a.app.secretHasher.argon2Verifications).toBe(after);
  });

  it('refuses oversized credentials without running argon2', async () => {
    const c = await registerClient(a.app);
    const before = a.app.secretHasher.argon2Verifications;
    const res = await auth(a, {
      headers: { authorization: basicAuth(c.client_id, 'x'.repeat(65_000)) },
      ip: '10.1.0.9',
    });
    expect(res.statusCode).toBe(401);
    expect(a.app.secretHasher.argon2Verifications).toBe(before);
  });

  it('limits failures to 20 per client id per address per minute', async () => {
    const c = await registerClient(a.app);
    const headers = { authorization: basicAuth(c.client_id, 'wrong') };
    for (let i = 0; i < 20; i++) expect((await auth(a, { headers, ip: '10.1.0.3' })).statusCode).toBe(401);
    const blocked = await auth(a, {
      headers: { authorization: basicAuth(c.client_id, c.client_secret!) },
      ip: '10.1.0.3',
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // the same client from elsewhere, and the same address for another client, still work
    expect(
      (await auth(a, { headers: { authorization: basicAuth(c.client_id, c.client_secret!) }, ip: '10.1.0.4' }))
        .statusCode,
    ).toBe(200);
  });

  it('a client registered on one instance authenticates on the other', async () => {
    const c = await registerClient(a.app);
    const res = await auth(b, { headers: { authorization: basicAuth(c.client_id, c.client_secret!) } });
    expect(res.statusCode).toBe(200);
  });

  it('a client disabled on one instance is refused on the other within 1 s', async () => {
    const c = await registerClient(a.app);
    const headers = { authorization: basicAuth(c.client_id, c.client_secret!) };
    expect((await auth(b, { headers })).statusCode).toBe(200);
    await a.app.inject({ method: 'DELETE', url: `/clients/${c.client_id}`, headers: adminHeaders });
    const disabledAt = Date.now(); // committed and announced when the admin call returns
    expect(
      await msUntil(disabledAt, async () => (await auth(b, { headers, ip: '10.1.0.5' })).statusCode === 401),
    ).toBeLessThan(1000);
  });

  it('a rotated secret stops working on both instances and the new one works', async () => {
    const c = await registerClient(a.app);
    const old = { authorization: basicAuth(c.client_id, c.client_secret!) };
    expect((await auth(a, { headers: old })).statusCode).toBe(200);
    expect((await auth(b, { headers: old })).statusCode).toBe(200);
    const rotated = await a.app.inject({
      method: 'POST',
      url: `/clients/${c.client_id}/rotate-secret`,
      headers: adminHeaders,
    });
    const rotatedAt = Date.now(); // committed and announced when the admin call returns
    const fresh = { authorization: basicAuth(c.client_id, rotated.json().client_secret) };
    expect(
      await msUntil(rotatedAt, async () => (await auth(b, { headers: old, ip: '10.1.0.6' })).statusCode === 401),
    ).toBeLessThan(1000);
    expect((await auth(a, { headers: old, ip: '10.1.0.6' })).statusCode).toBe(401);
    expect((await auth(a, { headers: fresh })).statusCode).toBe(200);
    expect((await auth(b, { headers: fresh })).statusCode).toBe(200);
  });

  it('reloads 10,000 clients and reports the exact count', async () => {
    await a.db.query(
      `INSERT INTO clients (id, app_name, contact_email, grant_types, scope, token_endpoint_auth_method, secret_hash)
       SELECT 'bulk' || lpad(g::text, 8, '0'), 'Bulk ' || g, 'bulk@example.com', '{client_credentials}', 'reports',
              'client_secret_basic', '$argon2id$v=19$m=65536,t=3,p=4$placeholder'
       FROM generate_series(1, 10000) g`,
    );
    const { rows } = await a.db.query<{ n: number }>('SELECT count(*)::int AS n FROM clients');
    const res = await a.app.inject({ method: 'POST', url: '/internal/reload-clients', headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, clients_loaded: rows[0]!.n });
    expect(rows[0]!.n).toBeGreaterThanOrEqual(10_000);
    // the reloaded copies serve lookups on the other instance without Postgres
    const reads = b.app.clientStore.stats.databaseReads;
    expect((await b.app.clientStore.findById('bulk00004242'))?.app_name).toBe('Bulk 4242');
    if (backend.name === 'real') expect(b.app.clientStore.stats.databaseReads).toBe(reads);
  });
});
