import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { adminHeaders } from '../../helpers/admin.js';
import { expectApiError } from '../../helpers/api-error.js';

describeBackends('X-Admin-Key guard', (backend) => {
  const t = useTestApp(backend);

  const list = (headers: Record<string, string>, ip = '10.0.0.1') =>
    t.app.inject({ method: 'GET', url: '/clients', headers, remoteAddress: ip });

  it('accepts the configured key', async () => {
    const res = await list(adminHeaders);
    expect(res.statusCode).toBe(200);
    // A fresh server holds only the first-party login client it creates at start.
    expect(res.json()).toEqual({
      success: true,
      clients: [expect.objectContaining({ id: 'gatehouse', first_party: true })],
    });
  });

  it('answers 401 unauthorized without a key or with a wrong one', async () => {
    const missing = await list({}, '10.0.0.2');
    expectApiError(missing, 401, 'unauthorized', 'X-Admin-Key header required');
    const wrong = await list({ 'x-admin-key': `${adminHeaders['x-admin-key']}x` }, '10.0.0.2');
    expectApiError(wrong, 401, 'unauthorized', 'invalid X-Admin-Key');
  });

  it('blocks an address after 10 failures a minute with 429 and Retry-After, even for the right key', async () => {
    const ip = '10.0.0.3';
    for (let i = 0; i < 10; i++) expect((await list({ 'x-admin-key': `guess-${i}` }, ip)).statusCode).toBe(401);
    const blocked = await list({ 'x-admin-key': 'guess-11' }, ip);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ success: false, error: 'too_many_requests' });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await list(adminHeaders, ip)).statusCode).toBe(429);
    // other addresses are unaffected
    expect((await list(adminHeaders, '10.0.0.4')).statusCode).toBe(200);
  });

  it('is disabled with a clear message when no ADMIN_KEY is configured', async () => {
    const off = await t.another({ env: { ADMIN_KEY: '' } });
    try {
      const res = await off.app.inject({ method: 'GET', url: '/clients', headers: adminHeaders });
      expectApiError(res, 503, 'unavailable', 'the admin API is disabled: set ADMIN_KEY to enable it');
    } finally {
      await off.close();
    }
  });
});
