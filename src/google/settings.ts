import { configSchema, type Config } from '../config/schema.js';
import { mockEndpoints, type GoogleEndpointUrls } from './mock/endpoints.js';

/** Where the built-in mock is mounted in dev mode, relative to PUBLIC_URL. */
export const DEV_MOCK_PREFIX = '/_dev/google';
/** The mock's only client in dev mode. Not secret: the mock guards nothing real. */
export const DEV_CLIENT_ID = 'gatehouse-dev';
export const DEV_CLIENT_SECRET = 'gatehouse-dev-secret-not-for-production';

/** Google as Gatehouse talks to it: the real one, a fake named by GOOGLE_*_URL, or the dev mock. */
export interface GoogleSettings extends GoogleEndpointUrls {
  clientId: string;
  clientSecret: string;
  /** Extra scopes from GOOGLE_SCOPES; openid email profile are always asked for. */
  scopes: string[];
  timeoutMs: number;
  /** True when at least one endpoint is the mock mounted in this app. */
  usesDevMock: boolean;
}

type Endpoint = 'auth_url' | 'token_url' | 'userinfo_url' | 'tokeninfo_url' | 'jwks_url' | 'revoke_url' | 'issuer';

/**
 * The one place that decides which Google Gatehouse talks to. loadConfig stays pure and fills
 * Google's real endpoints as defaults; here, in dev mode, every endpoint still at Google's
 * default moves to the mock under PUBLIC_URL/_dev/google, while an endpoint set explicitly
 * (GOOGLE_*_URL) is kept. Outside dev mode the configured values are used as they are.
 */
export function resolveGoogleSettings(config: Config): GoogleSettings {
  const g = config.google;
  const base = {
    scopes: g.scopes,
    timeoutMs: g.request_timeout_ms,
  };
  if (!config.dev_mode) {
    if (!g.client_id || !g.client_secret)
      throw new Error('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are required outside dev mode');
    return {
      ...base,
      clientId: g.client_id,
      clientSecret: g.client_secret,
      authUrl: g.auth_url,
      tokenUrl: g.token_url,
      userinfoUrl: g.userinfo_url,
      tokeninfoUrl: g.tokeninfo_url,
      jwksUrl: g.jwks_url,
      revokeUrl: g.revoke_url,
      issuer: g.issuer,
      usesDevMock: false,
    };
  }
  const defaults = googleDefaults();
  const mock = mockEndpoints(`${config.public_url}${DEV_MOCK_PREFIX}`);
  let usesDevMock = false;
  const pick = (key: Endpoint, mockValue: string): string => {
    if (g[key] !== defaults[key]) return g[key];
    usesDevMock = true;
    return mockValue;
  };
  const endpoints = {
    authUrl: pick('auth_url', mock.authUrl),
    tokenUrl: pick('token_url', mock.tokenUrl),
    userinfoUrl: pick('userinfo_url', mock.userinfoUrl),
    tokeninfoUrl: pick('tokeninfo_url', mock.tokeninfoUrl),
    jwksUrl: pick('jwks_url', mock.jwksUrl),
    revokeUrl: pick('revoke_url', mock.revokeUrl),
    issuer: pick('issuer', mock.issuer),
  };
  return { ...base, ...endpoints, clientId: DEV_CLIENT_ID, clientSecret: DEV_CLIENT_SECRET, usesDevMock };
}

let cachedDefaults: Config['google'] | undefined;

/** Google's real endpoints, read from the schema's defaults so they are written down once. */
function googleDefaults(): Config['google'] {
  cachedDefaults ??= configSchema.parse({}).google;
  return cachedDefaults;
}
