import { beforeAll, expect, it } from 'vitest';
import { deriveSecrets } from '../../../src/crypto/derive.js';
import { signConnectLink } from '../../../src/vault/connect-link.js';
import { createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { openConnectLink, spendConnectLink } from '../../helpers/vault.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { STATE_COOKIE, STATE_COOKIE_PATH } from '../../../src/sign-in/state-cookie.js';
import { bearer, googleTokensFor } from '../../helpers/users.js';

describeBackends('connections', (backend) => {
  const t = useTestApp(backend, {
    listen: true,
    google: true,
    env: { GOOGLE_SCOPES: 'https://www.googleapis.com/auth/business.manage' },
  });
  let key: string;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens', 'connections'] })).api_key;
  }, 60_000);

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, apiKey = key) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${apiKey}` }, ...(payload ? { payload } : {}) });

  async function createLink(connectionId: string, returnTo?: string): Promise<string> {
    const res = await api('POST', '/connections', {
      connection_id: connectionId,
      ...(returnTo ? { return_to: returnTo } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      success: true,
      connect_url: expect.any(String),
      connection_id: connectionId,
      expires_at: expect.any(String),
    });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(body.connect_url.startsWith(`${t.url}/connect?token=`)).toBe(true);
    return body.connect_url;
  }

  it('round trip: link → consent → broker token for the connection id; the link works once', async () => {
    const url = await createLink('shop:branch-1', 'https://reviews.example/connected?x=1');
    const { browser, callback } = await openConnectLink(url, 'branch.one@example.com');
    const asked = t.google.control.lastAuthorizeRequest()!;
    expect(asked).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      redirect_uri: `${t.url}/auth/google/connect/callback`,
      scope: 'openid email profile https://www.googleapis.com/auth/business.manage',
      code_challenge_method: 'S256',
    });
    expect(callback.status, callback.text).toBe(303);
    expect(callback.location).toBe(
      'https://reviews.example/connected?x=1&connection_id=shop%3Abranch-1&status=connected',
    );
    // No Gatehouse session was made.
    expect(browser.jar.get('gh_session')).toBeUndefined();

    const token = await api('GET', '/connections/shop:branch-1/token');
    expect(token.statusCode, token.body).toBe(200);
    const [accessToken] = t.google.control.issuedAccessTokens().slice(-1);
    expect(token.json()).toMatchObject({ subject: 'shop:branch-1', access_token: accessToken, token_type: 'Bearer' });

    const status = await api('GET', '/connections/shop:branch-1');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      success: true,
      connection_id: 'shop:branch-1',
      status: 'active',
      reauth_required: false,
      google_email: 'branch.one@example.com',
      scopes: ['email', 'https://www.googleapis.com/auth/business.manage', 'openid', 'profile'],
      expiry: expect.any(Number),
      last_refreshed_at: expect.any(String),
      created_at: expect.any(String),
    });
    for (const secret of [...t.google.control.issuedRefreshTokens(), accessToken!])
      expect(status.body).not.toContain(secret);

    const reused = await new Browser().get(url);
    expect(reused.status).toBe(410);
    expect(reused.text).toContain('This link was already used');
    expect(reused.headers.get('content-type')).toContain('text/html');
  });

  it('refuses a tampered, an expired and an unknown link with a clear page, never a 500', async () => {
    const url = await createLink('shop:branch-2');
    const tampered = url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [
      tampered,
      `${t.url}/connect`,
      `${t.url}/connect?token=nonsense`,
      `${t.url}/connect?token=${'x'.repeat(300)}`,
    ]) {
      const res = await new Browser().get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.text).toMatch(/This link is not valid|The request was not valid/);
    }
    // The untouched link still works after the tampered attempts.
    const keys = deriveSecrets(t.config, 'connect-link');
    const past = new Date(Date.now() - 1000);
    await t.app.repos.connections.createLink({
      id: 'expired-link-0123456789ab',
      connectionId: 'shop:branch-2',
      apiKeyId: null,
      returnTo: null,
      expiresAt: past,
    });
    const expired = await new Browser().get(
      `${t.url}/connect?token=${signConnectLink(keys, 'expired-link-0123456789ab', past)}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link has expired');
    const future = new Date(Date.now() + 60_000);
    const unknown = await new Browser().get(
      `${t.url}/connect?token=${signConnectLink(keys, 'never-stored-0123456789ab', future)}`,
    );
    expect(unknown.status).toBe(410);
    const ok = await new Browser().get(url);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Continue to Google');
  });

  it('a cancelled consent stores nothing', async () => {
    const url = await createLink('shop:branch-3');
    const { callback } = await openConnectLink(url, 'branch.three@example.com', 'deny');
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('Connection cancelled');
    expect((await api('GET', '/connections/shop:branch-3')).statusCode).toBe(404);
    expect((await api('GET', '/connections/shop:branch-3/token')).statusCode).toBe(404);
  });

  it('reconnecting replaces the credential, clears reauth_required and revokes the replaced grant', async () => {
    const first = await openConnectLink(await createLink('shop:branch-4'), 'owner.before@example.com');
    expect(first.callback.status).toBe(200);
    expect(first.callback.text).toContain('Google account connected');
    const before = await t.app.repos.googleCredentials.findByOwner({ connectionId: 'shop:branch-4' });
    await t.app.repos.googleCredentials.markReauthRequired(before!.id);
    await t.app.vault.forget(before!.id);
    expect((await api('GET', '/connections/shop:branch-4/token')).statusCode).toBe(409);
    expect((await api('GET', '/connections/shop:branch-4')).json()).toMatchObject({
      status: 'reauth_required',
      reauth_required: true,
    });

    const revokesBefore = t.google.control.calls('revoke');
    const second = await openConnectLink(await createLink('shop:branch-4'), 'owner.after@example.com');
    expect(second.callback.status).toBe(200);
    const after = await t.app.repos.googleCredentials.findByOwner({ connectionId: 'shop:branch-4' });
    expect(after).toMatchObject({ id: before!.id, status: 'active', email: 'owner.after@example.com' });
    expect(t.google.control.calls('revoke')).toBe(revokesBefore + 1);
    const token = await api('GET', '/connections/shop:branch-4/token');
    expect(token.statusCode).toBe(200);
    expect(token.json().access_token).toBe(t.google.control.issuedAccessTokens().at(-1));
  });

  it('DELETE revokes at Google and removes the connection and its credential', async () => {
    await openConnectLink(await createLink('shop:branch-5'), 'branch.five@example.com');
    expect((await api('GET', '/connections/shop:branch-5/token')).statusCode).toBe(200);
    const revokesBefore = t.google.control.calls('revoke');
    const res = await api('DELETE', '/connections/shop:branch-5');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      connection_id: 'shop:branch-5',
      deleted: true,
      revoked_at_google: true,
    });
    expect(t.google.control.calls('revoke')).toBe(revokesBefore + 1);
    const rows = await t.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM connections WHERE id = $1)::int + (SELECT count(*) FROM google_credentials WHERE connection_id = $1)::int AS n`,
      ['shop:branch-5'],
    );
    expect(rows.rows[0]!.n).toBe(0);
    expect((await api('GET', '/connections/shop:branch-5/token')).statusCode).toBe(404);
    expect((await api('GET', '/connections/shop:branch-5')).statusCode).toBe(404);
    expect((await api('DELETE', '/connections/shop:branch-5')).statusCode).toBe(404);
  });

  it('deletes even when Google cannot revoke', async () => {
    await openConnectLink(await createLink('shop:branch-6'), 'branch.six@example.com');
    t.google.control.failNext('revoke', 5, 'server_error');
    const res = await api('DELETE', '/connections/shop:branch-6');
    expect(res.statusCode).toBe(200);
    expect(res.json().revoked_at_google).toBe(false);
    expect((await api('GET', '/connections/shop:branch-6')).statusCode).toBe(404);
  });

  it('validates input and the API key scope', async () => {
    const tokensOnly = (await createApiKey(t.app, { scopes: ['tokens'] })).api_key;
    expect((await api('POST', '/connections', { connection_id: 'x' }, tokensOnly)).statusCode).toBe(403);
    expect(
      (await api('GET', '/connections/x', undefined, 'gh_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))
        .statusCode,
    ).toBe(401);
    for (const body of [
      {},
      { connection_id: '' },
      { connection_id: 'a'.repeat(201) },
      { connection_id: 'has space' },
      { connection_id: 'ok', return_to: 'javascript:alert(1)' },
      { connection_id: 'ok', return_to: 'http://evil.example/' },
      { connection_id: 'ok', return_to: 'https://user:pw@evil.example/' },
    ]) {
      const res = await api('POST', '/connections', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    }
    expect((await api('POST', '/connections', { connection_id: 'a'.repeat(200) })).statusCode).toBe(200);
    expect((await api('GET', `/connections/${'b'.repeat(200)}`)).statusCode).toBe(404);
    expect((await api('GET', '/connections/bad%20id')).statusCode).toBe(400);
  });

  /** Google's consent page answered, then the callback followed, in the given browser. */
  async function consentAndReturn(browser: Browser, googleUrl: string, email: string) {
    const consent = await browser.get(googleUrl);
    const form = readForm(consent.text, googleUrl);
    const answer = await browser.post(form.action, { ...form.fields, email, decision: 'allow' });
    return browser.get(answer.location!);
  }

  /** Another browser holding a copy of this one's Google state cookie (what a replay needs). */
  function copyOfState(browser: Browser): Browser {
    const copy = new Browser();
    copy.jar.set(STATE_COOKIE, browser.jar.get(STATE_COOKIE)!.value, STATE_COOKIE_PATH);
    return copy;
  }

  const linkRow = async (connectionId: string) =>
    (
      await t.db.query<{ used_at: Date | null; completed_at: Date | null }>(
        'SELECT used_at, completed_at FROM connect_links WHERE connection_id = $1 ORDER BY created_at DESC LIMIT 1',
        [connectionId],
      )
    ).rows[0];

  it('GET of a link shows a confirmation page (service, connection, scopes) and spends nothing: prefetchers do not burn it', async () => {
    const named = (await createApiKey(t.app, { name: 'Reviews service', scopes: ['connections'] })).api_key;
    const res = await api(
      'POST',
      '/connections',
      {
        connection_id: 'shop:confirm-1',
        return_to: 'https://reviews.example/done',
        scopes: ['https://www.googleapis.com/auth/drive.readonly'],
      },
      named,
    );
    expect(res.statusCode, res.body).toBe(200);
    const url = res.json().connect_url as string;
    const authorizeBefore = t.google.control.lastAuthorizeRequest();
    // A mail scanner, a chat preview and the person themselves all GET the link.
    for (let i = 0; i < 3; i++) {
      const page = await new Browser().get(url);
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('cache-control')).toBe('no-store');
      // The form's POST redirects to Google, which form-action must allow on this page.
      expect(page.headers.get('content-security-policy')).toContain(
        `form-action 'self' ${new URL(t.google.endpoints.authUrl).origin}`,
      );
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.text).toContain('Reviews service');
      expect(page.text).toContain('shop:confirm-1');
      for (const scope of [
        'openid',
        'https://www.googleapis.com/auth/business.manage',
        'https://www.googleapis.com/auth/drive.readonly',
      ])
        expect(page.text).toContain(scope);
      expect(readForm(page.text, url)).toMatchObject({
        action: `${t.url}/connect`,
        fields: { token: expect.any(String), csrf_token: expect.any(String) },
      });
    }
    expect(await linkRow('shop:confirm-1')).toEqual({ used_at: null, completed_at: null });
    expect(t.google.control.lastAuthorizeRequest()).toEqual(authorizeBefore);

    // Only the form spends it, and it asks Google for the extra scope on top of the base ones.
    const { callback } = await openConnectLink(url, 'confirm.one@example.com');
    expect(t.google.control.lastAuthorizeRequest()).toMatchObject({
      scope:
        'openid email profile https://www.googleapis.com/auth/business.manage https://www.googleapis.com/auth/drive.readonly',
      include_granted_scopes: 'true',
    });
    expect(callback.location).toBe('https://reviews.example/done?connection_id=shop%3Aconfirm-1&status=connected');
    expect(await linkRow('shop:confirm-1')).toEqual({ used_at: expect.any(Date), completed_at: expect.any(Date) });
  });

  it("the confirmation form is CSRF-protected: a post without the page's cookie, or with another link's field, spends nothing", async () => {
    const url = await createLink('shop:csrf-1');
    const other = await createLink('shop:csrf-2');
    const browser = new Browser();
    const page = await browser.get(url);
    const form = readForm(page.text, url);
    const forged = await new Browser().post(form.action, form.fields);
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('Please confirm again');
    const otherForm = readForm((await browser.get(other)).text, other);
    const swapped = await browser.post(form.action, {
      token: form.fields.token!,
      csrf_token: otherForm.fields.csrf_token!,
    });
    expect(swapped.status).toBe(403);
    const noToken = await browser.post(form.action, { csrf_token: form.fields.csrf_token! });
    expect(noToken.status).toBe(400);
    expect(await linkRow('shop:csrf-1')).toEqual({ used_at: null, completed_at: null });
    // The real page, posted by the browser that loaded it, still works once.
    const fresh = readForm((await browser.get(url)).text, url);
    expect((await browser.post(fresh.action, fresh.fields)).status).toBe(303);
    const again = await browser.post(fresh.action, fresh.fields);
    expect(again.status).toBe(410);
    expect(again.text).toContain('This link was already used');
  });

  it('the callback completes a link exactly once: a replayed state cookie cannot swap the Google account', async () => {
    const url = await createLink('shop:replay-1', 'https://reviews.example/r');
    const { browser, googleUrl } = await spendConnectLink(url);
    const attacker = copyOfState(browser);
    const done = await consentAndReturn(browser, googleUrl, 'owner.replay@example.com');
    expect(done.status, done.text).toBe(303);
    // The copy of the state cookie and Google's URL, answered with another Google account.
    const replay = await consentAndReturn(attacker, googleUrl, 'attacker.replay@example.com');
    expect(replay.status, replay.text).toBe(410);
    expect(replay.headers.get('content-type')).toContain('text/html');
    expect(replay.text).toContain('This link can no longer be used');
    expect(await t.app.repos.googleCredentials.findByOwner({ connectionId: 'shop:replay-1' })).toMatchObject({
      email: 'owner.replay@example.com',
    });
  });

  it('a link whose connection was deleted after it was spent is refused and does not bring the connection back', async () => {
    await openConnectLink(await createLink('shop:deleted-1'), 'first.owner@example.com');
    const { browser, googleUrl } = await spendConnectLink(await createLink('shop:deleted-1'));
    const attacker = copyOfState(browser);
    expect((await api('DELETE', '/connections/shop:deleted-1')).statusCode).toBe(200);
    for (const b of [browser, attacker]) {
      const back = await consentAndReturn(b, googleUrl, 'late.owner@example.com');
      expect(back.status, back.text).toBeGreaterThanOrEqual(400);
      expect(back.status).toBeLessThan(500);
      expect(back.headers.get('content-type')).toContain('text/html');
    }
    expect((await api('GET', '/connections/shop:deleted-1')).statusCode).toBe(404);
    expect((await api('GET', '/connections/shop:deleted-1/token')).statusCode).toBe(404);
    const { rows } = await t.db.query('SELECT 1 FROM google_credentials WHERE connection_id = $1', ['shop:deleted-1']);
    expect(rows).toHaveLength(0);
  });

  it('return_to gets status=denied when the person declines, and the link is then done', async () => {
    const url = await createLink('shop:denied-1', 'https://reviews.example/back?from=gatehouse');
    const { browser, googleUrl } = await spendConnectLink(url);
    const attacker = copyOfState(browser);
    const consent = await browser.get(googleUrl);
    const form = readForm(consent.text, googleUrl);
    const answer = await browser.post(form.action, { ...form.fields, email: 'denier@example.com', decision: 'deny' });
    const back = await browser.get(answer.location!);
    expect(back.status).toBe(303);
    expect(back.location).toBe(
      'https://reviews.example/back?from=gatehouse&connection_id=shop%3Adenied-1&status=denied',
    );
    expect(await linkRow('shop:denied-1')).toEqual({ used_at: expect.any(Date), completed_at: expect.any(Date) });
    expect((await consentAndReturn(attacker, googleUrl, 'attacker.denied@example.com')).status).toBe(410);
    expect((await api('GET', '/connections/shop:denied-1')).statusCode).toBe(404);
  });

  it('return_to gets status=failed when Google cannot complete the connection, nothing is stored, and the link is done', async () => {
    const url = await createLink('shop:failed-1', 'https://reviews.example/back');
    const { browser, googleUrl } = await spendConnectLink(url);
    const attacker = copyOfState(browser);
    // Google refuses the code exchange (a final error: nothing to retry).
    t.google.control.failNextToken(1, 'invalid_grant');
    const back = await consentAndReturn(browser, googleUrl, 'failed.owner@example.com');
    expect(back.status, back.text).toBe(303);
    expect(back.location).toBe('https://reviews.example/back?connection_id=shop%3Afailed-1&status=failed');
    expect(await linkRow('shop:failed-1')).toEqual({ used_at: expect.any(Date), completed_at: expect.any(Date) });
    expect((await api('GET', '/connections/shop:failed-1')).statusCode).toBe(404);
    expect((await api('GET', '/connections/shop:failed-1/token')).statusCode).toBe(404);
    // The spent link cannot be retried with a copy of the state cookie either.
    expect((await consentAndReturn(attacker, googleUrl, 'attacker.failed@example.com')).status).toBe(410);
    expect((await api('GET', '/connections/shop:failed-1')).statusCode).toBe(404);
  });

  it("a person who renames themselves to a pending connection's id never receives (or shadows) its token", async () => {
    // The report's sequence: a link for branch-7; before anyone connects, a person signs in
    // and renames themselves branch-7.
    const url = await createLink('branch-7');
    const google = await googleTokensFor(t.app, t.google, 'renamer@example.com');
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { access_token: google.access_token },
    });
    expect(login.statusCode, login.body).toBe(200);
    const { access_token, user } = login.json();
    await t.app.repos.googleCredentials.save(
      { userId: user.id },
      {
        accessToken: google.access_token,
        expiresIn: google.expires_in,
        refreshToken: google.refresh_token,
        scope: google.scope,
      },
    );
    const rename = await t.app.inject({
      method: 'POST',
      url: '/api/update_username',
      headers: bearer(access_token),
      payload: { new_username: 'branch-7' },
    });
    expect(rename.statusCode, rename.body).toBe(200);

    // The service asks for its connection: not connected yet, and never the person's token.
    for (const res of [
      await api('GET', '/connections/branch-7/token'),
      await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        // /oauth/token takes form bodies only (RFC 6749 §3.2), broker requests included.
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ connection_id: 'branch-7' }).toString(),
      }),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.body).not.toContain(google.access_token);
    }
    await openConnectLink(url, 'branch.seven@example.com');
    const connection = await api('GET', '/connections/branch-7/token');
    expect(connection.json()).toMatchObject({
      subject: 'branch-7',
      access_token: t.google.control.issuedAccessTokens().at(-1),
    });
    // The person is still themselves under their new name, and only as a person.
    expect((await api('GET', '/tokens/branch-7')).json()).toMatchObject({
      subject: user.id,
      access_token: google.access_token,
    });
  });

  it("a connection id may not be UUID-shaped, so no connection can take a person's user id", async () => {
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM users LIMIT 1');
    const victimId = rows[0]?.id ?? '6f1c3e4a-1111-4222-8333-944455556666';
    for (const id of [victimId, victimId.toUpperCase()]) {
      const res = await api('POST', '/connections', { connection_id: id });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
    }
  });
});
