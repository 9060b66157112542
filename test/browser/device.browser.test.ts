import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { backends } from '../helpers/backends.js';
import { launchChromium } from '../helpers/chromium.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../helpers/admin.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The /device page in a real browser (RFC 8628 §3.3): a TV asks for a code, the person opens
 * verification_uri, signs in through the dev-mode mock Google, lands back on /device, types the
 * code (lower case, no dash), approves on the consent page, and the TV's next poll gets tokens.
 * Any Content-Security-Policy violation (a blocked form post, for one) fails the test.
 */
describe('real browser /device (chromium, dev-mode mock Google)', () => {
  // The last backend is the real one when configured; no GOOGLE_CLIENT_ID: dev mode.
  const t = useTestApp(backends[backends.length - 1]!, { listen: true, env: { LOG_LEVEL: 'warn' } });
  let browser: Browser;
  let tv: RegisteredClient;

  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true });
    tv = await registerClient(t.app, {
      app_name: 'Living Room TV',
      redirect_url: undefined,
      token_endpoint_auth_method: 'none',
      grant_types: [GRANT],
      scope: 'openid profile',
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(() => browser?.close());

  const post = (url: string, params: Record<string, string>) =>
    fetch(`${t.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });

  it('signs in, enters the code, approves, and the device gets its tokens', async () => {
    const started = await post('/oauth/device_authorization', { client_id: tv.client_id, scope: 'openid profile' });
    const device = (await started.json()) as { device_code: string; user_code: string; verification_uri: string };
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });

    await page.goto(device.verification_uri);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    await page.getByText('Sign in with Google').click();
    await page.fill('#email', 'grace.hopper@example.com');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.locator('#user_code').waitFor();
    expect(new URL(page.url()).pathname).toBe('/device');
    await page.fill('#user_code', device.user_code.replace('-', '').toLowerCase());
    await page.screenshot({ path: 'test-results/device-code-page.png', fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await page.textContent('h1')).toBe('Allow Living Room TV?');
    await page.screenshot({ path: 'test-results/device-consent-page.png', fullPage: true });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    await page.screenshot({ path: 'test-results/device-connected-page.png', fullPage: true });

    const polled = await post('/oauth/token', {
      client_id: tv.client_id,
      grant_type: GRANT,
      device_code: device.device_code,
    });
    expect(polled.status).toBe(200);
    expect(((await polled.json()) as { scope: string }).scope).toBe('openid profile');
    expect(cspViolations).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a clear page for a code that is not recognised', async () => {
    const page = await browser.newPage();
    // browser.newPage() opens a new context without cookies: sign in first.
    await page.goto(`${t.url}/device`);
    await page.getByText('Sign in with Google').click();
    await page.fill('#email', 'grace.hopper@example.com');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#user_code').waitFor();
    await page.fill('#user_code', 'BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('not recognised');
    await page.close();
  }, 60_000);
});
