import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { Browser } from '../../helpers/browser.js';
import { pkcePair } from '../../helpers/oauth.js';
import { registerRelyingParty, relyingParty, type RelyingParty, type TokenSet } from '../../helpers/relying-party.js';

const REDIRECT = 'https://rp.example.com/cb';

/**
 * The modules of the OpenID Foundation's Basic OP and Config OP certification plans
 * (oidcc-basic-certification-test-plan, oidcc-config-certification-test-plan; the module names are
 * the conformance suite's), each driven against a running server with a static client the way
 * the suite drives it: a browser through /oauth/authorize and the (mock) Google sign-in, then the
 * token and UserInfo endpoints, the ID token verified against the published JWKS.
 */
describeBackends('OpenID Provider: Basic OP and Config OP certification modules', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let client: RegisteredClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ client, rp } = await registerRelyingParty(t, REDIRECT, { app_name: 'Conformance RP' }));
  }, 60_000);

  const newEmail = () => `rp.${Math.random().toString(36).slice(2)}@example.com`;

  /** A first authentication, as every module starts: a fresh browser, sign-in, consent, tokens. */
  async function firstLogin(params: Record<string, string> = {}, email = newEmail()) {
    const browser = new Browser();
    const outcome = await rp.authorize(
      browser,
      { scope: 'openid profile email', state: 'first', nonce: 'n-first', ...params },
      { email },
    );
    const code = outcome.callback.searchParams.get('code');
    expect(code, outcome.callback.toString()).toBeTruthy();
    const tokens = await rp.tokens(code!);
    const { claims } = await rp.verifyIdToken(tokens.id_token!);
    return { browser, email, tokens, claims };
  }

  /** Makes the browser's sign-in `seconds` older, as if that much time had passed since it. */
  async function ageSignIn(userId: string, seconds: number) {
    const { rows } = await t.db.query<{ id_hash: string }>(
      `UPDATE sessions SET auth_time = auth_time - make_interval(secs => $2) WHERE user_id = $1 RETURNING id_hash`,
      [userId, seconds],
    );
    for (const r of rows) await t.app.sessions.forget(r.id_hash);
  }

  async function expectCode(outcome: { callback: URL }, state: string) {
    expect(outcome.callback.searchParams.get('error'), outcome.callback.toString()).toBeNull();
    expect(outcome.callback.searchParams.get('state')).toBe(state);
    expect(outcome.callback.searchParams.get('iss')).toBe(t.url);
    return outcome.callback.searchParams.get('code')!;
  }

  function expectError(outcome: { callback: URL }, error: string, state: string) {
    expect(outcome.callback.searchParams.get('error'), outcome.callback.toString()).toBe(error);
    expect(outcome.callback.searchParams.get('state')).toBe(state);
    expect(outcome.callback.searchParams.get('code')).toBeNull();
  }

  describe('oidcc-server', () => {
    it('code flow: state and nonce returned, ID token signed RS256 with a kid from the JWKS, auth_time present', async () => {
      const { tokens, claims } = await firstLogin();
      const { alg, kid } = await rp.verifyIdToken(tokens.id_token!);
      expect(alg).toBe('RS256');
      expect(kid).toEqual(expect.any(String));
      // OIDC Core §2: iss, sub, aud, exp, iat; nonce as sent; auth_time on every ID token.
      expect(claims).toMatchObject({ iss: t.url, aud: client.client_id, nonce: 'n-first', sub: expect.any(String) });
      expect(claims.auth_time).toEqual(expect.any(Number));
      expect(tokens.token_type).toBe('Bearer');
      // ValidateExpiresIn (RFC 6749 §5.1), and the access token works at the resource (UserInfo).
      expect(tokens.expires_in).toBeGreaterThan(0);
      const info = await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(info.status).toBe(200);
    });
  });

  describe('oidcc-server-client-secret-post', () => {
    it('redeems the code with client_secret_post', async () => {
      const browser = new Browser();
      const code = await expectCode(
        await rp.authorize(browser, { scope: 'openid', state: 'csp' }, { email: newEmail() }),
        'csp',
      );
      const tokens = await rp.tokens(code, {}, 'post');
      await rp.verifyIdToken(tokens.id_token!);
    });
  });

  describe('oidcc-response-type-missing', () => {
    it('answers invalid_request at the redirect URI when response_type is missing', async () => {
      const { browser } = await firstLogin();
      expectError(
        await rp.authorize(browser, { response_type: undefined, scope: 'openid', state: 'rtm' }),
        'invalid_request',
        'rtm',
      );
    });
  });

  describe('oidcc-idtoken-signature', () => {
    it('signs ID tokens with a key published in the JWKS (kid in the header)', async () => {
      const { tokens } = await firstLogin();
      const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; alg: string }[];
      };
      const { kid, alg } = await rp.verifyIdToken(tokens.id_token!);
      expect(jwks.keys).toContainEqual(expect.objectContaining({ kid, alg }));
    });
  });

  describe('oidcc-idtoken-unsigned', () => {
    it('is not applicable: alg "none" is not offered, so the suite skips the module', async () => {
      const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
        string,
        string[]
      >;
      expect(meta.id_token_signing_alg_values_supported).not.toContain('none');
    });
  });

  describe('oidcc-idtoken-rs256', () => {
    it('RS256 is the default ID token algorithm and is listed first in discovery', async () => {
      const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
        string,
        string[]
      >;
      expect(meta.id_token_signing_alg_values_supported![0]).toBe('RS256');
      const { tokens } = await firstLogin();
      expect((await rp.verifyIdToken(tokens.id_token!)).alg).toBe('RS256');
      // Access tokens keep security.jwt_algorithm.
      expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
    });

    it('a client registered with id_token_signed_response_alg gets that algorithm', async () => {
      for (const alg of ['ES256', 'EdDSA'] as const) {
        const other = await registerClient(t.app, {
          redirect_urls: [REDIRECT],
          grant_types: ['authorization_code'],
          id_token_signed_response_alg: alg,
        });
        const otherRp = relyingParty(t, other, REDIRECT);
        const code = await expectCode(
          await otherRp.authorize(new Browser(), { scope: 'openid', state: alg }, { email: newEmail() }),
          alg,
        );
        const tokens = await otherRp.tokens(code);
        expect((await otherRp.verifyIdToken(tokens.id_token!)).alg).toBe(alg);
      }
    });
  });

  describe('UserInfo', () => {
    let tokens: TokenSet;
    let sub: string;
    let email: string;
    beforeAll(async () => {
      const login = await firstLogin();
      tokens = login.tokens;
      sub = login.claims.sub!;
      email = login.email;
    });
    const expectClaims = async (res: Response) => {
      expect(res.status).toBe(200);
      // OIDC Core §5.3.2: sub MUST be returned and match the ID token's.
      expect(await res.json()).toMatchObject({
        sub,
        email,
        email_verified: true,
        preferred_username: expect.any(String),
      });
    };

    describe('oidcc-userinfo-get', () => {
      it('GET with the Bearer header', async () => {
        await expectClaims(
          await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        );
      });
    });
    describe('oidcc-userinfo-post-header', () => {
      it('POST with the Bearer header', async () => {
        await expectClaims(
          await fetch(`${t.url}/userinfo`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.access_token}` },
          }),
        );
      });
    });
    describe('oidcc-userinfo-post-body', () => {
      it('POST with access_token in a form body (RFC 6750 §2.2)', async () => {
        await expectClaims(
          await fetch(`${t.url}/userinfo`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ access_token: tokens.access_token }),
          }),
        );
      });
      it('refuses a token sent both ways (RFC 6750 §3.1: more than one method)', async () => {
        const res = await fetch(`${t.url}/userinfo`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Bearer ${tokens.access_token}`,
          },
          body: new URLSearchParams({ access_token: tokens.access_token }),
        });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ success: false, error: 'invalid_request' });
      });
      it('a bad token in the body is 401 invalid_token', async () => {
        const res = await fetch(`${t.url}/userinfo`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ access_token: 'nope' }),
        });
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ success: false, error: 'invalid_token' });
      });
    });
  });

  describe('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', () => {
    it('issues a code and an ID token without nonce', async () => {
      const browser = new Browser();
      const code = await expectCode(
        await rp.authorize(browser, { scope: 'openid', state: 'nn' }, { email: newEmail() }),
        'nn',
      );
      const { claims } = await rp.verifyIdToken((await rp.tokens(code)).id_token!);
      expect(claims.nonce).toBeUndefined();
    });
  });

  describe('scopes', () => {
    async function claimsFor(scope: string) {
      const browser = new Browser();
      const code = await expectCode(await rp.authorize(browser, { scope, state: 's' }, { email: newEmail() }), 's');
      const tokens = await rp.tokens(code);
      const info = (await (
        await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      ).json()) as Record<string, unknown>;
      // EnsureUserInfoContainsSub, VerifyUserInfoAndIdTokenInTokenEndpointSameSub (OIDC Core §5.3.2).
      expect(info.sub).toBe((await rp.verifyIdToken(tokens.id_token!)).claims.sub);
      return { tokens, info };
    }
    describe('oidcc-scope-profile', () => {
      it('profile gives names and username, not email', async () => {
        const { info, tokens } = await claimsFor('openid profile');
        expect(tokens.scope).toBe('openid profile');
        expect(info).toMatchObject({ name: expect.any(String), preferred_username: expect.any(String) });
        expect(info.email).toBeUndefined();
      });
    });
    describe('oidcc-scope-email', () => {
      it('email gives the address and whether it is verified, not names', async () => {
        const { info } = await claimsFor('openid email');
        expect(info).toMatchObject({ email: expect.any(String), email_verified: true });
        expect(info.name).toBeUndefined();
      });
    });
    describe('oidcc-scope-address', () => {
      it('is skipped by the suite: address is not in scopes_supported', async () => {
        const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
          string,
          string[]
        >;
        expect(meta.scopes_supported).not.toContain('address');
      });
    });
    describe('oidcc-scope-phone', () => {
      it('is skipped by the suite: phone is not in scopes_supported', async () => {
        const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
          string,
          string[]
        >;
        expect(meta.scopes_supported).not.toContain('phone');
      });
    });
    describe('oidcc-scope-all', () => {
      it('is skipped by the suite: it asks for address and phone too, which scopes_supported does not list', async () => {
        const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
          string,
          string[]
        >;
        expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
        expect(meta.scopes_supported).not.toContain('address');
        expect(meta.scopes_supported).not.toContain('phone');
      });
      it('every supported identity scope at once', async () => {
        const { info } = await claimsFor('openid profile email');
        expect(info).toMatchObject({
          email: expect.any(String),
          name: expect.any(String),
          preferred_username: expect.any(String),
        });
      });
    });
    describe('oidcc-ensure-other-scope-order-succeeds', () => {
      it('scope order does not matter', async () => {
        const { info } = await claimsFor('email openid');
        expect(info.email).toEqual(expect.any(String));
      });
    });
  });

  describe.each([
    ['oidcc-display-page', { display: 'page' }],
    ['oidcc-display-popup', { display: 'popup' }],
    ['oidcc-ensure-request-with-unknown-parameter-succeeds', { extra: 'foobar' }],
    ['oidcc-ui-locales', { ui_locales: 'se' }],
    ['oidcc-claims-locales', { claims_locales: 'se' }],
    ['oidcc-ensure-request-with-acr-values-succeeds', { acr_values: '1 2' }],
  ])('%s', (_module, extra) => {
    it('accepts the parameter and completes the flow', async () => {
      const browser = new Browser();
      const code = await expectCode(
        await rp.authorize(browser, { scope: 'openid profile', state: 'x', ...extra }, { email: newEmail() }),
        'x',
      );
      await rp.verifyIdToken((await rp.tokens(code)).id_token!);
    });
  });

  describe('oidcc-claims-essential', () => {
    it('accepts a claims request for name (essential, in UserInfo) and UserInfo returns name', async () => {
      // claims_parameter_supported is false: the parameter is accepted and ignored, and name comes
      // with the profile scope the suite's client is configured with (EnsureUserInfoContainsName).
      const code = await expectCode(
        await rp.authorize(
          new Browser(),
          { scope: 'openid profile', state: 'ce', claims: JSON.stringify({ userinfo: { name: { essential: true } } }) },
          { email: newEmail() },
        ),
        'ce',
      );
      const tokens = await rp.tokens(code);
      const { claims } = await rp.verifyIdToken(tokens.id_token!);
      const info = (await (
        await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      ).json()) as Record<string, unknown>;
      expect(info.name).toEqual(expect.any(String));
      // The module's other check, EnsureIdTokenDoesNotContainName, is only a WARNING: the ID token
      // carries the claims of the granted scopes too (docs/relying-parties.md says so).
      expect(claims.name).toBe(info.name);
    });
  });

  describe('oidcc-prompt-login', () => {
    it('a signed-in person authenticates again at Google; the code carries the new auth_time', async () => {
      const first = await firstLogin();
      await ageSignIn(first.claims.sub!, 5);
      const aged = (first.claims.auth_time as number) - 5;
      const before = Math.floor(Date.now() / 1000);
      const outcome = await rp.authorize(first.browser, { scope: 'openid', state: 'pl', prompt: 'login' });
      // OIDC Core §3.1.2.1: re-authentication through Google, account picker and hint included.
      expect(outcome.googleRequests).toHaveLength(1);
      expect(outcome.googleRequests[0]!.searchParams.get('prompt')).toContain('select_account');
      expect(outcome.googleRequests[0]!.searchParams.get('login_hint')).toBe(first.email);
      const code = await expectCode(outcome, 'pl');
      const { claims } = await rp.verifyIdToken((await rp.tokens(code)).id_token!);
      expect(claims.sub).toBe(first.claims.sub);
      expect(claims.auth_time as number).toBeGreaterThan(aged);
      expect(claims.auth_time as number).toBeGreaterThanOrEqual(before);
    });

    it('prompt=select_account is treated like login', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(first.browser, { scope: 'openid', state: 'sa', prompt: 'select_account' });
      expect(outcome.googleRequests).toHaveLength(1);
      await expectCode(outcome, 'sa');
    });

    it('works for a POST authorization request too (the request is kept while the person signs in)', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(
        first.browser,
        { scope: 'openid', state: 'plp', prompt: 'login', nonce: 'n-post' },
        { method: 'POST' },
      );
      expect(outcome.googleRequests).toHaveLength(1);
      const code = await expectCode(outcome, 'plp');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.nonce).toBe('n-post');
    });
  });

  describe('oidcc-prompt-none-not-logged-in', () => {
    it('answers login_required without any page', async () => {
      const outcome = await rp.authorize(new Browser(), { scope: 'openid', state: 'pn', prompt: 'none' });
      expect(outcome.hops).toHaveLength(1);
      expectError(outcome, 'login_required', 'pn');
    });
  });

  describe('oidcc-prompt-none-logged-in', () => {
    it('returns a code at once for a signed-in person who consented', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(first.browser, {
        scope: 'openid profile email',
        state: 'pnl',
        prompt: 'none',
      });
      expect(outcome.hops).toHaveLength(1);
      const code = await expectCode(outcome, 'pnl');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.sub).toBe(first.claims.sub);
    });

    it('answers consent_required when consent is missing, login_required when max_age is exceeded', async () => {
      const first = await firstLogin({ scope: 'openid' });
      expectError(
        await rp.authorize(first.browser, { scope: 'openid email', state: 'c', prompt: 'none' }),
        'consent_required',
        'c',
      );
      await ageSignIn(first.claims.sub!, 5);
      expectError(
        await rp.authorize(first.browser, { scope: 'openid', state: 'm', prompt: 'none', max_age: '1' }),
        'login_required',
        'm',
      );
    });
  });

  describe('oidcc-max-age-1', () => {
    it('a sign-in older than max_age is repeated and auth_time is the new one', async () => {
      const first = await firstLogin();
      await ageSignIn(first.claims.sub!, 2);
      const aged = (first.claims.auth_time as number) - 2;
      const before = Math.floor(Date.now() / 1000);
      const outcome = await rp.authorize(first.browser, { scope: 'openid', state: 'ma', max_age: '1' });
      expect(outcome.googleRequests).toHaveLength(1);
      expect(outcome.googleRequests[0]!.searchParams.get('prompt')).toContain('select_account');
      const code = await expectCode(outcome, 'ma');
      const { claims } = await rp.verifyIdToken((await rp.tokens(code)).id_token!);
      expect(claims.auth_time as number).toBeGreaterThan(aged);
      expect(claims.auth_time as number).toBeGreaterThanOrEqual(before);
      // OIDC Core §3.1.2.1: with max_age the ID token MUST carry auth_time, within max_age of now.
      expect(Math.floor(Date.now() / 1000) - (claims.auth_time as number)).toBeLessThanOrEqual(1 + 5);
    });

    it('max_age=0 always authenticates again', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(first.browser, { scope: 'openid', state: 'm0', max_age: '0' });
      expect(outcome.googleRequests).toHaveLength(1);
      await expectCode(outcome, 'm0');
    });

    it('a malformed max_age is invalid_request', async () => {
      const first = await firstLogin();
      expectError(
        await rp.authorize(first.browser, { scope: 'openid', state: 'bad', max_age: '-1' }),
        'invalid_request',
        'bad',
      );
    });
  });

  describe('oidcc-max-age-10000', () => {
    it('a recent sign-in satisfies max_age: no new authentication, the old auth_time', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(first.browser, {
        scope: 'openid profile email',
        state: 'mx',
        max_age: '10000',
      });
      expect(outcome.googleRequests).toHaveLength(0);
      const code = await expectCode(outcome, 'mx');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.auth_time).toBe(first.claims.auth_time);
    });
  });

  describe('oidcc-id-token-hint', () => {
    it('prompt=none with an id_token_hint of the signed-in person returns a code', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(first.browser, {
        scope: 'openid profile email',
        state: 'h',
        prompt: 'none',
        id_token_hint: first.tokens.id_token!,
      });
      expect(outcome.hops).toHaveLength(1);
      const code = await expectCode(outcome, 'h');
      const { claims } = await rp.verifyIdToken((await rp.tokens(code)).id_token!);
      // AbstractOIDCCSameAuthTwiceServerTest: the same sub and the same auth_time as the first login.
      expect(claims.sub).toBe(first.claims.sub);
      expect(claims.auth_time).toBe(first.claims.auth_time);
    });

    it('an expired hint still names its subject (expiry is ignored)', async () => {
      const first = await firstLogin();
      // The hint's signature is what counts: the same token, minutes later, after expiry.
      const hint = first.tokens.id_token!;
      const sub = await t.app.tokens.verifyIdTokenHint(hint);
      expect(sub?.sub).toBe(first.claims.sub);
    });

    it('a hint naming someone else: login_required with prompt=none, otherwise a new sign-in', async () => {
      const other = await firstLogin();
      const first = await firstLogin();
      expectError(
        await rp.authorize(first.browser, {
          scope: 'openid',
          state: 'o',
          prompt: 'none',
          id_token_hint: other.tokens.id_token!,
        }),
        'login_required',
        'o',
      );
      const outcome = await rp.authorize(
        first.browser,
        { scope: 'openid', state: 'o2', id_token_hint: other.tokens.id_token! },
        { email: other.email },
      );
      expect(outcome.googleRequests).toHaveLength(1);
      const code = await expectCode(outcome, 'o2');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.sub).toBe(other.claims.sub);
    });

    it('a forged or foreign hint is invalid_request; an access token is not an ID token', async () => {
      const first = await firstLogin();
      const [h, p] = first.tokens.id_token!.split('.');
      expectError(
        await rp.authorize(first.browser, { scope: 'openid', state: 'f', id_token_hint: `${h}.${p}.AAAA` }),
        'invalid_request',
        'f',
      );
      expectError(
        await rp.authorize(first.browser, { scope: 'openid', state: 'a', id_token_hint: first.tokens.access_token }),
        'invalid_request',
        'a',
      );
    });
  });

  describe('oidcc-login-hint', () => {
    it('passes login_hint on to Google', async () => {
      const email = newEmail();
      const outcome = await rp.authorize(new Browser(), { scope: 'openid email', state: 'lh', login_hint: email });
      expect(outcome.googleRequests[0]!.searchParams.get('login_hint')).toBe(email);
      const code = await expectCode(outcome, 'lh');
      const tokens = await rp.tokens(code);
      const info = (await (
        await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      ).json()) as { email: string };
      expect(info.email).toBe(email);
    });
  });

  describe('oidcc-codereuse', () => {
    it('a second redemption of a code is invalid_grant', async () => {
      const browser = new Browser();
      const code = await expectCode(
        await rp.authorize(browser, { scope: 'openid', state: 'cr' }, { email: newEmail() }),
        'cr',
      );
      expect((await rp.redeem(code)).status).toBe(200);
      const again = await rp.redeem(code);
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('oidcc-codereuse-30seconds', () => {
    it('a code replayed 30 seconds after its redemption is invalid_grant and revokes the access token issued from it (RFC 6749 §4.1.2)', async () => {
      const browser = new Browser();
      const code = await expectCode(
        await rp.authorize(browser, { scope: 'openid', state: 'cr30' }, { email: newEmail() }),
        'cr30',
      );
      const tokens = await rp.tokens(code);
      // The suite waits 30 seconds (longer than nothing, shorter than the 60 s code lifetime): the
      // code's row is moved 30 seconds into the past, as if they had passed.
      const moved = await t.db.query(
        `UPDATE authorization_codes SET consumed_at = consumed_at - interval '30 seconds',
           expires_at = expires_at - interval '30 seconds', auth_time = auth_time - interval '30 seconds'
         WHERE code_hash = $1`,
        [sha256Hex(code)],
      );
      expect(moved.rowCount).toBe(1);
      const again = await rp.redeem(code);
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
      const info = await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(info.status).toBe(401);
    });
  });

  describe('oidcc-ensure-registered-redirect-uri', () => {
    it('an unregistered redirect_uri gets an error page, never a redirect', async () => {
      const res = await new Browser().get(
        rp.authorizeUrl({ scope: 'openid', state: 'r', redirect_uri: 'https://evil.example/cb' }),
      );
      expect(res.status).toBe(400);
      expect(res.location).toBeUndefined();
    });
  });

  describe('oidcc-ensure-redirect-uri-in-authorization-request', () => {
    it('an OpenID request without redirect_uri gets an error page, even for a client with one registered URI', async () => {
      const res = await new Browser().get(rp.authorizeUrl({ scope: 'openid', state: 'r', redirect_uri: undefined }));
      expect(res.status).toBe(400);
      expect(res.location).toBeUndefined();
    });
  });

  describe('oidcc-ensure-post-request-succeeds', () => {
    it('an authorization request by POST with a form body (OIDC Core §3.1.2.1)', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(
        first.browser,
        { scope: 'openid profile email', state: 'post', nonce: 'n-p' },
        { method: 'POST' },
      );
      const code = await expectCode(outcome, 'post');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.nonce).toBe('n-p');
    });

    it('a cross-site POST (sent without the SameSite=Lax session cookie) continues with the session, no new sign-in', async () => {
      const first = await firstLogin();
      const res = await fetch(`${t.url}/oauth/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: REDIRECT,
          scope: 'openid profile email',
          state: 'xs',
        }),
      });
      expect(res.status).toBe(303);
      const resume = new URL(res.headers.get('location')!, t.url);
      expect(resume.pathname).toBe('/oauth/authorize/resume');
      // The browser follows with a top-level GET, which carries its cookie.
      const outcome = await rp.authorize(first.browser, {}, { url: resume.toString() });
      expect(outcome.googleRequests).toHaveLength(0);
      const code = await expectCode(outcome, 'xs');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.sub).toBe(first.claims.sub);
    });

    it('a signed-out POST request signs in first, then continues the same request', async () => {
      const outcome = await rp.authorize(
        new Browser(),
        { scope: 'openid', state: 'post2', nonce: 'n-q' },
        { method: 'POST', email: newEmail() },
      );
      const code = await expectCode(outcome, 'post2');
      expect((await rp.verifyIdToken((await rp.tokens(code)).id_token!)).claims.nonce).toBe('n-q');
    });
  });

  describe('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported', () => {
    it('request_uri is answered with request_uri_not_supported (OIDC Core §6.2)', async () => {
      const first = await firstLogin();
      expectError(
        await rp.authorize(first.browser, {
          scope: 'openid',
          state: 'ru',
          request_uri: 'https://rp.example.com/req.jwt',
        }),
        'request_uri_not_supported',
        'ru',
      );
    });
  });

  /**
   * A request the way the suite's BuildRequestObjectRedirectToAuthorizationEndpoint builds it: an
   * unsigned (alg "none") request object holding every parameter plus iss and aud, and in the
   * query only request, response_type, client_id, scope and redirect_uri (state and nonce are
   * inside the object only).
   */
  function requestObjectUrl(inside: Record<string, string>, queryRedirect = REDIRECT) {
    const claims = {
      response_type: 'code',
      client_id: client.client_id,
      scope: 'openid',
      redirect_uri: REDIRECT,
      ...inside,
      iss: client.client_id,
      aud: t.url,
    };
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return rp.authorizeUrl({ scope: 'openid', redirect_uri: queryRedirect, request: `${header}.${body}.` });
  }

  describe('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported', () => {
    it('the request object as the suite sends it is answered request_not_supported, never ignored (OIDC Core §3.1.2.6)', async () => {
      const first = await firstLogin();
      const outcome = await rp.authorize(
        first.browser,
        {},
        { url: requestObjectUrl({ state: 'inside', nonce: 'inside' }) },
      );
      expect(outcome.callback.searchParams.get('error'), outcome.callback.toString()).toBe('request_not_supported');
      expect(outcome.callback.searchParams.get('code')).toBeNull();
      expect(outcome.callback.searchParams.get('iss')).toBe(t.url);
      // The state was only inside the unprocessed object, so there is none to return.
      expect(outcome.callback.searchParams.get('state')).toBeNull();
    });

    it('a request object is answered with request_not_supported, state from the query (OIDC Core §6.1)', async () => {
      const first = await firstLogin();
      const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ state: 'inside', nonce: 'inside' })).toString('base64url');
      expectError(
        await rp.authorize(first.browser, { scope: 'openid', state: 'ro', request: `${header}.${body}.` }),
        'request_not_supported',
        'ro',
      );
    });
  });

  describe('oidcc-ensure-request-object-with-redirect-uri', () => {
    it('discovery says request objects are not supported (request_object_signing_alg_values_supported absent)', async () => {
      const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(meta.request_parameter_supported).toBe(false);
      expect(meta.request_uri_parameter_supported).toBe(false);
      expect(meta.request_object_signing_alg_values_supported).toBeUndefined();
    });

    it('the registered redirect_uri only inside the object and another in the query: an error page, no redirect to either', async () => {
      // The module's screenshot is the OP's redirect-URI error page: the object is not processed,
      // so the query's unregistered redirect_uri is the one judged.
      const first = await firstLogin();
      const res = await first.browser.get(
        requestObjectUrl({ state: 'inside', nonce: 'inside' }, `${REDIRECT}?dummy1=lorem&dummy2=ipsum`),
      );
      expect(res.status).toBe(400);
      expect(res.location).toBeUndefined();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    });
  });

  describe('oidcc-refresh-token', () => {
    it('offline_access is granted and kept; a refresh naming it is no widening; the new ID token matches', async () => {
      const first = await firstLogin({ scope: 'openid offline_access', prompt: 'consent' });
      expect(first.tokens.scope).toBe('openid offline_access');
      expect(first.tokens.refresh_token).toEqual(expect.any(String));
      const res = await rp.refresh(first.tokens.refresh_token!, 'openid offline_access');
      const body = (await res.json()) as TokenSet;
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.scope).toBe('openid offline_access');
      const { claims } = await rp.verifyIdToken(body.id_token!);
      // OIDC Core §12.2: same iss, sub and aud; auth_time of the original authentication.
      expect(claims).toMatchObject({
        iss: first.claims.iss,
        sub: first.claims.sub,
        aud: client.client_id,
        auth_time: first.claims.auth_time,
      });
    });

    it('as the suite runs it: a second refresh a second later, then client 2 uses client 1 refresh token', async () => {
      const first = await firstLogin({ scope: 'openid offline_access', prompt: 'consent' });
      const refreshToken = first.tokens.refresh_token!;
      // EnsureRefreshTokenContainsAllowedCharactersOnly (RFC 6749 A.17: VSCHAR).
      expect(refreshToken).toMatch(/^[\x20-\x7e]+$/);
      // RefreshTokenRequestSteps waits a second, so that the new ID token's iat differs.
      await new Promise((r) => setTimeout(r, 1100));
      const res = await rp.refresh(refreshToken, 'openid offline_access');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const body = (await res.json()) as TokenSet;
      expect(body.token_type).toBe('Bearer');
      expect(body.access_token).not.toBe(first.tokens.access_token);
      expect(body.expires_in).toBeGreaterThan(0);
      // CompareIdTokenClaims (OIDC Core §12.2): iss, sub, aud, auth_time equal; iat new; azp as before.
      const { claims } = await rp.verifyIdToken(body.id_token!);
      expect(claims.iat).toBeGreaterThan(first.claims.iat!);
      expect(claims).toMatchObject({ iss: first.claims.iss, sub: first.claims.sub, aud: first.claims.aud });
      expect(claims.auth_time).toBe(first.claims.auth_time);
      expect(claims.azp).toBe(first.claims.azp);
      // The refreshed access token works at the resource (UserInfo).
      const info = await fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
      expect(info.status).toBe(200);

      // AbstractOIDCCMultipleClient: the same flow with a second client, whose refresh token
      // client 1 then presents (RefreshTokenRequestExpectingErrorSteps: 400 invalid_grant, JSON).
      const second = await registerRelyingParty(t, REDIRECT, { app_name: 'Conformance RP 2' });
      const code2 = await expectCode(
        await second.rp.authorize(
          new Browser(),
          { scope: 'openid offline_access', prompt: 'consent', state: 'c2' },
          { email: newEmail() },
        ),
        'c2',
      );
      const tokens2 = await second.rp.tokens(code2);
      expect(tokens2.refresh_token).toEqual(expect.any(String));
      const stolen = await rp.refresh(tokens2.refresh_token!, 'openid offline_access');
      expect(stolen.status).toBe(400);
      expect(stolen.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
      // Client 2 still refreshes its own.
      expect((await second.rp.refresh(tokens2.refresh_token!)).status).toBe(200);
    });

    it('offline_access is dropped for a client that may not refresh', async () => {
      const noRefresh = await registerClient(t.app, { redirect_urls: [REDIRECT], grant_types: ['authorization_code'] });
      const other = relyingParty(t, noRefresh, REDIRECT);
      const code = await expectCode(
        await other.authorize(new Browser(), { scope: 'openid offline_access', state: 'o' }, { email: newEmail() }),
        'o',
      );
      const tokens = await other.tokens(code);
      expect(tokens.scope).toBe('openid');
      expect(tokens.refresh_token).toBeUndefined();
    });
  });

  describe('oidcc-ensure-request-with-valid-pkce-succeeds', () => {
    it('S256 PKCE', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await expectCode(
        await rp.authorize(
          new Browser(),
          { scope: 'openid', state: 'pk', code_challenge: challenge, code_challenge_method: 'S256' },
          { email: newEmail() },
        ),
        'pk',
      );
      expect((await rp.redeem(code, { code_verifier: 'x'.repeat(43) })).status).toBe(400);
      const code2 = await expectCode(
        await rp.authorize(
          new Browser(),
          { scope: 'openid', state: 'pk2', code_challenge: challenge, code_challenge_method: 'S256' },
          { email: newEmail() },
        ),
        'pk2',
      );
      await rp.verifyIdToken((await rp.tokens(code2, { code_verifier: verifier })).id_token!);
    });
  });

  // Config OP plan.
  describe('oidcc-discovery-endpoint-verification', () => {
    it('the discovery document passes the checks the module makes', async () => {
      const res = await fetch(`${t.url}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      const meta = (await res.json()) as Record<string, unknown>;
      // OIDC Discovery §4.3: issuer identical to the URL the document was fetched under.
      expect(meta.issuer).toBe(t.url);
      for (const name of [
        'authorization_endpoint',
        'token_endpoint',
        'userinfo_endpoint',
        'jwks_uri',
        'end_session_endpoint',
      ]) {
        expect(String(meta[name])).toMatch(new RegExp(`^${t.url}/`));
      }
      expect(meta.scopes_supported).toContain('openid');
      expect(meta.response_types_supported).toContain('code');
      expect(meta.subject_types_supported).toEqual(['public']);
      expect((meta.id_token_signing_alg_values_supported as string[])[0]).toBe('RS256');
      expect(meta.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss', 'auth_time', 'email', 'name']));
      expect(meta.claims_parameter_supported).toBe(false);
      // ValidateServerJWKs: every key public, with kid, alg and use.
      const jwks = (await (await fetch(String(meta.jwks_uri))).json()) as { keys: Record<string, string>[] };
      const algs = jwks.keys.map((k) => k.alg);
      expect(algs).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ kid: expect.any(String), use: 'sig' });
        // EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys (RFC 7518 §6.3.2.1).
        expect(key.kty).not.toBe('oct');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key[secret]).toBeUndefined();
      }
    });

    it('the remaining conditions: JSON, grant types, scope syntax, PKCE methods as an array, no locales or registration', async () => {
      const res = await fetch(`${t.url}/.well-known/openid-configuration`);
      // CheckDiscoveryEndpointReturnedJsonContentType (OIDC Discovery §4.2).
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const meta = (await res.json()) as Record<string, unknown>;
      // OIDCCCheckDiscEndpointGrantTypesSupported: the code flow needs authorization_code.
      expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
      // CheckDiscEndpointScopesSupportedSyntax (RFC 6749 §3.3 scope-token).
      for (const scope of meta.scopes_supported as string[]) expect(scope).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
      // EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray (RFC 8414 §2).
      expect(meta.code_challenge_methods_supported).toEqual(['S256']);
      // Members the module checks only when present: none of them is published.
      for (const name of [
        'registration_endpoint',
        'userinfo_signing_alg_values_supported',
        'ui_locales_supported',
        'claims_locales_supported',
      ]) {
        expect(meta[name]).toBeUndefined();
      }
    });

    it('CheckDiscEndpointAllEndpointsAreHttps: with an https PUBLIC_URL, the issuer and every endpoint are https under it', async () => {
      const issuer = 'https://id.example.com';
      const https = await t.another({ env: { PUBLIC_URL: issuer, LOG_LEVEL: 'warn' } });
      const res = await https.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
      expect(res.statusCode).toBe(200);
      const meta = res.json<Record<string, unknown>>();
      expect(meta.issuer).toBe(issuer);
      const urls = Object.entries(meta).filter(([k]) => k.endsWith('_endpoint') || k.endsWith('_uri'));
      expect(urls.length).toBeGreaterThanOrEqual(8);
      for (const [name, value] of urls) expect(`${name}=${String(value)}`).toMatch(new RegExp(`^${name}=${issuer}/`));
      await https.close();
    });
  });
});
