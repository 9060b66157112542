import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { devMockGooglePlugin } from '../../../src/google/mock/plugin.js';
import { startMockGoogle } from '../../../src/google/mock/index.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp, useTestStorage } from '../../helpers/use-test-app.js';
import { testConfig } from '../../helpers/app.js';
import { Browser } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';

describeBackends('dev mode: the built-in mock Google', (backend) => {
  // No GOOGLE_CLIENT_ID and not production: dev mode.
  const t = useTestApp(backend, { listen: true, env: { NODE_ENV: 'development' } });

  it('mounts the mock under /_dev/google and warns loudly at start', async () => {
    expect(t.config.dev_mode).toBe(true);
    const jwks = await fetch(`${t.url}/_dev/google/oauth2/v3/certs`);
    expect(jwks.status).toBe(200);
    const body = (await jwks.json()) as { keys: { kty: string; alg: string; kid: string }[] };
    expect(body.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256' })]);
    expect(t.logs.text).toMatch(/DEV MODE: a MOCK GOOGLE is mounted/);
    expect(t.app.google.settings).toMatchObject({
      clientId: 'gatehouse-dev',
      issuer: `${t.url}/_dev/google`,
      authUrl: `${t.url}/_dev/google/o/oauth2/v2/auth`,
      usesDevMock: true,
    });
  });

  it('signs a person in against the in-process mock', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'dev.person@example.com');
    expect(steps.start.location).toMatch(new RegExp(`^${t.url}/_dev/google/o/oauth2/v2/auth\\?`));
    expect(steps.consent.text).toContain('Mock Google');
    expect(steps.callback.status, steps.callback.text).toBe(302);
    expect(steps.callback.location).toBe(`${t.url}/account`);
    const account = await browser.get(`${t.url}/account`);
    expect(account.status).toBe(200);
    expect(account.text).toContain('dev.person@example.com');
    expect(account.text).toContain('Offline access</dt><dd>Yes');
  });

  it('the dev mock redirects only back into this Gatehouse', async () => {
    const res = await fetch(
      `${t.url}/_dev/google/o/oauth2/v2/auth?${new URLSearchParams({
        client_id: 'gatehouse-dev',
        redirect_uri: 'https://evil.example/cb',
        response_type: 'code',
        scope: 'openid',
      })}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri_mismatch');
  });

  it('exposes no fault-injection control over HTTP', async () => {
    for (const path of ['/_dev/google/control', '/_dev/google/_control', '/_dev/google/control/fail']) {
      expect((await fetch(`${t.url}${path}`)).status).toBe(404);
    }
  });
});

describeBackends('dev mode off', (backend) => {
  const storage = useTestStorage(backend);

  it('with GOOGLE_CLIENT_ID set, /_dev/google is not mounted', async () => {
    const mock = await startMockGoogle();
    const t = await storage.build({ env: { ...mock.env, NODE_ENV: 'development' } });
    try {
      expect(t.config.dev_mode).toBe(false);
      const res = await t.app.inject({ method: 'GET', url: '/_dev/google/oauth2/v3/certs' });
      expect(res.statusCode).toBe(404);
      expect(t.logs.text).not.toMatch(/MOCK GOOGLE/);
      expect(t.app.google.settings.usesDevMock).toBe(false);
    } finally {
      await t.close();
      await mock.close();
    }
  });

  it('the plugin itself refuses to load outside dev mode', async () => {
    for (const env of [{ GOOGLE_CLIENT_ID: 'real', GOOGLE_CLIENT_SECRET: 'real-secret' }]) {
      const app = Fastify();
      app.decorate('config', testConfig(env));
      await expect(app.register(devMockGooglePlugin).ready()).rejects.toThrow(/only be mounted in dev mode/);
      await app.close();
    }
    // Even if a production config were forced to claim dev mode.
    const app = Fastify();
    app.decorate('config', {
      ...testConfig({ GOOGLE_CLIENT_ID: 'x', GOOGLE_CLIENT_SECRET: 'y' }),
      node_env: 'production',
      dev_mode: true,
    });
    await expect(app.register(devMockGooglePlugin).ready()).rejects.toThrow(/only be mounted in dev mode/);
    await app.close();
  });
});
