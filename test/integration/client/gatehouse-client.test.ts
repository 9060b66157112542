import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GatehouseClient,
  FileTokenStorage,
  MemoryTokenStorage,
  type GatehouseClientOptions,
  type GatehouseUser,
  type TokenInfo,
  type TokenStorage,
} from '@gatehouse/client';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { scriptedBrowser, type ScriptedBrowser } from '../../helpers/client-browser.js';
import { FORM, form } from '../../helpers/oauth.js';
import { tempDir } from '../../helpers/processes.js';

describeBackends('gatehouse/client against a running Gatehouse', (backend) => {
  const t = useTestApp(backend, {
    listen: true,
    google: true,
    env: { LOG_LEVEL: 'warn' },
    extend(app) {
      // A Bearer-protected API for the SDK to call, and a userinfo stand-in (see userinfo tests).
      app.get('/test/me', async (request) => {
        const claims = await app.verifyUserBearer(request);
        return { sub: claims.sub, username: claims.username };
      });
      app.get('/test/userinfo', async (request) => {
        const claims = await app.verifyUserBearer(request);
        return { sub: claims.sub, preferred_username: claims.username, source: 'userinfo stand-in' };
      });
    },
  });
  let registered: RegisteredClient;

  beforeAll(async () => {
    registered = await registerClient(t.app, {
      app_name: 'CLI',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_url: 'http://127.0.0.1/callback',
      scope: 'openid profile email',
    });
  }, 60_000);

  const newEmail = () => `sdk.${Math.random().toString(36).slice(2)}@example.com`;

  interface Recorded {
    method: string;
    path: string;
    status?: number;
  }

  /**
   * The client's fetch, recording each request. `rewrite` sends a path elsewhere on the same
   * server (the SDK still believes it called the original); `failToken` makes the token endpoint
   * unreachable, as a network error would.
   */
  function recorder(rewrite: Record<string, string> = {}) {
    const calls: Recorded[] = [];
    const state = { failToken: false };
    const recordingFetch: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const entry: Recorded = {
        method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
        path: url.pathname,
      };
      calls.push(entry);
      if (url.origin === t.url && url.pathname === '/oauth/token' && state.failToken)
        throw new TypeError('fetch failed');
      if (url.origin === t.url && rewrite[url.pathname]) url.pathname = rewrite[url.pathname]!;
      const res = await fetch(input instanceof Request ? new Request(url, input) : url, init);
      entry.status = res.status;
      return res;
    };
    return {
      fetch: recordingFetch,
      calls,
      state,
      tokenCalls: () => calls.filter((c) => c.path === '/oauth/token').length,
      reset: () => calls.splice(0),
    };
  }

  interface Session {
    gc: GatehouseClient;
    store: TokenStorage;
    rec: ReturnType<typeof recorder>;
    browser: ScriptedBrowser;
    user: GatehouseUser;
    email: string;
    events: { login: GatehouseUser[]; logout: number; tokens: TokenInfo[] };
  }

  function newClient(rec: ReturnType<typeof recorder>, over: Partial<GatehouseClientOptions> = {}) {
    const gc = new GatehouseClient({
      issuer: t.url,
      clientId: registered.client_id,
      storage: new MemoryTokenStorage(),
      openBrowser: () => {
        throw new Error('this client must not open a browser');
      },
      fetch: rec.fetch,
      ...over,
    });
    const events = { login: [] as GatehouseUser[], logout: 0, tokens: [] as TokenInfo[] };
    gc.on('login', (user) => events.login.push(user));
    gc.on('logout', () => events.logout++);
    gc.on('tokens', (info) => events.tokens.push(info));
    return { gc, events };
  }

  async function loggedIn(opts: { store?: TokenStorage; rewrite?: Record<string, string> } = {}): Promise<Session> {
    const email = newEmail();
    const browser = scriptedBrowser(t.url, email);
    const rec = recorder(opts.rewrite);
    const store = opts.store ?? new MemoryTokenStorage();
    const { gc, events } = newClient(rec, { storage: store, openBrowser: browser.open });
    const user = await gc.login();
    return { gc, store, rec, browser, user, email, events };
  }

  async function forceExpiry(store: TokenStorage) {
    const session = (await store.get())!;
    await store.set({ ...session, expiresAt: Date.now() - 1000 });
    return session;
  }

  async function revoke(token: string, hint: 'access_token' | 'refresh_token') {
    const res = await fetch(`${t.url}/oauth/revoke`, {
      method: 'POST',
      headers: FORM,
      body: form({ token, token_type_hint: hint, client_id: registered.client_id }),
    });
    expect(res.status).toBe(200);
  }

  it('login: authorize → sign in → consent → loopback; resolves with the user and stores the session', async () => {
    const { gc, store, browser, user, email, events } = await loggedIn();
    expect(user).toMatchObject({ sub: expect.any(String), email });
    expect(events.login).toEqual([user]);
    expect(events.tokens).toHaveLength(1);
    expect(events.tokens[0]!.scope).toEqual(['openid', 'profile', 'email']);
    expect(events.tokens[0]!.expiresAt!.getTime()).toBeGreaterThan(Date.now());

    const authorize = new URL(browser.opened[0]!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${t.url}/oauth/authorize`);
    const redirectUri = authorize.searchParams.get('redirect_uri')!;
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();

    const visit = await browser.visit();
    expect(visit.redirect.searchParams.get('iss')).toBe(t.url);
    expect(visit.status).toBe(200);
    expect(visit.text).toContain('You can close this window');
    // One callback, then the listener is gone.
    await expect(fetch(redirectUri)).rejects.toThrow();

    const stored = (await store.get())!;
    expect(stored.accessToken).toBeTruthy();
    expect(stored.refreshToken).toBeTruthy();
    expect(await gc.isLoggedIn()).toBe(true);

    expect((await fetch(`${t.url}/test/me`)).status).toBe(401);
    const me = await gc.fetch(`${t.url}/test/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: user.sub });
  });

  it('getUser falls back to the validated ID token claims when /userinfo answers 404', async () => {
    const { gc, rec, user, email } = await loggedIn({ rewrite: { '/userinfo': '/test/no-such-route' } });
    expect(rec.calls.find((c) => c.path === '/userinfo')).toMatchObject({ method: 'GET', status: 404 });
    expect(user).toMatchObject({ email, email_verified: true, preferred_username: expect.any(String) });
    for (const protocolClaim of ['iss', 'aud', 'exp', 'iat', 'nonce']) expect(user).not.toHaveProperty(protocolClaim);
    expect(await gc.getUser()).toEqual(user);
  });

  it('getUser uses the userinfo endpoint when it answers', async () => {
    const { gc, rec, user } = await loggedIn({ rewrite: { '/userinfo': '/test/userinfo' } });
    expect(rec.calls.find((c) => c.path === '/userinfo')).toMatchObject({ status: 200 });
    expect(user.source).toBe('userinfo stand-in');
    expect((await gc.getUser()).source).toBe('userinfo stand-in');
  });

  it('a new client on the same MemoryTokenStorage restores the session without login', async () => {
    const { store, user } = await loggedIn();
    const rec = recorder();
    const { gc } = newClient(rec, { storage: store });
    expect(await gc.isLoggedIn()).toBe(true);
    const me = await gc.fetch(`${t.url}/test/me`);
    expect(await me.json()).toMatchObject({ sub: user.sub });
    expect((await gc.getUser()).sub).toBe(user.sub);
    expect(rec.tokenCalls()).toBe(0);
  });

  it('FileTokenStorage keeps the session in a 0600 file that a new client restores', async () => {
    const path = join(tempDir('gatehouse-sdk-'), 'gatehouse', 'session.json');
    const { gc, user } = await loggedIn({ store: new FileTokenStorage(path) });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    expect(await readdir(dirname(path))).toEqual(['session.json']);

    const { gc: again } = newClient(recorder(), { storage: new FileTokenStorage(path) });
    const me = await again.fetch(`${t.url}/test/me`);
    expect(await me.json()).toMatchObject({ sub: user.sub });
    await gc.logout();
    expect(await readdir(dirname(path))).toEqual([]);
    expect(await again.isLoggedIn()).toBe(false);
  });

  it('an expired access token is refreshed transparently on fetch', async () => {
    const { gc, store, rec, user, events } = await loggedIn();
    const before = await forceExpiry(store);
    rec.reset();
    const me = await gc.fetch(`${t.url}/test/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: user.sub });
    expect(rec.tokenCalls()).toBe(1);
    const after = (await store.get())!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt!).toBeGreaterThan(Date.now() + 60_000);
    expect(events.tokens).toHaveLength(2);
    expect(events.logout).toBe(0);
  });

  it('10 concurrent fetch calls on an expired token cause exactly one refresh', async () => {
    const { gc, store, rec } = await loggedIn();
    await forceExpiry(store);
    rec.reset();
    const responses = await Promise.all(Array.from({ length: 10 }, () => gc.fetch(`${t.url}/test/me`)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(rec.tokenCalls()).toBe(1);
    // The rotated refresh token is still good: the family was not revoked by a replay.
    await gc.refreshTokens();
    expect((await gc.fetch(`${t.url}/test/me`)).status).toBe(200);
  });

  it('two clients sharing one t.storage share the refresh too', async () => {
    const { gc, store, rec } = await loggedIn();
    const other = recorder();
    const { gc: again } = newClient(other, { storage: store });
    await forceExpiry(store);
    rec.reset();
    const responses = await Promise.all([gc, again, gc, again].map((c) => c.fetch(`${t.url}/test/me`)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(rec.tokenCalls() + other.tokenCalls()).toBe(1);
  });

  it('a 401 refreshes once and retries the request once', async () => {
    const { gc, store, rec } = await loggedIn();
    await revoke((await store.get())!.accessToken, 'access_token');
    rec.reset();
    const me = await gc.fetch(`${t.url}/test/me`, { headers: { 'x-probe': '1' } });
    expect(me.status).toBe(200);
    expect(rec.tokenCalls()).toBe(1);
    expect(rec.calls.filter((c) => c.path === '/test/me').map((c) => c.status)).toEqual([401, 200]);
  });

  it('a revoked refresh token ends the session: t.storage cleared, logout emitted exactly once', async () => {
    const { gc, store, rec, events } = await loggedIn();
    await revoke((await store.get())!.refreshToken!, 'refresh_token');
    await forceExpiry(store);
    rec.reset();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => gc.fetch(`${t.url}/test/me`)));
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'session_ended' } });
    expect(rec.tokenCalls()).toBe(1);
    expect(events.logout).toBe(1);
    expect(await store.get()).toBeNull();
    expect(await gc.isLoggedIn()).toBe(false);

    await expect(gc.fetch(`${t.url}/test/me`)).rejects.toMatchObject({ code: 'not_logged_in' });
    await expect(gc.refreshTokens()).rejects.toMatchObject({ code: 'not_logged_in' });
    expect(await gc.logout()).toEqual({ revoked: false });
    expect(events.logout).toBe(1);
  });

  it('a network failure during refresh keeps the session and does not log out', async () => {
    const { gc, store, rec, events } = await loggedIn();
    const before = await forceExpiry(store);
    rec.state.failToken = true;
    await expect(gc.fetch(`${t.url}/test/me`)).rejects.toThrow('fetch failed');
    expect(events.logout).toBe(0);
    expect((await store.get())!.refreshToken).toBe(before.refreshToken);
    rec.state.failToken = false;
    expect((await gc.fetch(`${t.url}/test/me`)).status).toBe(200);
  });

  // OpenID Connect RP-Initiated Logout §2: the browser goes to end_session_endpoint with the
  // ID token as id_token_hint, so the provider session ends and the next login() asks again.
  it('logout also ends the Gatehouse session through end_session_endpoint (opt-out available)', async () => {
    const { gc, store, user, browser } = await loggedIn();
    const idToken = (await store.get())!.idToken!;
    expect(idToken).toEqual(expect.any(String));
    expect(await gc.logout()).toEqual({ revoked: true });
    const opened = new URL(browser.opened.at(-1)!);
    expect(`${opened.origin}${opened.pathname}`).toBe(`${t.url}/oauth/logout`);
    expect(opened.searchParams.get('client_id')).toBe(registered.client_id);
    expect(opened.searchParams.get('id_token_hint')).toBe(idToken);
    expect((await t.app.tokens.verifyIdTokenHint(idToken))?.sub).toBe(user.sub);

    const second = await loggedIn();
    const count = second.browser.opened.length;
    await second.gc.logout({ endProviderSession: false });
    expect(second.browser.opened).toHaveLength(count);
  });

  it('login({ prompt }) sends the prompt to the authorization endpoint', async () => {
    const email = newEmail();
    const browser = scriptedBrowser(t.url, email);
    const { gc } = newClient(recorder(), { openBrowser: browser.open });
    await gc.login({ prompt: 'consent' });
    expect(new URL(browser.opened[0]!).searchParams.get('prompt')).toBe('consent');
  });

  it('logout revokes the refresh token at the revocation endpoint, clears t.storage, emits logout once', async () => {
    const { gc, store, events } = await loggedIn();
    const before = (await store.get())!;
    expect(await gc.logout()).toEqual({ revoked: true });
    expect(events.logout).toBe(1);
    expect(await store.get()).toBeNull();

    const refresh = await fetch(`${t.url}/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: form({ grant_type: 'refresh_token', refresh_token: before.refreshToken, client_id: registered.client_id }),
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
    // Gatehouse ends the family's access tokens with it.
    expect(
      (await fetch(`${t.url}/test/me`, { headers: { authorization: `Bearer ${before.accessToken}` } })).status,
    ).toBe(401);
    await gc.logout();
    expect(events.logout).toBe(1);
  });

  it('login times out cleanly when the browser never returns, and the loopback port is closed', async () => {
    const opened: string[] = [];
    const { gc, events } = newClient(recorder(), { openBrowser: (url) => void opened.push(url), loginTimeoutMs: 300 });
    await expect(gc.login()).rejects.toMatchObject({ code: 'login_timeout' });
    const redirectUri = new URL(opened[0]!).searchParams.get('redirect_uri')!;
    await expect(fetch(redirectUri)).rejects.toThrow();
    expect(await gc.isLoggedIn()).toBe(false);
    expect(events.login).toEqual([]);
  });

  it('login fails when the browser cannot be opened, and the loopback port is closed', async () => {
    let opened = '';
    const { gc } = newClient(recorder(), {
      openBrowser: (url) => {
        opened = url;
        throw new Error('no display');
      },
    });
    await expect(gc.login()).rejects.toMatchObject({ code: 'login_failed', cause: { message: 'no display' } });
    await expect(fetch(new URL(opened).searchParams.get('redirect_uri')!)).rejects.toThrow();
  });

  it('refuses a callback whose iss does not match and never exchanges the code', async () => {
    const browser = scriptedBrowser(t.url, newEmail(), {
      tamper: (u) => u.searchParams.set('iss', 'https://evil.example'),
    });
    const rec = recorder();
    const { gc, events } = newClient(rec, { openBrowser: browser.open });
    await expect(gc.login()).rejects.toMatchObject({ code: 'login_failed' });
    const visit = await browser.visit();
    expect(visit.status).toBe(400);
    expect(visit.text).toContain('Sign-in failed');
    expect(rec.tokenCalls()).toBe(0);
    expect(await gc.isLoggedIn()).toBe(false);
    expect(events.login).toEqual([]);
  });

  // RFC 6749 §10.12: the state binds the callback to this login. A callback with another state
  // (any local process can reach the loopback port) is not this login's answer: it is refused
  // and the listener keeps waiting for the real one, until loginTimeoutMs.
  it.each([
    ['a forged state', (u: URL) => u.searchParams.set('state', 'forged-state')],
    ['no state', (u: URL) => u.searchParams.delete('state')],
  ])(
    'a callback with %s is ignored: login keeps waiting until its timeout and never exchanges the code',
    async (_name, tamper) => {
      const browser = scriptedBrowser(t.url, newEmail(), { tamper });
      const rec = recorder();
      const { gc, events } = newClient(rec, { openBrowser: browser.open, loginTimeoutMs: 3000 });
      const started = Date.now();
      await expect(gc.login()).rejects.toMatchObject({ code: 'login_timeout' });
      const visit = await browser.visit();
      expect(visit.status).toBe(400);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(rec.tokenCalls()).toBe(0);
      expect(await gc.isLoggedIn()).toBe(false);
      expect(events.login).toEqual([]);
    },
  );

  it('a stray callback that reaches the loopback port first does not break the login that follows', async () => {
    const email = newEmail();
    const browser = scriptedBrowser(t.url, email);
    const stray: number[] = [];
    const { gc, events } = newClient(recorder(), {
      openBrowser: async (url) => {
        const redirectUri = new URL(new URL(url).searchParams.get('redirect_uri')!);
        for (const query of ['?code=stolen&state=guess', '?error=access_denied', '']) {
          stray.push((await fetch(`${redirectUri.href}${query}`)).status);
        }
        browser.open(url);
      },
    });
    const user = await gc.login();
    expect(stray).toEqual([400, 400, 400]);
    expect(user.email).toBe(email);
    expect((await browser.visit()).status).toBe(200);
    expect(events.login).toEqual([user]);
  });

  describe('fetch() attaches the access token only to configured origins', () => {
    let api: Server;
    let apiUrl: string;
    const seen: (string | undefined)[] = [];
    beforeAll(async () => {
      api = createServer((req, res) => {
        seen.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));
    beforeEach(() => void seen.splice(0));

    it('the issuer origin gets the token; another origin gets the request without it', async () => {
      const { gc } = await loggedIn();
      const token = await gc.getAccessToken();
      const own = await gc.fetch(`${t.url}/test/me`);
      expect(own.status).toBe(200);
      expect(await own.json()).toMatchObject({ sub: expect.any(String) });
      expect((await gc.fetch(`${apiUrl}/orders`)).status).toBe(200);
      expect(
        (await gc.fetch(new Request(`${apiUrl}/orders`, { headers: { authorization: 'Basic mine' } }))).status,
      ).toBe(200);
      expect(seen).toEqual([undefined, 'Basic mine']);
      expect(seen).not.toContain(`Bearer ${token}`);
    });

    it('an origin listed in apiOrigins gets the token', async () => {
      const { store } = await loggedIn();
      const { gc } = newClient(recorder(), { storage: store, apiOrigins: [`${apiUrl}/ignored/path`] });
      await gc.fetch(`${apiUrl}/orders`);
      expect(seen).toEqual([`Bearer ${(await store.get())!.accessToken}`]);
    });

    it.each([['http://api.example.com'], ['ftp://127.0.0.1'], ['not a url']])(
      'apiOrigins refuses %s (https only, http on loopback)',
      (origin) => {
        expect(() => newClient(recorder(), { apiOrigins: [origin] })).toThrow(/apiOrigins/);
      },
    );
  });
});
