import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { backends } from '../helpers/backends.js';
import { launchChromium } from '../helpers/chromium.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../helpers/admin.js';
import { pkcePair } from '../helpers/oauth.js';
import { freePort } from '../helpers/processes.js';

/**
 * A real browser through the dev-mode mock Google: sign in, approve consent, land on the client's
 * redirect with a code, then visit /account. Screenshots go to test-results/.
 */
describe('real browser sign-in (chromium, dev-mode mock Google)', () => {
  // The last backend is the real one when configured: a browser test on real storage is the
  // stronger check. No GOOGLE_CLIENT_ID: dev mode.
  const t = useTestApp(backends[backends.length - 1]!, { listen: true, env: { LOG_LEVEL: 'warn' } });
  let browser: Browser;
  let clientApp: Server;
  let clientPort: number;
  let client: RegisteredClient;

  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true });
    clientPort = await freePort();
    clientApp = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('client app received the redirect'),
    );
    await new Promise<void>((resolve) => clientApp.listen(clientPort, '127.0.0.1', resolve));
    client = await registerClient(t.app, {
      app_name: 'Review Desk',
      redirect_url: 'http://127.0.0.1/callback',
      scope: 'openid profile email',
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => clientApp?.close(r));
  });

  it('signs in, approves consent, returns a code to the client, and shows /account', async () => {
    const page = await browser.newPage();
    const { challenge } = pkcePair();
    const redirectUri = `http://127.0.0.1:${clientPort}/callback`;
    const authorize = `${t.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
    await page.goto(authorize);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    await page.getByText('Sign in with Google').click();
    await page.fill('#email', 'margaret.hamilton@example.com');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await page.textContent('h1')).toBe('Allow Review Desk?');
    await page.screenshot({ path: 'test-results/consent-page.png', fullPage: true });
    await page.getByRole('button', { name: 'Approve' }).click();

    await page.waitForURL((url) => url.port === String(clientPort));
    const landed = new URL(page.url());
    expect(landed.pathname).toBe('/callback');
    expect(landed.searchParams.get('state')).toBe('browser-state');
    expect(landed.searchParams.get('iss')).toBe(t.url);
    expect(landed.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await page.goto(`${t.url}/account`);
    expect(await page.textContent('body')).toContain('margaret.hamilton');
    await page.screenshot({ path: 'test-results/account-page.png', fullPage: true });
    await page.close();
  }, 60_000);

  it('renders the OpenAPI docs at /docs', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Gatehouse');
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    await page.screenshot({ path: 'test-results/docs-page.png', fullPage: false });
    await page.close();
  }, 60_000);
});
