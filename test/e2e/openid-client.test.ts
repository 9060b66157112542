import { beforeAll, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { relyingParty, type RelyingParty } from '../helpers/relying-party.js';

const REDIRECT = 'https://rp.example.com/cb';
const AFTER_LOGOUT = 'https://rp.example.com/signed-out';

/**
 * openid-client (panva), a strict relying party, against the running server: discovery, the
 * code flow with PKCE and max_age (auth_time checked), prompt=login, refresh with
 * offline_access, UserInfo and RP-initiated logout. It throws on anything off-spec.
 */
describeBackends('openid-client against Gatehouse', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let registered: RegisteredClient;
  let config: oidc.Configuration;
  let driver: RelyingParty;
  const browser = new Browser();
  const email = 'openid.client@example.com';

  beforeAll(async () => {
    registered = await registerClient(t.app, {
      app_name: 'openid-client',
      redirect_urls: [REDIRECT],
      post_logout_redirect_urls: [AFTER_LOGOUT],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    config = await oidc.discovery(new URL(t.url), registered.client_id, registered.client_secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    driver = relyingParty(t, registered, REDIRECT);
  }, 60_000);

  /** The whole code flow as openid-client runs it; the browser part driven by the helper. */
  async function codeFlow(params: Record<string, string>, checks: { maxAge?: number } = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    });
    const outcome = await driver.authorize(browser, {}, { url: url.toString(), email });
    const tokens = await oidc.authorizationCodeGrant(config, outcome.callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      ...checks,
    });
    return { outcome, tokens };
  }

  it('discovers the provider (OIDC Discovery 1.0)', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(t.url);
    expect(meta.end_session_endpoint).toBe(`${t.url}/oauth/logout`);
    expect(meta.id_token_signing_alg_values_supported?.[0]).toBe('RS256');
  });

  it('code + PKCE with max_age, prompt=login, refresh with offline_access, userinfo, logout', async () => {
    // Code flow with PKCE and max_age: openid-client requires auth_time within max_age.
    const first = await codeFlow(
      { scope: 'openid profile email offline_access', max_age: '300', prompt: 'consent' },
      { maxAge: 300 },
    );
    const claims = first.tokens.claims()!;
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(first.tokens.scope).toBe('openid profile email offline_access');

    // prompt=login: a new round trip through Google, then the same request goes on.
    const again = await codeFlow({ scope: 'openid profile email offline_access', prompt: 'login' });
    expect(again.outcome.googleRequests).toHaveLength(1);
    expect(again.tokens.claims()!.sub).toBe(claims.sub);

    // Refresh naming offline_access (kept in the grant, so not a widening).
    const refreshed = await oidc.refreshTokenGrant(config, again.tokens.refresh_token!, {
      scope: 'openid profile email offline_access',
    });
    expect(refreshed.claims()!.sub).toBe(claims.sub);

    const info = await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email });

    // RP-initiated logout: the session ends, the browser returns with state.
    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'bye',
    });
    const res = await browser.get(logout.toString());
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${AFTER_LOGOUT}?state=bye`);
    const silent = await driver.authorize(
      browser,
      {},
      {
        url: oidc
          .buildAuthorizationUrl(config, {
            redirect_uri: REDIRECT,
            scope: 'openid',
            prompt: 'none',
            state: 's',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          })
          .toString(),
      },
    );
    expect(silent.callback.searchParams.get('error')).toBe('login_required');
  });
});
