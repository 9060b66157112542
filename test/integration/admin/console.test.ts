import { expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { Browser } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { useTestApp } from '../../helpers/use-test-app.js';

const ADMIN = 'console.admin@example.com';

/** The CSRF token every console page carries (the header's sign-out form has it first). */
const csrfOf = (page: string) => /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;

describeBackends('admin console', (backend) => {
  // Dev mode (built-in mock Google) with an explicit list: only ADMIN is an admin.
  const t = useTestApp(backend, {
    listen: true,
    env: { NODE_ENV: 'development', ADMIN_EMAILS: `Other@example.com, ${ADMIN.toUpperCase()}` },
  });

  /** The address a vault event was recorded with (the product rule: every admin action with its address). */
  const auditAddress = async (event: string, subject: string) => {
    await t.app.auditLog.flush();
    const { rows } = await t.db.query<{ ip: string | null }>(
      'SELECT ip FROM audit_events WHERE event = $1 AND subject = $2',
      [event, subject],
    );
    return rows[0]?.ip;
  };

  const signedIn = async (email: string) => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, email);
    expect(steps.callback.status).toBe(302);
    return browser;
  };

  it('sends a signed-out visitor to sign in, with return_to', async () => {
    const res = await new Browser().get(`${t.url}/admin/users?query=x`);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${t.url}/login?return_to=${encodeURIComponent('/admin/users?query=x')}`);
    const post = await new Browser().post(`${t.url}/admin/signing-keys/rotate`, { csrf_token: 'x' });
    expect(post.status).toBe(303);
    expect(post.location).toBe(`${t.url}/login?return_to=%2Fadmin`);
  });

  it('answers a signed-in person who is not an admin with a 403 page and the HTML security headers', async () => {
    const browser = await signedIn('not.admin@example.com');
    const res = await browser.get(`${t.url}/admin/clients`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('Not an administrator');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const post = await browser.post(`${t.url}/admin/signing-keys/rotate`, { csrf_token: 'x' });
    expect(post.status).toBe(403);
  });

  it('lets an admin in: every section renders, with no admin key and no script', async () => {
    const browser = await signedIn(ADMIN);
    expect((await browser.get(`${t.url}/admin`)).location).toBe(`${t.url}/admin/clients`);
    for (const section of ['clients', 'api-keys', 'users', 'connections', 'audit', 'signing-keys', 'webhooks']) {
      const res = await browser.get(`${t.url}/admin/${section}`);
      expect(res.status, section).toBe(200);
      expect(res.text).toContain(ADMIN);
      expect(res.text).not.toContain('<script');
      expect(res.text).not.toContain(t.config.secrets.admin_key!);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('refuses a form without the session CSRF token, and changes nothing', async () => {
    const browser = await signedIn(ADMIN);
    const before = await t.db.query('SELECT count(*)::int AS n FROM signing_keys');
    const res = await browser.post(`${t.url}/admin/signing-keys/rotate`, { csrf_token: 'forged' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('This form has expired');
    expect((await t.db.query('SELECT count(*)::int AS n FROM signing_keys')).rows).toEqual(before.rows);
  });

  it('creates a client showing the secret once, edits it, and audits both with the admin as actor', async () => {
    const browser = await signedIn(ADMIN);
    const adminId = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN])).rows[0]!.id;
    const csrf = csrfOf((await browser.get(`${t.url}/admin/clients/new`)).text);
    const bad = await browser.post(`${t.url}/admin/clients`, {
      csrf_token: csrf,
      app_name: 'Console app',
      contact_email: 'dev@example.com',
      redirect_urls: 'http://evil.example/cb',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('must use https');

    const created = await browser.post(`${t.url}/admin/clients`, {
      csrf_token: csrf,
      app_name: 'Console app',
      contact_email: 'dev@example.com',
      redirect_urls: 'https://app.example/cb\nhttp://127.0.0.1:8080/cb',
    });
    expect(created.status).toBe(201);
    const clientId = /<code>([0-9a-f]{40})<\/code>/.exec(created.text)![1]!;
    const secret = /<code id="client-secret">([^<]+)<\/code>/.exec(created.text)![1]!;
    expect(secret.length).toBeGreaterThan(30);
    const detail = await browser.get(`${t.url}/admin/clients/${clientId}`);
    expect(detail.text).not.toContain(secret);

    const saved = await browser.post(`${t.url}/admin/clients/${clientId}`, {
      csrf_token: csrf,
      app_name: 'Console app',
      contact_email: 'dev@example.com',
      redirect_urls: 'https://app.example/callback',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${t.url}/admin/clients/${clientId}?done=client_saved`);
    const row = await t.db.query<{ redirect_uris: string[] }>('SELECT redirect_uris FROM clients WHERE id = $1', [
      clientId,
    ]);
    expect(row.rows[0]!.redirect_uris).toEqual(['https://app.example/callback']);

    const events = (await auditEvents(t)).filter((e) => e.event === 'admin_action' && e.actor === adminId);
    expect(events.map((e) => e.details.action)).toEqual(expect.arrayContaining(['client.register', 'client.update']));
  });

  it('creates an API key shown once and revokes it', async () => {
    const browser = await signedIn(ADMIN);
    const csrf = csrfOf((await browser.get(`${t.url}/admin/api-keys`)).text);
    const res = await browser.request('POST', `${t.url}/admin/api-keys`, undefined);
    expect(res.status).toBe(400);
    const form = new URLSearchParams([
      ['csrf_token', csrf],
      ['name', 'console-key'],
      ['scope_tokens', 'on'],
      ['scope_connections', 'on'],
      ['default_subject', ''],
      ['default_connection', ''],
      ['allowed_clients', ''],
    ]);
    const created = await fetch(`${t.url}/admin/api-keys`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.jar.header('/admin') },
      body: form.toString(),
    });
    const text = await created.text();
    expect(created.status, text).toBe(201);
    const key = /<code id="api-key">([^<]+)<\/code>/.exec(text)![1]!;
    expect(key).toMatch(/^gh_/);
    const id = (
      await t.db.query<{ id: string; scopes: string[] }>("SELECT id, scopes FROM api_keys WHERE name = 'console-key'")
    ).rows[0]!;
    expect(id.scopes).toEqual(['tokens', 'connections']);
    const revoked = await browser.post(`${t.url}/admin/api-keys/${id.id}/revoke`, { csrf_token: csrf });
    expect(revoked.status).toBe(303);
    expect((await browser.get(revoked.location!)).text).toContain('API key revoked.');
  });

  it('revokes and deletes a connection, audited with the admin as actor', async () => {
    const browser = await signedIn(ADMIN);
    await t.app.repos.connections.ensure('console-conn', null);
    const page = await browser.get(`${t.url}/admin/connections?status=not_connected`);
    expect(page.text).toContain('console-conn');
    const res = await browser.post(`${t.url}/admin/connections/console-conn/delete`, { csrf_token: csrfOf(page.text) });
    expect(res.status).toBe(303);
    expect(await t.app.repos.connections.find('console-conn')).toBeNull();
    const adminId = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN])).rows[0]!.id;
    expect(await auditEvents(t)).toContainEqual(
      expect.objectContaining({ event: 'connection_deleted', actor: adminId, subject: 'console-conn' }),
    );
    expect(await auditAddress('connection_deleted', 'console-conn')).toBe('127.0.0.1');
    const again = await browser.post(`${t.url}/admin/connections/console-conn/delete`, {
      csrf_token: csrfOf(page.text),
    });
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('creates a connect link from the connections page: shown once, CSRF-checked, audited with the admin as actor', async () => {
    const browser = await signedIn(ADMIN);
    const adminId = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN])).rows[0]!.id;
    const page = await browser.get(`${t.url}/admin/connections`);
    expect(page.text).toContain('action="/admin/connections/link"');
    const csrf = csrfOf(page.text);
    const links = async () =>
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM connect_links WHERE connection_id = 'console-link'`,
        )
      ).rows[0]!.n;

    const postLink = (fields: Record<string, string>) =>
      browser.post(`${t.url}/admin/connections/link`, { csrf_token: csrf, ...fields });

    expect((await postLink({ csrf_token: 'forged', connection_id: 'console-link' })).status).toBe(403);
    const badId = await postLink({ connection_id: '0b6f1c5e-2f7a-4c7e-9d7e-3b1f2a4c5d6e' });
    expect(badId.status).toBe(400);
    expect(badId.text).toContain('Not created: a connection id');
    const badReturn = await postLink({ connection_id: 'console-link', return_to: 'ftp://shop.example/done' });
    expect(badReturn.status).toBe(400);
    expect(badReturn.text).toContain('Not created: return to must be an https URL');
    expect(badReturn.text).toContain('value="console-link"');
    expect(await links()).toBe(0);

    const made = await postLink({ connection_id: 'console-link', return_to: 'https://shop.example/done' });
    expect(made.status).toBe(200);
    expect(made.text).toContain('Connect link — shown once.');
    const url = /<code id="connect-url">([^<]+)<\/code>/.exec(made.text)![1]!.replaceAll('&amp;', '&');
    expect(url).toMatch(new RegExp(`^${t.config.public_url}/connect\\?token=`));
    expect(await links()).toBe(1);
    const stored = await t.db.query<{ return_to: string; api_key_id: string | null }>(
      `SELECT return_to, api_key_id FROM connect_links WHERE connection_id = 'console-link'`,
    );
    expect(stored.rows).toEqual([{ return_to: 'https://shop.example/done', api_key_id: null }]);
    expect(await auditEvents(t)).toContainEqual(
      expect.objectContaining({ event: 'connection_link_created', actor: adminId, subject: 'console-link' }),
    );
    expect(await auditAddress('connection_link_created', 'console-link')).toBe('127.0.0.1');
    // The link is a real one: the confirmation page opens.
    const confirm = await new Browser().get(url);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('A service');
  });

  it('answers an unknown or malformed console address with a page back to the console, not "Try again"', async () => {
    const browser = await signedIn(ADMIN);
    for (const url of ['/admin/users/nobody', '/admin/clients/nobody', '/admin/users?cursor=not-a-cursor']) {
      const res = await browser.get(`${t.url}${url}`);
      expect([400, 404], url).toContain(res.status);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text, url).toContain('href="/admin">Back to the console</a>');
      expect(res.text, url).not.toContain('Try again');
      expect(res.text, url).toContain(res.status === 404 ? '<h1 class="error">Not found</h1>' : 'Bad request');
    }
  });

  it('signs an admin idle past admin.session_minutes through Google again', async () => {
    const browser = await signedIn(ADMIN);
    const hash = sha256Hex(browser.jar.get('gh_session')!.value);
    expect((await browser.get(`${t.url}/admin/users`)).status).toBe(200);
    // Idle for 61 minutes: the sign-in and the last console request are both that old.
    await t.db.query(`UPDATE sessions SET auth_time = now() - interval '61 minutes' WHERE id_hash = $1`, [hash]);
    await t.cache.set(`admin-active:${hash}`, String(Date.now() - 61 * 60_000));
    await t.cache.del(`session:${hash}`);
    const res = await browser.get(`${t.url}/admin/users`);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${t.url}/auth/google/start?return_to=%2Fadmin%2Fusers`);
  });
});
