import { expect, it } from 'vitest';
import { GRANT_TYPES } from '../../../src/clients/client.js';
import { authorizationServerMetadata } from '../../../src/routes/well-known.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';

const PUBLIC_URL = 'https://auth.example.test';

/** Where each endpoint lives: part of the contract, so written here rather than read from the module. */
const ENDPOINT_PATHS = {
  authorization_endpoint: '/oauth/authorize',
  token_endpoint: '/oauth/token',
  revocation_endpoint: '/oauth/revoke',
  introspection_endpoint: '/oauth/introspect',
  userinfo_endpoint: '/userinfo',
  end_session_endpoint: '/oauth/logout',
  jwks_uri: '/.well-known/jwks.json',
  device_authorization_endpoint: '/oauth/device_authorization',
};

/** What the RFCs require the document to say, beyond the module's own lists (compared whole below). */
const REQUIRED_MEMBERS = {
  issuer: PUBLIC_URL,
  ...Object.fromEntries(Object.entries(ENDPOINT_PATHS).map(([name, path]) => [name, `${PUBLIC_URL}${path}`])),
  response_types_supported: ['code'],
  grant_types_supported: [...GRANT_TYPES],
  // RFC 9700 §2.1.1: no "plain".
  code_challenge_methods_supported: ['S256'],
  // RFC 7662 §2.1: introspection needs client authentication, so "none" is not offered.
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  // RFC 9207 §3.
  authorization_response_iss_parameter_supported: true,
  // OIDC Discovery §3: RS256 must be included.
  id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
  request_uri_parameter_supported: false,
};

describeBackends('well-known documents', (backend) => {
  const t = useTestApp(backend, { env: { PUBLIC_URL: `${PUBLIC_URL}/` } });

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'GET %s describes the server with issuer = PUBLIC_URL',
    async (url) => {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.json()).toEqual(authorizationServerMetadata(t.config));
      expect(res.json()).toMatchObject(REQUIRED_MEMBERS);
    },
  );

  it('GET /.well-known/jwks.json lists the active public key of each algorithm in use and nothing private', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const { rows } = await t.storage.db.query<{ kid: string; algorithm: string }>(
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
