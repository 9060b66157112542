import { basicAuth, FORM_HEADERS, formBody } from '../seed/gatehouse-seed.js';
import { OIDC_CLIENT, type RunningServer } from '../servers/start.js';
import { RefreshChains } from './refresh-chains.js';
import type { Scenario } from './scenario.js';

const OPAQUE_RESOURCE = 'urn:gatehouse:bench:opaque';

/** The peer: node-oidc-provider 9.x, in-memory adapter, configured like Gatehouse. */
export function oidcProviderScenarios(peer: RunningServer, o: { connections: number; rounds: number }): Scenario[] {
  const headers = { ...FORM_HEADERS, authorization: basicAuth(OIDC_CLIENT.id, OIDC_CLIENT.secret) };
  const baseUrl = peer.baseUrl;
  let chains: RefreshChains | undefined;
  let opaqueToken = '';
  return [
    {
      id: 'oidc.client_credentials',
      description: 'oidc-provider `POST /token` client_credentials, Basic, ES256 JWT access token (resource indicator)',
      server: 'oidc-provider',
      baseUrl,
      method: 'POST',
      nextRound: async () => ({
        method: 'POST',
        path: '/token',
        headers,
        body: 'grant_type=client_credentials&scope=api',
      }),
    },
    {
      id: 'oidc.refresh_token',
      description:
        'oidc-provider refresh_token with rotation (in memory): JWT access + ES256 ID token + new refresh token',
      server: 'oidc-provider',
      baseUrl,
      method: 'POST',
      async prepare() {
        const res = await fetch(`${baseUrl}/__bench/refresh-tokens?n=${o.connections * (o.rounds + 3) + 100}`, {
          method: 'POST',
        });
        if (res.status !== 200) throw new Error(`oidc-provider refresh seeding: ${res.status} ${await res.text()}`);
        chains = new RefreshChains(((await res.json()) as { tokens: string[] }).tokens);
      },
      nextRound: async () =>
        chains!.request('/token', headers, (rt) => formBody({ grant_type: 'refresh_token', refresh_token: rt })),
    },
    {
      id: 'oidc.introspection',
      description:
        'oidc-provider `POST /token/introspection` of one opaque access token (it cannot introspect JWT access tokens)',
      server: 'oidc-provider',
      baseUrl,
      method: 'POST',
      async prepare() {
        const res = await fetch(`${baseUrl}/token`, {
          method: 'POST',
          headers,
          body: formBody({ grant_type: 'client_credentials', scope: 'api', resource: OPAQUE_RESOURCE }),
        });
        const body = (await res.json()) as { access_token?: string };
        if (!body.access_token) throw new Error(`oidc-provider opaque token: ${res.status} ${JSON.stringify(body)}`);
        opaqueToken = body.access_token;
      },
      nextRound: async () => ({
        method: 'POST',
        path: '/token/introspection',
        headers,
        body: formBody({ token: opaqueToken }),
      }),
    },
  ];
}
