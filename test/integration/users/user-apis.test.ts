import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { decodeJwt } from 'jose';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';
import { bearer, googleTokensFor } from '../../helpers/users.js';
import { expectApiError } from '../../helpers/api-error.js';

describeBackends('user APIs: /user/info, /userinfo, /api/update_username, /api/refresh, /api/logout', (backend) => {
  const t = useTestApp(backend, { google: true });
  let client: RegisteredClient;
  let firstParty: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email reports' });
    firstParty = await registerClient(t.app, { first_party: true });
  }, 60_000);
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A user token through the token endpoint, for a seeded user. */
  const tokensFor = (user: SeededUser, scope = 'openid profile email', as: RegisteredClient = client) =>
    redeemCode(t, as, user.id, { scope });
  async function apiLogin(email: string) {
    const google = await googleTokensFor(t.app, t.google, email);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { access_token: google.access_token },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ access_token: string; refresh_token: string; user: { id: string; username: string } }>();
  }
  const userInfo = (token: string | undefined, username?: string) =>
    t.app.inject({
      method: 'GET',
      url: `/user/info${username === undefined ? '' : `?username=${encodeURIComponent(username)}`}`,
      headers: token ? bearer(token) : {},
    });
  const rename = (token: string, newUsername: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/update_username',
      headers: bearer(token),
      payload: { new_username: newUsername },
    });
  const post = (url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

  describe_userInfo();
  describe_userinfo();
  describe_updateUsername();
  describe_usernameRules();
  describe_refreshAndLogout();

  function describe_userInfo() {
    // OIDC Core §5.4: scopes decide which claims are released; the same on both endpoints.
    it("/user/info and /userinfo: only what the token's scopes cover (a reports-only token gets none of it)", async () => {
      const user = await seedUser(t.db);
      const reports = await tokensFor(user, 'reports');
      const none = await userInfo(reports.access_token);
      expect(none.statusCode, none.body).toBe(200);
      expect(none.json().user_data).toEqual({});
      expect(
        (await t.app.inject({ method: 'GET', url: '/userinfo', headers: bearer(reports.access_token) })).statusCode,
      ).toBe(403);

      const email = await tokensFor(user, 'openid email');
      expect((await userInfo(email.access_token)).json().user_data).toEqual({ email: user.email, verified: true });
      const oidc = await t.app.inject({ method: 'GET', url: '/userinfo', headers: bearer(email.access_token) });
      expect(oidc.json()).toEqual({ sub: user.id, email: user.email, email_verified: true });

      const profile = await tokensFor(user, 'openid profile');
      expect((await userInfo(profile.access_token)).json().user_data).toEqual({
        first_name: 'Ada',
        last_name: 'Lovelace',
        username: user.username,
        two_factor: false,
      });
      const oidcProfile = (
        await t.app.inject({ method: 'GET', url: '/userinfo', headers: bearer(profile.access_token) })
      ).json();
      expect(oidcProfile.email).toBeUndefined();
      expect(oidcProfile.preferred_username).toBe(user.username);
    });

    it('/user/info: own data with or without the username, in the seed shape', async () => {
      const user = await seedUser(t.db);
      const { access_token } = await tokensFor(user);
      for (const res of [
        await userInfo(access_token),
        await userInfo(access_token, user.username),
        await userInfo(access_token, user.username.toUpperCase()),
      ]) {
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        const body = res.json();
        expect(body).toEqual({
          success: true,
          user_data: {
            first_name: 'Ada',
            last_name: 'Lovelace',
            username: user.username,
            two_factor: false,
            verified: true,
            email: user.email,
          },
          timestamp: expect.any(Number),
        });
        expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(5);
      }
    });

    it("/user/info: another user's name is 403", async () => {
      const [a, b] = [await seedUser(t.db), await seedUser(t.db)];
      const res = await userInfo((await tokensFor(a)).access_token, b.username);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ success: false, error: 'forbidden' });
      expect(res.body).not.toContain(b.email);
      expect((await userInfo((await tokensFor(a)).access_token, 'not a valid name!')).statusCode).toBe(403);
    });

    it('/user/info: no token, a garbage token and a revoked token are 401', async () => {
      const none = await userInfo(undefined);
      expect(none.statusCode).toBe(401);
      expect(none.json().error).toBe('invalid_token');
      expect((await userInfo('garbage')).statusCode).toBe(401);

      const user = await seedUser(t.db);
      const tokens = await tokensFor(user);
      expect((await userInfo(tokens.access_token)).statusCode).toBe(200);
      expect((await postAs(t.app, client, '/oauth/revoke', { token: tokens.refresh_token })).statusCode).toBe(200);
      const revoked = await userInfo(tokens.access_token);
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json().error_description).toMatch(/revoked/);
    });

    it('/user/info: an expired token is 401', async () => {
      const user = await seedUser(t.db);
      const { access_token } = await tokensFor(user);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + (t.config.security.access_token_expiry_minutes * 60 + 10) * 1000);
      await t.app.denyList.sync();
      const res = await userInfo(access_token);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_token', error_description: 'the access token expired' });
    });

    it("/user/info: a client_credentials token is 403, even when its sub equals a user's id", async () => {
      const ccClient = await registerClient(t.app, {
        grant_types: ['client_credentials'],
        scope: 'reports',
        redirect_url: undefined,
      });
      const res = await postAs(t.app, ccClient, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' });
      expect(res.statusCode, res.body).toBe(200);
      const token = res.json().access_token as string;
      // A user whose id is exactly the client id: the token's sub names them, and still it is no user token.
      await seedUser(t.db, { id: ccClient.client_id });
      expect(decodeJwt(token).sub).toBe(ccClient.client_id);
      const info = await userInfo(token);
      expect(info.statusCode).toBe(403);
      expect(info.json().error).toBe('forbidden');
      expect((await rename(token, 'cc_takeover')).statusCode).toBe(403);
    });

    it("/user/info: a renamed user's old token works for the new name and is 403 for the old one", async () => {
      const user = await seedUser(t.db);
      const old = (await tokensFor(user, undefined, firstParty)).access_token;
      const newName = `renamed_${user.username.slice(-8)}`;
      expect((await rename(old, newName)).statusCode).toBe(200);
      expect(decodeJwt(old).username).toBe(user.username);
      const res = await userInfo(old, newName);
      expect(res.statusCode).toBe(200);
      expect(res.json().user_data.username).toBe(newName);
      expect((await userInfo(old, user.username)).statusCode).toBe(403);
      // Someone who takes the freed name later (after its 30-day hold) is not reachable with
      // the old token either.
      await t.db.query(
        `UPDATE username_holds SET released_at = now() - interval '31 days' WHERE username_sha256 = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [user.username],
      );
      const squatter = await seedUser(t.db, { username: user.username });
      expect((await userInfo(old, squatter.username)).statusCode).toBe(403);
      // Newly issued tokens carry the new name.
      expect(decodeJwt((await tokensFor(user, undefined, firstParty)).access_token).username).toBe(newName);
    });
  }

  function describe_userinfo() {
    const userinfo = (token: string, method: 'GET' | 'POST' = 'GET') =>
      t.app.inject({ method, url: '/userinfo', headers: bearer(token) });

    it('/userinfo: claims by granted scope, sub always', async () => {
      const user = await seedUser(t.db);
      const full = await userinfo((await tokensFor(user, 'openid profile email')).access_token);
      expect(full.statusCode).toBe(200);
      expect(full.json()).toEqual({
        sub: user.id,
        email: user.email,
        email_verified: true,
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
        preferred_username: user.username,
      });
      expect((await userinfo((await tokensFor(user, 'openid email')).access_token, 'POST')).json()).toEqual({
        sub: user.id,
        email: user.email,
        email_verified: true,
      });
      expect((await userinfo((await tokensFor(user, 'openid profile')).access_token)).json()).toEqual({
        sub: user.id,
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
        preferred_username: user.username,
      });
      expect((await userinfo((await tokensFor(user, 'openid')).access_token)).json()).toEqual({ sub: user.id });
    });

    it('/userinfo: RFC 6750 errors with WWW-Authenticate', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/userinfo' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
      const bad = await userinfo('garbage');
      expect(bad.statusCode).toBe(401);
      expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      const user = await seedUser(t.db);
      const noOpenid = await userinfo((await tokensFor(user, 'profile')).access_token);
      expect(noOpenid.statusCode).toBe(403);
      expect(noOpenid.json().error).toBe('insufficient_scope');
      expect(noOpenid.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
      const ccClient = await registerClient(t.app, {
        grant_types: ['client_credentials'],
        scope: 'reports',
        redirect_url: undefined,
      });
      const cc = (
        await postAs(t.app, ccClient, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' })
      ).json().access_token;
      const ccRes = await userinfo(cc);
      expect(ccRes.statusCode).toBe(403);
      expect(ccRes.json().error).toBe('insufficient_scope');
    });
  }

  function describe_updateUsername() {
    it('/api/update_username: canonicalises, refuses bad and reserved names, 409 when taken', async () => {
      const user = await seedUser(t.db);
      const other = await seedUser(t.db);
      const { access_token } = await tokensFor(user, undefined, firstParty);
      const wanted = `Ｎew_${user.username.slice(-6)}`; // fullwidth N folds to n under NFKC
      const ok = await rename(access_token, wanted);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ success: true, username: `new_${user.username.slice(-6)}` });
      for (const bad of ['ab', 'x'.repeat(33), 'has space', 'émile', 'a@b.c']) {
        const res = await rename(access_token, bad);
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().error).toBe('invalid_request');
      }
      for (const reserved of ['admin', 'Gatehouse', 'ROOT']) {
        const res = await rename(access_token, reserved);
        expect(res.statusCode, reserved).toBe(400);
        expect(res.json().error_description).toMatch(/reserved/);
      }
      const taken = await rename(access_token, other.username.toUpperCase());
      expect(taken.statusCode).toBe(409);
      expect(taken.json()).toMatchObject({ success: false, error: 'username_taken' });
      expect(
        (await t.app.inject({ method: 'POST', url: '/api/update_username', payload: { new_username: 'nobody_here' } }))
          .statusCode,
      ).toBe(401);
    });

    it('/api/update_username: 20 users racing for one name, exactly one wins', async () => {
      const users = await Promise.all(Array.from({ length: 20 }, () => seedUser(t.db)));
      const tokens = await Promise.all(
        users.map(async (u) => (await tokensFor(u, undefined, firstParty)).access_token),
      );
      const name = `race_${Date.now().toString(36)}`;
      const results = await Promise.all(tokens.map((token) => rename(token, name)));
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes.filter((c) => c === 200)).toHaveLength(1);
      expect(codes.filter((c) => c === 409)).toHaveLength(19);
      for (const r of results.filter((r) => r.statusCode === 409)) expect(r.json().error).toBe('username_taken');
      const { rows } = await t.db.query('SELECT id FROM users WHERE username = $1', [name]);
      expect(rows).toHaveLength(1);
    });
  }

  function describe_usernameRules() {
    it("/api/update_username: a third-party client's token is refused (403), whatever its scope; login and first-party clients' are accepted", async () => {
      const user = await seedUser(t.db);
      // The report's sequence: a third-party app the person granted only `reports`.
      const thirdParty = await tokensFor(user, 'reports');
      const refused = await rename(thirdParty.access_token, `taken_${user.username.slice(-6)}`);
      expectApiError(refused, 403, 'forbidden', 'only the login client or a first-party client may change a username');
      const full = await tokensFor(user, 'openid profile email reports');
      expect((await rename(full.access_token, `taken_${user.username.slice(-6)}`)).statusCode).toBe(403);
      const { rows } = await t.db.query<{ username: string }>('SELECT username FROM users WHERE id = $1', [user.id]);
      expect(rows[0]!.username).toBe(user.username);

      const viaFirstParty = await rename(
        (await tokensFor(user, undefined, firstParty)).access_token,
        `fp_${user.username.slice(-6)}`,
      );
      expect(viaFirstParty.statusCode, viaFirstParty.body).toBe(200);
      const login = await apiLogin(`login.rename.${Date.now()}@example.com`);
      const viaLogin = await rename(login.access_token, `login_${Date.now().toString(36)}`);
      expect(viaLogin.statusCode, viaLogin.body).toBe(200);
    });

    it('a username given up by a rename or a deletion is held for 30 days; its last owner may take it back', async () => {
      const [owner, other] = [await seedUser(t.db), await seedUser(t.db)];
      const ownerToken = (await tokensFor(owner, undefined, firstParty)).access_token;
      const otherToken = (await tokensFor(other, undefined, firstParty)).access_token;
      const released = owner.username;
      expect((await rename(ownerToken, `${released}_new`)).statusCode).toBe(200);
      const grabbed = await rename(otherToken, released);
      expect(grabbed.statusCode).toBe(409);
      expect(grabbed.json()).toMatchObject({ success: false, error: 'username_taken' });
      // A new person whose email would derive the held name gets another one.
      const newcomer = await t.app.repos.users.upsertFromGoogle({
        sub: `held-${Date.now()}`,
        email: `${released}@example.com`,
        emailVerified: true,
      });
      expect(newcomer.username).not.toBe(released);
      // The person who gave it up takes it back.
      const back = await rename(ownerToken, released);
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json().username).toBe(released);

      // Released again; 30 days later anyone may have it.
      expect((await rename(ownerToken, `${released}_2`)).statusCode).toBe(200);
      expect((await rename(otherToken, released)).statusCode).toBe(409);
      await t.db.query(
        `UPDATE username_holds SET released_at = now() - interval '30 days 1 minute' WHERE username_sha256 = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [released],
      );
      expect((await rename(otherToken, released)).statusCode).toBe(200);

      // A deleted person's name is held too.
      const leaver = await seedUser(t.db);
      await t.db.query('DELETE FROM users WHERE id = $1', [leaver.id]);
      const after = await rename(
        (await tokensFor(await seedUser(t.db), undefined, firstParty)).access_token,
        leaver.username,
      );
      expect(after.statusCode).toBe(409);
      expect(after.json().error).toBe('username_taken');
    });
  }

  function describe_refreshAndLogout() {
    it('/api/refresh rotates; presenting a rotated token revokes the family', async () => {
      const first = await apiLogin('refresh.user@example.com');
      const r1 = await post('/api/refresh', { refresh_token: first.refresh_token });
      expect(r1.statusCode, r1.body).toBe(200);
      expect(r1.headers['cache-control']).toBe('no-store');
      const second = r1.json();
      expect(second).toMatchObject({ success: true, token_type: 'Bearer', username: 'refresh.user' });
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(decodeJwt(second.access_token).fid).toBe(decodeJwt(first.access_token).fid);

      const reuse = await post('/api/refresh', { refresh_token: first.refresh_token });
      expect(reuse.statusCode).toBe(400);
      expect(reuse.json().error).toBe('invalid_grant');
      // The whole family is gone: the newest refresh token and every access token of it.
      expect((await post('/api/refresh', { refresh_token: second.refresh_token })).json().error).toBe('invalid_grant');
      expect((await userInfo(second.access_token)).statusCode).toBe(401);
      expect((await userInfo(first.access_token)).statusCode).toBe(401);
    });

    it("/api/refresh refuses another client's refresh token and changes nothing", async () => {
      const user = await seedUser(t.db);
      const tokens = await tokensFor(user);
      expect((await post('/api/refresh', { refresh_token: tokens.refresh_token })).json().error).toBe('invalid_grant');
      expect(
        (
          await postAs(t.app, client, '/oauth/token', {
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token,
          })
        ).statusCode,
      ).toBe(200);
      expect((await post('/api/refresh', {})).statusCode).toBe(400);
    });

    it('/api/logout with the refresh token revokes the family and its access tokens', async () => {
      const session = await apiLogin('logout.user@example.com');
      expect((await userInfo(session.access_token)).statusCode).toBe(200);
      const res = await post('/api/logout', { refresh_token: session.refresh_token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ success: true });
      expect((await userInfo(session.access_token)).statusCode).toBe(401);
      expect((await post('/api/refresh', { refresh_token: session.refresh_token })).json().error).toBe('invalid_grant');
    });

    it('/api/logout with a Bearer token alone revokes its family', async () => {
      const session = await apiLogin('bearer.logout@example.com');
      const res = await post('/api/logout', undefined, bearer(session.access_token));
      expect(res.statusCode, res.body).toBe(200);
      expect((await userInfo(session.access_token)).statusCode).toBe(401);
      expect((await post('/api/refresh', { refresh_token: session.refresh_token })).json().error).toBe('invalid_grant');
    });

    it("/api/logout: nothing to log out is 400; an unknown or another client's refresh token changes nothing", async () => {
      expect((await post('/api/logout', {})).statusCode).toBe(400);
      expect((await post('/api/logout', { refresh_token: 'unknown' })).statusCode).toBe(200);
      const user = await seedUser(t.db);
      const tokens = await tokensFor(user);
      expect((await post('/api/logout', { refresh_token: tokens.refresh_token })).statusCode).toBe(200);
      expect((await userInfo(tokens.access_token)).statusCode).toBe(200);
    });

    // Product rule: "/api/logout revokes only families of the login client"; "Revoking
    // another client's token answers 200 and changes nothing".
    it("/api/logout with another client's access token answers 200 and changes nothing: that family still refreshes", async () => {
      const user = await seedUser(t.db);
      const tokens = await tokensFor(user);
      const res = await post('/api/logout', undefined, bearer(tokens.access_token));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: true });
      expect((await userInfo(tokens.access_token)).statusCode).toBe(200);
      const refreshed = await postAs(t.app, client, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      const { rows } = await t.db.query('SELECT revoked_at FROM token_families WHERE id = $1', [
        decodeJwt(tokens.access_token).fid,
      ]);
      expect(rows).toEqual([{ revoked_at: null }]);
    });
  }
});
