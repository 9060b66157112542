/**
 * The mock's paths mirror Google's own, relative to the mock's base URL, so a configuration that
 * points at the mock differs from the real one only in the host part.
 */
export const MOCK_PATHS = {
  authorize: '/o/oauth2/v2/auth',
  token: '/token',
  userinfo: '/v1/userinfo',
  tokeninfo: '/tokeninfo',
  jwks: '/oauth2/v3/certs',
  revoke: '/revoke',
} as const;

export type MockEndpoint = keyof typeof MOCK_PATHS;

/** Google's endpoints as absolute URLs: the real ones, or the mock's (see mockEndpoints). */
export interface GoogleEndpointUrls {
  authUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  tokeninfoUrl: string;
  jwksUrl: string;
  revokeUrl: string;
  /** ID tokens' iss: https://accounts.google.com for Google; the mock's is its base URL. */
  issuer: string;
}

export function mockEndpoints(baseUrl: string): GoogleEndpointUrls {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    authUrl: base + MOCK_PATHS.authorize,
    tokenUrl: base + MOCK_PATHS.token,
    userinfoUrl: base + MOCK_PATHS.userinfo,
    tokeninfoUrl: base + MOCK_PATHS.tokeninfo,
    jwksUrl: base + MOCK_PATHS.jwks,
    revokeUrl: base + MOCK_PATHS.revoke,
    issuer: base,
  };
}
