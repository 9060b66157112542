import { expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { findInDatabase } from '../../helpers/db-scan.js';
import { signInWithGoogle } from '../../helpers/google.js';

describeBackends('sign-in with Google', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true });

  const count = async (table: string) =>
    Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

  it('signs a person in end to end and keeps their Google tokens only as ciphertext', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'Ada.Lovelace@example.com', {
      returnTo: '/account?tab=google',
    });

    // What Gatehouse asked Google for
    const asked = t.google.control.lastAuthorizeRequest()!;
    expect(asked).toMatchObject({
      client_id: t.google.clientId,
      redirect_uri: `${t.url}/auth/google/callback`,
      response_type: 'code',
      access_type: 'offline',
      include_granted_scopes: 'true',
      code_challenge_method: 'S256',
      scope: 'openid email profile',
    });
    expect(asked.state).toMatch(/^[\w-]{43}$/);
    expect(asked.nonce).toMatch(/^[\w-]{43}$/);
    expect(asked.code_challenge).toMatch(/^[\w-]{43}$/);
    // Not signed in yet: nothing says we lack a refresh token, so no forced consent.
    expect(asked.prompt).toBeUndefined();

    expect(steps.callback.status, steps.callback.text).toBe(302);
    expect(steps.callback.location).toBe(`${t.url}/account?tab=google`);
    const session = browser.jar.get('gh_session')!;
    expect(session.value).toMatch(/^[\w-]{43}$/);
    expect(browser.jar.get('gh_google_state')).toBeUndefined();

    const account = await browser.get(`${t.url}/account`);
    expect(account.status).toBe(200);
    expect(account.text).toContain('ada.lovelace@example.com');
    expect(account.text).toContain('ada.lovelace');
    expect(account.text).toContain('Connected');
    expect(account.text).toContain('<li>openid</li>');

    const users = await t.db.query<{
      id: string;
      username: string;
      email: string;
      email_verified: boolean;
      first_name: string;
    }>('SELECT id, username, email, email_verified, first_name FROM users');
    expect(users.rows).toEqual([
      expect.objectContaining({
        username: 'ada.lovelace',
        email: 'ada.lovelace@example.com',
        email_verified: true,
        first_name: 'Ada',
      }),
    ]);
    const creds = await t.db.query<{
      user_id: string;
      status: string;
      key_id: string;
      scopes: string;
      refresh_token_enc: string | null;
    }>('SELECT user_id, status, key_id, scopes, refresh_token_enc FROM google_credentials');
    expect(creds.rows).toEqual([
      expect.objectContaining({
        user_id: users.rows[0]!.id,
        status: 'active',
        key_id: 'test1',
        scopes: 'email openid profile',
      }),
    ]);
    expect(creds.rows[0]!.refresh_token_enc).toMatch(/^test1\./);

    const [refreshToken] = t.google.control.issuedRefreshTokens();
    const [accessToken] = t.google.control.issuedAccessTokens();
    expect(refreshToken).toBeDefined();
    // Neither Google token, nor the session id, nor the code appears in plaintext anywhere.
    const code = new URL(steps.callbackUrl).searchParams.get('code')!;
    expect(await findInDatabase(t.db, [refreshToken!, accessToken!, session.value, code])).toEqual([]);
    // ... and the session is stored as its SHA-256.
    expect(await count(`sessions WHERE id_hash = '${sha256Hex(session.value)}'`)).toBe(1);

    // The explicit decrypt path gives the tokens back.
    const stored = await t.app.repos.googleCredentials.findByOwner({ userId: users.rows[0]!.id });
    expect(await t.app.repos.googleCredentials.decryptTokens(stored!.id)).toEqual({ accessToken, refreshToken });
    // Nothing secret was logged.
    for (const secret of [refreshToken!, accessToken!, session.value, code]) expect(t.logs.text).not.toContain(secret);
  });

  it('a second sign-in without a new refresh token keeps the one held, and updates the access token', async () => {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, 'grace@example.com');
    const user = (await t.app.repos.users.findByEmail('grace@example.com'))!;
    const cred = (await t.app.repos.googleCredentials.findByOwner({ userId: user.id }))!;
    const first = (await t.app.repos.googleCredentials.decryptTokens(cred.id))!;
    expect(first.refreshToken).toMatch(/^1\/\/mock-/);
    const issuedBefore = t.google.control.issuedRefreshTokens().length;

    const again = new Browser();
    const steps = await signInWithGoogle(again, t.url, 'grace@example.com');
    expect(steps.callback.status).toBe(302);
    expect(steps.callback.location).toBe(`${t.url}/account`);
    expect(t.google.control.issuedRefreshTokens().length).toBe(issuedBefore); // Google sent none this time

    const after = (await t.app.repos.googleCredentials.decryptTokens(cred.id))!;
    expect(after.refreshToken).toBe(first.refreshToken);
    expect(after.accessToken).not.toBe(first.accessToken);
    expect(await count(`users WHERE email = 'grace@example.com'`)).toBe(1);
    expect(await count(`google_credentials WHERE user_id = '${user.id}'`)).toBe(1);
  });

  it('asks Google for consent again when no refresh token is held at all', async () => {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, 'hopper@example.com');
    const user = (await t.app.repos.users.findByEmail('hopper@example.com'))!;
    await t.db.query('UPDATE google_credentials SET refresh_token_enc = NULL, status = $2 WHERE user_id = $1', [
      user.id,
      'reauth_required',
    ]);

    const again = new Browser();
    const steps = await signInWithGoogle(again, t.url, 'hopper@example.com');
    // Signed in, but bounced once through Google with prompt=consent to get a refresh token.
    expect(steps.callback.status).toBe(302);
    expect(steps.callback.location).toBe(`${t.url}/auth/google/start?return_to=%2Faccount&prompt=consent`);
    expect(again.jar.get('gh_session')).toBeDefined();
    const start = await again.get(steps.callback.location!);
    expect(new URL(start.location!).searchParams.get('prompt')).toBe('consent');
    const consent = await again.get(start.location!);
    const form = readForm(consent.text, start.location!);
    const decision = await again.post(form.action, { ...form.fields, email: 'hopper@example.com', decision: 'allow' });
    const done = await again.get(decision.location!);
    expect(done.location).toBe(`${t.url}/account`);
    const cred = (await t.app.repos.googleCredentials.findByOwner({ userId: user.id }))!;
    expect(cred.hasRefreshToken).toBe(true);
    expect(cred.status).toBe('active'); // reset on reconnect
  });

  it('a signed-in person who holds a refresh token is not asked for consent again', async () => {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, 'turing@example.com');
    const start = await browser.get(`${t.url}/auth/google/start`);
    const url = new URL(start.location!);
    expect(url.searchParams.get('prompt')).toBeNull();
    expect(url.searchParams.get('login_hint')).toBe('turing@example.com');
  });

  it('refuses a callback whose state was tampered with', async () => {
    const browser = new Browser();
    const before = await count('sessions');
    const steps = await signInWithGoogle(browser, t.url, 'tamper@example.com', {
      beforeCallback: (u) => {
        u.searchParams.set('state', `${u.searchParams.get('state')}x`);
        return u;
      },
    });
    expect(steps.callback.status).toBe(400);
    expect(steps.callback.headers.get('content-type')).toMatch(/^text\/html/);
    expect(steps.callback.text).toContain('did not belong to this sign-in attempt');
    expect(browser.jar.get('gh_session')).toBeUndefined();
    expect(await count('sessions')).toBe(before);
    expect(t.google.control.calls('token')).toBe(0); // the code was never even exchanged
  });

  it('refuses a callback without the state cookie (another browser) or with a forged one', async () => {
    const browser = new Browser();
    let callbackUrl = '';
    await signInWithGoogle(browser, t.url, 'nocookie@example.com', {
      beforeCallback: (u) => {
        callbackUrl = u.toString();
        browser.jar.delete('gh_google_state');
      },
    }).then((s) => {
      expect(s.callback.status).toBe(400);
      expect(s.callback.text).toContain('expired or was started in another browser');
    });

    const forger = new Browser();
    const state = new URL(callbackUrl).searchParams.get('state')!;
    const payload = Buffer.from(
      JSON.stringify({ s: state, n: 'n'.repeat(43), v: 'v'.repeat(43), r: '/account', c: false, t: Date.now() }),
    ).toString('base64url');
    forger.jar.set('gh_google_state', `${payload}.forgedsignature`, '/auth/google');
    const res = await forger.get(callbackUrl);
    expect(res.status).toBe(400);
    expect(forger.jar.get('gh_session')).toBeUndefined();
    expect(t.google.control.calls('token')).toBe(0);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    t.google.control.wrongNonceOnNextIdToken();
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'nonce@example.com');
    expect(steps.callback.status).toBe(400);
    expect(steps.callback.text).toContain('could not be verified');
    expect(browser.jar.get('gh_session')).toBeUndefined();
    expect(await t.app.repos.users.findByEmail('nonce@example.com')).toBeNull();
  });

  it.each([
    ['https://evil.example/', 'an absolute URL'],
    ['//evil.example/x', 'a scheme-relative URL'],
    ['/\\evil.example', 'a backslash path'],
    ['/\t/evil.example', 'a path with a tab'],
    ['javascript:alert(1)', 'a javascript: URL'],
    ['account', 'a relative path'],
    ['/\u0101', 'a non-ASCII path'],
    ['/caf\u00e9?x=\u{1F600}', 'a non-ASCII query'],
  ])('refuses return_to=%j (%s) with a 400 page, at /auth/google/start and at /login', async (returnTo) => {
    for (const path of ['/auth/google/start', '/login']) {
      const res = await new Browser().get(`${t.url}${path}?return_to=${encodeURIComponent(returnTo)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.location).toBeUndefined();
      expect(res.setCookies).toEqual([]);
    }
  });

  it('a state cookie whose return_to is not printable ASCII (written by an earlier version) ends in the 400 page, never a 500', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'unicode.return@example.com', {
      beforeCallback: () => {
        const cookie = browser.jar.get('gh_google_state')!;
        // The jar holds the cookie as sent: URL-encoded by the serializer.
        const unsigned = t.app.unsignCookie(decodeURIComponent(cookie.value));
        const payload = JSON.parse(Buffer.from(unsigned.value!, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
        const tampered = Buffer.from(JSON.stringify({ ...payload, r: '/\u0101' })).toString('base64url');
        browser.jar.set('gh_google_state', t.app.signCookie(tampered), '/auth/google');
      },
    });
    expect(steps.callback.status, steps.callback.text).toBe(400);
    expect(steps.callback.headers.get('content-type')).toMatch(/^text\/html/);
    expect(browser.jar.get('gh_session')).toBeUndefined();
  });

  it('refuses a replayed code, even with a fresh and valid state', async () => {
    const browser = new Browser();
    const first = await signInWithGoogle(browser, t.url, 'replay@example.com');
    expect(first.callback.status).toBe(302);
    const code = new URL(first.callbackUrl).searchParams.get('code')!;
    const sessionsBefore = await count('sessions');

    const attacker = new Browser();
    const second = await signInWithGoogle(attacker, t.url, 'someone.else@example.com', {
      beforeCallback: (u) => {
        u.searchParams.set('code', code);
        return u;
      },
    });
    expect(second.callback.status).toBe(400);
    expect(second.callback.text).toContain('expired or was already used');
    expect(attacker.jar.get('gh_session')).toBeUndefined();
    expect(await count('sessions')).toBe(sessionsBefore);
  });

  it('shows a friendly page when the person denies access at Google, and opens no session', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'deny@example.com', { decision: 'deny' });
    expect(new URL(steps.callbackUrl).searchParams.get('error')).toBe('access_denied');
    expect(steps.callback.status).toBe(400);
    expect(steps.callback.text).toContain('Sign-in cancelled');
    expect(steps.callback.text).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(browser.jar.get('gh_session')).toBeUndefined();
  });

  it('shows a friendly page when Google is down during the code exchange', async () => {
    t.google.control.failNextToken(1, 'server_error');
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'down@example.com');
    expect(steps.callback.status).toBe(502);
    expect(steps.callback.text).toContain('Google is not answering');
    expect(browser.jar.get('gh_session')).toBeUndefined();
  });

  it('answers a malformed callback with an HTML page, never a 500', async () => {
    const res = await new Browser().get(`${t.url}/auth/google/callback?code=${'x'.repeat(5000)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const dup = await new Browser().get(`${t.url}/auth/google/callback?state=a&state=b`);
    expect(dup.status).toBe(400);
    expect(dup.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
