import { expect, it } from 'vitest';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { Browser } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { useTestApp } from '../../helpers/use-test-app.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const csrfOf = (page: string) => /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;

describeBackends('person-facing pages', (backend) => {
  const t = useTestApp(backend, { listen: true, env: { NODE_ENV: 'development' } });

  const signedIn = async (email: string) => {
    const browser = new Browser();
    expect((await signInWithGoogle(browser, t.url, email)).callback.status).toBe(302);
    return browser;
  };

  it('answers / and unknown paths with HTML for browsers and JSON for API clients', async () => {
    const landing = await t.app.inject({ url: '/', headers: HTML });
    expect(landing.statusCode).toBe(200);
    expect(landing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(landing.body).toContain('href="/login"');
    expect(landing.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    const missing = await t.app.inject({ url: '/no/such/page', headers: HTML });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body).toContain('Page not found');

    for (const headers of [{}, { accept: 'application/json' }, { accept: '*/*' }]) {
      const api = await t.app.inject({ url: '/no/such/page', headers });
      expect(api.statusCode).toBe(404);
      expect(api.json()).toEqual({
        success: false,
        error: 'not_found',
        error_description: 'no route for GET /no/such/page',
      });
      expect((await t.app.inject({ url: '/', headers })).json()).toMatchObject({ error: 'not_found' });
    }
    const post = await t.app.inject({ method: 'POST', url: '/nope', headers: HTML });
    expect(post.json()).toMatchObject({ error: 'not_found' });
  });

  it('serves a favicon that every page links', async () => {
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/svg+xml');
      expect(res.body).toContain('<svg');
    }
    expect((await t.app.inject({ url: '/login' })).body).toContain('rel="icon" href="/favicon.svg"');
  });

  it('says "signed out" after signing out', async () => {
    const browser = await signedIn('bye@example.com');
    const account = await browser.get(`${t.url}/account`);
    const out = await browser.post(`${t.url}/logout`, { csrf_token: csrfOf(account.text) });
    expect(out.location).toBe(`${t.url}/login?signed_out=1`);
    expect((await browser.get(out.location!)).text).toContain('You are signed out.');
    expect((await new Browser().get(`${t.url}/login`)).text).not.toContain('You are signed out.');
  });

  it('shows readable dates and the mock Google avatar (served by the mock) on /account', async () => {
    const browser = await signedIn('dates.person@example.com');
    const page = (await browser.get(`${t.url}/account`)).text;
    expect(page).toMatch(/<time datetime="[^"]+Z" title="[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC<\/time>/);
    const avatar = /<img class="avatar" src="([^"]+)"/.exec(page)![1]!;
    expect(avatar.startsWith(`${t.url}/_dev/google/avatar/`)).toBe(true);
    const img = await fetch(avatar);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('changes the username from /account, refusing bad and taken names with the reason', async () => {
    const other = await signedIn('taken.name@example.com');
    const takenName = /<dt>Username<\/dt><dd>([^<]+)</.exec((await other.get(`${t.url}/account`)).text)![1]!;
    const browser = await signedIn('renamer@example.com');
    const csrf = csrfOf((await browser.get(`${t.url}/account`)).text);

    const bad = await browser.post(`${t.url}/account/username`, { csrf_token: csrf, new_username: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('3 to 32 characters');
    const taken = await browser.post(`${t.url}/account/username`, { csrf_token: csrf, new_username: takenName });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('taken');
    const forged = await browser.post(`${t.url}/account/username`, { csrf_token: 'forged', new_username: 'fine.name' });
    expect(forged.status).toBe(403);

    const ok = await browser.post(`${t.url}/account/username`, { csrf_token: csrf, new_username: 'Renamed.Person' });
    expect(ok.status).toBe(303);
    const after = (await browser.get(ok.location!)).text;
    expect(after).toContain('Username changed.');
    expect(after).toContain('<dt>Username</dt><dd>renamed.person</dd>');
    const events = (await auditEvents(t)).filter((e) => e.event.startsWith('username_change'));
    expect(events.map((e) => [e.event, e.details.reason ?? null])).toEqual(
      expect.arrayContaining([
        ['username_change_refused', 'invalid_format'],
        ['username_change_refused', 'taken'],
        ['username_changed', null],
      ]),
    );
  });

  it('tells apart two connected apps with the same name', async () => {
    const browser = await signedIn('two.apps@example.com');
    const user = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', ['two.apps@example.com']))
      .rows[0]!;
    for (const id of ['a'.repeat(40), 'b'.repeat(40)]) {
      await t.db.query(
        `INSERT INTO clients (id, app_name, contact_email, redirect_uris, grant_types, scope, token_endpoint_auth_method)
         VALUES ($1, 'Twin App', 'x@example.com', ARRAY['https://x.example/cb'], ARRAY['authorization_code'], 'openid', 'none')`,
        [id],
      );
      await t.db.query(
        `INSERT INTO token_families (id, user_id, client_id, scope, access_expires_at) VALUES ($1, $2, $3, 'openid', now() + interval '1 hour')`,
        [`fam-${id.slice(0, 4)}`, user.id, id],
      );
    }
    const page = (await browser.get(`${t.url}/account`)).text;
    expect(page).toContain('Twin App</strong> <span class="muted">(aaaaaaaa…)</span>');
    expect(page).toContain('Twin App</strong> <span class="muted">(bbbbbbbb…)</span>');
  });

  it('offers no "Try again" when the application is not registered', async () => {
    const res = await t.app.inject({
      url: '/oauth/authorize?response_type=code&client_id=nobody&redirect_uri=https://x.example/cb',
      headers: HTML,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('not registered');
    expect(res.body).not.toContain('Try again');
  });
});
