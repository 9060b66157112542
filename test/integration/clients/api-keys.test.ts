import { beforeAll, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { msUntil } from '../../helpers/wait.js';
import { expectApiError } from '../../helpers/api-error.js';

/** Stands in for a broker endpoint: requires an API key with the scope named in the query. */
function serviceProbe(app: App) {
  app.get('/_svc', async (request) => {
    const scope = (request.query as { scope?: 'tokens' | 'connections' | 'external' }).scope ?? 'tokens';
    const key = await app.authenticateApiKey(request, scope);
    return { id: key.id, name: key.name };
  });
}

describeBackends('API keys', (backend) => {
  const a = useTestApp(backend, { extend: serviceProbe });
  let b: TestApp;
  beforeAll(async () => {
    b = await a.another({ ownConnections: true, extend: serviceProbe });
  }, 60_000);

  const call = (t: TestApp, key: string, scope = 'tokens', ip = '10.2.0.1') =>
    t.app.inject({
      method: 'GET',
      url: `/_svc?scope=${scope}`,
      headers: { authorization: `Bearer ${key}` },
      remoteAddress: ip,
    });

  it('creates a key shown once, with the tokens scope by default, stored as an argon2id hash', async () => {
    const res = await a.app.inject({
      method: 'POST',
      url: '/internal/api-keys',
      headers: adminHeaders,
      payload: { name: 'reviews' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      success: true,
      name: 'reviews',
      scopes: ['tokens'],
      revoked: false,
      api_key: expect.stringMatching(/^gh_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/),
    });
    const { rows } = await a.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [body.id]);
    expect(rows[0]!.key_hash).toMatch(/^\$argon2id\$/);
    const list = await a.app.inject({ method: 'GET', url: '/internal/api-keys', headers: adminHeaders });
    expect(list.json().api_keys.find((k: { id: string }) => k.id === body.id)).toEqual({
      id: body.id,
      name: 'reviews',
      scopes: ['tokens'],
      default_subject: null,
      allowed_clients: [],
      created_at: expect.any(String),
      last_used_at: null,
      revoked: false,
    });
    expect(list.body).not.toContain(body.api_key);
    expect(list.body).not.toContain('argon2');
  });

  it.each([
    [{ name: '' }, 'name: Too small: expected string to have >=1 characters'],
    [{ name: 'x', scopes: ['admin'] }, expect.stringContaining('scopes.0')],
    [{ name: 'x', scopes: [] }, expect.stringContaining('scopes')],
  ])('refuses %j', async (payload, description) => {
    const res = await a.app.inject({ method: 'POST', url: '/internal/api-keys', headers: adminHeaders, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, error: 'invalid_request', error_description: description });
  });

  it('authenticates a key, checks its scope, and verifies with argon2 only once', async () => {
    const { api_key } = await createApiKey(a.app, { scopes: ['tokens'] });
    expect((await call(a, api_key)).statusCode).toBe(200);
    const before = a.app.secretHasher.argon2Verifications;
    expect((await call(a, api_key)).statusCode).toBe(200);
    expect(a.app.secretHasher.argon2Verifications).toBe(before);
    const wrongScope = await call(a, api_key, 'external');
    expectApiError(wrongScope, 403, 'forbidden', "this API key lacks the 'external' scope");
  });

  it.each([
    ['garbage', 'not-a-key'],
    ['a well-formed unknown key', `gh_000000000000_${'A'.repeat(43)}`],
  ])('refuses %s with 401', async (_n, key) => {
    const res = await call(a, key, 'tokens', '10.2.0.2');
    expectApiError(res, 401, 'invalid_token', 'invalid API key');
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('a key revoked on one instance is refused on the other within 1 s', async () => {
    const { id, api_key } = await createApiKey(a.app);
    expect((await call(b, api_key)).statusCode).toBe(200);
    const del = await a.app.inject({ method: 'DELETE', url: `/internal/api-keys/${id}`, headers: adminHeaders });
    const revokedAt = Date.now(); // committed and announced when the admin call returns
    expect(del.json()).toEqual({ success: true, id, revoked: true });
    expect(
      await msUntil(revokedAt, async () => (await call(b, api_key, 'tokens', '10.2.0.3')).statusCode === 401),
    ).toBeLessThan(1000);
    expect(
      (
        await a.app.inject({
          method: 'DELETE',
          url: '/internal/api-keys/00000000-0000-4000-8000-000000000000',
          headers: adminHeaders,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('records last use in a batch, not per request', async () => {
    const { id, api_key } = await createApiKey(a.app);
    for (let i = 0; i < 3; i++) await call(a, api_key);
    const before = await a.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [
      id,
    ]);
    expect(before.rows[0]!.last_used_at).toBeNull();
    await a.app.apiKeys.stop(); // flushes, as on shutdown
    const after = await a.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [
      id,
    ]);
    expect(after.rows[0]!.last_used_at).toBeInstanceOf(Date);
  });
});
