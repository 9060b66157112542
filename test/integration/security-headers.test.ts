import { expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';

describeBackends('security headers', (backend) => {
  const t = useTestApp(backend);

  const CORE = {
    'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
  };

  it('JSON answers carry the core set and none of the document-only headers', async () => {
    for (const res of [
      await t.app.inject({ method: 'GET', url: '/health' }),
      await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ]) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers).toMatchObject(CORE);
      for (const name of [
        'cross-origin-opener-policy',
        'origin-agent-cluster',
        'x-dns-prefetch-control',
        'x-xss-protection',
      ]) {
        expect(res.headers[name], name).toBeUndefined();
      }
    }
  });

  it('HTML pages carry the core set and the document-only headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/login' });
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers).toMatchObject({
      ...CORE,
      'cross-origin-opener-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'x-dns-prefetch-control': 'off',
      'x-xss-protection': '0',
    });
  });
});
