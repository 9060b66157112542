import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { backends } from '../helpers/backends.js';
import { launchChromium } from '../helpers/chromium.js';
import { useTestApp } from '../helpers/use-test-app.js';

const ADMIN = 'ada.admin@example.com';
const SECTIONS = ['clients', 'api-keys', 'users', 'connections', 'audit', 'signing-keys', 'webhooks'];

/**
 * The admin console in a real browser, through the dev-mode mock Google: an admin creates and
 * edits a client, creates and revokes an API key, signs a person out everywhere, creates a
 * connect link, filters the audit log to their own actions and rotates the signing keys; a non-admin gets the 403 page; a
 * signed-out visitor is sent to sign in. Screenshots of every page, at desktop width and 390 px,
 * go to test-results/ (git-ignored). Any Content-Security-Policy violation fails the test.
 */
describe('real browser admin console (chromium, dev-mode mock Google)', () => {
  // The last backend is the real one when configured: a browser test on real storage is the stronger check.
  const t = useTestApp(backends[backends.length - 1]!, {
    listen: true,
    env: { LOG_LEVEL: 'warn', ADMIN_EMAILS: ADMIN },
  });
  let browser: Browser;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync('test-results/admin', { recursive: true });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  const newPage = async (width = 1280) => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    return page;
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `test-results/admin/${name}.png`, fullPage: true });

  /** From /login through the mock Google (once more if Gatehouse asks Google for offline access). */
  const signIn = async (page: Page, email: string) => {
    await page.getByText('Sign in with Google').click();
    await page.fill('#email', email);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/auth/') && url.pathname !== '/login');
    if (page.url().includes('/o/oauth2/')) {
      await page.fill('#email', email);
      await page.getByRole('button', { name: 'Allow' }).click();
    }
  };

  let admin: Page;

  it('sends a signed-out visitor to sign in and back to the page asked for', async () => {
    admin = await newPage();
    await admin.goto(`${t.url}/admin/clients`);
    expect(new URL(admin.url()).pathname).toBe('/login');
    expect(new URL(admin.url()).searchParams.get('return_to')).toBe('/admin/clients');
    await shot(admin, 'signed-out-login');
    await signIn(admin, ADMIN);
    await admin.waitForURL(`${t.url}/admin/clients`);
    await admin.getByRole('heading', { name: 'Clients' }).waitFor();
  });

  it('creates a client (secret shown once) and edits its redirect URIs', async () => {
    await admin.getByRole('link', { name: 'New client' }).click();
    await admin.fill('#app_name', 'Review Desk');
    await admin.fill('#contact_email', 'desk@example.com');
    await admin.fill('#redirect_urls', 'https://desk.example/callback');
    await shot(admin, 'client-new');
    await admin.getByRole('button', { name: 'Create client' }).click();
    const secret = (await admin.locator('#client-secret').textContent())!.trim();
    expect(secret.length).toBeGreaterThan(30);
    await shot(admin, 'client-created-secret');

    await admin.getByRole('link', { name: 'Continue to the client' }).click();
    expect(await admin.content()).not.toContain(secret);
    await admin.fill('#redirect_urls', 'https://desk.example/callback\nhttps://desk.example/callback2');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText('Client saved.').waitFor();
    expect(await admin.inputValue('#redirect_urls')).toBe(
      'https://desk.example/callback\nhttps://desk.example/callback2',
    );
    await shot(admin, 'client-detail');
  });

  it('creates an API key (shown once) and revokes it', async () => {
    await admin.getByRole('link', { name: 'API keys' }).click();
    await admin.fill('#name', 'reviews-service');
    await admin.getByLabel('connections').check();
    await admin.getByRole('button', { name: 'Create API key' }).click();
    expect(await admin.locator('#api-key').textContent()).toMatch(/^gh_[0-9a-f]{12}_/);
    await shot(admin, 'api-key-created');
    await admin.getByRole('link', { name: 'Back to API keys' }).click();
    await admin
      .getByRole('row', { name: /reviews-service/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await admin.getByText('API key revoked.').waitFor();
    expect(await admin.getByRole('row', { name: /reviews-service/ }).textContent()).toContain('revoked');
    await shot(admin, 'api-keys');
  });

  it('finds a person and signs them out everywhere', async () => {
    const grace = await t.app.repos.users.upsertFromGoogle({
      sub: 'browser-grace',
      email: 'grace.hopper@example.com',
      emailVerified: true,
      name: 'Grace Hopper',
    });
    await t.app.sessions.create(grace.id);
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('searchbox').fill('grace');
    await admin.getByRole('button', { name: 'Search' }).click();
    await shot(admin, 'users');
    await admin.getByRole('link', { name: 'Grace Hopper' }).click();
    await shot(admin, 'user-detail');
    await admin.getByRole('button', { name: 'Sign out everywhere' }).click();
    await admin.getByText('Signed out everywhere').waitFor();
    const left = await t.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [grace.id]);
    expect(left.rowCount).toBe(0);
  });

  it('creates a connect link from the connections page, shown once', async () => {
    await t.app.repos.connections.ensure('desk-branch-7', null);
    await admin.getByRole('link', { name: 'Connections' }).click();
    await admin.fill('#connection_id', 'desk-branch-7');
    await admin.fill('#return_to', 'https://desk.example/connected');
    await admin.getByRole('button', { name: 'Create link' }).click();
    const url = (await admin.locator('#connect-url').textContent())!.trim();
    expect(url).toMatch(new RegExp(`^${t.config.public_url}/connect\\?token=`));
    await shot(admin, 'connect-link-created');
    await admin.getByRole('link', { name: 'Back to connections' }).click();
    expect(await admin.content()).not.toContain(url);
  });

  it('answers an unknown console address with a page back to the console', async () => {
    const res = await admin.goto(`${t.url}/admin/users/nobody`);
    expect(res!.status()).toBe(404);
    await admin.getByRole('link', { name: 'Back to the console' }).waitFor();
    expect(await admin.content()).not.toContain('Try again');
    await shot(admin, 'not-found');
    await admin.getByRole('link', { name: 'Back to the console' }).click();
    await admin.getByRole('heading', { name: 'Clients' }).waitFor();
  });

  it('rotates the signing keys', async () => {
    await admin.getByRole('link', { name: 'Signing keys' }).click();
    await admin.getByRole('button', { name: 'Rotate signing keys' }).click();
    await admin.getByText('Signing keys rotated.').waitFor();
    expect(await admin.locator('.badge.good').count()).toBeGreaterThan(0);
    await shot(admin, 'signing-keys');
  });

  it('filters the audit log to its own actions', async () => {
    await admin.getByRole('link', { name: 'Audit log' }).click();
    await admin.getByRole('link', { name: 'My actions' }).click();
    const adminId = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN])).rows[0]!.id;
    const actors = await admin
      .locator('tbody tr td:nth-child(3) span')
      .evaluateAll((els) => els.map((e) => e.getAttribute('title')));
    expect(actors.length).toBeGreaterThanOrEqual(6);
    expect(new Set(actors)).toEqual(new Set([adminId]));
    const actions = await admin.locator('tbody tr td:nth-child(2)').allTextContents();
    for (const action of [
      'client.register',
      'client.update',
      'api_key.create',
      'api_key.revoke',
      'user.sign_out',
      'keys.rotate',
    ])
      expect(actions.join(' ')).toContain(action);
    await shot(admin, 'audit-mine');
  });

  it('is usable 390 px wide: no page scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await admin.context().cookies());
    for (const section of SECTIONS) {
      await phone.goto(`${t.url}/admin/${section}`);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, section).toBeLessThanOrEqual(0);
      await shot(phone, `phone-${section}`);
    }
    await phone.close();
    for (const section of ['connections', 'webhooks']) {
      await admin.goto(`${t.url}/admin/${section}`);
      await shot(admin, section);
    }
  });

  it('answers a signed-in person who is not an admin with a 403 page', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/login`);
    await signIn(page, 'not.an.admin@example.com');
    const res = await page.goto(`${t.url}/admin`);
    expect(res!.status()).toBe(403);
    expect(await page.textContent('h1')).toBe('Not an administrator');
    await shot(page, 'forbidden');
    await page.close();
  });

  it('saw no Content-Security-Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
