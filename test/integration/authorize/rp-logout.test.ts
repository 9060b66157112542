import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { adminHeaders, registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { registerRelyingParty, type RelyingParty } from '../../helpers/relying-party.js';

const REDIRECT = 'https://rp.example.com/cb';
const AFTER_LOGOUT = 'https://rp.example.com/signed-out';

/** OpenID Connect RP-Initiated Logout 1.0 at end_session_endpoint = /oauth/logout. */
describeBackends('RP-initiated logout and post_logout_redirect_urls', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let client: RegisteredClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ client, rp } = await registerRelyingParty(t, REDIRECT, { post_logout_redirect_urls: [AFTER_LOGOUT] }));
  }, 60_000);

  async function signedIn() {
    const browser = new Browser();
    const outcome = await rp.authorize(
      browser,
      { scope: 'openid', state: 's' },
      { email: `l.${Math.random().toString(36).slice(2)}@example.com` },
    );
    const tokens = await rp.tokens(outcome.callback.searchParams.get('code')!);
    const { claims } = await rp.verifyIdToken(tokens.id_token!);
    return { browser, idToken: tokens.id_token!, sub: claims.sub! };
  }
  const sessionsOf = async (userId: string) =>
    (await t.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [userId])).rowCount;
  const logoutUrl = (params: Record<string, string>) => `${t.url}/oauth/logout?${new URLSearchParams(params)}`;

  it('registration returns post_logout_redirect_urls and discovery names the endpoint', async () => {
    expect(client.post_logout_redirect_urls).toEqual([AFTER_LOGOUT]);
    const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(meta.end_session_endpoint).toBe(`${t.url}/oauth/logout`);
  });

  it('a valid id_token_hint for the current session ends it and redirects (303) with state', async () => {
    const { browser, idToken, sub } = await signedIn();
    expect(await sessionsOf(sub)).toBe(1);
    const res = await browser.get(
      logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye' }),
    );
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${AFTER_LOGOUT}?state=bye`);
    expect(await sessionsOf(sub)).toBe(0);
    // The next authorization request must sign in again.
    const again = await browser.get(rp.authorizeUrl({ scope: 'openid', state: 'x', prompt: 'none' }));
    expect(new URL(again.location!).searchParams.get('error')).toBe('login_required');
  });

  it('works by POST as well, with client_id matching the hint', async () => {
    const { browser, idToken, sub } = await signedIn();
    const res = await browser.post(`${t.url}/oauth/logout`, {
      id_token_hint: idToken,
      client_id: client.client_id,
      post_logout_redirect_uri: AFTER_LOGOUT,
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(AFTER_LOGOUT);
    expect(await sessionsOf(sub)).toBe(0);
  });

  it('without a hint the person is asked; confirming (with the CSRF token) ends the session', async () => {
    const { browser, sub } = await signedIn();
    const page = await browser.get(
      logoutUrl({ client_id: client.client_id, post_logout_redirect_uri: AFTER_LOGOUT, state: 'q' }),
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign out of Gatehouse?');
    expect(await sessionsOf(sub)).toBe(1);
    const form = readForm(page.text, t.url);
    expect(form.action).toBe(`${t.url}/oauth/logout/confirm`);
    const { csrf_token: _csrf, ...noCsrf } = form.fields;
    expect((await browser.post(form.action, { ...noCsrf, decision: 'logout' })).status).toBe(403);
    expect(await sessionsOf(sub)).toBe(1);
    const done = await browser.post(form.action, { ...form.fields, decision: 'logout' });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${AFTER_LOGOUT}?state=q`);
    expect(await sessionsOf(sub)).toBe(0);
  });

  it('a hint naming someone else than the signed-in person asks instead of ending the session', async () => {
    const other = await signedIn();
    const { browser, sub } = await signedIn();
    const page = await browser.get(logoutUrl({ id_token_hint: other.idToken }));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign out of Gatehouse?');
    expect(await sessionsOf(sub)).toBe(1);
  });

  it('refuses an unregistered post_logout_redirect_uri, a client_id that does not match the hint, and a forged hint', async () => {
    const { browser, idToken, sub } = await signedIn();
    const unregistered = await browser.get(
      logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/after' }),
    );
    expect(unregistered.status).toBe(400);
    expect(unregistered.location).toBeUndefined();
    const otherClient = await registerClient(t.app, { redirect_urls: [REDIRECT] });
    expect((await browser.get(logoutUrl({ id_token_hint: idToken, client_id: otherClient.client_id }))).status).toBe(
      400,
    );
    expect((await browser.get(logoutUrl({ id_token_hint: `${idToken.slice(0, -4)}AAAA` }))).status).toBe(400);
    expect(await sessionsOf(sub)).toBe(1);
  });

  it('without a session it redirects to a registered URI, or says the person is signed out', async () => {
    const browser = new Browser();
    const res = await browser.get(
      logoutUrl({ client_id: client.client_id, post_logout_redirect_uri: AFTER_LOGOUT, state: 'z' }),
    );
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${AFTER_LOGOUT}?state=z`);
    const page = await browser.get(`${t.url}/oauth/logout`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('You are signed out');
  });

  it('PATCH /clients/:id changes post_logout_redirect_urls with registration validation', async () => {
    const c = await registerClient(t.app, { redirect_urls: [REDIRECT] });
    const patch = (
      payload: Record<string, unknown>,
      id = c.client_id,
      headers: Record<string, string> = adminHeaders,
    ) => t.app.inject({ method: 'PATCH', url: `/clients/${id}`, headers, payload });
    const ok = await patch({ post_logout_redirect_urls: ['https://rp.example.com/bye'], app_name: 'Renamed' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().client).toMatchObject({
      app_name: 'Renamed',
      post_logout_redirect_uris: ['https://rp.example.com/bye'],
      redirect_uris: c.redirect_urls,
    });
    // Every instance sees the change: the cached client is replaced.
    const res = await new Browser().get(
      logoutUrl({ client_id: c.client_id, post_logout_redirect_uri: 'https://rp.example.com/bye' }),
    );
    expect(res.status).toBe(303);

    const bad = await patch({ post_logout_redirect_urls: ['http://example.com/bye'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, error: 'invalid_redirect_uri' });
    const noRedirect = await patch({ redirect_urls: [] });
    expect(noRedirect.statusCode).toBe(400);
    expect(noRedirect.json()).toMatchObject({ success: false, error: 'invalid_redirect_uri' });
    const notEditable = await patch({ token_endpoint_auth_method: 'none' });
    expect(notEditable.statusCode).toBe(400);
    expect(notEditable.json()).toMatchObject({ success: false, error: 'invalid_client_metadata' });
    expect((await patch({ app_name: 'x' }, 'no-such-client')).statusCode).toBe(404);
    expect((await patch({ app_name: 'x' }, c.client_id, {})).statusCode).toBe(401);
  });
});
