import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { buildTestApp, openStorage, type TestApp, type TestStorage } from '../../helpers/app.js';

const PUBLIC_URL = 'https://auth.example.test';

const EXPECTED_METADATA = {
  issuer: PUBLIC_URL,
  authorization_endpoint: `${PUBLIC_URL}/oauth/authorize`,
  token_endpoint: `${PUBLIC_URL}/oauth/token`,
  revocation_endpoint: `${PUBLIC_URL}/oauth/revoke`,
  introspection_endpoint: `${PUBLIC_URL}/oauth/introspect`,
  userinfo_endpoint: `${PUBLIC_URL}/userinfo`,
  end_session_endpoint: `${PUBLIC_URL}/oauth/logout`,
  jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
  device_authorization_endpoint: `${PUBLIC_URL}/oauth/device_authorization`,
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: [
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange',
  ],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  code_challenge_methods_supported: ['S256'],
  scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  authorization_response_iss_parameter_supported: true,
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
  claims_supported: [
    'sub',
    'iss',
    'aud',
    'exp',
    'iat',
    'auth_time',
    'nonce',
    'name',
    'given_name',
    'family_name',
    'preferred_username',
    'picture',
    'email',
    'email_verified',
  ],
  request_parameter_supported: false,
  request_uri_parameter_supported: false,
  claims_parameter_supported: false,
  prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
};

describeBackends('well-known documents', (backend) => {
  let storage: TestStorage;
  let t: TestApp;

  beforeAll(async () => {
    storage = await openStorage(backend);
    t = await buildTestApp(storage, { env: { PUBLIC_URL: `${PUBLIC_URL}/` } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await storage?.close();
  });

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'GET %s describes the server with issuer = PUBLIC_URL',
    async (url) => {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.json()).toEqual(EXPECTED_METADATA);
    },
  );

  it('GET /.well-known/jwks.json lists the active public key of each algorithm in use and nothing private', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const { rows } = await storage.db.query<{ kid: string; algorithm: string }>(
      'SELECT kid, algorithm FROM signing_keys WHERE retired_at IS NULL',
    );
    const kid = (alg: string) => rows.find((r) => r.algorithm === alg)!.kid;
    // The access token's ES256 key first, then one for each ID token algorithm (RS256 the default).
    expect(res.json()).toEqual({
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: expect.any(String),
          y: expect.any(String),
          kid: kid('ES256'),
          alg: 'ES256',
          use: 'sig',
        },
        { kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: kid('RS256'), alg: 'RS256', use: 'sig' },
        { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: kid('EdDSA'), alg: 'EdDSA', use: 'sig' },
      ],
    });
    expect(res.body).not.toMatch(/"(d|p|q|dp|dq|qi|k|oth)"/);
  });
});
