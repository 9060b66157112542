import { beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { seedCredential, openConnectLink } from '../../helpers/vault.js';

const BUSINESS = 'https://www.googleapis.com/auth/business.manage';
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';

describeBackends('broker scopes', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { GOOGLE_SCOPES: BUSINESS } });
  let key: string;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens', 'connections'] })).api_key;
  }, 60_000);

  const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });

  async function createLink(connectionId: string, returnTo: string, scopes: string[] = []): Promise<string> {
    const res = await api('POST', '/connections', { connection_id: connectionId, return_to: returnTo, scopes });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().connect_url as string;
  }

  const connect = (url: string, email: string) => openConnectLink(url, email);

  it('a connection lacking a requested scope: 403 insufficient_scope naming it, with a connect_url asking for it', async () => {
    await connect(await createLink('shop:scopes-1', 'https://reviews.example/back?x=1', [DRIVE]), 'one@example.com');

    const held = await api(
      'GET',
      `/connections/shop:scopes-1/token?scope=${encodeURIComponent(`${BUSINESS} ${DRIVE}`)}`,
    );
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json().scope.split(' ')).toEqual(expect.arrayContaining([BUSINESS, DRIVE]));

    // GET /connections/:id/token and the broker call at POST /oauth/token answer alike.
    for (const res of [
      await api('GET', `/connections/shop:scopes-1/token?scope=${encodeURIComponent(`${DRIVE} ${CALENDAR}`)}`),
      await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ connection_id: 'shop:scopes-1', scope: `${DRIVE} ${CALENDAR}` }).toString(),
      }),
    ]) {
      expect(res.statusCode, res.body).toBe(403);
      const body = res.json();
      expect(body).toEqual({
        success: false,
        error: 'insufficient_scope',
        error_description: expect.stringContaining(CALENDAR),
        connect_url: expect.stringMatching(/\/connect\?token=/),
      });
      expect(body.error_description).not.toContain(DRIVE);
      expect(body).not.toHaveProperty('access_token');
      expect(body.connect_url.startsWith(`${t.url}/connect?token=`)).toBe(true);
    }

    // The fresh link asks Google for the missing scope and returns to the last link's return_to.
    const last = await api('GET', `/connections/shop:scopes-1/token?scope=${encodeURIComponent(CALENDAR)}`);
    const { page, callback } = await connect(last.json().connect_url, 'one@example.com');
    expect(page.text).toContain(CALENDAR);
    expect(t.google.control.lastAuthorizeRequest()).toMatchObject({
      scope: expect.stringContaining(CALENDAR),
      include_granted_scopes: 'true',
    });
    expect(callback.location).toBe('https://reviews.example/back?x=1&connection_id=shop%3Ascopes-1&status=connected');
    const now = await api('GET', `/connections/shop:scopes-1/token?scope=${encodeURIComponent(CALENDAR)}`);
    expect(now.statusCode, now.body).toBe(200);
  });

  it('a connection that needs reauthorisation: 409 reauth_required carries a fresh connect_url', async () => {
    await connect(await createLink('shop:scopes-2', 'https://reviews.example/again'), 'two@example.com');
    const credential = await t.app.repos.googleCredentials.findByOwner({ connectionId: 'shop:scopes-2' });
    await t.app.repos.googleCredentials.markReauthRequired(credential!.id);
    await t.app.vault.forget(credential!.id, { kind: 'connection', connectionId: 'shop:scopes-2' });

    const res = await api('GET', '/connections/shop:scopes-2/token');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toEqual({
      success: false,
      error: 'reauth_required',
      error_description: expect.any(String),
      connect_url: expect.stringMatching(/\/connect\?token=/),
    });
    const { callback } = await connect(res.json().connect_url, 'two@example.com');
    expect(callback.location).toBe('https://reviews.example/again?connection_id=shop%3Ascopes-2&status=connected');
    expect((await api('GET', '/connections/shop:scopes-2/token')).statusCode).toBe(200);
  });

  it('a person lacking a requested scope: 403 insufficient_scope naming it (RFC 6750 §3.1), no connect_url', async () => {
    const s = await seedCredential(t.app, t.google, 'scoped.person@example.com');
    const granted = await api('GET', `/tokens/${s.user.id}?scope=${encodeURIComponent('openid email')}`);
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json().access_token).toBe(s.accessToken);

    for (const res of [
      await api('GET', `/tokens/${s.user.id}?scope=${encodeURIComponent(`email ${CALENDAR}`)}`),
      await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ subject: s.user.id, scope: `email ${CALENDAR}` }).toString(),
      }),
    ]) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.headers['cache-control']).toBe('no-store');
      // RFC 6750 §3.1: "insufficient_scope ... The resource server SHOULD respond with the HTTP 403".
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
      expect(res.json()).toEqual({
        success: false,
        error: 'insufficient_scope',
        error_description: expect.stringContaining(CALENDAR),
      });
      expect(res.body).not.toContain(s.accessToken);
    }
  });

  it('a malformed scope is refused with 400 invalid_request, never a 500', async () => {
    const res = await api('GET', `/connections/shop:scopes-1/token?scope=${encodeURIComponent('a"b')}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
  });
});
