import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../api-keys/api-key-auth.js';
import type { ApiKey, ApiKeyScope } from '../api-keys/api-key.js';
import { cacheValueSigner } from '../cache/value-signer.js';
import { ClientStore } from '../clients/client-store.js';
import { createSecretHasher, type SecretHasher } from '../crypto/secret-hasher.js';
import { createClientAuthenticator, type AuthenticatedClient } from '../oauth/client-auth.js';
import type { FormParams } from '../oauth/form-params.js';
import { availableParallelism } from 'node:os';
import { CredentialLimits } from '../security/auth-limits.js';
import { FailureLimiter } from '../security/rate-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    secretHasher: SecretHasher;
    clientStore: ClientStore;
    /** RFC 6749 §2.3 client authentication of the current request (Basic, post, or none). */
    authenticateClient: (request: FastifyRequest, body: FormParams | null | undefined) => Promise<AuthenticatedClient>;
    apiKeys: ApiKeyAuthenticator;
    /** Authenticates `Authorization: Bearer <api key>` and checks the key holds scope. */
    authenticateApiKey: (request: FastifyRequest, scope: ApiKeyScope) => Promise<ApiKey>;
  }
}

export const CLIENT_FAILURES_PER_MINUTE = 20;

/** Who is calling: OAuth clients (secrets) and internal services (API keys). */
export const credentialsPlugin = fp(
  async (app) => {
    const hasher = createSecretHasher({
      maxConcurrent: app.config.security.max_concurrent_hashes ?? 2 * availableParallelism(),
    });
    const store = new ClientStore(app.repos.clients, app.cache, cacheValueSigner(app.config), app.log);
    await store.start();
    const clientLimits = new CredentialLimits({
      kind: 'client',
      failures: app.authFailures,
      refusal: 'too many failed client authentications; try again later',
      byAddress: [app.addressFailureLimiter],
      byCredentialAndAddress: new FailureLimiter(app.cache, 'client-auth', CLIENT_FAILURES_PER_MINUTE, 60_000),
    });
    const apiKeyLimits = new CredentialLimits({
      kind: 'api_key',
      failures: app.authFailures,
      refusal: 'too many failed API key attempts; try again later',
      byAddress: [
        new FailureLimiter(app.cache, 'api-key-auth', CLIENT_FAILURES_PER_MINUTE, 60_000),
        app.addressFailureLimiter,
      ],
    });
    const apiKeys = new ApiKeyAuthenticator({
      apiKeys: app.repos.apiKeys,
      cache: app.cache,
      hasher,
      limits: apiKeyLimits,
      log: app.log,
    });
    await apiKeys.start();

    app.decorate('secretHasher', hasher);
    app.decorate('clientStore', store);
    app.decorate('authenticateClient', createClientAuthenticator({ store, hasher, limits: clientLimits }));
    app.decorate('apiKeys', apiKeys);
    app.decorate('authenticateApiKey', (request: FastifyRequest, scope: ApiKeyScope) =>
      apiKeys.authenticate(request, scope),
    );
    app.addHook('onClose', async () => {
      store.stop();
      await apiKeys.stop();
    });
  },
  { name: 'credentials', dependencies: ['core', 'auth-failures'] },
);
