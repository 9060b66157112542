import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleClient, GoogleError, type GoogleClient } from '../../../src/google/client.js';
import { startMockGoogle, type StandaloneMockGoogle } from '../../../src/google/mock/index.js';
import { resolveGoogleSettings } from '../../../src/google/settings.js';
import { testConfig } from '../../helpers/app.js';
import { mockTokens } from '../../helpers/google.js';

// The Google client talks to the mock over real HTTP and touches no storage, so it runs once,
// not once per storage backend.
describe('Google client against the mock Google', () => {
  const TIMEOUT_MS = 400;
  let mock: StandaloneMockGoogle;
  let google: GoogleClient;

  beforeAll(async () => {
    mock = await startMockGoogle();
    google = createGoogleClient(
      resolveGoogleSettings(
        testConfig(mock.env, {
          google: { request_timeout_ms: TIMEOUT_MS, scopes: ['https://www.googleapis.com/auth/calendar.readonly'] },
        }),
      ),
    );
  });
  afterAll(() => mock?.close());
  beforeEach(() => mock.control.reset());

  const failure = async (p: Promise<unknown>): Promise<GoogleError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GoogleError);
    return err as GoogleError;
  };

  it('builds the authorization URL Google expects', () => {
    const url = new URL(
      google.buildAuthorizationUrl({
        state: 'st',
        nonce: 'no',
        codeChallenge: 'ch',
        redirectUri: 'https://gh.test/cb',
        promptConsent: false,
        loginHint: 'a@b.c',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(mock.endpoints.authUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: mock.clientId,
      redirect_uri: 'https://gh.test/cb',
      response_type: 'code',
      scope: 'openid email profile https://www.googleapis.com/auth/calendar.readonly',
      state: 'st',
      nonce: 'no',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      access_type: 'offline',
      include_granted_scopes: 'true',
      login_hint: 'a@b.c',
    });
    const consent = new URL(
      google.buildAuthorizationUrl({
        state: 's',
        nonce: 'n',
        codeChallenge: 'c',
        redirectUri: 'https://gh.test/cb',
        promptConsent: true,
      }),
    );
    expect(consent.searchParams.get('prompt')).toBe('consent');
  });

  it('exchanges a code, verifies the ID token, and uses the access token', async () => {
    const { code, verifier, redirectUri, nonce } = await mockTokens(mock, 'client.one@example.com');
    const tokens = await google.exchangeCode(code, verifier, redirectUri);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: 'openid email profile' });
    expect(tokens.refresh_token).toMatch(/^1\/\/mock-/);

    const claims = await google.verifyIdToken(tokens.id_token!, nonce);
    expect(claims).toMatchObject({
      iss: mock.url,
      aud: mock.clientId,
      email: 'client.one@example.com',
      email_verified: true,
      nonce,
    });
    expect(claims.sub).toMatch(/^\d{21}$/);

    expect(await google.fetchUserinfo(tokens.access_token)).toMatchObject({
      sub: claims.sub,
      email: 'client.one@example.com',
      given_name: 'Client',
    });
    const info = await google.tokeninfo(tokens.access_token);
    expect(info).toMatchObject({ aud: mock.clientId, azp: mock.clientId, sub: claims.sub, email_verified: true });
    expect(info.expires_in).toBeGreaterThan(3500);

    const refreshed = await google.refreshAccessToken(tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeUndefined(); // Google does not rotate

    await google.revoke(tokens.refresh_token!);
    const err = await failure(google.refreshAccessToken(tokens.refresh_token!));
    expect(err.kind).toBe('invalid_grant');
    expect((await failure(google.fetchUserinfo(refreshed.access_token))).kind).toBe('rejected');
  });

  it('refuses an ID token with the wrong nonce or for another audience', async () => {
    const a = await mockTokens(mock, 'nonce.check@example.com');
    const tokens = await google.exchangeCode(a.code, a.verifier, a.redirectUri);
    const wrongNonce = await failure(google.verifyIdToken(tokens.id_token!, 'another-nonce-value'));
    expect(wrongNonce).toMatchObject({ kind: 'invalid_response', endpoint: 'id_token' });
    expect(wrongNonce.message).toContain('nonce');

    const other = createGoogleClient({ ...google.settings, clientId: 'someone-else.apps.googleusercontent.com' });
    const wrongAud = await failure(other.verifyIdToken(tokens.id_token!, a.nonce));
    expect(wrongAud.kind).toBe('invalid_response');
    expect(wrongAud.message).toContain('aud');

    const tampered = `${tokens.id_token!.slice(0, -4)}AAAA`;
    expect((await failure(google.verifyIdToken(tampered, a.nonce))).kind).toBe('invalid_response');

    mock.control.wrongNonceOnNextIdToken();
    const b = await mockTokens(mock, 'nonce.check@example.com', 'expected-nonce-123456');
    const t2 = await google.exchangeCode(b.code, b.verifier, b.redirectUri);
    expect((await failure(google.verifyIdToken(t2.id_token!, b.nonce))).kind).toBe('invalid_response');
  });

  it('reports a tokeninfo audience the control changed', async () => {
    const a = await mockTokens(mock, 'aud@example.com');
    const tokens = await google.exchangeCode(a.code, a.verifier, a.redirectUri);
    mock.control.setTokeninfoAudience(tokens.access_token, { aud: 'other-app', azp: 'other-app' });
    expect(await google.tokeninfo(tokens.access_token)).toMatchObject({ aud: 'other-app', azp: 'other-app' });
  });

  it('a slow Google is "unavailable" within request_timeout_ms', async () => {
    mock.control.setLatency(5_000, 'token');
    const started = Date.now();
    const err = await failure(google.refreshAccessToken('1//anything'));
    const took = Date.now() - started;
    expect(err.kind).toBe('unavailable');
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(took).toBeLessThan(TIMEOUT_MS + 600);
  });

  it('maps 500 to unavailable, 429 to rate_limited with retryAfter, invalid_grant to invalid_grant', async () => {
    mock.control.failNextToken(1, 'server_error');
    expect(await failure(google.refreshAccessToken('1//x'))).toMatchObject({ kind: 'unavailable', status: 500 });

    mock.control.failNextToken(1, 'rate_limited', { retryAfter: 7 });
    expect(await failure(google.refreshAccessToken('1//x'))).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfter: 7,
    });

    mock.control.failNextToken(1, 'invalid_grant');
    expect(await failure(google.refreshAccessToken('1//x'))).toMatchObject({
      kind: 'invalid_grant',
      status: 400,
      googleError: 'invalid_grant',
    });

    // An unknown refresh token is Google's own invalid_grant.
    expect(await failure(google.refreshAccessToken('1//never-issued'))).toMatchObject({ kind: 'invalid_grant' });
    expect(mock.control.calls('token')).toBe(4);
  });

  it('a reset connection is unavailable; a bad client secret is rejected', async () => {
    mock.control.failNextToken(1, 'connection_reset');
    expect((await failure(google.refreshAccessToken('1//x'))).kind).toBe('unavailable');

    const wrongSecret = createGoogleClient({ ...google.settings, clientSecret: 'wrong' });
    expect(await failure(wrongSecret.refreshAccessToken('1//x'))).toMatchObject({
      kind: 'rejected',
      status: 401,
      googleError: 'invalid_client',
    });
  });

  it('a refused connection is unavailable', async () => {
    const closed = await startMockGoogle();
    await closed.close();
    const client = createGoogleClient(resolveGoogleSettings(testConfig(closed.env)));
    const err = await failure(client.refreshAccessToken('1//x'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('never puts a token, code or secret in an error message', async () => {
    const secretToken = '1//mock-this-must-not-appear-anywhere';
    mock.control.failNextToken(1, 'server_error');
    const errors = [
      await failure(google.refreshAccessToken(secretToken)),
      await failure(google.refreshAccessToken(secretToken)),
      await failure(google.exchangeCode('4/secret-code-value', 'v'.repeat(43), 'http://127.0.0.1:1/cb')),
      await failure(google.fetchUserinfo('ya29.secret-access-token')),
      await failure(google.revoke('ya29.secret-access-token')),
    ];
    for (const err of errors) {
      const text = `${err.message} ${JSON.stringify(err)}`;
      for (const s of [secretToken, 'secret-code-value', 'secret-access-token', mock.clientSecret])
        expect(text).not.toContain(s);
    }
  });
});
