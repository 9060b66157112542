/**
 * node-oidc-provider 9.x as the peer, configured like Gatehouse: ES256 everywhere, Basic client
 * authentication, JWT (RFC 9068) access tokens for client_credentials through a resource
 * indicator (opaque ones under OPAQUE_RESOURCE, for introspection), strict refresh-token rotation, introspection. In-memory adapter (its default).
 * `POST /__bench/refresh-tokens?n=N` mints N refresh tokens directly in the provider's store,
 * the peer's counterpart of pre-minting Gatehouse tokens through code exchange.
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const RESOURCE = 'urn:gatehouse:bench';
/** oidc-provider cannot introspect JWT access tokens; its introspection scenario uses this one. */
const OPAQUE_RESOURCE = 'urn:gatehouse:bench:opaque';
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret-0123456789abcdef0123456789';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://app.example.com/callback'],
      id_token_signed_response_alg: 'ES256',
      scope: 'openid offline_access api',
    },
  ],
  scopes: ['openid', 'offline_access', 'api'],
  findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 600,
        ...(resource === OPAQUE_RESOURCE
          ? { accessTokenFormat: 'opaque' as const }
          : { accessTokenFormat: 'jwt' as const, jwt: { sign: { alg: 'ES256' as const } } }),
      }),
    },
  },
  // Gatehouse rotates on every use; so does the peer here.
  rotateRefreshToken: true,
  ttl: { AccessToken: 600, ClientCredentials: 600, RefreshToken: 30 * 24 * 3600, Grant: 30 * 24 * 3600 },
});

async function mintRefreshTokens(n: number): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error('bench client missing');
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const accountId = `user-${i}`;
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(RESOURCE, 'api');
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      client,
      accountId,
      grantId,
      gty: 'authorization_code',
      scope: 'openid offline_access api',
      resource: RESOURCE,
      authTime: Math.floor(Date.now() / 1000),
    });
    tokens.push(await token.save());
  }
  return tokens;
}

const callback = provider.callback();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  if (req.method === 'POST' && url.pathname === '/__bench/refresh-tokens') {
    const n = Math.min(100_000, Math.max(1, Number(url.searchParams.get('n') ?? '1')));
    mintRefreshTokens(n).then(
      (tokens) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ tokens }));
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      },
    );
    return;
  }
  if (url.pathname === '/__bench/health') {
    res.end('{"ok":true}');
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
