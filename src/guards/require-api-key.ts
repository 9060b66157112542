import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { ApiKey, ApiKeyScope } from '../api-keys/api-key.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The API key `requireApiKey` proved for this request. Set only inside scopes (or on routes)
     * that register the guard; read it nowhere else.
     */
    apiKey: ApiKey;
  }
}

/** Declares `request.apiKey` once, so every request object keeps one shape. */
export const apiKeyRequestPlugin = fp(
  async (app) => {
    app.decorateRequest('apiKey', null as unknown as ApiKey);
  },
  { name: 'api-key-request' },
);

interface RequireApiKeyOptions {
  /** Guard only requests this accepts (POST /oauth/token: only Bearer requests are broker calls). */
  when?: (request: FastifyRequest) => boolean;
  /** Sees every refusal before it is answered (a route that audits its refusals). */
  refused?: (request: FastifyRequest, err: unknown) => void;
}

/**
 * Guard of the internal-service API: `Authorization: Bearer <api key>` holding `scope`; puts the
 * key on `request.apiKey`. Register it once per scope on preValidation — after the body is
 * parsed (a refusal can name what was asked for) and before it is validated (401/403 before
 * anything about the request is revealed): `app.addHook('preValidation', requireApiKey('tokens'))`.
 */
export function requireApiKey(scope: ApiKeyScope, options: RequireApiKeyOptions = {}) {
  return async function requireApiKeyGuard(request: FastifyRequest): Promise<void> {
    if (options.when && !options.when(request)) return;
    try {
      request.apiKey = await request.server.authenticateApiKey(request, scope);
    } catch (err) {
      options.refused?.(request, err);
      throw err;
    }
  };
}
