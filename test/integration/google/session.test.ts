import { expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';

const HTML_HEADERS = (headers: Headers) => {
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
};

describeBackends('browser sessions', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true });

  const signedIn = async (email: string) => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, email);
    expect(steps.callback.status).toBe(302);
    return browser;
  };

  it('/login is a page with a "Sign in with Google" link and the security headers', async () => {
    const res = await new Browser().get(`${t.url}/login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('Sign in with Google');
    expect(res.text).toContain('href="/auth/google/start?return_to=%2Faccount"');
    expect(res.text).not.toContain('<script');
    HTML_HEADERS(res.headers);
    // HSTS only when PUBLIC_URL is https
    expect(res.headers.get('strict-transport-security')).toBeNull();
    const css = await new Browser().get(`${t.url}/assets/gatehouse.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('/account redirects to /login when signed out, and shows the person with headers when signed in', async () => {
    const out = await new Browser().get(`${t.url}/account`);
    expect(out.status).toBe(302);
    expect(out.location).toBe(`${t.url}/login?return_to=%2Faccount`);

    const browser = await signedIn('headers@example.com');
    const res = await browser.get(`${t.url}/account`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    HTML_HEADERS(res.headers);
  });

  it('cookies are HttpOnly, SameSite=Lax, Path-scoped, and not Secure on an http PUBLIC_URL', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'cookies@example.com');
    const state = steps.start.setCookies.find((c) => c.startsWith('gh_google_state='))!;
    expect(state).toMatch(/; HttpOnly/);
    expect(state).toMatch(/; SameSite=Lax/);
    expect(state).toMatch(/; Path=\/auth\/google/);
    expect(state).toMatch(/; Max-Age=600/);
    expect(state).not.toMatch(/; Secure/);
    const session = steps.callback.setCookies.find((c) => c.startsWith('gh_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\/(;|$)/);
    expect(session).not.toMatch(/; Secure/);
    // the state cookie is cleared by the callback
    expect(steps.callback.setCookies.find((c) => c.startsWith('gh_google_state='))).toMatch(
      /Expires=Thu, 01 Jan 1970|Max-Age=0/,
    );
    // no __Host- prefix on http: browsers would refuse a prefixed cookie without Secure
    expect([...steps.start.setCookies, ...steps.callback.setCookies].filter((c) => c.startsWith('__Host-'))).toEqual(
      [],
    );
  });

  it('logout needs the session CSRF token, then ends the session everywhere', async () => {
    const browser = await signedIn('logout@example.com');
    const cookie = browser.jar.get('gh_session')!.value;
    const account = await browser.get(`${t.url}/account`);
    // The sign-out form (the page also has the username form and, with apps, their revoke forms).
    const form = readForm(account.text.slice(account.text.indexOf('action="/logout"') - 30), `${t.url}/account`);
    expect(form.action).toBe(`${t.url}/logout`);

    const forged = await browser.post(`${t.url}/logout`, { csrf_token: 'not-the-token' });
    expect(forged.status).toBe(403);
    expect((await browser.get(`${t.url}/account`)).status).toBe(200);

    const out = await browser.post(form.action, form.fields);
    expect(out.status).toBe(303);
    expect(out.location).toBe(`${t.url}/login?signed_out=1`);
    expect(browser.jar.get('gh_session')).toBeUndefined();
    expect((await t.db.query('SELECT 1 FROM sessions WHERE id_hash = $1', [sha256Hex(cookie)])).rowCount).toBe(0);

    // The old cookie, replayed, is worth nothing (the cache entry went with the row).
    const replay = new Browser();
    replay.jar.set('gh_session', cookie);
    expect((await replay.get(`${t.url}/account`)).status).toBe(302);
  });

  it('a CSRF token from one session does not work in another', async () => {
    const a = await signedIn('csrf.a@example.com');
    const b = await signedIn('csrf.b@example.com');
    const formA = readForm((await a.get(`${t.url}/account`)).text, t.url);
    const res = await b.post(`${t.url}/logout`, formA.fields);
    expect(res.status).toBe(403);
  });

  it('an idle or absolutely expired session is signed out', async () => {
    const browser = await signedIn('idle@example.com');
    const hash = sha256Hex(browser.jar.get('gh_session')!.value);
    await t.db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id_hash = $1`, [hash]);
    await t.cache.del(`session:${hash}`);
    expect((await browser.get(`${t.url}/account`)).status).toBe(302);
    expect((await t.db.query('SELECT 1 FROM sessions WHERE id_hash = $1', [hash])).rowCount).toBe(0);

    const other = await signedIn('absolute@example.com');
    const hash2 = sha256Hex(other.jar.get('gh_session')!.value);
    await t.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1`, [hash2]);
    await t.cache.del(`session:${hash2}`);
    expect((await other.get(`${t.url}/account`)).status).toBe(302);
  });

  it('slides the idle expiry, writing at most once a minute', async () => {
    const browser = await signedIn('slide@example.com');
    const hash = sha256Hex(browser.jar.get('gh_session')!.value);
    const read = async () =>
      (
        await t.db.query<{ last_seen_at: Date; idle_expires_at: Date }>(
          'SELECT last_seen_at, idle_expires_at FROM sessions WHERE id_hash = $1',
          [hash],
        )
      ).rows[0]!;
    const first = await read();
    await browser.get(`${t.url}/account`);
    expect(await read()).toEqual(first); // within a minute: no write

    await t.db.query(
      `UPDATE sessions SET last_seen_at = now() - interval '2 minutes', idle_expires_at = now() + interval '1 hour' WHERE id_hash = $1`,
      [hash],
    );
    await t.cache.del(`session:${hash}`);
    expect((await browser.get(`${t.url}/account`)).status).toBe(200);
    const after = await read();
    expect(Date.now() - new Date(after.last_seen_at).getTime()).toBeLessThan(10_000);
    // slid forward to now + session_idle_hours (72 h by default)
    expect(new Date(after.idle_expires_at).getTime()).toBeGreaterThan(Date.now() + 71 * 3_600_000);
  });

  it('signing in again replaces the browser session (no fixation)', async () => {
    const browser = await signedIn('fixation@example.com');
    const oldHash = sha256Hex(browser.jar.get('gh_session')!.value);
    await signInWithGoogle(browser, t.url, 'fixation@example.com');
    const newCookie = browser.jar.get('gh_session')!.value;
    expect(sha256Hex(newCookie)).not.toBe(oldHash);
    expect((await t.db.query('SELECT 1 FROM sessions WHERE id_hash = $1', [oldHash])).rowCount).toBe(0);
  });

  it('does not treat a garbage cookie as a session', async () => {
    const browser = new Browser();
    browser.jar.set('gh_session', 'x'.repeat(500));
    expect((await browser.get(`${t.url}/account`)).status).toBe(302);
    browser.jar.set('gh_session', 'abc');
    expect((await browser.get(`${t.url}/login`)).status).toBe(200);
  });
});

describeBackends('browser sessions on an https PUBLIC_URL', (backend) => {
  const publicUrl = 'https://gatehouse.test';
  const t = useTestApp(backend, { listen: true, google: true, env: { PUBLIC_URL: publicUrl } });

  // Product rule "Cookies"; RFC 6265bis §4.1.3.2: a "__Host-" cookie is Secure, Path=/,
  // without Domain.
  it('names both cookies __Host- (Secure, Path=/, no Domain), signs in with them, and sends HSTS', async () => {
    const browser = new Browser({ from: publicUrl, to: t.url });
    const steps = await signInWithGoogle(browser, t.url, 'secure@example.com');
    expect(t.google.control.lastAuthorizeRequest()!.redirect_uri).toBe(`${publicUrl}/auth/google/callback`);
    const state = steps.start.setCookies.find((c) => c.startsWith('__Host-gh_google_state='))!;
    expect(steps.callback.status, steps.callback.text).toBe(302);
    const session = steps.callback.setCookies.find((c) => c.startsWith('__Host-gh_session='))!;
    for (const cookie of [state, session]) {
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).not.toMatch(/; Domain=/i);
      expect(cookie).toMatch(/; HttpOnly/);
    }
    expect(steps.callback.setCookies.find((c) => c.startsWith('__Host-gh_google_state='))).toMatch(
      /Expires=Thu, 01 Jan 1970|Max-Age=0/,
    );
    expect([...steps.start.setCookies, ...steps.callback.setCookies].filter((c) => c.startsWith('gh_'))).toEqual([]);
    // The prefixed session cookie is the one that signs the person in.
    const account = await browser.get(`${t.url}/account`);
    expect(account.status).toBe(200);
    expect(account.text).toContain('secure@example.com');
    const login = await browser.get(`${t.url}/login`);
    expect(login.headers.get('strict-transport-security')).toContain('max-age=31536000');
  });
});
