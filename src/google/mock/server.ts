import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import type { MockGoogleControl } from './control.js';
import { mockEndpoints, type GoogleEndpointUrls } from './endpoints.js';
import { mockGoogleRoutes } from './routes.js';
import { MockGoogleState } from './state.js';

export const MOCK_TEST_CLIENT_ID = 'mock-client.apps.googleusercontent.com';
export const MOCK_TEST_CLIENT_SECRET = 'mock-client-secret';

export interface StandaloneMockGoogle {
  /** Base URL, e.g. http://127.0.0.1:41234 — also the issuer. */
  url: string;
  endpoints: GoogleEndpointUrls;
  clientId: string;
  clientSecret: string;
  control: MockGoogleControl;
  /** GOOGLE_* variables that point Gatehouse at this mock. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A mock Google on its own 127.0.0.1 port, for tests: real HTTP, Google's shapes, and a
 * programmatic `control` for fault injection.
 */
export async function startMockGoogle(
  opts: { clientId?: string; clientSecret?: string; redirectUriPrefixes?: string[] } = {},
): Promise<StandaloneMockGoogle> {
  const clientId = opts.clientId ?? MOCK_TEST_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? MOCK_TEST_CLIENT_SECRET;
  const state = await MockGoogleState.create({
    clientId,
    clientSecret,
    issuer: 'http://127.0.0.1',
    ...(opts.redirectUriPrefixes ? { redirectUriPrefixes: opts.redirectUriPrefixes } : {}),
  });
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(formbody);
  await app.register(mockGoogleRoutes, { mock: state });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  state.issuer = address;
  const endpoints = mockEndpoints(address);
  return {
    url: address,
    endpoints,
    clientId,
    clientSecret,
    control: state.control,
    env: {
      GOOGLE_CLIENT_ID: clientId,
      GOOGLE_CLIENT_SECRET: clientSecret,
      GOOGLE_AUTH_URL: endpoints.authUrl,
      GOOGLE_TOKEN_URL: endpoints.tokenUrl,
      GOOGLE_USERINFO_URL: endpoints.userinfoUrl,
      GOOGLE_TOKENINFO_URL: endpoints.tokeninfoUrl,
      GOOGLE_JWKS_URL: endpoints.jwksUrl,
      GOOGLE_REVOKE_URL: endpoints.revokeUrl,
      GOOGLE_ISSUER: endpoints.issuer,
    },
    async close() {
      state.wakeAll();
      await app.close();
    },
  };
}
