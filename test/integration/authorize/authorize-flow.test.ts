import { beforeAll, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { Browser, readForm, type BrowserResponse } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { pkcePair } from '../../helpers/oauth.js';

const REDIRECT = 'https://app.example.com/callback';

describeBackends('/oauth/authorize with Google sign-in and consent', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let client: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(t.app, {
      app_name: 'Shop <Reviews>',
      redirect_urls: [REDIRECT, 'http://127.0.0.1/native'],
      scope: 'openid profile email reviews',
    });
  }, 60_000);

  function authorizeUrl(params: Record<string, string | undefined>, c = client): string {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: c.client_id,
      redirect_uri: REDIRECT,
      ...params,
    }))
      if (v !== undefined) p.set(k, v);
    return `${t.url}/oauth/authorize?${p}`;
  }

  async function signedIn(email = `person.${Math.random().toString(36).slice(2)}@example.com`): Promise<Browser> {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, email);
    expect(steps.callback.status).toBe(302);
    return browser;
  }

  function expectRedirect(res: BrowserResponse, to: string, params: Record<string, string | RegExp>) {
    expect([302, 303], res.text).toContain(res.status);
    const url = new URL(res.location!);
    expect(`${url.origin}${url.pathname}`).toBe(to);
    for (const [k, v] of Object.entries(params)) {
      if (v instanceof RegExp) expect(url.searchParams.get(k)).toMatch(v);
      else expect(url.searchParams.get(k)).toBe(v);
    }
    return url;
  }

  it('runs the whole flow: authorize → sign in → consent → code → tokens (oauth4webapi)', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkcePair();
    const nonce = 'nonce-abc';
    const first = await browser.get(
      authorizeUrl({
        scope: 'openid email reviews',
        state: 's-1',
        nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    expect(first.status).toBe(302);
    const login = new URL(first.location!);
    expect(login.pathname).toBe('/login');
    const returnTo = login.searchParams.get('return_to')!;
    expect(returnTo).toMatch(/^\/oauth\/authorize\/resume\?interaction=[A-Za-z0-9_-]{43}$/);

    const steps = await signInWithGoogle(browser, t.url, 'grace.hopper@example.com', { returnTo });
    expect(steps.callback.location).toBe(`${t.url}${returnTo}`);
    const consent = await browser.get(steps.callback.location!);
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Allow Shop &lt;Reviews&gt;?');
    expect(consent.text).toContain('See your email address');
    expect(consent.text).toContain('Use the &quot;reviews&quot; permission');
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self' https://app.example.com");
    expect(consent.headers.get('x-frame-options')).toBe('DENY');

    const form = readForm(consent.text, consent.headers.get('location') ?? t.url);
    const approved = await browser.post(form.action, { ...form.fields, decision: 'approve' });
    const callback = expectRedirect(approved, REDIRECT, { state: 's-1', iss: t.url, code: /^[A-Za-z0-9_-]{43}$/ });

    const issuer = new URL(t.url);
    const insecure = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    const oc = { client_id: client.client_id };
    const params = oauth.validateAuthResponse(as, oc, callback, 's-1');
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      oc,
      oauth.ClientSecretBasic(client.client_secret!),
      params,
      REDIRECT,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, oc, res, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ email: 'grace.hopper@example.com', nonce });
    expect(tokens.scope).toBe('openid email reviews');
    const sub = oauth.getValidatedIdTokenClaims(tokens)!.sub;
    const info = await oauth.processUserInfoResponse(
      as,
      oc,
      sub,
      await oauth.userInfoRequest(as, oc, tokens.access_token, insecure),
    );
    expect(info).toMatchObject({ sub, email: 'grace.hopper@example.com', email_verified: true });
  });

  it('remembers consent: the same request skips the page, asking for more shows it again', async () => {
    const browser = await signedIn();
    const page = await browser.get(authorizeUrl({ scope: 'openid email', state: 'a' }));
    const form = readForm(page.text, t.url);
    expectRedirect(await browser.post(form.action, { ...form.fields, decision: 'approve' }), REDIRECT, {
      state: 'a',
      code: /.+/,
    });
    expectRedirect(await browser.get(authorizeUrl({ scope: 'email', state: 'b' })), REDIRECT, {
      state: 'b',
      code: /.+/,
    });
    const more = await browser.get(authorizeUrl({ scope: 'openid email profile', state: 'c' }));
    expect(more.status).toBe(200);
    expect(more.text).toContain('See your name');
    const again = await browser.get(authorizeUrl({ scope: 'openid email', state: 'd', prompt: 'consent' }));
    expect(again.status).toBe(200);
  });

  it('a first-party client goes straight back with a code', async () => {
    const firstParty = await registerClient(t.app, { first_party: true, redirect_url: REDIRECT });
    const browser = await signedIn();
    expectRedirect(await browser.get(authorizeUrl({ scope: 'openid', state: 'fp' }, firstParty)), REDIRECT, {
      state: 'fp',
      code: /.+/,
      iss: t.url,
    });
  });

  it('deny redirects with access_denied, state and iss', async () => {
    const browser = await signedIn();
    const page = await browser.get(authorizeUrl({ state: 'deny-me' }));
    const form = readForm(page.text, t.url);
    const denied = await browser.post(form.action, { ...form.fields, decision: 'deny' });
    expect(denied.status).toBe(303);
    expectRedirect(denied, REDIRECT, { error: 'access_denied', state: 'deny-me', iss: t.url });
  });

  it("refuses a consent POST without the session's CSRF token", async () => {
    const browser = await signedIn();
    const page = await browser.get(authorizeUrl({ state: 'x' }));
    const { fields } = readForm(page.text, t.url);
    const { csrf_token: _drop, ...noCsrf } = fields;
    const missing = await browser.post(`${t.url}/oauth/authorize/decision`, { ...noCsrf, decision: 'approve' });
    expect(missing.status).toBe(403);
    expect(missing.location).toBeUndefined();
    const other = await signedIn();
    const forged = await other.post(`${t.url}/oauth/authorize/decision`, { ...fields, decision: 'approve' });
    expect(forged.status).toBe(403);
    const anonymous = await new Browser().post(`${t.url}/oauth/authorize/decision`, { ...fields, decision: 'approve' });
    expect(anonymous.status).toBe(400);
    expect(anonymous.location).toBeUndefined();
  });

  it.each([
    ['an unknown client', { client_id: 'nope' }],
    ['a redirect_uri that is not registered', { redirect_uri: 'https://evil.example/callback' }],
    ['a redirect_uri differing by a trailing slash', { redirect_uri: `${REDIRECT}/` }],
    ['a localhost redirect on another port', { redirect_uri: 'http://localhost:9999/native' }],
    ['a duplicated parameter', { client_id: undefined }],
  ])('shows an error page, never a redirect, for %s', async (name, change) => {
    const browser = await signedIn();
    const url =
      name === 'a duplicated parameter' ? `${authorizeUrl({})}&client_id=${client.client_id}` : authorizeUrl(change);
    const res = await browser.get(url);
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it.each([
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['a scope the client may not ask for', { scope: 'openid admin' }, 'invalid_scope'],
    [
      'code_challenge_method=plain',
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      'invalid_request',
    ],
    ['a challenge without method', { code_challenge: 'a'.repeat(43) }, 'invalid_request'],
    ['an unknown prompt', { prompt: 'bogus' }, 'invalid_request'],
  ])('redirects %s back with an error, state and iss', async (_name, change, error) => {
    const browser = await signedIn();
    expectRedirect(await browser.get(authorizeUrl({ state: 'st', ...change })), REDIRECT, {
      error,
      state: 'st',
      iss: t.url,
    });
  });

  it('validates the client before the session: an unsigned-in visitor with a bad client sees the error page', async () => {
    const res = await new Browser().get(authorizeUrl({ client_id: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
  });

  /** A first-party public (native) client with a loopback redirect URI (RFC 8252 §7.3). */
  const registerNativeClient = () =>
    registerClient(t.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_url: 'http://127.0.0.1/native',
      first_party: true,
    });

  it('requires PKCE for public clients and accepts any port on a loopback IP redirect', async () => {
    const pub = await registerNativeClient();
    const browser = await signedIn();
    const loopback = 'http://127.0.0.1:51432/native';
    expectRedirect(
      await browser.get(authorizeUrl({ redirect_uri: loopback, state: 'p' }, pub)),
      'http://127.0.0.1:51432/native',
      { error: 'invalid_request', state: 'p' },
    );
    const { challenge } = pkcePair();
    const page = await browser.get(
      authorizeUrl(
        { redirect_uri: loopback, state: 'q', code_challenge: challenge, code_challenge_method: 'S256' },
        pub,
      ),
    );
    const form = readForm(page.text, t.url);
    expectRedirect(
      await browser.post(form.action, { ...form.fields, decision: 'approve' }),
      'http://127.0.0.1:51432/native',
      { code: /.+/, state: 'q' },
    );
  });

  // RFC 8252 §8.6: any local program can listen on a loopback port, so a public client with a
  // loopback redirect is shown consent every time, first-party and remembered consent or not.
  it('always shows consent to a public client with a loopback redirect URI', async () => {
    const pub = await registerNativeClient();
    const browser = await signedIn();
    const ask = () =>
      browser.get(
        authorizeUrl(
          {
            redirect_uri: 'http://127.0.0.1:40001/native',
            state: 'l',
            code_challenge: pkcePair().challenge,
            code_challenge_method: 'S256',
          },
          pub,
        ),
      );
    const first = await ask();
    expect(first.status).toBe(200);
    const form = readForm(first.text, t.url);
    expectRedirect(
      await browser.post(form.action, { ...form.fields, decision: 'approve' }),
      'http://127.0.0.1:40001/native',
      { code: /.+/ },
    );
    const second = await ask();
    expect(second.status).toBe(200);
    expect(second.text).toContain('/oauth/authorize/decision');
  });

  it('prompt=none answers login_required or consent_required instead of pages', async () => {
    expectRedirect(await new Browser().get(authorizeUrl({ prompt: 'none', state: 'n1' })), REDIRECT, {
      error: 'login_required',
      state: 'n1',
    });
    const browser = await signedIn();
    expectRedirect(await browser.get(authorizeUrl({ prompt: 'none', state: 'n2' })), REDIRECT, {
      error: 'consent_required',
      state: 'n2',
    });
  });

  it('a code bound to a redirect_uri needs that exact redirect_uri at the token endpoint', async () => {
    const firstParty = await registerClient(t.app, { first_party: true, redirect_url: REDIRECT });
    const browser = await signedIn();
    const callback = new URL((await browser.get(authorizeUrl({ state: 'r' }, firstParty))).location!);
    const code = callback.searchParams.get('code')!;
    const auth = `Basic ${Buffer.from(`${firstParty.client_id}:${firstParty.client_secret}`).toString('base64')}`;
    const post = (body: Record<string, string>) =>
      fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const wrong = await post({ grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT}?x=1` });
    expect(wrong.status).toBe(400);
    expect((await post({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).status).toBe(200);
  });

  it('lists the app on /account and removing access revokes its tokens and the remembered consent', async () => {
    const browser = await signedIn();
    const page = await browser.get(authorizeUrl({ scope: 'openid email', state: 'acc' }));
    const form = readForm(page.text, t.url);
    const code = expectRedirect(await browser.post(form.action, { ...form.fields, decision: 'approve' }), REDIRECT, {
      code: /.+/,
    }).searchParams.get('code')!;
    const auth = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const tokens = await (
      await post('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
    ).json();

    const account = await browser.get(`${t.url}/account`);
    expect(account.text).toContain('Shop &lt;Reviews&gt;');
    const revokeForm =
      /<form method="post" action="(\/account\/apps\/[^"]+\/revoke)"><input type="hidden" name="csrf_token" value="([^"]+)">/.exec(
        account.text,
      )!;
    expect(revokeForm).not.toBeNull();
    const noCsrf = await browser.post(`${t.url}${revokeForm[1]}`, {});
    expect(noCsrf.status).toBe(403);
    expect((await (await post('/oauth/introspect', { token: tokens.access_token })).json()).active).toBe(true);

    const removed = await browser.post(`${t.url}${revokeForm[1]}`, { csrf_token: revokeForm[2]! });
    expect(removed.status).toBe(303);
    expect((await (await post('/oauth/introspect', { token: tokens.access_token })).json()).active).toBe(false);
    expect(
      (await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status,
    ).toBe(400);
    expect((await browser.get(`${t.url}/account`)).text).toContain('No app holds access to your account.');
    expect((await browser.get(authorizeUrl({ scope: 'openid email', state: 'again' }))).status).toBe(200);
  });
});
