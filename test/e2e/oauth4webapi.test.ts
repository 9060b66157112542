import { beforeAll, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../helpers/admin.js';
import { mintCode, seedUser, type SeededUser } from '../helpers/oauth.js';

/**
 * A strict, spec-checking OAuth client (panva's oauth4webapi) against the real HTTP server: it
 * validates discovery, every token/introspection/revocation response and our RFC 9068 JWTs, and
 * throws on anything off-spec.
 */
describeBackends('oauth4webapi against Gatehouse', (backend) => {
  const t = useTestApp(backend, { listen: true, env: { LOG_LEVEL: 'warn' } });
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let registered: RegisteredClient;
  let client: oauth.Client;
  let auth: oauth.ClientAuth;
  let user: SeededUser;
  const insecure = { [oauth.allowInsecureRequests]: true };
  const redirectUri = 'https://app.example.com/callback';

  beforeAll(async () => {
    issuer = new URL(t.url);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    registered = await registerClient(t.app, { scope: 'openid profile email reports' });
    client = { client_id: registered.client_id };
    auth = oauth.ClientSecretBasic(registered.client_secret!);
    user = await seedUser(t.db);
  }, 60_000);

  it('discovers the server metadata (RFC 8414)', () => {
    expect(as.issuer).toBe(issuer.origin);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('client_credentials, and the JWT passes RFC 9068 validation', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'reports' }, insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, client, res);
    expect(tokens.token_type).toBe('bearer');
    const request = new Request('https://api.example.com/', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, issuer.origin, insecure);
    expect(claims).toMatchObject({ sub: registered.client_id, client_id: registered.client_id, scope: 'reports' });
  });

  it('authorization code with PKCE and nonce, then refresh, introspection and revocation', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const nonce = oauth.generateRandomNonce();
    const state = oauth.generateRandomState();
    const code = await mintCode(t.db, {
      clientId: registered.client_id,
      userId: user.id,
      challenge,
      nonce,
      redirectUri,
    });
    // What /oauth/authorize puts on the redirect (RFC 9207 adds iss).
    const callback = new URL(`${redirectUri}?code=${code}&state=${state}&iss=${encodeURIComponent(issuer.origin)}`);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const codeRes = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeRes, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ sub: user.id, nonce, aud: registered.client_id });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure),
    );
    expect(active).toMatchObject({ active: true, sub: user.id, client_id: registered.client_id });

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, refreshed.refresh_token!, insecure),
    );
    const inactive = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure),
    );
    expect(inactive.active).toBe(false);
  });

  it('surfaces a replayed code as an OAuth error response', async () => {
    const code = await mintCode(t.db, { clientId: registered.client_id, userId: user.id, redirectUri });
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URL(`${redirectUri}?code=${code}&iss=${encodeURIComponent(issuer.origin)}`),
      oauth.expectNoState,
    );
    await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, oauth.nopkce, insecure),
    );
    const replay = oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, oauth.nopkce, insecure),
    );
    await expect(replay).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});
