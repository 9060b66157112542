import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startMockGoogle, type StandaloneMockGoogle } from '../../../src/google/mock/index.js';
import { deriveSecrets } from '../../../src/crypto/derive.js';
import { signConnectLink } from '../../../src/vault/connect-link.js';
import { createApiKey } from '../../helpers/admin.js';
import { openStorage, type TestStorage } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { listenTestApp, type ListeningTestApp } from '../../helpers/server.js';

describeBackends('connections', (backend) => {
  let storage: TestStorage;
  let mock: StandaloneMockGoogle;
  let t: ListeningTestApp;
  let key: string;

  beforeAll(async () => {
    storage = await openStorage(backend);
    mock = await startMockGoogle();
    t = await listenTestApp(storage, { env: { ...mock.env, GOOGLE_SCOPES: 'https://www.googleapis.com/auth/business.manage' } });
    key = (await createApiKey(t.app, { scopes: ['tokens', 'connections'] })).api_key;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await mock?.close();
    await storage?.close();
  });
  beforeEach(() => mock.control.reset());

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, apiKey = key) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${apiKey}` }, ...(payload ? { payload } : {}) });

  async function createLink(connectionId: string, returnTo?: string): Promise<string> {
    const res = await api('POST', '/connections', { connection_id: connectionId, ...(returnTo ? { return_to: returnTo } : {}) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({ success: true, connect_url: expect.any(String), connection_id: connectionId, expires_at: expect.any(String) });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(body.connect_url.startsWith(`${t.url}/connect?token=`)).toBe(true);
    return body.connect_url;
  }

  /** A person opens the link and answers Google's consent page. */
  async function openLink(url: string, email: string, decision: 'allow' | 'deny' = 'allow') {
    const browser = new Browser();
    const open = await browser.get(url);
    expect(open.status, open.text).toBe(302);
    const consent = await browser.get(open.location!);
    expect(consent.status).toBe(200);
    const form = readForm(consent.text, open.location!);
    const answer = await browser.post(form.action, { ...form.fields, email, decision });
    expect(answer.status).toBe(302);
    const callback = await browser.get(answer.location!);
    return { browser, open, callback };
  }

  it('round trip: link → consent → broker token for the connection id; the link works once', async () => {
    const url = await createLink('shop:branch-1', 'https://reviews.example/connected?x=1');
    const { browser, callback } = await openLink(url, 'branch.one@example.com');
    const asked = mock.control.lastAuthorizeRequest()!;
    expect(asked).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      redirect_uri: `${t.url}/auth/google/connect/callback`,
      scope: 'openid email profile https://www.googleapis.com/auth/business.manage',
      code_challenge_method: 'S256',
    });
    expect(callback.status, callback.text).toBe(303);
    expect(callback.location).toBe('https://reviews.example/connected?x=1');
    // No Gatehouse session was made.
    expect(browser.jar.get('gh_session')).toBeUndefined();

    const token = await api('GET', '/connections/shop:branch-1/token');
    expect(token.statusCode, token.body).toBe(200);
    const [accessToken] = mock.control.issuedAccessTokens().slice(-1);
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
    for (const secret of [...mock.control.issuedRefreshTokens(), accessToken!]) expect(status.body).not.toContain(secret);

    const reused = await new Browser().get(url);
    expect(reused.status).toBe(410);
    expect(reused.text).toContain('This link was already used');
    expect(reused.headers.get('content-type')).toContain('text/html');
  });

  it('refuses a tampered, an expired and an unknown link with a clear page, never a 500', async () => {
    const url = await createLink('shop:branch-2');
    const tampered = url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [tampered, `${t.url}/connect`, `${t.url}/connect?token=nonsense`, `${t.url}/connect?token=${'x'.repeat(300)}`]) {
      const res = await new Browser().get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.text).toMatch(/This link is not valid|The request was not valid/);
    }
    // The untouched link still works after the tampered attempts.
    const keys = deriveSecrets(t.config, 'connect-link');
    const past = new Date(Date.now() - 1000);
    await t.app.connections.createLink({ id: 'expired-link-0123456789ab', connectionId: 'shop:branch-2', apiKeyId: null, returnTo: null, expiresAt: past });
    const expired = await new Browser().get(`${t.url}/connect?token=${signConnectLink(keys, 'expired-link-0123456789ab', past)}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link has expired');
    const future = new Date(Date.now() + 60_000);
    const unknown = await new Browser().get(`${t.url}/connect?token=${signConnectLink(keys, 'never-stored-0123456789ab', future)}`);
    expect(unknown.status).toBe(410);
    const ok = await new Browser().get(url);
    expect(ok.status).toBe(302);
  });

  it('a cancelled consent stores nothing', async () => {
    const url = await createLink('shop:branch-3');
    const { callback } = await openLink(url, 'branch.three@example.com', 'deny');
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('Connection cancelled');
    expect((await api('GET', '/connections/shop:branch-3')).statusCode).toBe(404);
    expect((await api('GET', '/connections/shop:branch-3/token')).statusCode).toBe(404);
  });

  it('reconnecting replaces the credential, clears reauth_required and revokes the replaced grant', async () => {
    const first = await openLink(await createLink('shop:branch-4'), 'owner.before@example.com');
    expect(first.callback.status).toBe(200);
    expect(first.callback.text).toContain('Google account connected');
    const before = await t.app.googleCredentials.findByOwner({ connectionId: 'shop:branch-4' });
    await t.app.googleCredentials.markReauthRequired(before!.id);
    await t.app.vault.forget(before!.id);
    expect((await api('GET', '/connections/shop:branch-4/token')).statusCode).toBe(409);
    expect((await api('GET', '/connections/shop:branch-4')).json()).toMatchObject({ status: 'reauth_required', reauth_required: true });

    const revokesBefore = mock.control.calls('revoke');
    const second = await openLink(await createLink('shop:branch-4'), 'owner.after@example.com');
    expect(second.callback.status).toBe(200);
    const after = await t.app.googleCredentials.findByOwner({ connectionId: 'shop:branch-4' });
    expect(after).toMatchObject({ id: before!.id, status: 'active', email: 'owner.after@example.com' });
    expect(mock.control.calls('revoke')).toBe(revokesBefore + 1);
    const token = await api('GET', '/connections/shop:branch-4/token');
    expect(token.statusCode).toBe(200);
    expect(token.json().access_token).toBe(mock.control.issuedAccessTokens().at(-1));
  });

  it('DELETE revokes at Google and removes the connection and its credential', async () => {
    await openLink(await createLink('shop:branch-5'), 'branch.five@example.com');
    expect((await api('GET', '/connections/shop:branch-5/token')).statusCode).toBe(200);
    const revokesBefore = mock.control.calls('revoke');
    const res = await api('DELETE', '/connections/shop:branch-5');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, connection_id: 'shop:branch-5', deleted: true, revoked_at_google: true });
    expect(mock.control.calls('revoke')).toBe(revokesBefore + 1);
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
    await openLink(await createLink('shop:branch-6'), 'branch.six@example.com');
    mock.control.failNext('revoke', 5, 'server_error');
    const res = await api('DELETE', '/connections/shop:branch-6');
    expect(res.statusCode).toBe(200);
    expect(res.json().revoked_at_google).toBe(false);
    expect((await api('GET', '/connections/shop:branch-6')).statusCode).toBe(404);
  });

  it('validates input and the API key scope', async () => {
    const tokensOnly = (await createApiKey(t.app, { scopes: ['tokens'] })).api_key;
    expect((await api('POST', '/connections', { connection_id: 'x' }, tokensOnly)).statusCode).toBe(403);
    expect((await api('GET', '/connections/x', undefined, 'gh_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).statusCode).toBe(401);
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
});
